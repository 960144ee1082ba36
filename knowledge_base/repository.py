"""Queries over the question log (questions asked, the passages cited, thumbs up/down).

Repositories never commit: the service opens the unit of work and hands the session in. The
documents and chunks are kept by :class:`knowledge_base.index.KnowledgeIndex`, which is both
the index and its store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db import row_dict
from knowledge_base.models import KbDocument, KbFeedback, KbQuestion

#: What takes the place of a forgotten person's name in their questions.
REDACTED = "[…]"


def _words_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    """Whole-word, case-insensitive: the name, and each of its words of 3+ letters."""
    parts = {w.strip() for w in words if w and w.strip()}
    parts |= {piece for w in parts for piece in re.split(r"\W+", w) if len(piece) >= 3}
    if not parts:
        return None
    alternatives = "|".join(re.escape(p) for p in sorted(parts, key=len, reverse=True))
    return re.compile(rf"(?<!\w)@?(?:{alternatives})(?!\w)", re.IGNORECASE)


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

    # --- personal data (UU 27/2022) ------------------------------------------------------------
    # The questions a person asked, their votes, the documents they uploaded, by their actor
    # names (``tg:123``). Forgetting puts a pseudonym in their place: the questions stay in the
    # gap statistics, which still group one asker's questions, but nobody can tell whose.

    def personal_data(self, names: Sequence[str]) -> dict[str, Any]:
        questions = select(KbQuestion).where(KbQuestion.asked_by.in_(names))
        feedback = select(KbFeedback).where(KbFeedback.user.in_(names))
        documents = select(KbDocument).where(KbDocument.uploader.in_(names))
        return {
            "questions": [row_dict(r) for r in self.s.scalars(questions.order_by(KbQuestion.id))],
            "feedback": [row_dict(r) for r in self.s.scalars(feedback.order_by(KbFeedback.id))],
            "documents_uploaded": [
                {k: v for k, v in row_dict(r).items() if k != "original_path"}
                for r in self.s.scalars(documents.order_by(KbDocument.doc_id))
            ],
        }

    def forget_person(
        self, names: Sequence[str], pseudonym: str, words: Sequence[str] = ()
    ) -> dict[str, int]:
        """Put ``pseudonym`` in place of ``names``; in the person's own questions (and the
        answers to them) ``words`` (their name, their username) are blanked out as well."""
        pattern = _words_pattern(words)
        redacted = 0
        if pattern is not None:
            own = select(KbQuestion).where(KbQuestion.asked_by.in_(names))
            for row in self.s.scalars(own):
                for field in ("question", "normalized", "answer"):
                    text = getattr(row, field) or ""
                    cleaned = pattern.sub(REDACTED, text)
                    if cleaned != text:
                        setattr(row, field, cleaned)
                        redacted += 1
            self.s.flush()
        return {
            "texts_redacted": redacted,
            "questions": self._rename(KbQuestion.asked_by, names, pseudonym),
            "feedback": self._rename(KbFeedback.user, names, pseudonym),
            "documents_uploaded": self._rename(KbDocument.uploader, names, pseudonym),
        }

    def pseudonymise_before(
        self, cutoff: datetime, is_person: Callable[[str], bool], pseudonym: Callable[[str], str]
    ) -> int:
        """Replace the asker of every question asked before ``cutoff`` (and the voter of every
        vote cast before it) by their pseudonym; returns how many rows changed."""
        changed = 0
        askers = select(KbQuestion.asked_by).where(
            KbQuestion.asked_at < cutoff, KbQuestion.asked_by.is_not(None)
        )
        for name in {n for n in self.s.scalars(askers.distinct()) if n and is_person(n)}:
            changed += self.s.execute(
                update(KbQuestion)
                .where(KbQuestion.asked_at < cutoff, KbQuestion.asked_by == name)
                .values(asked_by=pseudonym(name))
            ).rowcount  # type: ignore[attr-defined]
        voters = select(KbFeedback.user).where(KbFeedback.at < cutoff)
        for name in {n for n in self.s.scalars(voters.distinct()) if is_person(n)}:
            changed += self.s.execute(
                update(KbFeedback)
                .where(KbFeedback.at < cutoff, KbFeedback.user == name)
                .values(user=pseudonym(name))
            ).rowcount  # type: ignore[attr-defined]
        return changed

    def _rename(self, column: Any, names: Sequence[str], pseudonym: str) -> int:
        return int(
            self.s.execute(
                update(column.class_).where(column.in_(names)).values({column.key: pseudonym})
            ).rowcount  # type: ignore[attr-defined]
            or 0
        )
