"""Queries over the question log (questions asked, the passages cited, thumbs up/down).

Repositories never commit: the service opens the unit of work and hands the session in. The
documents and chunks are kept by :class:`knowledge_base.index.KnowledgeIndex`, which is both
the index and its store.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import Session

from knowledge_base.models import (
    KbCuratedAnswer,
    KbCuratedVersion,
    KbDocument,
    KbFeedback,
    KbGap,
    KbQuestion,
)


class GapRow(NamedTuple):
    """A knowledge gap with the counts of the questions it holds that are still gaps."""

    gap_id: int
    question: str
    status: str
    owner: str | None
    owner_name: str | None
    curated_id: int | None
    status_changed_at: datetime
    asked: int
    """How many of its questions are still gaps."""
    not_found: int
    unhelpful: int
    last_asked_at: datetime
    since_status: int
    """Questions asked after the status last changed (a "documented" gap still asked)."""


class GapQuestion(NamedTuple):
    question_id: int
    question: str
    asked_at: datetime


class KnowledgeRepository:
    """Reads and writes the question log and its feedback in one session."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def add_question(
        self,
        *,
        asked_at: datetime,
        asked_by: str | None,
        question: str,
        normalized: str,
        language: str,
        found: bool,
        top_score: float | None,
        answer: str,
        filters: Mapping[str, Any],
        citations: Sequence[Mapping[str, Any]],
    ) -> int:
        """Log one question with its answer and cited passages; returns its id."""
        row = KbQuestion(
            asked_at=asked_at,
            asked_by=asked_by,
            question=question,
            normalized=normalized,
            language=language,
            found=found,
            top_score=top_score,
            answer=answer,
            filters=dict(filters),
            citations=[dict(c) for c in citations],
        )
        self.s.add(row)
        self.s.flush()
        return row.id

    def citations(self, question_id: int) -> list[dict[str, Any]] | None:
        """The citations logged with an answer (``None``: no such question)."""
        row = self.s.get(KbQuestion, question_id)
        if row is None:
            return None
        return [dict(c) for c in row.citations or []]

    def set_feedback(self, question_id: int, user: str, helpful: bool, at: datetime) -> bool:
        """Record a user's vote on an answer, replacing their earlier one; False: no question."""
        if self.s.get(KbQuestion, question_id) is None:
            return False
        existing = self.s.scalar(
            select(KbFeedback).where(KbFeedback.question_id == question_id, KbFeedback.user == user)
        )
        if existing is None:
            self.s.add(KbFeedback(question_id=question_id, user=user, helpful=helpful, at=at))
        else:
            existing.helpful = helpful
            existing.at = at
        return True

    def document_apps(self) -> list[str]:
        """The apps the indexed documents are about (their ``app`` field), once each."""
        query = select(KbDocument.app).where(KbDocument.app.is_not(None)).distinct()
        return sorted(str(a) for a in self.s.scalars(query) if a)

    # --- knowledge gaps ------------------------------------------------------------------------

    def _unhelpful_ids(self) -> Any:
        return select(KbFeedback.question_id).where(KbFeedback.helpful.is_(False))

    def _is_gap(self) -> Any:
        """A logged question that is a gap: not answered (and no curated answer shown), or
        rated unhelpful."""
        q = KbQuestion
        return (q.found.is_(False) & q.curated_id.is_(None)) | q.id.in_(self._unhelpful_ids())

    def gap_seeds(self) -> list[tuple[int, str]]:
        """Every gap's id and the terms of the question that started it."""
        return [(i, n) for i, n in self.s.execute(select(KbGap.id, KbGap.normalized)).all()]

    def ungrouped_gap_questions(self) -> list[tuple[int, str, str]]:
        """Gap questions not in a gap yet, oldest first: ``(id, question, normalized)``."""
        q = KbQuestion
        rows = self.s.execute(
            select(q.id, q.question, q.normalized)
            .where(q.gap_id.is_(None), self._is_gap())
            .order_by(q.asked_at, q.id)
        ).all()
        return [(i, text, norm or text.lower()) for i, text, norm in rows]

    def add_gap(self, *, question: str, normalized: str, at: datetime) -> int:
        row = KbGap(
            question=question,
            normalized=normalized,
            status="open",
            created_at=at,
            updated_at=at,
            status_changed_at=at,
        )
        self.s.add(row)
        self.s.flush()
        return row.id

    def add_gaps(self, started: Sequence[tuple[str, str]], *, at: datetime) -> list[int]:
        """Open one gap per ``(question, normalized)``, in one statement; their ids, in order."""
        if not started:
            return []
        rows = [
            {
                "question": question,
                "normalized": normalized,
                "status": "open",
                "created_at": at,
                "updated_at": at,
                "status_changed_at": at,
            }
            for question, normalized in started
        ]
        statement = insert(KbGap).returning(KbGap.id, sort_by_parameter_order=True)
        return list(self.s.scalars(statement, rows))

    def set_gaps(self, placed: Sequence[tuple[int, int]]) -> None:
        """Record ``(question id, gap id)`` pairs in one bulk update by primary key."""
        if placed:
            self.s.execute(
                update(KbQuestion), [{"id": qid, "gap_id": gap_id} for qid, gap_id in placed]
            )

    def put_in_gap(self, gap_id: int, question_ids: Sequence[int]) -> None:
        """Record that these questions belong to ``gap_id`` (only those not placed yet)."""
        for start in range(0, len(question_ids), 1000):
            part = list(question_ids[start : start + 1000])
            self.s.execute(
                update(KbQuestion)
                .where(KbQuestion.id.in_(part), KbQuestion.gap_id.is_(None))
                .values(gap_id=gap_id)
            )

    def gap_rows(self) -> list[GapRow]:
        """Every gap that still holds gap questions, with their counts."""
        q = KbQuestion
        unhelpful = q.id.in_(self._unhelpful_ids())
        not_found = q.found.is_(False) & q.curated_id.is_(None)
        stats = (
            select(
                q.gap_id.label("gap_id"),
                func.count().label("count"),
                func.sum(case((not_found, 1), else_=0)).label("not_found"),
                func.sum(case((not_found, 0), (unhelpful, 1), else_=0)).label("unhelpful"),
                func.max(q.asked_at).label("last"),
            )
            .where(q.gap_id.is_not(None), self._is_gap())
            .group_by(q.gap_id)
            .subquery()
        )
        since = (
            select(q.gap_id.label("gap_id"), func.count().label("since"))
            .join(KbGap, KbGap.id == q.gap_id)
            .where(self._is_gap(), q.asked_at > KbGap.status_changed_at)
            .group_by(q.gap_id)
            .subquery()
        )
        rows = self.s.execute(
            select(
                KbGap.id,
                KbGap.question,
                KbGap.status,
                KbGap.owner,
                KbGap.owner_name,
                KbGap.curated_id,
                KbGap.status_changed_at,
                stats.c.count,
                stats.c.not_found,
                stats.c.unhelpful,
                stats.c.last,
                func.coalesce(since.c.since, 0),
            )
            .join(stats, stats.c.gap_id == KbGap.id)
            .outerjoin(since, since.c.gap_id == KbGap.id)
        ).all()
        return [
            GapRow(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                int(r[7]),
                int(r[8] or 0),
                int(r[9] or 0),
                r[10],
                int(r[11] or 0),
            )
            for r in rows
        ]

    def gap_questions(self, gap_ids: Collection[int], per_gap: int) -> dict[int, list[GapQuestion]]:
        """The newest gap questions of each gap (at most ``per_gap`` each)."""
        q = KbQuestion
        ranked = (
            select(
                q.gap_id,
                q.id,
                q.question,
                q.asked_at,
                func.row_number()
                .over(partition_by=q.gap_id, order_by=(q.asked_at.desc(), q.id.desc()))
                .label("rank"),
            )
            .where(q.gap_id.in_(list(gap_ids)), self._is_gap())
            .subquery()
        )
        rows = self.s.execute(
            select(ranked.c.gap_id, ranked.c.id, ranked.c.question, ranked.c.asked_at)
            .where(ranked.c.rank <= per_gap)
            .order_by(ranked.c.gap_id, ranked.c.rank)
        ).all()
        out: dict[int, list[GapQuestion]] = {}
        for gap_id, qid, text, at in rows:
            out.setdefault(gap_id, []).append(GapQuestion(qid, text, at))
        return out

    def gap(self, gap_id: int) -> KbGap | None:
        return self.s.get(KbGap, gap_id)

    def gap_of_question(self, question_id: int) -> int | None:
        row = self.s.get(KbQuestion, question_id)
        return row.gap_id if row is not None else None

    def question(self, question_id: int) -> KbQuestion | None:
        return self.s.get(KbQuestion, question_id)

    def answered_by_month(self, since: datetime) -> list[tuple[datetime, bool]]:
        """``(asked_at, answered)`` of every question asked since ``since`` (answered: a
        confident answer or a curated one)."""
        q = KbQuestion
        answered = q.found.is_(True) | q.curated_id.is_not(None)
        rows = self.s.execute(
            select(q.asked_at, case((answered, True), else_=False)).where(q.asked_at >= since)
        ).all()
        return [(at, bool(ok)) for at, ok in rows]

    # --- curated answers -----------------------------------------------------------------------

    def add_curated(self, row: KbCuratedAnswer) -> KbCuratedAnswer:
        self.s.add(row)
        self.s.flush()
        self.add_curated_version(row)
        return row

    def add_curated_version(self, row: KbCuratedAnswer) -> None:
        """Keep the current state of ``row`` as its version ``row.version``."""
        self.s.add(
            KbCuratedVersion(
                curated_id=row.id,
                version=row.version,
                question=row.question,
                answer=row.answer,
                edited_by=row.updated_by,
                edited_by_name=row.updated_by_name,
                edited_at=row.updated_at,
                review_on=row.review_on,
            )
        )
        self.s.flush()

    def curated(self, curated_id: int) -> KbCuratedAnswer | None:
        return self.s.get(KbCuratedAnswer, curated_id)

    def curated_answers(self, statuses: Collection[str] | None = None) -> list[KbCuratedAnswer]:
        query = select(KbCuratedAnswer).order_by(KbCuratedAnswer.id)
        if statuses is not None:
            query = query.where(KbCuratedAnswer.status.in_(list(statuses)))
        return list(self.s.scalars(query))

    def curated_versions(self, curated_id: int) -> list[KbCuratedVersion]:
        return list(
            self.s.scalars(
                select(KbCuratedVersion)
                .where(KbCuratedVersion.curated_id == curated_id)
                .order_by(KbCuratedVersion.version)
            )
        )

    def mark_curated(self, question_id: int, curated_id: int) -> None:
        """A curated answer was shown for this question: it counts as answered."""
        self.s.execute(
            update(KbQuestion).where(KbQuestion.id == question_id).values(curated_id=curated_id)
        )
