"""The portfolio report at scale: ``python -m bench.tracker [--full] [--agreements N]``.

Seeds 10,000 agreements (50,000 with ``--full``) with 2 parties and 12 milestones each into a
scratch SQLite database (or ``--database-url``, e.g. a PostgreSQL to be wiped) by bulk insert,
then times, as of 2026-11-23:

* ``TrackerService.report`` (what ``sinergi mou report`` computes): the goal is under 1 second
  at 10,000 agreements;
* ``TrackerService.list_agreements`` (``sinergi mou list``);
* ``TrackerService.get_agreement`` for one agreement (``sinergi mou show``);
* ``ReminderService.due`` (``sinergi reminders due``) at Tuesday 09:00 WIB, when the reminder
  service is present, with one coordinator per party region and two admins.

Each figure is the median of five runs after one warm-up run. The portfolio looks like the real
one: signed between 2019 and November 2026 (five-year terms), about a quarter "paper only",
the rest with most past milestones done, some in progress or blocked, a few drafts and
terminated agreements.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine

from core.clock import FixedClock
from core.config import Settings
from core.db import Base, make_engine
from migrations import import_model_modules
from mou_tracker.regions import RegionDirectory
from services import Services
from services.access import Operator

AT = date(2026, 11, 23)
OPERATOR = Operator("bench")
REMINDERS_AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 09:00 WIB
OFFSETS = (14, 30, 60, 90, 120, 135, 165, 195, 225, 270, 365, 400)
KEYS = (
    "coordinators",
    "work_plan",
    "pks_signed",
    "handover",
    "budget_dpa",
    "servers_ready",
    "installation",
    "training",
    "pilot",
    "go_live",
    "evaluation",
    "annual_report",
)
APPS = ("Hayu.Bdg", "Gampil", "e-RK", "Sabilulungan", "e-budgeting")
BANDUNG = "32.73"


def seed(engine: Engine, agreements: int, *, rng: random.Random) -> tuple[int, list[str]]:
    """Bulk-insert the portfolio; returns the number of milestones and the partner regions."""
    import_model_modules()
    tables = Base.metadata.tables
    partners = [
        r.code for r in RegionDirectory.load().all() if r.level != "province" and r.code != BANDUNG
    ]
    now = datetime(2026, 11, 1, tzinfo=UTC)
    a_rows: list[dict[str, Any]] = []
    p_rows: list[dict[str, Any]] = []
    app_rows: list[dict[str, Any]] = []
    m_rows: list[dict[str, Any]] = []
    used: set[str] = set()
    for agreement_id in range(1, agreements + 1):
        signed: date | None = date(2019, 1, 1) + timedelta(days=rng.randrange(0, 2860))
        roll = rng.random()
        status = "active"
        if roll < 0.03:
            status, signed = "draft", None
        elif roll < 0.06:
            status = "terminated"
        partner = rng.choice(partners)
        used.add(partner)
        a_rows.append(
            {
                "id": agreement_id,
                "kind": "kb" if rng.random() < 0.7 else "pks",
                "title": f"Kesepakatan Bersama Replikasi Aplikasi #{agreement_id}",
                "status": status,
                "signed_on": signed,
                "ends_on": signed + timedelta(days=5 * 365) if signed else None,
                "owner_region_code": BANDUNG,
                "template": "app-replication",
                "import_key": f"bench:{agreement_id}",
                "created_at": now,
                "updated_at": now,
            }
        )
        for position, (code, number) in enumerate(
            ((BANDUNG, f"415.4/{agreement_id:05d}-Huk"), (partner, f"180/{agreement_id:05d}/HK")),
            start=1,
        ):
            p_rows.append(
                {
                    "agreement_id": agreement_id,
                    "position": position,
                    "region_code": code,
                    "document_number": number,
                }
            )
        app_rows.append({"agreement_id": agreement_id, "name": rng.choice(APPS)})
        paper_only = rng.random() < 0.25
        diligence = rng.uniform(0.5, 1.0)
        for position, (key, offset) in enumerate(zip(KEYS, OFFSETS, strict=True), start=1):
            due = signed + timedelta(days=offset) if signed else None
            state, completed = "planned", None
            if due is not None and not paper_only:
                if due <= AT and rng.random() < diligence:
                    state = "done"
                    completed = due + timedelta(days=rng.randint(-10, 20))
                    completed = min(completed, AT)
                elif due <= AT + timedelta(days=30):
                    state = rng.choices(("planned", "in_progress", "blocked"), weights=(5, 4, 1))[0]
            m_rows.append(
                {
                    "agreement_id": agreement_id,
                    "key": key,
                    "title": key.replace("_", " ").capitalize(),
                    "position": position,
                    "due_on": due,
                    "responsible_region_code": (BANDUNG, partner, None)[position % 3],
                    "status": state,
                    "completed_on": completed,
                    "blocked_reason": "Anggaran belum tersedia" if state == "blocked" else None,
                }
            )
    with engine.begin() as conn:
        for table, rows in (
            ("agreements", a_rows),
            ("agreement_parties", p_rows),
            ("agreement_apps", app_rows),
            ("milestones", m_rows),
        ):
            for start in range(0, len(rows), 20_000):
                conn.execute(insert(tables[table]), rows[start : start + 20_000])
    return len(m_rows), sorted(used)


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float

    def __str__(self) -> str:
        return f"{self.wall_s * 1000:8.1f} ms wall, {self.cpu_s * 1000:7.1f} ms CPU"


def timed(fn: Callable[[], Any], runs: int = 5) -> tuple[Timing, Any]:
    """Median wall and CPU time of ``runs`` calls after one warm-up call, and the last result.

    CPU time is printed too because the machine is shared: when other jobs compete for the
    two cores, wall time grows while the work done (CPU time, SQLite runs in-process) does not.
    """
    result = fn()
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu_started)
    return Timing(statistics.median(walls), statistics.median(cpus)), result


def add_people(services: Services, regions: list[str]) -> str:
    """One coordinator per party region and two admins, so reminders have recipients."""
    access = services.access
    for n, code in enumerate([BANDUNG, *regions], start=1):
        access.add_user(100_000 + n, "coordinator", code, name=f"Koordinator {code}")
    for n in range(2):
        access.add_user(900_000 + n, "admin", None, name=f"Admin {n}")
    return f"{len(regions) + 1} coordinators, 2 admins"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tracker", description=__doc__)
    parser.add_argument("--full", action="store_true", help="50,000 agreements")
    parser.add_argument("--agreements", type=int, help="override the number of agreements")
    parser.add_argument(
        "--database-url", help="a database to WIPE and use (default: scratch SQLite)"
    )
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args(argv)
    count = args.agreements or (50_000 if args.full else 10_000)
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="sinergi-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        import_model_modules()
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        Base.metadata.create_all(engine)
        started = time.perf_counter()
        milestones, regions = seed(engine, count, rng=rng)
        seeded = time.perf_counter() - started
        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data", embedding_backend="fake")  # type: ignore[call-arg]
        services = Services(settings, clock=FixedClock(REMINDERS_AT), engine=engine)
        tracker = services.tracker

        print(
            f"database: {engine.dialect.name}; python {sys.version.split()[0]};"
            f" load average {os.getloadavg()[0]:.1f}"
        )
        print(f"seeded {count:,} agreements, {milestones:,} milestones in {seeded:.2f} s")
        report_s, report = timed(lambda: tracker.report(OPERATOR, at=AT))
        print(f"mou report        {report_s}  (goal < 1000 ms)")
        print(
            "  by health: "
            + ", ".join(f"{k}={v:,}" for k, v in report.by_health.items())
            + f"; follow-through {report.follow_through_rate:.1%};"
            f" stalled listed {len(report.stalled):,}, overdue milestones listed"
            f" {len(report.overdue):,}, renewals {len(report.renewal_due):,}"
        )
        list_s, items = timed(lambda: tracker.list_agreements(OPERATOR, at=AT))
        print(f"mou list          {list_s}  ({len(items):,} agreements)")
        show_s, _ = timed(lambda: tracker.get_agreement(OPERATOR, count // 2, at=AT))
        print(f"mou show (one)    {show_s}")

        if "reminders" in dir(type(services)) and "access" in dir(type(services)):
            try:
                people = add_people(services, regions)
                due_s, due = timed(lambda: services.reminders.due(at=REMINDERS_AT))
            except Exception as exc:
                print(f"reminders due     not measured: {type(exc).__name__}: {exc}")
            else:
                print(
                    f"reminders due     {due_s}  (goal < 1000 ms;"
                    f" {len(due):,} reminders for {people})"
                )
        else:
            print("reminders due     not measured: Services.reminders is not available")
        services.close()
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
