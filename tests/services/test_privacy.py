"""Personal data (UU 27/2022): question-log retention, a person's export, forgetting a person.

"Nothing of the person remains" is checked over every column of every table, found by
reflection: a table added later that holds people's data is seeded in
``_person_with_everything`` and fails here until it has its part.
"""

from __future__ import annotations

import json
import pickle
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import MetaData, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from accounts.errors import LastAdmin, UserNotFound
from accounts.repository import AccountsRepository
from conversations.repository import ConversationRepository
from conversations.schemas import ThreadView
from core.clock import FixedClock
from core.config import MIN_PSEUDONYM_KEY_LENGTH, InvalidSetting, Settings, settings_error
from core.db import make_engine, make_session_factory
from knowledge_base.models import KbCuratedAnswer, KbGap
from knowledge_base.repository import KnowledgeRepository
from mou_tracker.reminders.models import OutboxEntry
from mou_tracker.reminders.repository import ReminderRepository
from services import Services
from services.access import Operator
from services.privacy import PSEUDONYM_PREFIX, Pseudonyms
from tests.conftest import create_schema
from tests.fakes.tracker import KERINCI, OPERATOR, new_agreement
from tests.services.test_knowledge import seed

PERSON = 7070707
OTHER = 8080808
NAME = "Eka Privasi"


def _ask(services: Services, who: str, question: str, at: datetime) -> int:
    with services.session_factory.begin() as s:
        return KnowledgeRepository(s).add_question(
            asked_at=at,
            asked_by=who,
            question=question,
            normalized=question.lower(),
            language="id",
            found=False,
            top_score=None,
            answer="",
            filters={},
            citations=[],
        )


def _person_with_everything(services: Services, telegram_id: int, name: str) -> None:
    """A coordinator who asked, voted, updated a milestone, was reminded, snoozed, invited;
    whose question opened a gap and became a curated answer; who wrote a curated answer (as a
    trainer once) and owns a gap."""
    now = services.clock.now()
    access = services.access
    numbers = (f"119/HK/{telegram_id}", None)  # each person's own agreement
    agreement = services.tracker.add_agreement(OPERATOR, new_agreement(numbers=numbers))
    access.add_user(telegram_id, "coordinator", KERINCI, name)
    access.bind_agreement(telegram_id, agreement.id)
    user = access.get_user(telegram_id)
    assert user is not None
    milestone = agreement.milestones[0]
    services.tracker.update_milestone(user, milestone.id, "in_progress", agreement_id=agreement.id)
    question = _ask(services, user.actor, f"Bagaimana {name} mendaftar?", now)
    _ask(services, user.actor, "Pertanyaan lama", now - timedelta(days=400))
    services.knowledge.feedback(question, False, user=user.actor)
    access.create_invite("official", None, by=Operator(user.actor), valid_days=7)
    with services.session_factory.begin() as s:
        ReminderRepository(s).add_snooze(
            agreement_id=agreement.id,
            milestone_id=milestone.id,
            telegram_id=telegram_id,
            until_at=now + timedelta(days=3),
            now=now,
            created_by=user.actor,
        )
        _curated_and_gaps(s, user.actor, name, question, now)
        s.add(
            OutboxEntry(
                dedup_key=f"upcoming:{milestone.id}:7:tg:{telegram_id}",
                kind="upcoming",
                threshold=7,
                agreement_id=agreement.id,
                milestone_id=milestone.id,
                recipient=f"tg:{telegram_id}",
                telegram_id=telegram_id,
                language="id",
                trigger_on=now.date(),
                payload={"title": agreement.title},
                created_at=now,
                updated_at=now,
            )
        )
        # A reminder of someone else's that they sent again (as an admin may).
        s.add(
            OutboxEntry(
                dedup_key=f"upcoming:{milestone.id}:1:region:{telegram_id}",
                kind="upcoming",
                threshold=1,
                agreement_id=agreement.id,
                milestone_id=milestone.id,
                recipient="tg:42",
                telegram_id=42,
                language="id",
                trigger_on=now.date(),
                payload={"title": agreement.title},
                status="pending",
                resends=1,
                resent_by=user.actor,
                resent_at=now,
                last_error=f"resent by {user.actor} at 2026-03-02T09:00; was unconfirmed",
                created_at=now,
                updated_at=now,
            )
        )
    _talked_to_the_bot(services, telegram_id, name)


def _talked_to_the_bot(services: Services, telegram_id: int, name: str) -> None:
    """The bot's working state: a stored message, user and private-chat data, an open dialog,
    a question forwarded to the trainers, the question rate count and its warning."""
    talk = services.conversations
    message = {"from": {"id": telegram_id, "first_name": name}, "text": f"Saya {name}"}
    assert talk.receive(telegram_id, telegram_id, telegram_id, json.dumps({"message": message}))
    talk.save_data("user", telegram_id, pickle.dumps({"recent": [f"Bagaimana {name}?"]}))
    talk.save_data("chat", telegram_id, pickle.dumps({"draft": name}))
    key = json.dumps([telegram_id, telegram_id], separators=(",", ":"))
    assert talk.save_dialog("milestone_update", key, '"evidence"', None, None)
    thread = ThreadView(f"Pertanyaan dari {name}", telegram_id, telegram_id, "id", 5)
    talk.remember_thread(-1001, telegram_id % 100_000, thread)
    for _ in range(3):  # allowed, refused with a warning, refused quietly
        talk.admit(
            f"question:{telegram_id}",
            limit=1,
            window=timedelta(minutes=1),
            now=services.clock.now(),
        )


def _curated_and_gaps(s: Session, actor: str, name: str, question_id: int, now: datetime) -> None:
    repo = KnowledgeRepository(s)
    text = f"Bagaimana {name} mendaftar?"
    gap = KbGap(
        question=text,
        normalized=text.lower(),
        status="open",
        owner=actor,
        owner_name=name,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
    s.add(gap)
    s.flush()
    asked = repo.question(question_id)
    assert asked is not None
    asked.gap_id = gap.id
    repo.add_curated(
        KbCuratedAnswer(
            question=text,
            normalized=text.lower(),
            answer="Lewat menu Daftar.",
            language="id",
            version=1,
            status="active",
            author=actor,
            author_name=name,
            created_at=now,
            updated_at=now,
            updated_by=actor,
            updated_by_name=name,
            review_on=now.date(),
            source_question_id=question_id,
        )
    )


def _everywhere(engine: Engine, needles: tuple[str, ...], number: int) -> list[str]:
    """Every cell of every table that holds one of ``needles`` or equals ``number``."""
    meta = MetaData()
    meta.reflect(engine)
    found = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    text = json.dumps(value, default=str) if value is not None else ""
                    if value == number or any(n in text for n in needles):
                        found.append(f"{table.name}.{column}={text[:80]}")
    return found


def _rows(engine: Engine, table: str) -> list[dict[str, Any]]:
    meta = MetaData()
    meta.reflect(engine, only=[table])
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(meta.tables[table])).mappings()]


def test_export_holds_everything_about_the_person_and_nothing_about_others(
    services: Services,
) -> None:
    _person_with_everything(services, PERSON, NAME)
    _person_with_everything(services, OTHER, "Orang Lain")

    held = services.privacy.export_person(OPERATOR, PERSON)

    assert held["accounts"]["account"]["name"] == NAME
    assert held["accounts"]["bound_agreements"]
    assert len(held["accounts"]["invites_created"]) == 1
    assert {q["question"] for q in held["knowledge"]["questions"]} == {
        f"Bagaimana {NAME} mendaftar?",
        "Pertanyaan lama",
    }
    assert len(held["knowledge"]["feedback"]) == 1
    assert len(held["knowledge"]["curated_answers"]) == 1
    assert len(held["knowledge"]["curated_versions"]) == 1
    assert len(held["knowledge"]["gaps_owned"]) == 1
    audit = held["agreements"]["audit"]
    assert audit and {e["actor"] for e in audit} == {f"tg:{PERSON}"}
    assert len(held["agreements"]["milestones_updated"]) == 1
    assert len(held["reminders"]["reminders"]) == 1 and len(held["reminders"]["snoozes"]) == 1
    assert [r["kind"] for r in held["reminders"]["reminders_resent"]] == ["upcoming"]
    talk = held["conversations"]
    assert {d["scope"] for d in talk["working_data"]} == {"user", "chat"}
    assert any(d["value"] == {"recent": [f"Bagaimana {NAME}?"]} for d in talk["working_data"])
    assert [d["name"] for d in talk["dialogs"]] == ["milestone_update"]
    assert [t["question"] for t in talk["forwarded_questions"]] == [f"Pertanyaan dari {NAME}"]
    assert talk["messages_received"][0]["payload"]["message"]["text"] == f"Saya {NAME}"
    assert len(talk["rate_events"]) == 2  # the question counted and the warning
    text = json.dumps(held, default=str)
    assert "Orang Lain" not in text and str(OTHER) not in text


def test_export_includes_questions_already_pseudonymised_by_retention(
    services: Services,
) -> None:
    _person_with_everything(services, PERSON, NAME)
    assert services.privacy.apply_retention() == 1  # the 400-day-old question

    questions = services.privacy.export_person(OPERATOR, PERSON)["knowledge"]["questions"]

    assert {q["question"] for q in questions} == {f"Bagaimana {NAME} mendaftar?", "Pertanyaan lama"}


def test_forget_leaves_nothing_of_the_person_and_keeps_the_agreements_history(
    services: Services,
) -> None:
    _person_with_everything(services, PERSON, NAME)
    _person_with_everything(services, OTHER, "Orang Lain")
    services.privacy.apply_retention()
    keyed = services.privacy.pseudonym(f"tg:{PERSON}")
    audit_before = len(_rows(services.engine, "audit_log"))
    questions_before = len(_rows(services.engine, "kb_questions"))
    other_before = services.privacy.export_person(OPERATOR, OTHER)

    report = services.privacy.forget_person(OPERATOR, PERSON)

    assert _everywhere(services.engine, (f"tg:{PERSON}", NAME, keyed), PERSON) == []
    assert services.access.get_user(PERSON) is None
    # The history stays, under one pseudonym that is not the keyed one (nobody can recompute it).
    assert report.pseudonym.startswith(PSEUDONYM_PREFIX) and report.pseudonym != keyed
    audit = _rows(services.engine, "audit_log")
    assert len(audit) == audit_before
    assert any(e["actor"] == report.pseudonym for e in audit)
    questions = _rows(services.engine, "kb_questions")
    assert len(questions) == questions_before
    assert sum(q["asked_by"] == report.pseudonym for q in questions) == 2
    # A reminder of someone else's they sent again keeps that it was, under the pseudonym.
    resent = {
        r["resent_by"]: r["last_error"]
        for r in _rows(services.engine, "reminder_outbox")
        if r["recipient"] == "tg:42"
    }
    assert set(resent) == {report.pseudonym, f"tg:{OTHER}"}
    assert resent[report.pseudonym].startswith(f"resent by {report.pseudonym} at")
    # The question they forwarded to the trainers stays without them: a trainer's reply to it
    # still becomes a curated answer (it reaches nobody).
    thread = services.conversations.thread(-1001, PERSON % 100_000)
    assert thread is not None and thread.question == "Pertanyaan dari […]"
    assert thread.asker_chat_id is None and thread.asker_user_id is None
    # The other person is untouched, and the forgotten one cannot be found again.
    after = services.privacy.export_person(OPERATOR, OTHER)
    assert json.dumps(after, default=str).replace(str(after["exported_at"]), "") == json.dumps(
        other_before, default=str
    ).replace(str(other_before["exported_at"]), "")
    with pytest.raises(UserNotFound):
        services.privacy.export_person(OPERATOR, PERSON)
    with pytest.raises(UserNotFound):
        services.privacy.forget_person(OPERATOR, PERSON)


def test_a_forget_is_noted_without_the_person_for_the_writes_queued_before_it(
    services: Services, clock: FixedClock
) -> None:
    services.access.add_user(PERSON, "official", region_code=KERINCI, name=NAME)
    services.access.add_user(OTHER, "official", region_code=KERINCI, name="Orang Lain")
    queued = clock.now()
    clock.advance(timedelta(minutes=1))

    def forgotten(person: int, since: datetime) -> bool:
        with services.session_factory() as s:
            return AccountsRepository(s).forgotten_since(person, since)

    assert not forgotten(PERSON, queued)  # nobody forgotten yet
    services.privacy.forget_person(OPERATOR, PERSON)
    assert _rows(services.engine, "forget_events")  # noted: when, never who
    assert _everywhere(services.engine, (f"tg:{PERSON}", NAME), PERSON) == []
    assert forgotten(PERSON, queued)
    assert not forgotten(OTHER, queued)  # an account from before the forget: still there
    assert not forgotten(PERSON, clock.now() + timedelta(seconds=1))  # queued after it
    clock.advance(timedelta(minutes=1))
    services.access.add_user(PERSON, "official", region_code=KERINCI, name=NAME)
    assert forgotten(PERSON, queued)  # a new account is not the one the write was for


def test_forget_refuses_the_last_admin_and_changes_nothing(services: Services) -> None:
    services.access.add_user(PERSON, "admin", None, NAME)
    _ask(services, f"tg:{PERSON}", "Apa itu Gampil?", services.clock.now())

    with pytest.raises(LastAdmin):
        services.privacy.forget_person(OPERATOR, PERSON)

    assert services.access.get_user(PERSON) is not None
    assert _rows(services.engine, "kb_questions")[0]["asked_by"] == f"tg:{PERSON}"


def test_only_those_who_manage_users_may_export_or_forget(services: Services) -> None:
    _person_with_everything(services, PERSON, NAME)
    user = services.access.get_user(PERSON)
    assert user is not None
    from services.access import AccessDenied

    with pytest.raises(AccessDenied):
        services.privacy.export_person(user, PERSON)
    with pytest.raises(AccessDenied):
        services.privacy.forget_person(user, PERSON)


def test_retention_pseudonymises_old_askers_stably_and_keeps_recent_ones(
    services: Services,
) -> None:
    now = services.clock.now()
    old, older = now - timedelta(days=181), now - timedelta(days=500)
    _ask(services, "tg:1", "satu", older)
    _ask(services, "tg:1", "dua", old)
    _ask(services, "tg:2", "tiga", old)
    _ask(services, "tg:1", "baru", now - timedelta(days=179))
    _ask(services, "cli", "dari terminal", older)  # not a person
    _ask(services, None, "tanpa penanya", older)  # type: ignore[arg-type]

    assert services.privacy.apply_retention() == 3
    assert services.privacy.apply_retention() == 0  # done once

    by_question = {q["question"]: q["asked_by"] for q in _rows(services.engine, "kb_questions")}
    assert by_question["satu"] == by_question["dua"]  # one asker still groups
    assert by_question["satu"].startswith(PSEUDONYM_PREFIX)
    assert by_question["tiga"] not in (by_question["satu"], "tg:2")
    assert by_question["baru"] == "tg:1"
    assert by_question["dari terminal"] == "cli"
    assert by_question["tanpa penanya"] is None


def test_retention_follows_the_setting_and_the_key(services: Services) -> None:
    now = services.clock.now()
    _ask(services, "tg:1", "sepuluh hari", now - timedelta(days=10))
    services.privacy.retention_days = 30
    assert services.privacy.apply_retention() == 0
    services.privacy.retention_days = 7
    assert services.privacy.apply_retention() == 1

    stored = _rows(services.engine, "kb_questions")[0]["asked_by"]
    assert stored == services.privacy.pseudonym("tg:1")
    assert stored == Pseudonyms.from_settings(services.settings)("tg:1")  # the kept key
    assert stored != Pseudonyms(b"another deployment")("tg:1")
    key_file = services.settings.data_dir / "pseudonym.key"
    assert key_file.stat().st_mode & 0o077 == 0  # the owner's only


def test_the_default_retention_is_180_days(settings: Any) -> None:
    assert settings.question_log_retention_days == 180


def test_retention_runs_at_a_fixed_instant(services: Services) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    _ask(services, "tg:1", "q", at - timedelta(days=181))
    assert services.privacy.apply_retention(now=at - timedelta(days=2)) == 0
    assert services.privacy.apply_retention(now=at) == 1


def test_a_guessable_pseudonym_key_is_refused(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under a short or empty key anyone holding the database could recompute the pseudonyms
    # from Telegram IDs; refused, naming the setting and never the value.
    for short in ("abc", "x" * (MIN_PSEUDONYM_KEY_LENGTH - 1)):
        monkeypatch.setenv("SINERGI_PSEUDONYM_KEY", short)
        with pytest.raises(ValidationError) as caught:
            Settings(data_dir=services.settings.data_dir)
        error = settings_error(caught.value)
        assert error.code == "settings.pseudonym_key"
        assert error.params["setting"] == "SINERGI_PSEUDONYM_KEY"
        assert short not in str(error) + str(error.params)
    # An empty one is no key: the one kept in the data folder is used.
    monkeypatch.setenv("SINERGI_PSEUDONYM_KEY", " ")
    settings = Settings(data_dir=services.settings.data_dir)
    assert settings.pseudonym_key is None
    kept = Pseudonyms.from_settings(settings)("tg:1")
    assert kept == services.privacy.pseudonym("tg:1")
    # A key file that lost its content is refused rather than used (or silently replaced).
    key_file = services.settings.data_dir / "pseudonym.key"
    key_file.write_bytes(b"\n")
    with pytest.raises(InvalidSetting) as refused:
        Pseudonyms.from_settings(settings)
    assert refused.value.code == "settings.pseudonym_key"
    assert key_file.read_bytes() == b"\n"  # left for the operator to restore


def test_a_question_in_flight_when_its_asker_is_forgotten_is_kept_without_them(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`users forget` done while the person's question is being answered: the log entry
    written right afterwards keeps the question without them (so does one queued behind the
    write lock: tests/bot/test_write_lock.py)."""
    seed(services)
    services.access.add_user(PERSON, "official", KERINCI, NAME)
    user = services.access.get_user(PERSON)
    assert user is not None
    retrieve = services.index.retrieve

    def forgotten_meanwhile(*args: Any, **kwargs: Any) -> Any:
        services.privacy.forget_person(OPERATOR, PERSON)
        return retrieve(*args, **kwargs)

    monkeypatch.setattr(services.index, "retrieve", forgotten_meanwhile)
    answer = services.knowledge.ask(
        "Berapa lama verifikasi berkas izin usaha?", asked_by=user.actor
    )
    assert answer.found
    (logged,) = _rows(services.engine, "kb_questions")
    assert logged["question"] == "Berapa lama verifikasi berkas izin usaha?"
    assert logged["asked_by"] is None
    assert _everywhere(services.engine, (f"tg:{PERSON}", NAME), PERSON) == []


def test_a_vote_in_flight_when_its_voter_is_forgotten_is_kept_without_them(
    services: Services,
) -> None:
    """`users forget` done while the person's vote was on its way (the bot checked their
    account before): the vote is kept, as the forgetting keeps votes, under a pseudonym."""
    seed(services)
    services.access.add_user(PERSON, "official", KERINCI, NAME)
    answer = services.knowledge.ask("Berapa lama verifikasi berkas izin usaha?", asked_by="cli")
    assert answer.question_id is not None
    services.privacy.forget_person(OPERATOR, PERSON)
    services.knowledge.feedback(answer.question_id, False, user=f"tg:{PERSON}")
    (vote,) = _rows(services.engine, "kb_feedback")
    assert vote["helpful"] is False or vote["helpful"] == 0
    assert str(vote["user"]).startswith(PSEUDONYM_PREFIX)
    assert _everywhere(services.engine, (f"tg:{PERSON}", NAME), PERSON) == []


def test_the_bots_data_saved_after_forgetting_does_not_bring_the_person_back(
    services: Services,
) -> None:
    """The bot saves a user's working data (their recent questions) after handling their
    update: one handled while `users forget` ran is not kept; others' data is."""
    services.access.add_user(PERSON, "official", KERINCI, NAME)
    services.access.add_user(OTHER, "official", KERINCI, "Orang Lain")
    services.privacy.forget_person(OPERATOR, PERSON)
    held = pickle.dumps({"asked": {"1": f"Bagaimana {NAME} mendaftar?"}})
    other = pickle.dumps({"asked": {"2": "Bagaimana cara mendaftar?"}})
    for scope in ("user", "chat"):
        services.conversations.save_data(scope, PERSON, held)
        services.conversations.save_data(scope, OTHER, other)
    assert services.conversations.data("user", PERSON) is None
    assert services.conversations.data("chat", PERSON) is None
    assert services.conversations.data("user", OTHER) == other
    assert services.conversations.data("chat", OTHER) == other
    assert _everywhere(services.engine, (f"tg:{PERSON}", NAME), PERSON) == []
    group = -1001234
    services.conversations.save_data("chat", group, other)  # a group's data is no person's
    assert services.conversations.data("chat", group) == other


@pytest.mark.postgres
def test_a_forget_and_the_bots_save_of_the_same_person_never_deadlock(
    pg_url: str, settings: Settings, clock: FixedClock
) -> None:
    """PostgreSQL: the bot saving the person's data locks their account first, then their data
    row; forgetting must take the account first too, or each waits for the other's row and
    the database kills one of them (the forget fails, or the bot's update does)."""
    engine = make_engine(pg_url)
    create_schema(engine)
    services = Services(settings, clock=clock, engine=engine)
    try:
        services.access.add_user(PERSON, "official", KERINCI, NAME)
        services.conversations.save_data("user", PERSON, pickle.dumps({"a": 1}))
        sf = make_session_factory(engine)
        bot = sf()
        bot.begin()
        assert AccountsRepository(bot).holds_user(PERSON)  # the bot's save, under way
        failures: list[BaseException] = []

        def forget() -> None:
            try:
                services.privacy.forget_person(OPERATOR, PERSON)
            except BaseException as err:
                failures.append(err)

        forgetting = threading.Thread(target=forget)
        forgetting.start()
        _wait_until_blocked(engine, forgetting)
        try:
            ConversationRepository(bot).put_data("user", PERSON, b"newer", clock.now())
            bot.commit()
        finally:
            bot.close()
        forgetting.join(30)
        assert failures == []
        assert services.conversations.data("user", PERSON) is None
        assert _everywhere(engine, (f"tg:{PERSON}", NAME), PERSON) == []
    finally:
        services.close()
        engine.dispose()


def _wait_until_blocked(engine: Engine, thread: threading.Thread) -> None:
    """Until another session waits for a row lock (the forgetting, blocked by the bot)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND datname = current_database()"
    )
    for _ in range(3000):
        with engine.connect() as conn:
            if conn.scalar(waiting):
                return
        assert thread.is_alive()
        time.sleep(0.01)
    raise AssertionError("the forgetting never waited for the bot's lock")


def test_a_write_queued_before_a_forget_stamped_by_a_clock_set_back_stays_withdrawn(
    services: Services, clock: FixedClock
) -> None:
    """The clock is stepped back a few minutes (an NTP correction) between queueing the bot's
    save of a person's data and their forgetting, and the person asks for access again: the
    forgetting looks older than the write, and the write must still not hand the forgotten
    person's data to the new account."""
    from services.deferred import DeferredWrites

    services.access.add_user(PERSON, "official", KERINCI, NAME)
    services.access.add_user(OTHER, "official", KERINCI, "Orang Lain")
    clock.advance(timedelta(hours=1))
    queued = clock.now()
    clock.set(queued - timedelta(minutes=3))
    services.privacy.forget_person(OPERATOR, PERSON)
    clock.advance(timedelta(minutes=1))
    services.access.add_user(PERSON, "official", KERINCI, NAME)  # a new account
    held = pickle.dumps({"asked": {"1": f"Bagaimana {NAME} mendaftar?"}})
    other = pickle.dumps({"asked": {"2": "Bagaimana cara mendaftar?"}})
    deferred = DeferredWrites()
    for key, value in ((PERSON, held), (OTHER, other)):
        deferred.defer(
            lambda key=key, value=value: services.conversations.save_data(
                "user", key, value, queued_at=queued
            )
        )
    assert deferred.flush() == 2
    assert services.conversations.data("user", PERSON) is None
    assert services.conversations.data("user", OTHER) == other  # an account from before
