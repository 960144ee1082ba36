"""Queries over the question log (questions asked, the passages cited, thumbs up/down).

Repositories never commit: the service opens the unit of work and hands the session in. The
documents and chunks are kept by :class:`knowledge_base.index.KnowledgeIndex`, which is both
the index and its store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db import row_dict
from core.text import REDACTED
from core.text import name_pattern as _words_pattern
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
        key: str | None = None,
    ) -> int:
        """Log one question with its answer and cited passages; returns its id. ``key``: the
        name its buttons carry when it is written later (``KbQuestion.key``)."""
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
            key=key,
        )
        self.s.add(row)
        self.s.flush()
        return row.id

    def question_by_key(self, key: str) -> int | None:
        """The id of the entry written later under ``key`` (``None``: none is, or not yet)."""
        return self.s.scalar(select(KbQuestion.id).where(KbQuestion.key == key))

    def unname_question(self, question_id: int) -> None:
        """Leave the question without who asked it (a person forgotten while it was answered)."""
        self.s.execute(update(KbQuestion).where(KbQuestion.id == question_id).values(asked_by=None))

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
        # One statement, not "read, then insert or update": the same button pressed twice at
        # once reaches two workers, and both would find no vote and insert one.
        dialect = self.s.get_bind().dialect.name
        upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(KbFeedback)
        stmt = upsert.values(question_id=question_id, user=user, helpful=helpful, at=at)
        self.s.execute(
            stmt.on_conflict_do_update(
                index_elements=[KbFeedback.question_id, KbFeedback.user],
                set_={"helpful": stmt.excluded.helpful, "at": stmt.excluded.at},
            )
        )
        return True

    def rename_vote(self, question_id: int, user: str, pseudonym: str) -> None:
        """Put ``pseudonym`` in place of the voter (a person forgotten while voting)."""
        self.s.execute(
            update(KbFeedback)
            .where(KbFeedback.question_id == question_id, KbFeedback.user == user)
            .values(user=pseudonym)
        )

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

    # --- personal data (UU 27/2022) ------------------------------------------------------------
    # The questions a person asked, their votes, the documents they uploaded, by their actor
    # names (``tg:123``). Forgetting puts a pseudonym in their place: the questions stay in the
    # gap statistics, which still group one asker's questions, but nobody can tell whose.
    # A trainer's curated answers (and their versions) and the gaps a person owns stay too,
    # under the pseudonym; a curated answer or gap made from the person's own question has
    # their name blanked out of its text like the question.

    def personal_data(self, names: Sequence[str]) -> dict[str, Any]:
        questions = select(KbQuestion).where(KbQuestion.asked_by.in_(names))
        feedback = select(KbFeedback).where(KbFeedback.user.in_(names))
        documents = select(KbDocument).where(KbDocument.uploader.in_(names))
        c = KbCuratedAnswer
        curated = select(c).where(
            c.author.in_(names) | c.updated_by.in_(names) | c.retired_by.in_(names)
        )
        versions = select(KbCuratedVersion).where(KbCuratedVersion.edited_by.in_(names))
        gaps = select(KbGap).where(KbGap.owner.in_(names))
        return {
            "questions": [row_dict(r) for r in self.s.scalars(questions.order_by(KbQuestion.id))],
            "feedback": [row_dict(r) for r in self.s.scalars(feedback.order_by(KbFeedback.id))],
            "documents_uploaded": [
                {k: v for k, v in row_dict(r).items() if k != "original_path"}
                for r in self.s.scalars(documents.order_by(KbDocument.doc_id))
            ],
            "curated_answers": [row_dict(r) for r in self.s.scalars(curated.order_by(c.id))],
            "curated_versions": [
                row_dict(r) for r in self.s.scalars(versions.order_by(KbCuratedVersion.id))
            ],
            "gaps_owned": [row_dict(r) for r in self.s.scalars(gaps.order_by(KbGap.id))],
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
            redacted += self._redact_derived(names, pattern)
            self.s.flush()
        c, v = KbCuratedAnswer, KbCuratedVersion
        return {
            "texts_redacted": redacted,
            "questions": self._rename(KbQuestion.asked_by, names, pseudonym),
            "feedback": self._rename(KbFeedback.user, names, pseudonym),
            "documents_uploaded": self._rename(KbDocument.uploader, names, pseudonym),
            "curated_answers": self._rename(c.author, names, pseudonym, c.author_name)
            + self._rename(c.updated_by, names, pseudonym, c.updated_by_name)
            + self._rename(c.retired_by, names, pseudonym),
            "curated_versions": self._rename(v.edited_by, names, pseudonym, v.edited_by_name),
            "gaps_owned": self._rename(KbGap.owner, names, pseudonym, KbGap.owner_name),
        }

    def _redact_derived(self, names: Sequence[str], pattern: re.Pattern[str]) -> int:
        """Blank the person's words out of the curated answers and gaps made from their own
        questions (their texts start as the question)."""
        own = select(KbQuestion.id, KbQuestion.gap_id).where(KbQuestion.asked_by.in_(names))
        pairs = self.s.execute(own).all()
        question_ids = [qid for qid, _ in pairs]
        gap_ids = {gid for _, gid in pairs if gid is not None}
        curated = list(
            self.s.scalars(
                select(KbCuratedAnswer).where(KbCuratedAnswer.source_question_id.in_(question_ids))
            )
        )
        versions = list(
            self.s.scalars(
                select(KbCuratedVersion).where(
                    KbCuratedVersion.curated_id.in_([r.id for r in curated])
                )
            )
        )
        gaps = list(self.s.scalars(select(KbGap).where(KbGap.id.in_(gap_ids))))
        redacted = 0
        for row in [*curated, *versions, *gaps]:
            for field in ("question", "normalized"):
                text = getattr(row, field, None)
                if not isinstance(text, str):
                    continue
                cleaned = pattern.sub(REDACTED, text)
                if cleaned != text:
                    setattr(row, field, cleaned)
                    redacted += 1
        return redacted

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

    def _rename(
        self, column: Any, names: Sequence[str], pseudonym: str, name_column: Any = None
    ) -> int:
        """Put ``pseudonym`` in ``column`` where it holds ``names`` (and in ``name_column``, the
        person's name kept beside it, on those rows)."""
        values = {column.key: pseudonym}
        if name_column is not None:
            values[name_column.key] = pseudonym
        return int(
            self.s.execute(update(column.class_).where(column.in_(names)).values(values)).rowcount  # type: ignore[attr-defined]
            or 0
        )
