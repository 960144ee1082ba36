"""CI's flag turns every skip into a failure, whatever raised it; without it a skip stays one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = ("-p", "tests.required", "-p", "no:cacheprovider", "-q", "-rfs")

SKIPPING = """
import pytest

def test_skipped_by_call():
    pytest.skip("PostgreSQL not configured")

@pytest.mark.skipif(True, reason="Tesseract is not installed")
def test_skipped_by_mark():
    pass

@pytest.fixture
def server():
    pytest.skip("Chroma server not configured")

def test_skipped_by_fixture(server):
    pass

@pytest.mark.xfail(reason="known")
def test_expected_failure():
    assert False

def test_runs():
    pass
"""


def _run(tmp_path: Path, flag: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_skipping.py").write_text(SKIPPING)
    env = {k: v for k, v in os.environ.items() if k != "SINERGI_TEST_REQUIRE_SERVERS"}
    if flag is not None:
        env["SINERGI_TEST_REQUIRE_SERVERS"] = flag
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            os.devnull,
            "--rootdir",
            str(tmp_path),
            *PLUGINS,
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("flag", [None, ""])
def test_without_the_flag_a_skip_stays_a_skip(tmp_path: Path, flag: str | None) -> None:
    result = _run(tmp_path, flag)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 3 skipped, 1 xfailed" in result.stdout


def test_under_the_flag_every_skip_fails_with_its_reason(tmp_path: Path) -> None:
    result = _run(tmp_path, "1")
    assert result.returncode == 1, result.stdout
    # A skip in the test fails it; one in its setup (a skipif mark, a fixture) is an error.
    assert "1 failed, 1 passed, 1 xfailed, 2 errors" in result.stdout
    for reason in ("PostgreSQL not configured", "Tesseract is not installed", "Chroma server"):
        assert reason in result.stdout
    assert "SINERGI_TEST_REQUIRE_SERVERS=1" in result.stdout
