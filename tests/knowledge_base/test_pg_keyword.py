"""Keyword search in PostgreSQL: the same BM25 as in process, statistics kept exact, bounded."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from core.db import make_engine, make_session_factory
from core.errors import ConfigurationError
from knowledge_base.index import KnowledgeIndex, keyword_store_for
from knowledge_base.keyword_store import InProcessKeywordStore
from knowledge_base.models import KbIndexMeta, KbTermStats
from knowledge_base.pg_keyword import (
    CHUNKS_META,
    DISTINCT_META,
    LENGTH_META,
    STATS_META,
    PostgresKeywordStore,
    tsquery_literal,
)
from knowledge_base.schemas import ChunkInput, DocumentInput, SearchFilters
from services import database
from tests.conftest import create_schema
from tests.knowledge_base.conftest import make_index

WORDS = [
    "izin",
    "usaha",
    "aplikasi",
    "gampil",
    "kinerja",
    "pegawai",
    "target",
    "anggaran",
    "hibah",
    "bansos",
    "laporan",
    "verifikasi",
    "berkas",
    "dinas",
    "kota",
    "kabupaten",
    "sekretariat",
    "data",
    "warga",
    "pengaduan",
    "layanan",
    "perizinan",
    "reklame",
    "bangunan",
    "pajak",
    "retribusi",
    "elektronik",
    "tanda",
    "tangan",
    "sertifikat",
]


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    create_schema(engine)
    yield engine
    engine.dispose()


def _corpus(seed: int, docs: int, per_doc: int) -> list[tuple[DocumentInput, list[ChunkInput]]]:
    rng = random.Random(seed)
    out = []
    for d in range(docs):
        doc = DocumentInput(f"doc-{d}", f"Dokumen {d}", app=("Gampil", "e-RK")[d % 2])
        chunks = [
            ChunkInput(" ".join(rng.choices(WORDS, k=rng.randint(4, 40))), position=i)
            for i in range(per_doc)
        ]
        out.append((doc, chunks))
    return out


def _stats(engine: Engine) -> tuple[dict[str, int], dict[str, str]]:
    with make_session_factory(engine)() as s:
        df = dict(s.execute(select(KbTermStats.term, KbTermStats.df)).all())
        meta = dict(s.execute(select(KbIndexMeta.key, KbIndexMeta.value)).all())
    return df, meta


@pytest.mark.postgres
def test_postgres_gets_the_database_store_and_sqlite_the_process_one(
    pg_engine: Engine, sqlite_engine: Engine
) -> None:
    assert isinstance(keyword_store_for(make_session_factory(pg_engine)), PostgresKeywordStore)
    sqlite = make_session_factory(sqlite_engine)
    assert isinstance(keyword_store_for(sqlite), InProcessKeywordStore)
    assert isinstance(
        keyword_store_for(make_session_factory(pg_engine), "process"), InProcessKeywordStore
    )
    with pytest.raises(ConfigurationError):
        keyword_store_for(sqlite, "database")


@pytest.mark.postgres
def test_ranks_exactly_like_the_in_process_index(pg_engine: Engine, tmp_path: Path) -> None:
    writer = make_index(pg_engine, tmp_path / "chroma")
    assert isinstance(writer.keywords, PostgresKeywordStore)
    for doc, chunks in _corpus(1, docs=30, per_doc=8):
        writer.replace_document(doc, chunks)
    writer.remove_document("doc-3")
    doc, chunks = _corpus(2, docs=1, per_doc=8)[0]
    writer.replace_document(doc, chunks)  # doc-0 again, new text
    in_process = KnowledgeIndex(
        writer._sf, writer.embeddings, writer.store, keyword_store=InProcessKeywordStore()
    )
    rng = random.Random(3)
    for _ in range(25):
        question = " ".join(rng.sample(WORDS, rng.randint(1, 5)))
        for filters in (None, SearchFilters(app="gampil")):
            want = in_process.search(question, k=20, mode="keyword", filters=filters)
            got = writer.search(question, k=20, mode="keyword", filters=filters)
            assert [h.chunk_id for h in got] == [h.chunk_id for h in want], question
            for g, w in zip(got, want, strict=True):
                assert g.keyword_score == pytest.approx(w.keyword_score, rel=1e-5)
                assert g.coverage == pytest.approx(w.coverage, rel=1e-5)
        terms = writer.normalizer.terms(question)
        for term in terms:
            assert writer.idf(term) == pytest.approx(in_process.idf(term), rel=1e-6)
    writer.close()


@pytest.mark.postgres
def test_statistics_stay_equal_to_a_recount(pg_engine: Engine, tmp_path: Path) -> None:
    index = make_index(pg_engine, tmp_path / "chroma")
    corpus = _corpus(4, docs=12, per_doc=6)
    for doc, chunks in corpus:
        index.replace_document(doc, chunks)
    for doc, chunks in _corpus(5, docs=6, per_doc=4):  # new versions: some chunks go
        index.replace_document(doc, chunks[:3] + corpus[0][1][:1])
    index.remove_document("doc-7")
    incremental = _stats(pg_engine)
    with make_session_factory(pg_engine).begin() as s:
        index.keywords.rebuild(s)
    recounted = _stats(pg_engine)
    assert incremental[0] == recounted[0]
    for key in (CHUNKS_META, LENGTH_META, DISTINCT_META):
        assert incremental[1][key] == recounted[1][key]
    assert int(recounted[1][CHUNKS_META]) == index.chunk_count()
    assert all(df > 0 for df in incremental[0].values())
    index.close()


@pytest.mark.postgres
def test_common_terms_do_not_widen_the_scan(pg_engine: Engine, tmp_path: Path) -> None:
    index = make_index(pg_engine, tmp_path / "chroma")
    chunks = [ChunkInput(f"kota layanan nomor{i}", position=i) for i in range(60)]
    chunks.append(ChunkInput("kota layanan reklame bangunan", position=60))
    index.replace_document(DocumentInput("kota", "Kota"), chunks)
    store = index.keywords
    assert isinstance(store, PostgresKeywordStore)
    store.posting_budget = 10
    hits = index.search("reklame kota", k=5, mode="keyword")
    assert [h.text for h in hits] == ["kota layanan reklame bangunan"]
    # Passages holding only the common "kota" were not read: they could only rank below.
    assert store.last_plan == {"terms": 1, "postings": 1, "candidates": 1}
    # When every term is common, the rarest one still chooses the candidates.
    assert index.search("kota", k=5, mode="keyword")
    assert store.last_plan["terms"] == 1 and store.last_plan["candidates"] == 61
    store.posting_budget = 1000
    hits = index.search("reklame kota", k=5, mode="keyword")
    assert len(hits) == 5 and hits[0].text == "kota layanan reklame bangunan"
    assert store.last_plan == {"terms": 2, "postings": 62, "candidates": 61}
    index.close()


@pytest.mark.postgres
def test_an_index_from_before_the_statistics_gets_them_on_first_use(
    pg_engine: Engine, tmp_path: Path
) -> None:
    index = make_index(pg_engine, tmp_path / "chroma")
    for doc, chunks in _corpus(6, docs=5, per_doc=5):
        index.replace_document(doc, chunks)
    want = _stats(pg_engine)[0]
    with pg_engine.begin() as conn:  # as an older version left it
        conn.execute(text("DELETE FROM kb_term_stats"))
        conn.execute(text("DELETE FROM kb_index_meta WHERE key LIKE 'keyword_%'"))
    fresh = make_index(pg_engine, tmp_path / "chroma")
    assert fresh.search("izin usaha", k=3, mode="keyword")
    got, meta = _stats(pg_engine)
    assert got == want and meta[STATS_META] == "1"
    index.close()
    fresh.close()


@pytest.mark.postgres
def test_the_migration_fills_the_statistics_of_existing_chunks(pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    database.upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO kb_documents (doc_id, title, chunk_count, revision, ingested_at)"
                " VALUES ('a', 'A', 2, 1, now())"
            )
        )
        conn.execute(
            text(
                "INSERT INTO kb_chunks (chunk_id, doc_id, position, text, terms) VALUES"
                " ('c1', 'a', 0, 'x', 'izin usaha izin'), ('c2', 'a', 1, 'y', 'usaha reklame')"
            )
        )
    database.upgrade(engine)
    df, meta = _stats(engine)
    assert df == {"izin": 1, "usaha": 2, "reklame": 1}
    assert (meta[CHUNKS_META], meta[LENGTH_META], meta[STATS_META]) == ("2", "5", "1")
    assert meta[DISTINCT_META] == "4"  # izin, usaha | usaha, reklame
    with engine.connect() as conn:
        found = conn.scalars(
            text("SELECT chunk_id FROM kb_chunks WHERE tsv @@ CAST(:q AS tsquery)"),
            {"q": tsquery_literal("reklame")},
        ).all()
    assert found == ["c2"]
    engine.dispose()


def test_lexemes_are_taken_as_they_are() -> None:
    assert tsquery_literal("izin") == "'izin'"
    assert tsquery_literal("o'neil") == "'o''neil'"
    assert tsquery_literal("a\\b") == "'a\\\\b'"
