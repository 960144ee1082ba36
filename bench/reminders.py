"""One reminder pass over a large portfolio: ``python -m bench.reminders [--full]``.

Seeds agreements with 12 milestones each (1,000 by default, 10,000 with ``--full``) into a
scratch SQLite database, registers a coordinator for every party region and three admins, then
times, at fixed instants:

* ``due`` on a Tuesday 09:00 WIB (what ``sinergi reminders due`` computes);
* the first delivery pass at that instant with a fake sender that accepts every message
  (record in the outbox, claim, render, send, mark), and the messages per second;
* a second pass at the same instant (nothing left to send: the steady-state cost every few
  minutes);
* a Monday 09:00 WIB pass, which also builds the weekly digests and the admins' portfolio.

The agreements look like the real portfolio: signed between January 2024 and June 2026, the
default replication template's milestones at 14..365 days after signing, most of the past ones
done, a few agreements draft or expired, parties drawn from the 514 regencies and cities.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from bot.views.reminders import render
from core.config import Settings
from core.db import Base, make_engine
from migrations import import_model_modules
from services import Services
from services.reminders import ReminderMessage

MILESTONE_OFFSETS = (14, 30, 45, 60, 90, 120, 150, 180, 240, 270, 300, 365)
MILESTONE_TITLES = (
    "Koordinator ditunjuk",
    "Rencana kerja",
    "PKS ditandatangani",
    "Anggaran masuk DPA",
    "Serah terima kode sumber dan dokumen",
    "Server siap",
    "Instalasi dan kustomisasi",
    "Pelatihan staf",
    "Uji coba",
    "Go-live",
    "Evaluasi",
    "Laporan evaluasi",
)
TUESDAY = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # 09:00 WIB
MONDAY = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)  # the next Monday, 09:00 WIB


class CountingSender:
    """Renders every message as the bot does and accepts it, like Telegram on a good day."""

    def __init__(self) -> None:
        self.messages = 0
        self.characters = 0

    def send(self, message: ReminderMessage) -> int | None:
        self.messages += 1
        self.characters += len(render(message).text)
        return self.messages


def seed(engine: Engine, agreements: int, *, rng: random.Random, region_codes: list[str]) -> int:
    """Bulk-insert ``agreements`` agreements with parties and 12 milestones; returns milestones."""
    import_model_modules()
    tables = Base.metadata.tables
    created = datetime(2024, 1, 1, tzinfo=UTC)
    today = TUESDAY.date()
    a_rows, p_rows, m_rows = [], [], []
    milestone_id = 0
    for agreement_id in range(1, agreements + 1):
        signed = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 900))
        roll = rng.random()
        status = "active" if roll < 0.88 else ("draft" if roll < 0.94 else "expired")
        parties = rng.sample(region_codes, 3 if rng.random() < 0.1 else 2)
        a_rows.append(
            {
                "id": agreement_id,
                "kind": "kb",
                "title": f"KB Replikasi aplikasi #{agreement_id}",
                "status": status,
                "signed_on": signed,
                "ends_on": signed + timedelta(days=rng.choice((730, 1095, 1825))),
                "owner_region_code": parties[0],
                "created_at": created,
                "updated_at": created,
            }
        )
        for position, code in enumerate(parties):
            p_rows.append(
                {
                    "agreement_id": agreement_id,
                    "position": position,
                    "region_code": code,
                    "document_number": f"{agreement_id}/{position}/KB/{signed.year}",
                }
            )
        paper_only = rng.random() < 0.15
        for position, (offset, title) in enumerate(
            zip(MILESTONE_OFFSETS, MILESTONE_TITLES, strict=True)
        ):
            milestone_id += 1
            due_on = signed + timedelta(days=offset)
            past = due_on < today
            done = past and not paper_only and rng.random() < 0.75
            m_rows.append(
                {
                    "id": milestone_id,
                    "agreement_id": agreement_id,
                    "key": f"m{position}",
                    "title": title,
                    "position": position,
                    "due_on": due_on,
                    "responsible_region_code": None if position in (0, 1, 10) else parties[1],
                    "status": "done" if done else "planned",
                    "completed_on": due_on if done else None,
                }
            )
    with engine.begin() as conn:
        conn.execute(insert(tables["agreements"]), a_rows)
        conn.execute(insert(tables["agreement_parties"]), p_rows)
        for start in range(0, len(m_rows), 20_000):
            conn.execute(insert(tables["milestones"]), m_rows[start : start + 20_000])
    return milestone_id


def timed(label: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    elapsed = time.perf_counter() - started
    print(f"{label:<44} {elapsed:8.3f} s", flush=True)
    return result, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reminders", description=__doc__)
    parser.add_argument("--full", action="store_true", help="10,000 agreements (default 1,000)")
    parser.add_argument("--agreements", type=int, default=None)
    args = parser.parse_args(argv)
    n = args.agreements or (10_000 if args.full else 1_000)
    rng = random.Random(20261123)
    with tempfile.TemporaryDirectory(prefix="sinergi-bench-reminders-") as tmp:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, data_dir=Path(tmp), embedding_backend="fake"
        )
        engine = make_engine(settings.effective_database_url)
        import_model_modules()
        Base.metadata.create_all(engine)
        services = Services(settings, engine=engine)
        regions = [r.code for r in services.regions.all() if r.level != "province"]
        (milestones, _) = timed(
            f"seed {n:,} agreements x 12 milestones",
            seed,
            engine,
            n,
            rng=rng,
            region_codes=regions,
        )
        access = services.access
        started = time.perf_counter()
        covered = sorted(set(rng.sample(regions, min(len(regions), 400))))
        for i, code in enumerate(covered):
            access.add_user(10_000 + i, "coordinator", region_code=code, name=f"Koordinator {i}")
        for i in range(3):
            access.add_user(900 + i, "admin", name=f"Admin {i}")
        print(
            f"{'users: ' + str(len(covered)) + ' coordinators, 3 admins':<44}"
            f" {time.perf_counter() - started:8.3f} s"
        )
        reminders = services.reminders
        due, due_s = timed("due (Tuesday 09:00 WIB)", reminders.due, at=TUESDAY)
        placeholders = sum(1 for r in due if r.telegram_id is None)
        sender = CountingSender()
        report, pass_s = timed("first pass (record, claim, send, mark)", reminders.run_pass,
                               now=TUESDAY, sender=sender)  # fmt: skip
        again, again_s = timed("second pass, same instant (nothing new)", reminders.run_pass,
                               now=TUESDAY + timedelta(minutes=5), sender=sender)  # fmt: skip
        monday_sender = CountingSender()
        monday, monday_s = timed("Monday pass (with weekly digests)", reminders.run_pass,
                                 now=MONDAY, sender=monday_sender)  # fmt: skip
        services.close()
    print()
    print(f"agreements {n:,}, milestones {milestones:,}")
    print(f"due at Tuesday 09:00 WIB: {len(due):,} reminders ({placeholders:,} to placeholders)")
    print(
        f"first pass: {report.recorded:,} recorded, {report.messages_sent:,} messages"
        f" carrying {report.reminders_sent:,} reminders, {report.undeliverable:,} undeliverable,"
        f" {report.routed_to_admins:,} admin notices"
    )
    rate = report.messages_sent / pass_s if pass_s else float("inf")
    print(f"messages per second (first pass): {rate:,.0f}")
    print(f"second pass sent {again.messages_sent} messages")
    print(
        f"Monday pass: {monday.messages_sent:,} messages ({monday.reminders_sent:,} reminders"
        f" and digests)"
    )
    print(f"goal: due < 1 s -> {'met' if due_s < 1.0 else 'NOT met'} ({due_s:.3f} s)")
    del again_s, monday_s
    return 0


if __name__ == "__main__":
    sys.exit(main())
