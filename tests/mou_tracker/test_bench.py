"""The tracker benchmark runs end to end (at a tiny size; figures are not asserted)."""

from __future__ import annotations

import pytest

from bench import tracker as bench_tracker


def test_bench_runs_on_a_small_portfolio(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_tracker.main(["--agreements", "60"]) == 0
    out = capsys.readouterr().out
    assert "seeded 60 agreements, 720 milestones" in out
    assert "mou report" in out and "mou list" in out
