"""Re-deriving stored keyword terms after a normalisation change: batched, resumable, and
searches that say so while the terms are mixed (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from core.db import make_session_factory
from knowledge_base import index as index_module
from knowledge_base.index import KnowledgeIndex
from knowledge_base.keyword import TERMS_VERSION, TextNormalizer
from knowledge_base.models import KbChunk, KbIndexMeta, KbQuestion, KbTermStats
from knowledge_base.terms_upgrade import CURSOR_META, TERMS_META, terms_status, upgrade_terms
from tests.knowledge_base.conftest import make_index
from tests.knowledge_base.test_index import ERK, FOREIGN, FOREIGN_TEXT, GAMPIL, GAMPIL_V1, chunks


class Interrupted(Exception):
    pass


class DyingNormalizer(TextNormalizer):
    """Stops the upgrade in the middle of a batch, like a killed process."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.left = after

    def terms(self, text: str) -> list[str]:
        if self.left <= 0:
            raise Interrupted
        self.left -= 1
        return super().terms(text)


def _age(engine: Engine, *, only_doc: str | None = None) -> None:
    """Rows as an older normalisation wrote them (the foreign-word chunk, or all of them)."""
    sf = make_session_factory(engine)
    with sf.begin() as s:
        stale = update(KbChunk).values(terms="usang")
        if only_doc is not None:
            stale = stale.where(KbChunk.doc_id == only_doc)
        s.execute(stale)
        s.get(KbIndexMeta, TERMS_META).value = "1"
        if engine.dialect.name == "postgresql":  # statistics that describe those rows
            from knowledge_base.pg_keyword import PostgresKeywordStore

            PostgresKeywordStore(sf).rebuild(s)


def _stats(engine: Engine) -> dict[str, int]:
    with make_session_factory(engine)() as s:
        return dict(s.execute(select(KbTermStats.term, KbTermStats.df)).all())


def _counters(engine: Engine) -> dict[str, str]:
    with make_session_factory(engine)() as s:
        rows = s.execute(
            select(KbIndexMeta.key, KbIndexMeta.value).where(
                KbIndexMeta.key.in_(["keyword_chunks", "keyword_length", "keyword_distinct"])
            )
        )
        return dict(rows.all())


def test_a_large_index_is_upgraded_in_resumable_batches_and_searches_say_when_mixed(
    index: KnowledgeIndex,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index.replace_document(GAMPIL, GAMPIL_V1)
    index.replace_document(FOREIGN, FOREIGN_TEXT)
    assert index.retrieve("izin usaha Gampil", k=3).confident
    _age(engine, only_doc="sejarah")
    sf = make_session_factory(engine)
    with sf.begin() as s:
        s.add(
            KbQuestion(
                asked_at=index.clock.now(),
                question="Kapan Władysław ke München?",
                normalized="kapan m nchen w adys aw",
                language="id",
                found=False,
                answer="",
            )
        )
    # Too large to upgrade on open: the process serves, and says the terms are mixed.
    monkeypatch.setattr(index_module, "AUTO_TERMS_UPGRADE_LIMIT", 2)
    worker = make_index(engine, tmp_path / "chroma")
    assert not worker.terms_current
    mixed = worker.retrieve("izin usaha Gampil", k=3)
    assert mixed.hits[0].doc_id == "panduan-gampil"
    assert not mixed.confident and mixed.tentative  # the same passage, with the caveat
    with sf() as s:
        assert s.get(KbIndexMeta, TERMS_META).value == "1"  # nothing rewritten on open

    # One batch of one chunk: the cursor records it, the index stays mixed.
    first = upgrade_terms(sf, TextNormalizer(), worker.keywords, batch=1, max_batches=1)
    assert (first.batches, first.visited, first.complete) == (1, 1, False)
    status = terms_status(sf)
    assert not status.current and status.chunks_done == 1 and status.chunks == 4
    # A document written meanwhile has new terms but does not make the index current.
    worker.replace_document(ERK, chunks("e-RK guide > Targets\nYearly performance targets."))
    assert not terms_status(sf).current

    # Killed in the middle of a batch: that batch's rows and cursor are rolled back.
    with sf() as s:
        cursor = s.get(KbIndexMeta, CURSOR_META).value
        before = dict(s.execute(select(KbChunk.chunk_id, KbChunk.terms)).all())
        left = sum(1 for cid in before if cid > cursor.rsplit(":", 1)[1])
    with pytest.raises(Interrupted):
        upgrade_terms(sf, DyingNormalizer(after=1), worker.keywords, batch=3)
    with sf() as s:
        assert s.get(KbIndexMeta, CURSOR_META).value == cursor
        assert dict(s.execute(select(KbChunk.chunk_id, KbChunk.terms)).all()) == before

    # Run again: it resumes after the first chunk and finishes.
    done = upgrade_terms(sf, TextNormalizer(), worker.keywords, batch=2)
    assert done.complete and done.changed_questions == 1
    assert first.changed_chunks + done.changed_chunks == 1  # the one aged chunk
    assert done.visited == left + 1  # the chunks after the cursor, then the question
    with sf() as s:
        assert s.get(KbIndexMeta, TERMS_META).value == TERMS_VERSION
        assert s.get(KbIndexMeta, CURSOR_META) is None
        assert s.scalars(select(KbQuestion.normalized)).all() == ["munchen władysław"]
        assert "usang" not in " ".join(s.scalars(select(KbChunk.terms)))
    if engine.dialect.name == "postgresql":
        # The statistics were adjusted batch by batch to exactly what a recount gives.
        stats, counters = _stats(engine), _counters(engine)
        with sf.begin() as s:
            worker.keywords.rebuild(s)
        assert stats == _stats(engine) and counters == _counters(engine)
        assert "usang" not in stats

    # The running process follows: current terms, the foreign word found, confident again.
    assert worker.terms_current
    assert worker.search("munchen", k=1, mode="keyword")[0].doc_id == "sejarah"
    assert not worker.search("usang", k=5, mode="keyword")
    assert worker.retrieve("izin usaha Gampil", k=3).confident
    # Nothing left to do.
    again = upgrade_terms(sf, TextNormalizer(), worker.keywords)
    assert (again.batches, again.complete) == (0, True)
    worker.close()


def test_two_upgrades_at_once_take_turns(index: KnowledgeIndex, engine: Engine) -> None:
    index.replace_document(GAMPIL, GAMPIL_V1)
    index.replace_document(FOREIGN, FOREIGN_TEXT)
    _age(engine)
    sf = make_session_factory(engine)
    one = upgrade_terms(sf, TextNormalizer(), index.keywords, batch=1, max_batches=2)
    two = upgrade_terms(sf, TextNormalizer(), index.keywords, batch=1, max_batches=1)
    # Each run continues after the batches already committed, whoever ran them.
    assert one.visited + two.visited == 3
    three = upgrade_terms(sf, TextNormalizer(), index.keywords, batch=1)
    assert three.complete and three.visited == 1  # the last chunk; no questions logged
    assert one.changed_chunks + two.changed_chunks + three.changed_chunks == 4
    if engine.dialect.name == "postgresql":
        stats = _stats(engine)
        with sf.begin() as s:
            index.keywords.rebuild(s)
        assert stats == _stats(engine)


def test_a_small_index_is_upgraded_on_open(
    index: KnowledgeIndex, engine: Engine, tmp_path: Path
) -> None:
    index.replace_document(GAMPIL, GAMPIL_V1)
    _age(engine)
    opened = make_index(engine, tmp_path / "chroma")
    assert opened.terms_current
    assert opened.search("izin usaha", k=1, mode="keyword")[0].doc_id == "panduan-gampil"
    opened.close()


def test_an_empty_index_with_an_old_version_becomes_current(
    index: KnowledgeIndex, engine: Engine
) -> None:
    index.replace_document(GAMPIL, GAMPIL_V1)
    index.remove_document("panduan-gampil")
    with make_session_factory(engine).begin() as s:
        s.get(KbIndexMeta, TERMS_META).value = "1"
    sf = make_session_factory(engine)
    assert terms_status(sf).current  # nothing stored is stale
    assert upgrade_terms(sf, TextNormalizer(), index.keywords).complete
    with sf() as s:
        assert s.get(KbIndexMeta, TERMS_META).value == TERMS_VERSION


def test_batch_must_be_positive(engine: Engine, index: KnowledgeIndex) -> None:
    with pytest.raises(ValueError):
        upgrade_terms(make_session_factory(engine), TextNormalizer(), index.keywords, batch=0)


def test_terms_stored_by_the_previous_stemmer_are_rederived(
    index: KnowledgeIndex, engine: Engine, tmp_path: Path
) -> None:
    """Version 4 stemmed "dikepalai" to "palai": the upgrade on open re-derives "kepala"."""
    index.replace_document(
        GAMPIL, chunks("Panduan Gampil > Tim\nTim pelaksana dikepalai oleh kepala dinas.")
    )
    sf = make_session_factory(engine)
    with sf.begin() as s:
        row = s.scalars(select(KbChunk)).one()
        assert row.terms.split().count("kepala") == 2
        row.terms = row.terms.replace("kepala", "palai", 1)  # as version 4 stored it
        s.get(KbIndexMeta, TERMS_META).value = "4"
    assert TERMS_VERSION != "4"
    opened = make_index(engine, tmp_path / "chroma")
    assert opened.terms_current
    with sf() as s:
        terms = s.scalars(select(KbChunk.terms)).one().split()
    assert terms.count("kepala") == 2 and "palai" not in terms
    assert not opened.search("palai", k=1, mode="keyword")
    opened.close()
