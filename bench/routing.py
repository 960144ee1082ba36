"""Routing accuracy of the assistant on labelled questions: ``python -m bench.routing``.

Reads ``tests/data/assistant/questions.jsonl`` (or ``--data FILE`` in the same format: one JSON
object a line with ``q`` and ``route``; ``split``, ``lang`` and ``style`` optional) and prints
accuracy per route, per split, per language and per style, and every miss. The app names come
from the tracker's data, as in the product: the sample agreements (``samples/agreements.csv``)
are imported into a scratch database and the assistant's own vocabulary is read from it.

``--data`` runs someone else's held-out questions through exactly the same path.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from core.clock import FixedClock
from core.config import Settings
from services import Services
from services.access import Operator
from services.routing import route

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "assistant" / "questions.jsonl"
SAMPLES = ROOT / "samples" / "agreements.csv"
#: The day the figures are computed for (windows such as "minggu ini" are relative to it).
AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.routing", description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA, help="labelled questions (.jsonl)")
    parser.add_argument("--full", action="store_true", help="(no larger size; accepted)")
    parser.add_argument("--quiet", action="store_true", help="no list of misses")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), embedding_backend="fake")  # type: ignore[call-arg]
        services = Services(settings, clock=FixedClock(AT))
        try:
            services.tracker.import_file(Operator("bench"), SAMPLES)
            assistant = services.assistant
            vocabulary = services.tracker.vocabulary()
            apps = assistant.apps()
            today = services.tracker.today()
            results = []
            for row in rows:
                got = route(
                    row["q"],
                    regions=services.regions,
                    apps=apps,
                    today=today,
                    home_regions=vocabulary.home_regions,
                )
                results.append((row, got.route))
        finally:
            services.close()
    report(results, quiet=args.quiet)
    return 0


def report(results: list[tuple[dict[str, str], str]], *, quiet: bool) -> None:
    print(f"{len(results)} questions, app names from the tracker's data")
    for facet in ("route", "split", "lang", "style"):
        right: Counter[str] = Counter()
        total: Counter[str] = Counter()
        for row, got in results:
            key = row.get(facet, "-")
            total[key] += 1
            right[key] += got == row["route"]
        cells = ", ".join(
            f"{k} {right[k] / total[k]:.3f} ({right[k]}/{total[k]})" for k in sorted(total)
        )
        print(f"accuracy by {facet}: {cells}")
    overall = sum(got == row["route"] for row, got in results) / max(len(results), 1)
    print(f"accuracy overall: {overall:.3f}")
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    for row, got in results:
        confusion[row["route"]][got] += 1
    routes = ("tracker", "knowledge", "mixed", "none")
    print("confusion (rows: expected, columns: routed): " + " ".join(f"{r:>9}" for r in routes))
    for expected in routes:
        print(f"  {expected:>9} " + " ".join(f"{confusion[expected][r]:>9}" for r in routes))
    if not quiet:
        for row, got in results:
            if got != row["route"]:
                print(f"  miss: {row['route']} -> {got}: {row['q']}")


if __name__ == "__main__":
    sys.exit(main())
