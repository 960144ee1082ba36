"""Fixtures of the knowledge base: a real index (SQLite/PostgreSQL + on-disk Chroma + BM25).

The ``index`` runs on both databases: on SQLite its keyword side is in process, on PostgreSQL
in the database (``knowledge_base.pg_keyword``), so every index test covers both stores.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from core.clock import FixedClock
from core.db import make_session_factory
from core.locks import NamedLocks
from knowledge_base.answer import FEATURES, compose
from knowledge_base.embeddings import FakeEmbeddings
from knowledge_base.index import KnowledgeIndex
from knowledge_base.keyword import TextNormalizer
from knowledge_base.schemas import SearchHit
from knowledge_base.vectorstore import VectorStore, make_client


def make_index(
    engine: Engine,
    chroma_dir: Path,
    *,
    embeddings: FakeEmbeddings | None = None,
    clock: FixedClock | None = None,
    collection: str = "test_chunks",
    document_locks: NamedLocks | None = None,
) -> KnowledgeIndex:
    emb = embeddings or FakeEmbeddings()
    store = VectorStore(make_client(chroma_url=None, chroma_dir=chroma_dir), collection, emb)
    return KnowledgeIndex(
        make_session_factory(engine), emb, store, clock=clock, document_locks=document_locks
    )


@pytest.fixture
def embeddings() -> FakeEmbeddings:
    return FakeEmbeddings()


@pytest.fixture
def index(
    engine: Engine, tmp_path: Path, embeddings: FakeEmbeddings, clock: FixedClock
) -> Iterator[KnowledgeIndex]:
    idx = make_index(engine, tmp_path / "chroma", embeddings=embeddings, clock=clock)
    yield idx
    idx.close()


@pytest.fixture(scope="module")
def normalizer() -> TextNormalizer:
    """The keyword side's normaliser, as the index builds it (stemmer, stop words, lexicon)."""
    return TextNormalizer()


def encyclopedia_hit(cid: str, text: str, score: float = 1.0) -> SearchHit:
    """A retrieved passage of its own document, first page, as an encyclopaedia's would be."""
    return SearchHit(cid, f"doc-{cid}", "Ensiklopedia", text, None, 1, 0, score, language="id")


def weights_of(**features: float) -> list[float]:
    """Answer-unit weights that score by the named features only (``coverage=2.0``)."""
    weights = [0.0] * len(FEATURES)
    for name, value in features.items():
        weights[FEATURES.index(name)] = value
    return weights


def composed_text(
    question: str,
    passages: Sequence[SearchHit],
    normalizer: TextNormalizer,
    weights: Sequence[float],
) -> str:
    """The answer's text for ``question`` over ``passages``, every term weighing the same."""
    return compose(
        question,
        list(passages),
        terms=normalizer.terms,
        idf=lambda t: 1.0,
        weights=list(weights),
    ).text
