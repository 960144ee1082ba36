"""The question log's repository on SQLite and PostgreSQL: log, citations, feedback, gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from core.db import make_session_factory
from knowledge_base.repository import GapCandidate, KnowledgeRepository

AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _log(repo: KnowledgeRepository, question: str, *, found: bool, minutes: int = 0) -> int:
    return repo.add_question(
        asked_at=AT + timedelta(minutes=minutes),
        asked_by="tg:1",
        question=question,
        normalized=question.lower(),
        language="id",
        found=found,
        top_score=0.5 if found else None,
        answer="-",
        filters={"app": "Gampil"},
        citations=[{"number": 1, "passage": "Buka menu Izin."}] if found else [],
    )


def test_questions_citations_feedback_and_gap_candidates(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory.begin() as s:
        repo = KnowledgeRepository(s)
        answered = _log(repo, "Cara izin Gampil?", found=True)
        missing = _log(repo, "Tarif retribusi?", found=False, minutes=1)
        rated = _log(repo, "Syarat izin?", found=True, minutes=2)
    with factory.begin() as s:
        repo = KnowledgeRepository(s)
        assert repo.citations(answered) == [{"number": 1, "passage": "Buka menu Izin."}]
        assert repo.citations(missing) == []
        assert repo.citations(9999) is None
        assert repo.set_feedback(rated, "tg:1", True, AT)
        assert repo.set_feedback(rated, "tg:1", False, AT)  # the later vote replaces the first
        assert repo.set_feedback(answered, "tg:2", True, AT)
        assert not repo.set_feedback(9999, "tg:1", True, AT)
    with factory.begin() as s:
        candidates = KnowledgeRepository(s).gap_candidates()
    # Newest first; the answered question rated helpful is no gap.
    assert candidates == [
        GapCandidate(rated, "Syarat izin?", "syarat izin?", True, True, AT + timedelta(minutes=2)),
        GapCandidate(
            missing, "Tarif retribusi?", "tarif retribusi?", False, False, AT + timedelta(minutes=1)
        ),
    ]
