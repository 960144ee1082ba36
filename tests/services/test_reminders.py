"""ReminderService on SQLite and PostgreSQL: due, the delivery pass, exactly once."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.views.reminders import format_date
from core.config import Settings
from core.db import make_engine, make_session_factory, with_busy_timeout
from core.errors import PermissionDenied
from mou_tracker.reminders.errors import (
    MilestoneSettled,
    NotResendable,
    ReminderNotFound,
    ResendWithoutRecipient,
)
from mou_tracker.reminders.outbox import (
    CLAIMED,
    FAILED,
    OBSOLETE,
    PENDING,
    SENDING,
    SENT,
    UNCONFIRMED,
    UNDELIVERABLE,
)
from mou_tracker.reminders.repository import ReminderRepository
from mou_tracker.reminders.schemas import OutboxView
from services import Services
from services.deferred import DeferredWrites
from services.messages import error_message
from services.reminders import (
    DueReminder,
    InvalidSnooze,
    MilestoneNotFound,
    ReminderService,
    ResendReport,
    TransientSendError,
    UnconfirmedSendError,
    UndeliverableError,
    dedup_key,
    outbox_row,
)
from tests.conftest import create_schema
from tests.fakes.reminders import (
    NAMES,
    ZONES,
    Crash,
    FakeDirectory,
    FakeSender,
    FakeUser,
    MinimalDirectory,
    seed_agreement,
)
from tests.fakes.tracker import OPERATOR

BANDUNG, KERINCI, MAKASSAR, JAYAPURA = "32.73", "15.01", "73.71", "91.71"
KERINCI_COORD, BANDUNG_COORD, JAYAPURA_COORD, ADMIN = 111, 222, 333, 900
# Tuesday 3 March 2026, 09:00 WIB (no weekly digest on a Tuesday).
TUESDAY = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def directory() -> FakeDirectory:
    return FakeDirectory(
        [
            FakeUser(KERINCI_COORD, "Koordinator Kerinci", region_code=KERINCI),
            FakeUser(BANDUNG_COORD, "Koordinator Bandung", region_code=BANDUNG, language="en"),
            FakeUser(JAYAPURA_COORD, "Koordinator Jayapura", region_code=JAYAPURA),
            FakeUser(ADMIN, "Admin Diskominfo", role="admin"),
        ]
    )


def make_service(services: Services, directory: FakeDirectory | None) -> ReminderService:
    return ReminderService(
        services.session_factory,
        services.settings,
        directory=directory,
        timezone_of=ZONES.__getitem__,
        region_name=NAMES.__getitem__,
        clock=services.clock,
    )


@pytest.fixture
def reminders(services: Services, directory: FakeDirectory) -> ReminderService:
    return make_service(services, directory)


def seed_basic(engine: Engine) -> None:
    """Bandung shares Hayu.Bdg with Kerinci; Kerinci must train its staff by Wed 4 March."""
    seed_agreement(
        engine,
        agreement_id=1,
        parties=[BANDUNG, KERINCI],
        milestones=[
            (10, "Pelatihan staf", date(2026, 3, 4), KERINCI),
            (11, "Go-live", date(2026, 6, 30), KERINCI),
        ],
    )


def keys(due: list[DueReminder]) -> set[tuple[str, int, int | None, str]]:
    return {(r.kind, r.threshold, r.milestone_id, r.recipient) for r in due}


# --- due ----------------------------------------------------------------------------------------


def test_due_names_coordinators_by_telegram_id(reminders: ReminderService, engine: Engine) -> None:
    seed_basic(engine)
    due = reminders.due(at=TUESDAY)
    assert keys(due) == {("upcoming", 1, 10, f"tg:{KERINCI_COORD}")}
    [r] = due
    assert r.agreement_id == 1
    assert r.region_code == KERINCI
    assert r.due_on == date(2026, 3, 4)
    assert r.telegram_id == KERINCI_COORD
    assert r.dedup_key == dedup_key(
        "upcoming", 1, 10, 1, f"tg:{KERINCI_COORD}", on=date(2026, 3, 4)
    )
    assert r.timezone == "Asia/Jakarta"


def test_due_without_coordinators_uses_placeholders(services: Services, engine: Engine) -> None:
    seed_agreement(
        engine,
        agreement_id=2,
        parties=[BANDUNG, MAKASSAR],
        milestones=[(20, "Serah terima kode sumber", date(2026, 2, 14), MAKASSAR)],
    )
    due = make_service(services, None).due(at=TUESDAY)
    # 14 Feb + 14 = 28 Feb escalation (owner Bandung and admins).
    assert keys(due) == {
        ("escalation", 14, 20, f"region:{BANDUNG}"),
        ("escalation", 14, 20, "admins"),
    }
    assert all(r.telegram_id is None and r.laggards == (MAKASSAR,) for r in due)


def test_due_outside_working_hours_is_empty(reminders: ReminderService, engine: Engine) -> None:
    seed_basic(engine)
    assert reminders.due(at=datetime(2026, 3, 3, 10, 0, tzinfo=UTC)) == []  # 17:00 WIB
    assert reminders.due(at=datetime(2026, 3, 7, 3, 0, tzinfo=UTC)) == []  # Saturday


def test_due_leaves_out_what_the_outbox_holds(reminders: ReminderService, engine: Engine) -> None:
    seed_basic(engine)
    sender = FakeSender()
    reminders.run_pass(now=TUESDAY, sender=sender)
    assert reminders.due(at=TUESDAY) == []
    assert reminders.due(at=TUESDAY + timedelta(hours=3)) == []


def test_inactive_agreements_and_done_milestones_are_not_due(
    reminders: ReminderService, engine: Engine
) -> None:
    seed_agreement(
        engine,
        agreement_id=3,
        parties=[BANDUNG, KERINCI],
        status="draft",
        milestones=[(30, "Rencana kerja", date(2026, 3, 4), KERINCI)],
    )
    seed_agreement(
        engine,
        agreement_id=4,
        parties=[BANDUNG, KERINCI],
        milestones=[(40, "Rencana kerja", date(2026, 3, 4), KERINCI)],
        done=[40],
    )
    assert reminders.due(at=TUESDAY) == []


# --- the pass: exactly once ---------------------------------------------------------------------


def test_a_pass_sends_each_reminder_once_and_a_restart_sends_nothing_again(
    services: Services, directory: FakeDirectory, engine: Engine
) -> None:
    seed_basic(engine)
    sender = FakeSender()
    report = make_service(services, directory).run_pass(now=TUESDAY, sender=sender)
    assert (report.due, report.recorded, report.messages_sent, report.reminders_sent) == (
        1,
        1,
        1,
        1,
    )
    [message] = sender.delivered
    assert message.telegram_id == KERINCI_COORD
    assert "Pelatihan staf" in message.text
    assert "Kota Bandung" in message.text  # the partner region
    assert format_date(date(2026, 3, 4), "id") in message.text
    assert "WIB" in message.text
    actions = [b.action for row in message.buttons for b in row]
    assert actions == ["done", "progress", "blocked", "snooze"]
    # Same instant again, later the same day, and in a fresh process: nothing more.
    for at in (TUESDAY, TUESDAY + timedelta(hours=2)):
        again = make_service(services, directory).run_pass(now=at, sender=sender)
        assert again.messages_sent == 0
    assert len(sender.delivered) == 1
    [row] = make_service(services, directory).log()
    assert (row.status, row.message_id, row.sent_at) == (SENT, 1001, TUESDAY)


def test_the_next_rung_is_a_new_reminder(reminders: ReminderService, engine: Engine) -> None:
    seed_basic(engine)
    sender = FakeSender()
    reminders.run_pass(now=TUESDAY, sender=sender)  # due tomorrow
    reminders.run_pass(now=TUESDAY + timedelta(days=2), sender=sender)  # Thursday: 1 day late
    assert [m.kinds for m in sender.delivered] == [("upcoming",), ("overdue",)]


def test_killed_between_send_and_mark_is_never_sent_twice(
    services: Services, directory: FakeDirectory, engine: Engine
) -> None:
    seed_basic(engine)
    dying = FakeSender(crash_after_delivery=True)
    with pytest.raises(Crash):
        make_service(services, directory).run_pass(now=TUESDAY, sender=dying)
    assert len(dying.delivered) == 1  # Telegram got it, the outbox never heard back
    with services.session_factory.begin() as s:
        assert [e.status for e in ReminderRepository(s).entries()] == [SENDING]

    restarted = FakeSender()
    # While the lease runs, another pass leaves the row alone...
    make_service(services, directory).run_pass(now=TUESDAY + timedelta(minutes=5), sender=restarted)
    # ...and once it expired, the row is resolved as unconfirmed, not re-sent.
    report = make_service(services, directory).run_pass(
        now=TUESDAY + timedelta(minutes=15), sender=restarted
    )
    assert report.unconfirmed == 1
    assert restarted.delivered == []
    [row] = make_service(services, directory).log()
    assert row.status == UNCONFIRMED
    assert make_service(services, directory).due(at=TUESDAY + timedelta(minutes=15)) == []


def test_killed_after_claiming_but_before_sending_is_sent_after_the_lease(
    services: Services, directory: FakeDirectory, engine: Engine
) -> None:
    seed_basic(engine)
    first = make_service(services, directory)
    # Record, then claim like a pass that dies right after its claim committed.
    with services.session_factory.begin() as s:
        ReminderRepository(s).enqueue([outbox_row(r) for r in first.due(at=TUESDAY)], now=TUESDAY)
    with services.session_factory.begin() as s:
        _, won = ReminderRepository(s).claim(
            now=TUESDAY, lease_until=TUESDAY + timedelta(minutes=10)
        )
        assert [e.status for e in won] == [CLAIMED]
    sender = FakeSender()
    early = make_service(services, directory).run_pass(
        now=TUESDAY + timedelta(minutes=5), sender=sender
    )
    assert early.messages_sent == 0  # still held by the dead pass's lease
    late = make_service(services, directory).run_pass(
        now=TUESDAY + timedelta(minutes=11), sender=sender
    )
    assert (late.reclaimed, late.messages_sent) == (1, 1)
    make_service(services, directory).run_pass(now=TUESDAY + timedelta(minutes=30), sender=sender)
    assert len(sender.delivered) == 1


def test_a_claimer_whose_lease_was_taken_over_does_not_send(
    services: Services, directory: FakeDirectory, engine: Engine
) -> None:
    seed_basic(engine)
    service = make_service(services, directory)
    with services.session_factory.begin() as s:
        ReminderRepository(s).enqueue([outbox_row(r) for r in service.due(at=TUESDAY)], now=TUESDAY)
    with services.session_factory.begin() as s:
        slow_claim, won = ReminderRepository(s).claim(
            now=TUESDAY, lease_until=TUESDAY + timedelta(minutes=1)
        )
        ids = [e.id for e in won]
    later = TUESDAY + timedelta(minutes=2)
    with services.session_factory.begin() as s:
        ReminderRepository(s).recover_expired_leases(later)
        fast_claim, taken = ReminderRepository(s).claim(
            now=later, lease_until=later + timedelta(minutes=10)
        )
        assert [e.id for e in taken] == ids
    with services.session_factory.begin() as s:
        # The slow pass wakes up: its fence fails, so it must not call Telegram.
        assert not ReminderRepository(s).start_sending(
            ids, claim_id=slow_claim, lease_until=later + timedelta(minutes=10), now=later
        )
        assert ReminderRepository(s).start_sending(
            ids, claim_id=fast_claim, lease_until=later + timedelta(minutes=10), now=later
        )


def test_two_claimers_never_hold_the_same_row(
    services: Services, directory: FakeDirectory, engine: Engine
) -> None:
    for n in range(6):
        seed_agreement(
            engine,
            agreement_id=100 + n,
            parties=[BANDUNG, KERINCI],
            milestones=[(1000 + n, f"Tonggak {n}", date(2026, 3, 4), KERINCI)],
        )
    service = make_service(services, directory)
    with services.session_factory.begin() as s:
        ReminderRepository(s).enqueue([outbox_row(r) for r in service.due(at=TUESDAY)], now=TUESDAY)
        total = len(ReminderRepository(s).entries(limit=None))
    assert total == 6
    won: list[list[int]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def claimer() -> None:
        try:
            barrier.wait()
            with services.session_factory.begin() as s:
                _, rows = ReminderRepository(s).claim(
                    now=TUESDAY, lease_until=TUESDAY + timedelta(minutes=10)
                )
                won.append([r.id for r in rows])
        except BaseException as err:  # surfaced below
            errors.append(err)

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    claimed = [i for ids in won for i in ids]
    assert len(claimed) == len(set(claimed)) == total


def test_concurrent_passes_deliver_each_reminder_once(
    services: Services, directory: FakeDirectory, engine: Engine
) -> None:
    for n in range(4):
        seed_agreement(
            engine,
            agreement_id=200 + n,
            parties=[BANDUNG, KERINCI if n % 2 else JAYAPURA],
            milestones=[(2000 + n, f"Tonggak {n}", date(2026, 3, 4), None)],
        )
    sender = FakeSender()
    lock = threading.Lock()
    original = sender.send

    def send(message: object) -> int | None:
        with lock:
            return original(message)  # type: ignore[arg-type]

    sender.send = send  # type: ignore[method-assign]
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def one_pass() -> None:
        try:
            barrier.wait()
            make_service(services, directory).run_pass(now=TUESDAY, sender=sender)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=one_pass) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    per_recipient = sorted(m.telegram_id for m in sender.delivered)
    reminders_delivered = sum(
        len(m.text.split("\n•")) - 1 if len(m.text.split("\n•")) > 1 else 1
        for m in sender.delivered
    )
    # Bandung is a party to all four, Kerinci to two, Jayapura to two: 8 reminders in all.
    assert reminders_delivered == 8
    with services.session_factory.begin() as s:
        rows = ReminderRepository(s).entries(limit=None)
    assert len(rows) == 8 and all(r.status == SENT for r in rows)
    assert len(per_recipient) >= 3


# --- collapse, routing, retries -----------------------------------------------------------------


def test_after_downtime_the_missed_reminders_arrive_as_one_message_per_recipient(
    reminders: ReminderService, engine: Engine
) -> None:
    seed_agreement(
        engine,
        agreement_id=5,
        parties=[BANDUNG, KERINCI],
        milestones=[
            (50, "Anggaran masuk DPA", date(2026, 3, 3), KERINCI),  # 1-day rung: Mon 2 Mar
            (51, "Server siap", date(2026, 3, 9), KERINCI),  # 7-day rung: Mon 2 Mar
            (52, "Rencana kerja", date(2026, 2, 27), None),  # overdue: Sat 28 Feb (both)
        ],
    )
    sender = FakeSender()
    friday_evening = datetime(2026, 2, 27, 10, 0, tzinfo=UTC)  # 17:00 WIB: after hours
    assert reminders.run_pass(now=friday_evening, sender=sender).messages_sent == 0
    # The bot is down all weekend; it comes back on Tuesday morning.
    report = reminders.run_pass(now=TUESDAY, sender=sender)
    kerinci = sender.to(KERINCI_COORD)
    assert len(kerinci) == 1
    [collapsed] = kerinci
    assert "3 pengingat" in collapsed.text
    for title in ("Anggaran masuk DPA", "Server siap", "Rencana kerja"):
        assert title in collapsed.text
    assert [b.action for row in collapsed.buttons for b in row] == ["open", "open", "open"]
    assert len(sender.to(BANDUNG_COORD)) == 1  # Bandung's share of "Rencana kerja"
    assert report.reminders_sent == 4 and report.messages_sent == 2
    assert reminders.run_pass(now=TUESDAY + timedelta(hours=1), sender=sender).messages_sent == 0


def test_after_a_long_outage_overdue_milestones_escalate_once_without_stale_reminders(
    reminders: ReminderService, engine: Engine
) -> None:
    seed_agreement(
        engine,
        agreement_id=7,
        parties=[BANDUNG, KERINCI],
        milestones=[
            (70, "Instalasi server", date(2025, 11, 5), KERINCI),  # fell due in the outage
            (71, "Pelatihan admin", date(2026, 2, 20), KERINCI),  # overdue rung: 21 Feb
        ],
    )
    sender = FakeSender()
    before = datetime(2025, 11, 4, 2, 0, tzinfo=UTC)  # Tuesday 4 Nov 2025, 09:00 WIB
    reminders.run_pass(now=before, sender=sender)
    assert [m.kinds for m in sender.to(KERINCI_COORD)] == [("upcoming",)]
    # The scheduler is down for 120 days and comes back on Wednesday 4 March 2026.
    after = before + timedelta(days=120)
    reminders.run_pass(now=after, sender=sender)
    with engine.connect() as conn:
        recorded = conn.execute(
            text(
                "SELECT kind, threshold, milestone_id, recipient, status FROM reminder_outbox"
                " WHERE trigger_on > '2025-11-30'"
            )
        ).all()
    # The owner and the admins hear once that milestone 70 is late (its last rung, 30 days);
    # Kerinci gets no stale "overdue" about 70, only the current one about 71.
    assert {tuple(r) for r in recorded} == {
        ("escalation", 30, 70, f"tg:{BANDUNG_COORD}", SENT),
        ("escalation", 30, 70, f"tg:{ADMIN}", SENT),
        ("overdue", 1, 71, f"tg:{KERINCI_COORD}", SENT),
    }
    [owner_note] = sender.to(BANDUNG_COORD)
    assert owner_note.kinds == ("escalation",) and "Instalasi server" in owner_note.text
    # Once: the next passes send nothing more about it.
    assert reminders.run_pass(now=after + timedelta(hours=1), sender=sender).messages_sent == 0
    reminders.run_pass(now=after + timedelta(days=7), sender=sender)  # 71 escalates meanwhile
    with engine.connect() as conn:
        about_70 = conn.execute(
            text("SELECT count(*) FROM reminder_outbox WHERE milestone_id = 70")
        ).scalar_one()
    assert about_70 == 3  # the upcoming before the outage, the two escalations after it


def test_an_agreement_recorded_with_old_overdue_milestones_brings_no_escalation(
    reminders: ReminderService, engine: Engine
) -> None:
    # Recorded today with milestones that fell due long before: history, not an outage.
    seed_agreement(
        engine,
        agreement_id=8,
        parties=[BANDUNG, KERINCI],
        milestones=[(80, "Sosialisasi", date(2025, 9, 1), KERINCI)],
        recorded_at=TUESDAY - timedelta(hours=1),
    )
    assert reminders.due(at=TUESDAY) == []


def test_a_pass_reads_old_milestones_only_while_an_outage_may_have_kept_their_escalation(
    engine: Engine,
) -> None:
    seed_agreement(
        engine,
        agreement_id=9,
        parties=[BANDUNG, KERINCI],
        milestones=[
            (90, "Tertunda sejak lama", date(2025, 10, 1), KERINCI),  # held: may escalate
            (91, "Riwayat impor", date(2025, 4, 1), KERINCI),  # last rung before recording
        ],
        recorded_at=datetime(2025, 6, 1, tzinfo=UTC),
    )
    window = {
        "due_from": date(2026, 1, 15),
        "due_to": date(2026, 3, 20),
        "ends_from": date(2026, 1, 1),
        "ends_to": date(2026, 6, 1),
        "last_escalation": 30,
        "today": date(2026, 3, 3),
    }
    session_factory = make_session_factory(engine)
    with session_factory.begin() as s:
        _, milestones = ReminderRepository(s).load_due_facts(**window)  # type: ignore[arg-type]
    assert [m.id for m in milestones] == [90]


def test_a_directory_with_only_the_protocol_methods_works(
    services: Services, directory: FakeDirectory, engine: Engine
) -> None:
    seed_basic(engine)
    service = ReminderService(
        services.session_factory,
        services.settings,
        directory=MinimalDirectory(directory),  # type: ignore[arg-type]
        timezone_of=ZONES.__getitem__,
        region_name=NAMES.__getitem__,
    )
    sender = FakeSender(fail={KERINCI_COORD: UndeliverableError("blocked")})
    report = service.run_pass(now=TUESDAY, sender=sender)
    assert (report.undeliverable, report.routed_to_admins) == (1, 1)
    assert len(sender.to(ADMIN)) == 1


def test_a_blocked_bot_is_marked_undeliverable_and_routed_to_admins_once(
    reminders: ReminderService, engine: Engine
) -> None:
    seed_basic(engine)
    sender = FakeSender(fail={KERINCI_COORD: UndeliverableError("Forbidden: bot was blocked")})
    report = reminders.run_pass(now=TUESDAY, sender=sender)
    assert (report.undeliverable, report.routed_to_admins) == (1, 1)
    [notice] = sender.to(ADMIN)
    assert notice.kinds == ("undeliverable",)
    assert "Pelatihan staf" in notice.text and "tg:111" in notice.text
    assert notice.buttons == ()
    # It says how to send the reminder again once the cause is fixed.
    row = _kerinci_row(reminders)
    assert f"kirim ulang: <code>/kirimulang {row.id}</code>" in notice.text
    reminders.run_pass(now=TUESDAY + timedelta(hours=1), sender=sender)
    reminders.run_pass(now=TUESDAY + timedelta(days=1, hours=1), sender=sender)
    assert len(sender.to(ADMIN)) == 1
    statuses = {(r.kind, r.status) for r in reminders.log()}
    assert statuses == {("upcoming", UNDELIVERABLE), ("undeliverable", SENT)}


def test_a_region_without_coordinator_is_routed_to_admins(
    reminders: ReminderService, engine: Engine
) -> None:
    seed_agreement(
        engine,
        agreement_id=6,
        parties=[BANDUNG, MAKASSAR],
        milestones=[(60, "Instalasi", date(2026, 3, 4), MAKASSAR)],
    )
    sender = FakeSender()
    report = reminders.run_pass(now=TUESDAY, sender=sender)
    assert report.routed_to_admins == 1
    [notice] = sender.to(ADMIN)
    assert "Kota Makassar" in notice.text
    assert "/kirimulang" not in notice.text  # nobody to send it to: no resend offered
    # When a coordinator registers later, they get the reminder (a new recipient).
    reminders.planning.directory.users.append(  # type: ignore[union-attr]
        FakeUser(444, "Koordinator Makassar", region_code=MAKASSAR)
    )
    reminders.run_pass(now=TUESDAY + timedelta(hours=1), sender=sender)
    assert len(sender.to(444)) == 1


def test_a_recipient_who_lost_the_role_is_not_sent_to(
    reminders: ReminderService, directory: FakeDirectory, engine: Engine
) -> None:
    seed_basic(engine)
    sender = FakeSender(fail={KERINCI_COORD: TransientSendError("timed out")})
    assert reminders.run_pass(now=TUESDAY, sender=sender).failed == 1
    directory.change(KERINCI_COORD, role="official")
    sender.fail.clear()
    report = reminders.run_pass(now=TUESDAY + timedelta(minutes=5), sender=sender)
    assert (report.undeliverable, report.routed_to_admins) == (1, 1)
    assert sender.to(KERINCI_COORD) == []
    assert len(sender.to(ADMIN)) == 1


def test_transient_errors_are_retried_with_backoff_then_given_up(
    reminders: ReminderService, engine: Engine
) -> None:
    seed_basic(engine)
    sender = FakeSender(fail={KERINCI_COORD: TransientSendError("429", retry_after=30)})
    reminders.run_pass(now=TUESDAY, sender=sender)
    [row] = reminders.log(status=FAILED)
    assert row.next_attempt_at == TUESDAY + timedelta(seconds=31)
    assert row.attempts == 1
    # Not before the backoff has passed.
    at = TUESDAY + timedelta(seconds=20)
    assert reminders.run_pass(now=at, sender=sender).failed == 0
    sender.fail[KERINCI_COORD] = TransientSendError("502 Bad Gateway")
    at = TUESDAY + timedelta(minutes=1)
    assert reminders.run_pass(now=at, sender=sender).failed == 1
    [row] = reminders.log(status=FAILED)
    assert row.next_attempt_at == at + timedelta(minutes=2)  # 1, 2, 4... minutes
    for _ in range(10):
        at += timedelta(hours=1)
        reminders.run_pass(now=at, sender=sender)
    [row] = [r for r in reminders.log() if r.kind == "upcoming"]
    assert row.status == UNDELIVERABLE
    assert row.attempts == 6  # given up, not retried forever
    assert len(sender.to(ADMIN)) == 1


def test_an_unanswered_send_is_unconfirmed_and_never_sent_again(
    reminders: ReminderService, engine: Engine
) -> None:
    """Telegram got the request and its answer never came (a read timeout): it may have
    arrived, so it is not sent again, however many passes follow (at most once)."""
    seed_basic(engine)
    sender = FakeSender(fail={KERINCI_COORD: UnconfirmedSendError("Timed out")})
    report = reminders.run_pass(now=TUESDAY, sender=sender)
    assert (report.unconfirmed, report.failed, report.messages_sent) == (1, 0, 0)
    [row] = [r for r in reminders.log() if r.recipient == f"tg:{KERINCI_COORD}"]
    assert row.status == UNCONFIRMED and row.last_error == "Timed out"
    sender.fail.clear()
    for minutes in (1, 10, 60, 600):
        reminders.run_pass(now=TUESDAY + timedelta(minutes=minutes), sender=sender)
    assert sender.to(KERINCI_COORD) == []
    [row] = [r for r in reminders.log() if r.recipient == f"tg:{KERINCI_COORD}"]
    assert row.status == UNCONFIRMED


def test_attempts_and_lease_come_from_the_settings(
    services: Services, directory: FakeDirectory, engine: Engine
) -> None:
    seed_basic(engine)
    settings = services.settings.model_copy(
        update={"reminder_max_attempts": 2, "reminder_lease_minutes": 3}
    )
    reminders = ReminderService(
        services.session_factory,
        settings,
        directory=directory,
        timezone_of=ZONES.__getitem__,
        region_name=NAMES.__getitem__,
        clock=services.clock,
    )
    assert reminders.delivery.lease == timedelta(minutes=3)
    sender = FakeSender(fail={KERINCI_COORD: TransientSendError("502 Bad Gateway")})
    at = TUESDAY
    for _ in range(4):
        reminders.run_pass(now=at, sender=sender)
        at += timedelta(hours=1)
    [row] = [r for r in reminders.log() if r.kind == "upcoming"]
    assert row.status == UNDELIVERABLE and row.attempts == 2


def test_a_transient_error_then_success_sends_once(
    reminders: ReminderService, engine: Engine
) -> None:
    seed_basic(engine)
    sender = FakeSender(fail={KERINCI_COORD: TransientSendError("timed out")})
    reminders.run_pass(now=TUESDAY, sender=sender)
    sender.fail.clear()
    reminders.run_pass(now=TUESDAY + timedelta(minutes=1, seconds=1), sender=sender)
    reminders.run_pass(now=TUESDAY + timedelta(minutes=10), sender=sender)
    assert len(sender.to(KERINCI_COORD)) == 1


@pytest.mark.parametrize("change", ["done", "dropped", "moved", "ended"])
def test_a_retry_is_not_sent_once_what_it_reminds_of_changed(
    services: Services, reminders: ReminderService, engine: Engine, change: str
) -> None:
    # Telegram failed at 09:00; the coordinator acted (or the admin changed the agreement)
    # before the retry: the retry must not nag about what no longer holds.
    seed_basic(engine)
    sender = FakeSender(fail={KERINCI_COORD: TransientSendError("timed out")})
    reminders.run_pass(now=TUESDAY, sender=sender)
    assert [r.status for r in reminders.log() if r.kind == "upcoming"] == [FAILED]
    if change == "done":
        services.tracker.update_milestone(OPERATOR, 10, "done", note="BA pelatihan staf")
    elif change == "dropped":
        services.tracker.drop_milestone(OPERATOR, 10, reason="digabung dengan go-live")
    elif change == "moved":
        services.tracker.move_milestone(OPERATOR, 10, date(2026, 4, 15), reason="jadwal baru")
    else:
        with engine.begin() as conn:
            conn.execute(text("UPDATE agreements SET status = 'terminated' WHERE id = 1"))
    sender.fail.clear()
    report = reminders.run_pass(now=TUESDAY + timedelta(minutes=5), sender=sender)
    assert sender.to(KERINCI_COORD) == [] and report.messages_sent == 0
    [row] = [r for r in reminders.log() if r.kind == "upcoming"]
    assert row.status == OBSOLETE and row.attempts == 1
    reason = {"done": "milestone_settled", "dropped": "milestone_gone", "moved": "date_moved"}
    assert row.last_error == reason.get(change, "agreement_inactive")
    # Nothing is left to send, and nothing is recorded again.
    reminders.run_pass(now=TUESDAY + timedelta(hours=1), sender=sender)
    assert sender.to(KERINCI_COORD) == []


def test_a_collapsed_message_leaves_out_only_what_changed(
    services: Services, reminders: ReminderService, engine: Engine
) -> None:
    seed_agreement(
        engine,
        agreement_id=1,
        parties=[BANDUNG, KERINCI],
        milestones=[
            (10, "Pelatihan staf", date(2026, 3, 4), KERINCI),
            (12, "Migrasi data", date(2026, 3, 4), KERINCI),
        ],
    )
    sender = FakeSender(fail={KERINCI_COORD: TransientSendError("timed out")})
    reminders.run_pass(now=TUESDAY, sender=sender)
    services.tracker.update_milestone(OPERATOR, 10, "done", note="BA pelatihan staf")
    sender.fail.clear()
    reminders.run_pass(now=TUESDAY + timedelta(minutes=5), sender=sender)
    [message] = sender.to(KERINCI_COORD)
    assert "Migrasi data" in message.text and "Pelatihan staf" not in message.text
    statuses = {r.milestone_id: r.status for r in reminders.log() if r.kind == "upcoming"}
    assert statuses == {10: OBSOLETE, 12: SENT}


# --- digests ------------------------------------------------------------------------------------


def test_weekly_digests_on_monday_morning_once_a_week(
    reminders: ReminderService, engine: Engine
) -> None:
    seed_basic(engine)
    seed_agreement(
        engine,
        agreement_id=7,
        parties=[BANDUNG, JAYAPURA],
        signed_on=date(2025, 1, 10),  # long ago, nothing done: paper only
        ends_on=date(2026, 5, 31),  # the 90-day renewal rung is Monday 2 March
        milestones=[
            (70, "Rencana kerja", date(2026, 12, 1), JAYAPURA),
            (71, "Serah terima kode", date(2026, 2, 20), JAYAPURA),
        ],
    )
    sender = FakeSender()
    early = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 07:30 WIB, 09:30 WIT
    reminders.run_pass(now=early, sender=sender)
    # The renewal and the overdue handover arrive as one message next to the digest.
    assert sorted(m.kinds for m in sender.to(JAYAPURA_COORD)) == [
        ("digest",),
        ("renewal", "overdue"),
    ]
    assert sender.to(KERINCI_COORD) == [] and sender.to(ADMIN) == []  # not 08:00 in WIB yet
    reminders.run_pass(now=MONDAY, sender=sender)
    [digest] = [m for m in sender.to(KERINCI_COORD) if m.kinds == ("digest",)]
    assert "Ringkasan mingguan" in digest.text
    assert "segera: Pelatihan staf (jatuh tempo" in digest.text  # due within 14 days
    [jayapura] = [m for m in sender.to(JAYAPURA_COORD) if m.kinds == ("digest",)]
    assert "terlambat: Serah terima kode (jatuh tempo" in jayapura.text
    [portfolio] = [m for m in sender.to(ADMIN) if m.kinds == ("portfolio",)]
    assert "Replikasi Hayu.Bdg #7" in portfolio.text  # stalled and nearing its end
    [bandung] = [m for m in sender.to(BANDUNG_COORD) if m.kinds == ("digest",)]
    assert "Weekly cooperation digest" in bandung.text  # Bandung's coordinator reads English
    count = len(sender.delivered)
    reminders.run_pass(now=MONDAY + timedelta(hours=3), sender=sender)
    reminders.run_pass(now=TUESDAY, sender=sender)
    assert not any(m.kinds == ("digest",) for m in sender.delivered[count:])
    next_monday = MONDAY + timedelta(days=7)
    reminders.run_pass(now=next_monday, sender=sender)
    assert any(m.kinds == ("digest",) for m in sender.delivered[count:])


# --- snooze, buttons, log -----------------------------------------------------------------------


def test_snooze_holds_reminders_and_reminds_again_after_three_days(
    reminders: ReminderService, engine: Engine
) -> None:
    seed_basic(engine)
    sender = FakeSender()
    reminders.run_pass(now=TUESDAY, sender=sender)
    view = reminders.snooze(10, telegram_id=KERINCI_COORD, now=TUESDAY)
    assert view.until_at == TUESDAY + timedelta(days=3)
    # Thursday: the overdue rung is held back by the snooze.
    reminders.run_pass(now=TUESDAY + timedelta(days=2), sender=sender)
    assert [m.kinds for m in sender.to(KERINCI_COORD)] == [("upcoming",)]
    # Friday 09:00: the snooze is up; one message holds the repeat and the overdue rung.
    reminders.run_pass(now=TUESDAY + timedelta(days=3), sender=sender)
    kinds = [m.kinds for m in sender.to(KERINCI_COORD)]
    assert len(kinds) == 2 and set(kinds[1]) == {"snooze", "overdue"}
    reminders.run_pass(now=TUESDAY + timedelta(days=3, hours=2), sender=sender)
    assert len(sender.to(KERINCI_COORD)) == 2


def test_snooze_checks_input_and_permission(reminders: ReminderService, engine: Engine) -> None:
    seed_basic(engine)
    with pytest.raises(InvalidSnooze):
        reminders.snooze(10, telegram_id=KERINCI_COORD, days=0, now=TUESDAY)
    with pytest.raises(PermissionDenied):
        reminders.snooze(10, telegram_id=JAYAPURA_COORD, now=TUESDAY)  # not a party
    with pytest.raises(MilestoneNotFound):
        reminders.snooze(999, telegram_id=KERINCI_COORD, now=TUESDAY)
    assert reminders.authorize(ADMIN, 10).party_codes == (BANDUNG, KERINCI)
    assert reminders.authorize(BANDUNG_COORD, 10).title == "Pelatihan staf"


def test_a_done_milestone_is_not_snoozed(reminders: ReminderService, engine: Engine) -> None:
    # A reminder's "remind me in 3 days" pressed after the milestone was done: before, it
    # confirmed a reminder that the planner never sends for a settled milestone.
    seed_basic(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE milestones SET status = 'done' WHERE id = 10"))
    with pytest.raises(MilestoneSettled) as caught:
        reminders.snooze(10, telegram_id=KERINCI_COORD, now=TUESDAY)
    assert caught.value.params == {"milestone_id": 10, "title": "Pelatihan staf"}
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM reminder_snoozes")) == 0


def test_log_filters_and_counts(reminders: ReminderService, engine: Engine) -> None:
    seed_basic(engine)
    reminders.run_pass(now=TUESDAY, sender=FakeSender())
    assert [r.status for r in reminders.log(status=SENT)] == [SENT]
    assert reminders.log(status=FAILED) == []
    assert reminders.counts() == {SENT: 1}


def test_services_container_wires_reminders(services: Services, engine: Engine) -> None:
    seed_agreement(
        engine,
        agreement_id=8,
        parties=["32.73", "15.01"],
        milestones=[(80, "Pelatihan", date(2026, 3, 4), "15.01")],
    )
    due = services.reminders.due(at=TUESDAY)
    assert keys(due) == {("upcoming", 1, 80, "region:15.01")}
    assert due[0].details["partners"] == ["Kota Bandung"]


def test_texts_are_escaped_and_a_huge_collapse_fits_one_telegram_message(
    reminders: ReminderService, engine: Engine
) -> None:
    seed_agreement(
        engine,
        agreement_id=9,
        parties=[BANDUNG, KERINCI],
        title="KB <Replikasi> & Pelatihan",
        milestones=[
            (
                900 + n,
                f"Tonggak <{n}> & langkah panjang sekali untuk diuji",
                date(2026, 3, 4),
                KERINCI,
            )
            for n in range(150)
        ],
    )
    sender = FakeSender()
    report = reminders.run_pass(now=TUESDAY, sender=sender)
    assert report.messages_sent == 1 and report.reminders_sent == 150
    [message] = sender.delivered
    assert "KB &lt;Replikasi&gt; &amp; Pelatihan" in message.text
    assert "<Replikasi>" not in message.text
    assert len(message.text.encode("utf-16-le")) // 2 <= 4096
    assert "lainnya" in message.text  # "... and N more"
    assert len([b for row in message.buttons for b in row]) == 8


def test_a_retry_that_falls_after_hours_waits_for_the_next_working_slot(
    reminders: ReminderService, engine: Engine
) -> None:
    seed_basic(engine)
    sender = FakeSender(fail={KERINCI_COORD: TransientSendError("timed out")})
    late = datetime(2026, 3, 3, 8, 59, tzinfo=UTC)  # Tuesday 15:59 WIB
    assert reminders.run_pass(now=late, sender=sender).failed == 1
    sender.fail.clear()
    after_hours = late + timedelta(minutes=5)  # 16:04 WIB: the retry is due but not sent
    assert reminders.run_pass(now=after_hours, sender=sender).messages_sent == 0
    [row] = reminders.log()
    assert row.status == "pending"
    assert row.next_attempt_at == datetime(2026, 3, 4, 1, 0, tzinfo=UTC)  # Wed 08:00 WIB
    assert (
        reminders.run_pass(now=datetime(2026, 3, 4, 0, 30, tzinfo=UTC), sender=sender).messages_sent
        == 0
    )
    assert (
        reminders.run_pass(now=datetime(2026, 3, 4, 1, 0, tzinfo=UTC), sender=sender).messages_sent
        == 1
    )
    assert len(sender.to(KERINCI_COORD)) == 1


def test_a_moved_due_date_rearms_the_steps_already_sent_for_the_old_one(
    services: Services, reminders: ReminderService, engine: Engine
) -> None:
    # "Pelatihan" was due Wed 4 March; the 1-day reminder went out on Tuesday. The coordinator
    # moves it to Wed 11 March: the day before the new date they are reminded again.
    seed_basic(engine)
    sender = FakeSender()
    reminders.run_pass(now=TUESDAY, sender=sender)
    assert len(sender.to(KERINCI_COORD)) == 1
    services.tracker.move_milestone(OPERATOR, 10, date(2026, 3, 11), reason="jadwal baru")
    reminders.run_pass(now=TUESDAY + timedelta(days=7), sender=sender)
    later = sender.to(KERINCI_COORD)[1:]
    assert [m.kinds for m in later] == [("upcoming",)]
    assert format_date(date(2026, 3, 11), "id") in later[0].text
    # Once per step of the new date, like any other.
    reminders.run_pass(now=TUESDAY + timedelta(days=7, hours=2), sender=sender)
    assert len(sender.to(KERINCI_COORD)) == 2


def test_a_sent_reminder_found_write_locked_is_marked_sent_once_the_lock_is_free(
    tmp_path: Path, settings: Settings, directory: FakeDirectory
) -> None:
    # The bot's pass sent a reminder; before it could write "sent", another process (a long
    # `kb ingest`) took SQLite's write lock. The mark is bookkeeping: it waits in the deferred
    # queue like the bot's own, instead of failing the pass and leaving the reminder to be
    # logged "unconfirmed" (delivered, but the log cannot say so).
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}", busy_timeout_s=0.5)
    create_schema(engine)
    seed_basic(engine)
    quick = make_session_factory(with_busy_timeout(engine, 0.02))
    service = ReminderService(
        make_session_factory(engine),
        settings,
        directory=directory,
        timezone_of=ZONES.__getitem__,
        region_name=NAMES.__getitem__,
        bookkeeping=quick,
    )
    deferred = DeferredWrites()
    holder = sqlite3.connect(str(engine.url.database), isolation_level=None)
    sender = FakeSender(on_send=lambda _message: holder.execute("BEGIN IMMEDIATE"))
    try:
        report = service.run_pass(now=TUESDAY, sender=sender, deferred=deferred)
        assert report.messages_sent == 1 and len(sender.delivered) == 1
        assert deferred.pending() and deferred.flush() == 0  # still locked: kept
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert deferred.flush() == 1
    [row] = service.log()
    assert (row.status, row.message_id) == (SENT, 1001)
    # Nothing is sent again.
    service.run_pass(now=TUESDAY + timedelta(minutes=30), sender=sender, deferred=deferred)
    assert len(sender.delivered) == 1
    engine.dispose()


# --- sending again on an operator's request ------------------------------------------------------


def _kerinci_row(reminders: ReminderService) -> OutboxView:
    [row] = [r for r in reminders.log() if r.recipient == f"tg:{KERINCI_COORD}"]
    return row


def test_an_unconfirmed_reminder_resent_goes_out_once_with_the_next_pass(
    reminders: ReminderService, engine: Engine
) -> None:
    seed_basic(engine)
    sender = FakeSender(fail={KERINCI_COORD: UnconfirmedSendError("Timed out")})
    reminders.run_pass(now=TUESDAY, sender=sender)
    row = _kerinci_row(reminders)
    assert (row.status, row.attempts) == (UNCONFIRMED, 1)
    sender.fail.clear()

    at = TUESDAY + timedelta(minutes=30)
    report = reminders.resend([row.id], by="tg:900", now=at)
    assert (report.resent, report.refused) == ((row.id,), ())
    resent = _kerinci_row(reminders)
    assert (resent.status, resent.attempts, resent.resends) == (PENDING, 0, 1)
    assert (resent.resent_by, resent.resent_at) == ("tg:900", at)
    assert resent.last_error is not None
    assert "resent by tg:900" in resent.last_error
    assert "was unconfirmed after 1 attempt(s): Timed out" in resent.last_error

    reminders.run_pass(now=at + timedelta(minutes=1), sender=sender)
    reminders.run_pass(now=at + timedelta(hours=2), sender=sender)
    [message] = sender.to(KERINCI_COORD)
    assert "Pelatihan staf" in message.text
    done = _kerinci_row(reminders)
    assert (done.status, done.attempts, done.resends, done.resent_by) == (SENT, 1, 1, "tg:900")


def test_an_undeliverable_reminder_resent_after_the_block_was_lifted_arrives(
    reminders: ReminderService, engine: Engine
) -> None:
    seed_basic(engine)
    sender = FakeSender(fail={KERINCI_COORD: TransientSendError("502 Bad Gateway")})
    at = TUESDAY
    for _ in range(6):  # 09:00 to 14:00 WIB: given up after 6 attempts
        reminders.run_pass(now=at, sender=sender)
        at += timedelta(hours=1)
    row = _kerinci_row(reminders)
    assert (row.status, row.attempts) == (UNDELIVERABLE, 6)
    assert len(sender.to(ADMIN)) == 1
    # A fresh budget: one more transient failure is retried, not given up at once.
    assert reminders.resend([row.id], by="cli").resent == (row.id,)
    report = reminders.run_pass(now=at, sender=sender)
    assert report.failed == 1 and _kerinci_row(reminders).status == FAILED
    sender.fail.clear()
    reminders.run_pass(now=at + timedelta(minutes=5), sender=sender)
    assert len(sender.to(KERINCI_COORD)) == 1
    assert _kerinci_row(reminders).status == SENT


def test_a_resent_reminder_undeliverable_again_is_news_to_the_admins(
    reminders: ReminderService, engine: Engine
) -> None:
    seed_basic(engine)
    sender = FakeSender(fail={KERINCI_COORD: UndeliverableError("Forbidden: bot was blocked")})
    reminders.run_pass(now=TUESDAY, sender=sender)
    assert len(sender.to(ADMIN)) == 1
    row = _kerinci_row(reminders)
    # The admin resends it, believing the block lifted; it was not. Under the notice's old
    # key the second failure reached nobody: the admin thought it delivered.
    assert reminders.resend([row.id], by="tg:900").resent == (row.id,)
    report = reminders.run_pass(now=TUESDAY + timedelta(minutes=5), sender=sender)
    assert (report.undeliverable, report.routed_to_admins) == (1, 1)
    notices = sender.to(ADMIN)
    assert len(notices) == 2 and "Pelatihan staf" in notices[1].text
    # Once per resend: later passes add nothing.
    reminders.run_pass(now=TUESDAY + timedelta(hours=2), sender=sender)
    assert len(sender.to(ADMIN)) == 2


def test_a_resent_reminder_is_checked_as_a_fresh_one(
    services: Services, reminders: ReminderService, directory: FakeDirectory, engine: Engine
) -> None:
    """Working hours, a milestone settled meanwhile, a recipient who still may not get it."""
    seed_basic(engine)
    sender = FakeSender(fail={KERINCI_COORD: UnconfirmedSendError("Timed out")})
    reminders.run_pass(now=TUESDAY, sender=sender)
    sender.fail.clear()
    row_id = _kerinci_row(reminders).id

    # Resent at 20:00 WIB: it waits for the next morning.
    evening = TUESDAY + timedelta(hours=11)
    reminders.resend([row_id], by="cli", now=evening)
    reminders.run_pass(now=evening, sender=sender)
    assert sender.to(KERINCI_COORD) == []
    waiting = _kerinci_row(reminders)
    assert waiting.status == PENDING
    assert waiting.next_attempt_at == TUESDAY + timedelta(hours=23)  # Wednesday 08:00 WIB

    # The coordinator lost the role meanwhile: undeliverable again, not sent.
    directory.change(KERINCI_COORD, role="official")
    reminders.run_pass(now=TUESDAY + timedelta(days=1), sender=sender)
    assert sender.to(KERINCI_COORD) == []
    assert _kerinci_row(reminders).status == UNDELIVERABLE

    # Back in the role, but the milestone was done meanwhile: dropped, not sent.
    directory.change(KERINCI_COORD, role="coordinator")
    services.tracker.update_milestone(OPERATOR, 10, "done", note="BA pelatihan staf")
    reminders.resend([row_id], by="cli", now=TUESDAY + timedelta(days=1, hours=1))
    reminders.run_pass(now=TUESDAY + timedelta(days=1, hours=1), sender=sender)
    assert sender.to(KERINCI_COORD) == []
    dropped = _kerinci_row(reminders)
    assert (dropped.status, dropped.last_error, dropped.resends) == (
        OBSOLETE,
        "milestone_settled",
        2,
    )


def test_resend_refuses_what_cannot_be_sent_again_and_changes_nothing(
    services: Services, reminders: ReminderService, engine: Engine
) -> None:
    seed_basic(engine)
    seed_agreement(
        engine,
        agreement_id=6,
        parties=[BANDUNG, MAKASSAR],
        milestones=[(60, "Instalasi", date(2026, 3, 4), MAKASSAR)],
    )
    sender = FakeSender()
    reminders.run_pass(now=TUESDAY, sender=sender)
    sent = _kerinci_row(reminders)
    [placeholder] = [r for r in reminders.log() if r.recipient == f"region:{MAKASSAR}"]
    assert (sent.status, placeholder.status) == (SENT, UNDELIVERABLE)
    before = reminders.log(limit=1000)

    report = reminders.resend([sent.id, 999_999, placeholder.id, 2**70, sent.id], by="cli")
    assert report.resent == ()
    refused = {i: err for i, err in report.refused}
    assert list(refused) == [sent.id, 999_999, placeholder.id, 2**70]
    assert isinstance(refused[sent.id], NotResendable)
    assert refused[sent.id].params == {"id": sent.id, "status": SENT}
    assert isinstance(refused[999_999], ReminderNotFound)
    assert isinstance(refused[2**70], ReminderNotFound)
    assert isinstance(refused[placeholder.id], ResendWithoutRecipient)
    assert "only unconfirmed or undeliverable" in error_message(refused[sent.id], "en")
    assert "hanya pengingat yang belum terkonfirmasi" in error_message(refused[sent.id], "id")
    assert reminders.log(limit=1000) == before


def test_two_resends_at_once_move_the_row_once(
    services: Services, reminders: ReminderService, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second operator read the row as unconfirmed too, and the first resent it before the
    second's update ran: the conditional update moves it once, the second is told it is
    pending now."""
    seed_basic(engine)
    sender = FakeSender(fail={KERINCI_COORD: UnconfirmedSendError("Timed out")})
    reminders.run_pass(now=TUESDAY, sender=sender)
    row_id = _kerinci_row(reminders).id
    other = make_service(services, None)
    original = ReminderRepository.resend
    first: list[ResendReport] = []
    raced = threading.Event()

    def resend_after_the_other(self: ReminderRepository, entry_id: int, **kw: Any) -> bool:
        if not raced.is_set():  # the other operator gets in between our read and our update
            raced.set()
            first.append(other.resend([entry_id], by="tg:901"))
        return original(self, entry_id, **kw)

    monkeypatch.setattr(ReminderRepository, "resend", resend_after_the_other)
    report = reminders.resend([row_id], by="tg:900")
    assert [r.resent for r in first] == [(row_id,)]
    assert report.resent == ()
    [(refused_id, err)] = report.refused
    assert refused_id == row_id and isinstance(err, NotResendable)
    assert err.params["status"] == PENDING
    row = _kerinci_row(reminders)
    assert (row.status, row.resends, row.resent_by) == (PENDING, 1, "tg:901")


def test_resendable_lists_only_rows_with_a_recipient(
    reminders: ReminderService, engine: Engine
) -> None:
    seed_basic(engine)
    seed_agreement(
        engine,
        agreement_id=6,
        parties=[BANDUNG, MAKASSAR],
        milestones=[(60, "Instalasi", date(2026, 3, 4), MAKASSAR)],
    )
    sender = FakeSender(fail={KERINCI_COORD: UnconfirmedSendError("Timed out")})
    reminders.run_pass(now=TUESDAY, sender=sender)
    assert [r.recipient for r in reminders.resendable()] == [f"tg:{KERINCI_COORD}"]
