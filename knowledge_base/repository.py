"""Queries over the question log (questions asked, the passages cited, thumbs up/down).

Repositories never commit: the service opens the unit of work and hands the session in. The
documents and chunks are kept by :class:`knowledge_base.index.KnowledgeIndex`, which is both
the index and its store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge_base.models import KbFeedback, KbQuestion


class GapCandidate(NamedTuple):
    """A logged question that may be a knowledge gap (unanswered, or rated unhelpful)."""

    question_id: int
    question: str
    normalized: str
    found: bool
    unhelpful: bool
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

    def gap_candidates(self) -> list[GapCandidate]:
        """Unanswered (or only tentatively answered) and thumbs-down questions, newest first."""
        unhelpful_ids = set(
            self.s.scalars(select(KbFeedback.question_id).where(KbFeedback.helpful.is_(False)))
        )
        rows = self.s.scalars(
            select(KbQuestion)
            .where(KbQuestion.found.is_(False) | KbQuestion.id.in_(unhelpful_ids or {-1}))
            .order_by(KbQuestion.asked_at.desc(), KbQuestion.id.desc())
        )
        return [
            GapCandidate(
                r.id,
                r.question,
                r.normalized or r.question.lower(),
                r.found,
                r.id in unhelpful_ids,
                r.asked_at,
            )
            for r in rows
        ]
