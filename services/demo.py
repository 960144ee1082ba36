"""The sample data that lets a new user try Sinergi at once: agreements and app manuals.

Seeding is idempotent: the agreement import skips what it already holds and the document
ingest is a diff, so ``sinergi demo`` can run on every ``make run``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from accounts.schemas import Operator
from core.errors import NotFound
from services.container import Services

#: The seed acts as the operator (admin rights), audited as "demo".
DEMO = Operator("demo")

#: The samples shipped in the repository, next to the packages.
DEFAULT_SAMPLES_DIR = Path(__file__).resolve().parents[1] / "samples"


class SamplesMissing(NotFound):
    """The samples folder does not exist."""

    code = "demo.samples_missing"


@dataclass(frozen=True)
class DemoReport:
    """What ``seed_demo`` did and what the portfolio looks like afterwards."""

    agreements_created: int
    agreements_total: int
    documents_added: int
    documents_updated: int
    documents_unchanged: int
    documents_failed: int
    chunks_embedded: int
    health: dict[str, int]


def seed_demo(services: Services, samples_dir: Path, *, today: date) -> DemoReport:
    """Import the sample agreements and ingest the sample documents found in ``samples_dir``."""
    if not samples_dir.is_dir():
        raise SamplesMissing(path=str(samples_dir))
    agreements_file = samples_dir / "agreements.csv"
    created = 0
    if agreements_file.is_file():
        # Sample agreements someone changed since keep their changes: a seed never overwrites.
        result = services.tracker.import_file(DEMO, agreements_file, keep_existing=True)
        created = result.created
    docs_dir = samples_dir / "docs"
    docs = sorted(p for p in docs_dir.rglob("*") if p.is_file()) if docs_dir.is_dir() else []
    ingest = services.ingest.ingest_paths(docs, uploader="demo") if docs else None
    report = services.tracker.report(DEMO, at=today)
    return DemoReport(
        agreements_created=created,
        agreements_total=report.total,
        documents_added=ingest.added if ingest else 0,
        documents_updated=ingest.updated if ingest else 0,
        documents_unchanged=ingest.unchanged if ingest else 0,
        documents_failed=len(ingest.failed) if ingest else 0,
        chunks_embedded=ingest.chunks_embedded if ingest else 0,
        health=dict(report.by_health),
    )
