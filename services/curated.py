"""Curated answers: a trainer's reply to an official's question teaches the assistant.

When a trainer replies to a question forwarded to them ("🙋 tanya pelatih"), the pair becomes a
curated answer: attributed to the trainer, versioned (every edit keeps the earlier text), with
a review date (``SINERGI_CURATED_REVIEW_DAYS`` after the last edit; past it the answer is still
given, marked as due for review). A later question that means the same thing
(:mod:`knowledge_base.curated`) gets it first, marked as the trainer's, with their name and the
date. Trainers (and admins) edit or retire curated answers from Telegram and with
``sinergi kb curated list/edit/retire``. The question's knowledge gap is marked answered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from accounts import rules as access_rules
from accounts.schemas import AuthSubject
from core.clock import Clock
from core.text import clean_block
from knowledge_base import curated as matching
from knowledge_base.errors import (
    CuratedAnswerNotFound,
    CuratedAnswerRetired,
    CuratedAnswerTooLong,
    InvalidCuratedAnswer,
)
from knowledge_base.index import KnowledgeIndex
from knowledge_base.keyword import TextNormalizer
from knowledge_base.language import detect_language
from knowledge_base.models import KbCuratedAnswer
from knowledge_base.repository import KnowledgeRepository
from services.gaps import GapService, subject_name

#: Telegram's message limit: a trainer's reply or edit typed in Telegram always fits.
_MAX_TEXT = 4096


@dataclass(frozen=True)
class CuratedAnswer:
    """A trainer's answer as it stands now."""

    id: int
    question: str
    answer: str
    language: str
    version: int
    status: str
    author: str
    author_name: str
    created_at: datetime
    updated_at: datetime
    updated_by_name: str
    review_on: date
    source_question_id: int | None
    review_due: bool
    """The review date has passed: still given, marked for review."""


@dataclass(frozen=True)
class CuratedVersion:
    version: int
    question: str
    answer: str
    edited_by_name: str
    edited_at: datetime
    review_on: date


@dataclass(frozen=True)
class CuratedMatch:
    """A curated answer that answers a later question, and how it was matched."""

    answer: CuratedAnswer
    score: float
    by: str


class CuratedService:
    """Trainers' answers: made from replies, edited, retired, and matched to new questions."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        clock: Clock,
        timezone: str,
        review_days: int,
        index: Callable[[], KnowledgeIndex] | None = None,
        apps: Callable[[], Sequence[str]] = lambda: (),
        gaps: GapService | None = None,
    ) -> None:
        self._sf = session_factory
        self._clock = clock
        self._zone = ZoneInfo(timezone)
        self.review_days = review_days
        self._index = index
        self._apps = apps
        self._gaps = gaps or GapService(session_factory, clock=clock, timezone=timezone)
        self._normalizer = TextNormalizer()
        self._vectors: dict[tuple[int, int], tuple[float, ...]] = {}
        self._lock = threading.Lock()

    def today(self) -> date:
        return self._clock.now().astimezone(self._zone).date()

    # --- making and changing -------------------------------------------------------------------

    def add_from_reply(
        self,
        subject: AuthSubject,
        *,
        question: str,
        answer: str,
        question_id: int | None = None,
    ) -> CuratedAnswer:
        """Keep a trainer's reply to a question as a curated answer (version 1)."""
        access_rules.require(subject, access_rules.Permission.ANSWER_AS_TRAINER)
        question, answer = _clean(question), _clean(answer)
        now = self._clock.now()
        name = subject_name(subject)
        if question_id is not None:
            self._gaps.group()  # the question joins its gap before the gap is marked
        with self._sf.begin() as s:
            row = KnowledgeRepository(s).add_curated(
                KbCuratedAnswer(
                    question=question,
                    normalized=self._normalizer.signature(question),
                    answer=answer,
                    language=detect_language(question),
                    version=1,
                    status="active",
                    author=subject.actor,
                    author_name=name,
                    created_at=now,
                    updated_at=now,
                    updated_by=subject.actor,
                    updated_by_name=name,
                    review_on=self.today() + timedelta(days=self.review_days),
                    source_question_id=question_id,
                )
            )
            if question_id is not None:
                # One unit of work: a failure here leaves no curated answer whose gap still
                # looks open (a trainer replying again would have made a second one).
                self._gaps.mark_answered_in(s, question_id, row.id, subject)
            return self._view(row)

    def edit(
        self,
        subject: AuthSubject,
        curated_id: int,
        *,
        answer: str | None = None,
        question: str | None = None,
        review_on: date | None = None,
    ) -> CuratedAnswer:
        """A new version with the new text (and a new review date); the old one is kept."""
        access_rules.require(subject, access_rules.Permission.ANSWER_AS_TRAINER)
        now = self._clock.now()
        with self._sf.begin() as s:
            repo = KnowledgeRepository(s)
            row = self._row(repo, curated_id)
            if row.status != "active":
                raise CuratedAnswerRetired(curated_id=curated_id)
            if question is not None:
                row.question = _clean(question)
                row.normalized = self._normalizer.signature(row.question)
            if answer is not None:
                row.answer = _clean(answer)
            row.review_on = review_on or self.today() + timedelta(days=self.review_days)
            row.version += 1
            row.updated_at = now
            row.updated_by = subject.actor
            row.updated_by_name = subject_name(subject)
            repo.add_curated_version(row)
            return self._view(row)

    def retire(self, subject: AuthSubject, curated_id: int) -> CuratedAnswer:
        """Stop giving a curated answer (it stays in the history)."""
        access_rules.require(subject, access_rules.Permission.ANSWER_AS_TRAINER)
        now = self._clock.now()
        with self._sf.begin() as s:
            row = self._row(KnowledgeRepository(s), curated_id)
            if row.status != "retired":
                row.status = "retired"
                row.retired_at = now
                row.retired_by = subject.actor
            return self._view(row)

    # --- reading -------------------------------------------------------------------------------

    def answers(self, subject: AuthSubject, *, retired: bool = False) -> list[CuratedAnswer]:
        """Curated answers, oldest first (``retired``: those too)."""
        access_rules.require(subject, access_rules.Permission.ANSWER_AS_TRAINER)
        statuses = None if retired else ("active",)
        with self._sf.begin() as s:
            return [self._view(r) for r in KnowledgeRepository(s).curated_answers(statuses)]

    def get(self, subject: AuthSubject, curated_id: int) -> CuratedAnswer:
        access_rules.require(subject, access_rules.Permission.ANSWER_AS_TRAINER)
        with self._sf.begin() as s:
            return self._view(self._row(KnowledgeRepository(s), curated_id))

    def versions(self, subject: AuthSubject, curated_id: int) -> list[CuratedVersion]:
        access_rules.require(subject, access_rules.Permission.ANSWER_AS_TRAINER)
        with self._sf.begin() as s:
            repo = KnowledgeRepository(s)
            self._row(repo, curated_id)
            return [
                CuratedVersion(
                    v.version, v.question, v.answer, v.edited_by_name, v.edited_at, v.review_on
                )
                for v in repo.curated_versions(curated_id)
            ]

    # --- answering -----------------------------------------------------------------------------

    def match(self, question: str) -> CuratedMatch | None:
        """The active curated answer whose question means the same as ``question``, if any."""
        with self._sf.begin() as s:
            rows = KnowledgeRepository(s).curated_answers(("active",))
            views = {r.id: self._view(r) for r in rows}
            forms = [(r.id, r.version, r.question) for r in rows]
        if not forms:
            return None
        apps = list(self._apps())
        wanted = self._form(question, apps, self._vector(question))
        candidates = [
            matching.Candidate(cid, self._form(text, apps, self._cached_vector(cid, ver, text)))
            for cid, ver, text in forms
        ]
        found = matching.best_match(wanted, candidates)
        if found is None:
            return None
        return CuratedMatch(views[found.curated_id], found.score, found.by)

    def mark_shown(self, question_id: int, curated_id: int) -> None:
        """The question (in the log) was answered by this curated answer."""
        with self._sf.begin() as s:
            KnowledgeRepository(s).mark_curated(question_id, curated_id)

    # --- internals -----------------------------------------------------------------------------

    def _form(
        self, text: str, apps: Sequence[str], vector: tuple[float, ...] | None
    ) -> matching.QuestionForm:
        return matching.form_of(text, apps, self._normalizer.terms, vector)

    def _vector(self, text: str) -> tuple[float, ...] | None:
        if self._index is None:
            return None
        return tuple(self._index().embeddings.embed_query(text))

    def _cached_vector(self, curated_id: int, version: int, text: str) -> tuple[float, ...] | None:
        key = (curated_id, version)
        with self._lock:
            found = self._vectors.get(key)
        if found is None:
            found = self._vector(text)
            if found is not None:
                with self._lock:
                    self._vectors[key] = found
        return found

    def _row(self, repo: KnowledgeRepository, curated_id: int) -> KbCuratedAnswer:
        row = repo.curated(curated_id)
        if row is None:
            raise CuratedAnswerNotFound(curated_id=curated_id)
        return row

    def _view(self, row: KbCuratedAnswer) -> CuratedAnswer:
        return CuratedAnswer(
            id=row.id,
            question=row.question,
            answer=row.answer,
            language=row.language,
            version=row.version,
            status=row.status,
            author=row.author,
            author_name=row.author_name,
            created_at=row.created_at,
            updated_at=row.updated_at,
            updated_by_name=row.updated_by_name,
            review_on=row.review_on,
            source_question_id=row.source_question_id,
            review_due=row.review_on < self.today(),
        )


def _clean(text: str) -> str:
    """Lines kept, spaces collapsed, control characters (a NUL no database stores) and the lone
    surrogates of undecodable terminal input replaced."""
    text = clean_block(str(text))
    cleaned = "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()
    if not any(ch.isalnum() for ch in cleaned):
        raise InvalidCuratedAnswer()
    if len(cleaned) > _MAX_TEXT:  # never cut a trainer's answer silently
        raise CuratedAnswerTooLong(length=len(cleaned), limit=_MAX_TEXT)
    return cleaned
