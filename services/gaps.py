"""Knowledge gaps: unanswered questions grouped, owned by a trainer, followed to an answer.

A question the knowledge base could not answer (and no curated answer covered), or whose answer
an official rated unhelpful, is a gap question. :meth:`GapService.gaps` first places the gap
questions not grouped yet into gaps (:func:`knowledge_base.gaps.assign`: incremental, indexed,
so a hundred thousand logged questions stay fast) and then lists the gaps that still hold gap
questions, open ones first, the most asked first.

A gap has a status (``open``, ``answered``: a trainer's curated answer covers it,
``documented``: a document now does, ``wont_answer``) and an owner (the trainer who takes it).
Trainers and admins change both (``Permission.GAPS``); a curated answer made from a question
marks that question's gap ``answered`` by itself. The monthly answer rate (questions answered
by the documents or by a curated answer, over all questions asked) shows whether the loop works.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from accounts import rules as access_rules
from accounts.schemas import AuthSubject
from core.clock import Clock
from knowledge_base import gaps as grouping
from knowledge_base.errors import GapNotFound, InvalidGapStatus
from knowledge_base.repository import GapQuestion, GapRow, KnowledgeRepository

GAP_STATUSES: Final = ("open", "answered", "documented", "wont_answer")
#: Questions shown per gap (the newest).
EXAMPLES: Final = 5
#: Question ids listed per gap (for the JSON output; the count says how many there are).
LISTED_IDS: Final = 50
_ONE_DAY: Final = timedelta(days=1)
_MONTH_AND_A_BIT: Final = timedelta(days=32)


@dataclass(frozen=True)
class Gap:
    """Similar questions the knowledge base could not answer well, grouped for trainers."""

    question: str
    """The most recent wording of the group."""
    count: int
    not_found: int
    unhelpful: int
    last_asked_at: datetime
    examples: tuple[str, ...]
    question_ids: tuple[int, ...]
    id: int = 0
    status: str = "open"
    owner: str | None = None
    owner_name: str | None = None
    curated_id: int | None = None
    since_status: int = 0
    """Gap questions asked after the status last changed (a closed gap still being asked)."""


@dataclass(frozen=True)
class MonthlyRate:
    """How many questions were asked in a month, and how many answered."""

    month: str
    """``2026-03`` (in the deployment's time zone)."""
    asked: int
    answered: int

    @property
    def rate(self) -> float | None:
        return round(self.answered / self.asked, 4) if self.asked else None


def subject_name(subject: AuthSubject) -> str:
    """How a subject is shown as an owner or author (a user's name, else its actor)."""
    name = getattr(subject, "name", None)
    return str(name) if name else subject.actor


class GapService:
    """Groups gap questions, lists gaps, and records who owns them and where they stand."""

    def __init__(self, session_factory: sessionmaker[Session], *, clock: Clock, timezone: str):
        self._sf = session_factory
        self._clock = clock
        self._zone = ZoneInfo(timezone)

    def group(self) -> int:
        """Place the gap questions not grouped yet into gaps; how many were placed."""
        now = self._clock.now()
        with self._sf.begin() as s:
            repo = KnowledgeRepository(s)
            pending = repo.ungrouped_gap_questions()
            if not pending:
                return 0
            seeds = [grouping.GapSeed(i, grouping.terms_of(n)) for i, n in repo.gap_seeds()]
            placed = grouping.assign(
                seeds,
                [grouping.LoggedQuestion(i, grouping.terms_of(n)) for i, _, n in pending],
            )
            wording = {i: (text, norm) for i, text, norm in pending}
            opened = repo.add_gaps([wording[ids[0]] for ids in placed.new_groups], at=now)
            pairs = [(qid, gap_id) for gap_id, ids in placed.into_existing.items() for qid in ids]
            for gap_id, ids in zip(opened, placed.new_groups, strict=True):
                pairs.extend((qid, gap_id) for qid in ids)
            repo.set_gaps(pairs)
            return len(pending)

    def gaps(self, limit: int = 50) -> list[Gap]:
        """The gaps that still hold gap questions: open first, then the most asked, the most
        recently asked."""
        self.group()
        with self._sf.begin() as s:
            repo = KnowledgeRepository(s)
            rows = repo.gap_rows()
            rows.sort(
                key=lambda r: (r.status != "open", -r.asked, -r.last_asked_at.timestamp(), r.gap_id)
            )
            rows = rows[:limit]
            questions = repo.gap_questions([r.gap_id for r in rows], LISTED_IDS)
        return [_gap(row, questions.get(row.gap_id, [])) for row in rows]

    def get(self, subject: AuthSubject, gap_id: int) -> Gap:
        """One gap (``kb.gap_not_found`` if it does not exist or holds no gap question)."""
        access_rules.require(subject, access_rules.Permission.GAPS)
        self.group()
        with self._sf.begin() as s:
            repo = KnowledgeRepository(s)
            row = next((r for r in repo.gap_rows() if r.gap_id == gap_id), None)
            if row is None:
                raise GapNotFound(gap_id=gap_id)
            questions = repo.gap_questions([gap_id], LISTED_IDS)
        return _gap(row, questions.get(gap_id, []))

    def update(
        self,
        subject: AuthSubject,
        gap_id: int,
        *,
        status: str | None = None,
        owner: AuthSubject | None = None,
        release: bool = False,
    ) -> Gap:
        """Set a gap's status and/or owner (``release``: nobody owns it any more)."""
        access_rules.require(subject, access_rules.Permission.GAPS)
        if status is not None and status not in GAP_STATUSES:
            raise InvalidGapStatus(status=status, allowed=", ".join(GAP_STATUSES))
        now = self._clock.now()
        with self._sf.begin() as s:
            gap = KnowledgeRepository(s).gap(gap_id)
            if gap is None:
                raise GapNotFound(gap_id=gap_id)
            if status is not None and status != gap.status:
                gap.status = status
                gap.status_changed_at = now
            if owner is not None:
                gap.owner, gap.owner_name = owner.actor, subject_name(owner)
            elif release:
                gap.owner = gap.owner_name = None
            gap.updated_at = now
        return self.get(subject, gap_id)

    def mark_answered(self, question_id: int, curated_id: int, by: AuthSubject) -> int | None:
        """A curated answer now answers this question: its gap (if any) is ``answered`` and
        owned by the trainer. Returns the gap's id."""
        self.group()
        with self._sf.begin() as s:
            return self.mark_answered_in(s, question_id, curated_id, by)

    def mark_answered_in(
        self, s: Session, question_id: int, curated_id: int, by: AuthSubject
    ) -> int | None:
        """:meth:`mark_answered` inside the caller's unit of work (the curated answer's own,
        so the answer and its gap's status are written together or not at all); the pending
        questions must have been grouped first (:meth:`group`)."""
        now = self._clock.now()
        repo = KnowledgeRepository(s)
        gap_id = repo.gap_of_question(question_id)
        gap = repo.gap(gap_id) if gap_id is not None else None
        if gap is None:
            return None
        if gap.status != "answered":
            gap.status, gap.status_changed_at = "answered", now
        gap.curated_id = curated_id
        gap.owner = gap.owner or by.actor
        gap.owner_name = gap.owner_name or subject_name(by)
        gap.updated_at = now
        return gap.id

    def answer_rates(self, months: int = 6) -> list[MonthlyRate]:
        """The last ``months`` months (this one included), oldest first."""
        now = self._clock.now().astimezone(self._zone)
        first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        for _ in range(months - 1):
            first = (first - _ONE_DAY).replace(day=1)
        with self._sf.begin() as s:
            rows = KnowledgeRepository(s).answered_by_month(first)
        counts: dict[str, list[int]] = {}
        cursor = first
        for _ in range(months):
            counts[f"{cursor:%Y-%m}"] = [0, 0]
            cursor = (cursor + _MONTH_AND_A_BIT).replace(day=1)
        for at, answered in rows:
            key = f"{at.astimezone(self._zone):%Y-%m}"
            if key in counts:
                counts[key][0] += 1
                counts[key][1] += answered
        return [MonthlyRate(month, asked, answered) for month, (asked, answered) in counts.items()]


def _gap(row: GapRow, questions: Sequence[GapQuestion]) -> Gap:
    examples: list[str] = []
    for q in questions:
        if q.question not in examples and len(examples) < EXAMPLES:
            examples.append(q.question)
    return Gap(
        question=questions[0].question if questions else row.question,
        count=row.asked,
        not_found=row.not_found,
        unhelpful=row.unhelpful,
        last_asked_at=row.last_asked_at,
        examples=tuple(examples),
        question_ids=tuple(q.question_id for q in questions),
        id=row.gap_id,
        status=row.status,
        owner=row.owner,
        owner_name=row.owner_name,
        curated_id=row.curated_id,
        since_status=row.since_status if row.status != "open" else 0,
    )
