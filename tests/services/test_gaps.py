"""Knowledge gaps: grouped once and kept, owned, given a status, and the monthly answer rate."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.errors import AccessDenied
from core.clock import FixedClock
from core.errors import DatabaseUnavailable
from knowledge_base.errors import GapNotFound, InvalidGapStatus
from services import Services
from services.access import Operator

TRAINER, OFFICIAL = 2, 4


def ask(services: Services, question: str) -> int:
    answer = services.knowledge.ask(question, asked_by="tg:4")
    assert answer.question_id is not None and not answer.found
    return answer.question_id


def test_gaps_are_grouped_once_and_new_questions_join_them(
    services: Services, clock: FixedClock
) -> None:
    first = ask(services, "Bagaimana cara membuat akun e-budgeting?")
    ask(services, "Kapan jadwal kereta api ke Surabaya?")
    [a, b] = services.gaps.gaps()
    assert (a.count, b.count) == (1, 1)
    ids = {g.question: g.id for g in (a, b)}
    clock.advance(timedelta(minutes=5))
    ask(services, "bagaimana membuat akun e-budgeting")  # joins the first gap, kept
    [top, other] = services.gaps.gaps()
    assert top.id == ids["Bagaimana cara membuat akun e-budgeting?"] and top.count == 2
    assert top.question == "bagaimana membuat akun e-budgeting"  # the newest wording
    assert first in top.question_ids and other.count == 1


def test_owner_and_status(services: Services, clock: FixedClock) -> None:
    services.access.add_user(TRAINER, "trainer", name="Budi")
    services.access.add_user(OFFICIAL, "official", name="Dedi")
    trainer = services.access.get_user(TRAINER)
    assert trainer is not None
    ask(services, "Berapa tarif retribusi pasar?")
    [gap] = services.gaps.gaps()
    taken = services.gaps.update(trainer, gap.id, owner=trainer)
    assert (taken.owner, taken.owner_name, taken.status) == (f"tg:{TRAINER}", "Budi", "open")
    done = services.gaps.update(trainer, gap.id, status="documented")
    assert done.status == "documented" and done.since_status == 0
    clock.advance(timedelta(days=1))
    ask(services, "Berapa tarif retribusi pasar sekarang?")  # still asked after "documented"
    [again] = services.gaps.gaps()
    assert again.id == gap.id and again.since_status == 1 and again.count == 2
    released = services.gaps.update(Operator("cli"), gap.id, release=True, status="open")
    assert released.owner is None and released.status == "open"
    with pytest.raises(InvalidGapStatus):
        services.gaps.update(trainer, gap.id, status="closed")
    with pytest.raises(GapNotFound):
        services.gaps.update(trainer, 999, status="open")
    official = services.access.get_user(OFFICIAL)
    with pytest.raises(AccessDenied):
        services.gaps.update(official, gap.id, status="open")  # type: ignore[arg-type]


def test_a_curated_answer_marks_the_gap_answered(services: Services) -> None:
    services.access.add_user(TRAINER, "trainer", name="Budi")
    trainer = services.access.get_user(TRAINER)
    assert trainer is not None
    question = "Berapa tarif retribusi pasar?"
    question_id = ask(services, question)
    curated = services.curated.add_from_reply(
        trainer, question=question, answer="Tarif diatur Perwal 12/2025.", question_id=question_id
    )
    [gap] = services.gaps.gaps()
    assert (gap.status, gap.curated_id, gap.owner_name) == ("answered", curated.id, "Budi")


def test_monthly_answer_rate(services: Services, clock: FixedClock) -> None:
    # Nothing is indexed: every question of this month is unanswered ...
    ask(services, "Berapa tarif retribusi pasar?")
    ask(services, "Kapan jadwal kereta api?")
    rates = services.gaps.answer_rates(3)
    assert [r.month for r in rates] == ["2026-01", "2026-02", "2026-03"]
    assert (rates[-1].asked, rates[-1].answered, rates[-1].rate) == (2, 0, 0.0)
    assert rates[0].rate is None  # nothing asked
    # ... until a curated answer is shown for one
    services.curated.mark_shown(1, 1)
    assert services.gaps.answer_rates(1)[0].answered == 1


def test_a_curated_answer_whose_gap_cannot_be_marked_is_not_kept(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.access.add_user(TRAINER, "trainer", name="Budi")
    trainer = services.access.get_user(TRAINER)
    assert trainer is not None
    question = "Berapa tarif retribusi pasar?"
    question_id = ask(services, question)

    def fails(*args: object) -> None:
        raise DatabaseUnavailable(service="database", reason="locked")

    monkeypatch.setattr(services.gaps, "mark_answered_in", fails)
    with pytest.raises(DatabaseUnavailable):
        services.curated.add_from_reply(
            trainer,
            question=question,
            answer="Tarif diatur Perwal 12/2025.",
            question_id=question_id,
        )
    # Nothing half-written: no curated answer, the gap still open; the reply can be sent again.
    assert services.curated.answers(trainer) == []
    [gap] = services.gaps.gaps()
    assert gap.status == "open" and gap.curated_id is None
    monkeypatch.undo()
    made = services.curated.add_from_reply(
        trainer, question=question, answer="Tarif diatur Perwal 12/2025.", question_id=question_id
    )
    [gap] = services.gaps.gaps()
    assert (gap.status, gap.curated_id) == ("answered", made.id)
