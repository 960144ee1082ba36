"""Under ``SINERGI_TEST_REQUIRE_SERVERS=1`` (set by ``.ci/run``) a skipped test is a failure.

CI installs and starts everything the suite can use (PostgreSQL, a Chroma server, Tesseract,
the PostgreSQL client tools), so nothing should skip there; a skip would hide a test that did
not run. Every skip is caught here, whatever raised it (``pytest.skip``, a ``skipif`` mark, a
fixture), so a new optional-tool test cannot slip past CI. Loaded as a pytest plugin by
``tests/conftest.py``.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

REQUIRE_SERVERS_ENV = "SINERGI_TEST_REQUIRE_SERVERS"


def everything_required() -> bool:
    """True in CI: every server and tool the suite can use must be there."""
    return bool(os.environ.get(REQUIRE_SERVERS_ENV))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report = outcome.get_result()
    if report.skipped and everything_required() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (
            f"skipped in a run that requires every server and tool "
            f"({REQUIRE_SERVERS_ENV}=1): {reason}"
        )
