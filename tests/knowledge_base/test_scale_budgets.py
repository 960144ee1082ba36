"""`python -m bench.scale --budgets`: the keyword search timed under each posting budget and
compared with the largest budget's top 10 (a fake store stands in for PostgreSQL)."""

from __future__ import annotations

from typing import Any

from bench.scale import budgets


class _Store:
    """Returns passages p0.. in order; a budget under 100 drops every second one."""

    def __init__(self) -> None:
        self.posting_budget = 20_000
        self.last_plan: dict[str, int] = {}
        self.seen: list[int] = []

    def search(self, terms: Any, n: int, filters: Any) -> dict[str, float]:
        self.seen.append(self.posting_budget)
        self.last_plan = {"postings": min(self.posting_budget, 500)}
        ids = [f"p{i}" for i in range(20)]
        if self.posting_budget < 100:
            ids = ids[::2]
        return {cid: 100.0 - i for i, cid in enumerate(ids)}


class _Normalizer:
    def terms(self, q: str) -> list[str]:
        return q.split()


class _Index:
    def __init__(self) -> None:
        self.keywords = _Store()
        self.normalizer = _Normalizer()


def test_each_budget_is_timed_and_compared_with_the_largest() -> None:
    index = _Index()
    rows = budgets(index, ["syarat izin", "berapa lama"], [50, 1000])
    assert [r["budget"] for r in rows] == [50, 1000]
    small, large = rows
    assert large["top10_vs_largest"] == 1.0
    # Half of p0..p9 survive the small budget (p0, p2, ..., p8).
    assert small["top10_vs_largest"] == 0.5
    assert small["postings_p50"] == 50 and large["postings_p50"] == 500
    assert set(index.keywords.seen) == {50, 1000}
    assert index.keywords.posting_budget == 20_000  # restored
