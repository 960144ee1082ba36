"""Exact dense search of a small index: the matrix, its upkeep across writes and processes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pytest
from sqlalchemy.engine import Engine
from threadpoolctl import threadpool_info, threadpool_limits

from knowledge_base.dense import build_matrix, nearest
from knowledge_base.embeddings import FakeEmbeddings
from knowledge_base.index import KnowledgeIndex, chunk_ids
from knowledge_base.schemas import ChunkInput, DocumentInput, SearchFilters
from tests.knowledge_base.conftest import make_index

Vectors = Mapping[str, npt.NDArray[np.float32]]


def _stored(vectors: dict[str, list[float]]) -> Any:
    reads: list[list[str]] = []

    def fetch(ids: Sequence[str]) -> Vectors:
        reads.append(list(ids))
        return {cid: np.asarray(vectors[cid], dtype=np.float32) for cid in ids if cid in vectors}

    return fetch, reads


def test_nearest_is_the_brute_force_ranking() -> None:
    rng = np.random.default_rng(5)
    data = rng.normal(size=(300, 16)).astype(np.float32)
    ids = [f"c{i:03d}" for i in range(300)]
    fetch, _ = _stored({cid: list(v) for cid, v in zip(ids, data, strict=True)})
    found = build_matrix(ids, fetch, 16)
    q = rng.normal(size=16).astype(np.float32)
    cosines = data @ q / np.linalg.norm(data, axis=1) / np.linalg.norm(q)
    expected = [ids[i] for i in np.argsort(-cosines)[:25]]
    got = nearest(found, q, 25)
    assert list(got) == expected
    assert list(got.values()) == pytest.approx(sorted(cosines, reverse=True)[:25], abs=1e-6)
    assert all(v == round(v, 6) for v in got.values())
    assert len(nearest(found, q, 1000)) == 300


def test_equal_cosines_rank_by_chunk_id_whatever_the_order_read() -> None:
    same = [1.0, 0.0, 0.0]
    vectors = {"b": same, "a": same, "c": [0.0, 1.0, 0.0], "d": same}
    fetch, _ = _stored(vectors)
    for order in (["b", "a", "c", "d"], ["d", "c", "b", "a"]):
        found = build_matrix(order, fetch, 3)
        assert list(nearest(found, [1.0, 0.0, 0.0], 2)) == ["a", "b"]
        assert list(nearest(found, [1.0, 0.0, 0.0], 3)) == ["a", "b", "d"]


def test_a_filter_ranks_its_rows_only() -> None:
    fetch, _ = _stored({"a": [1.0, 0.0], "b": [0.9, 0.1], "c": [0.0, 1.0]})
    found = build_matrix(["a", "b", "c"], fetch, 2)
    assert list(nearest(found, [1.0, 0.0], 2, found.rows_of(["c", "b", "gone"]))) == ["b", "c"]
    assert nearest(found, [1.0, 0.0], 2, found.rows_of([])) == {}


def test_the_next_matrix_reads_only_the_new_passages() -> None:
    vectors = {"a": [1.0, 0.0], "b": [0.0, 1.0], "c": [0.6, 0.8]}
    fetch, reads = _stored(vectors)
    first = build_matrix(["a", "b"], fetch, 2)
    second = build_matrix(["b", "c"], fetch, 2, previous=first)
    assert reads == [["a", "b"], ["c"]]
    assert second.ids == ("b", "c")
    assert list(nearest(second, [1.0, 0.0], 5)) == ["c", "b"]
    # A previous matrix of another width (another model) is not reused.
    build_matrix(["b", "c"], fetch, 3, previous=second)
    assert reads[-1] == ["b", "c"]


def test_passages_without_a_usable_vector_are_remembered_as_absent() -> None:
    fetch, _ = _stored({"a": [1.0, 0.0], "wide": [1.0, 0.0, 0.0]})
    found = build_matrix(["a", "lost", "wide"], fetch, 2)
    assert found.ids == ("a",)
    assert found.absent == ("lost", "wide")
    assert nearest(found, [1.0, 0.0, 0.0], 5) == {}  # a question of another width finds none


# ---------------------------------------------------------------------- in the index

DOCS = [
    DocumentInput(f"doc-{i}", f"Dokumen {i}", app="Gampil" if i % 2 else "e-RK", language="id")
    for i in range(6)
]
TOPICS = [
    "izin usaha perizinan menu",
    "kata sandi NIK masuk aplikasi",
    "verifikasi berkas petugas hari kerja",
    "target kinerja tahunan pegawai",
    "pengaduan warga layanan publik",
    "retribusi pasar daerah pembayaran",
]


def _chunks(i: int) -> list[ChunkInput]:
    words = TOPICS[i].split()
    return [
        ChunkInput(text=f"{' '.join(words[j:] + words[:j])} bagian {j}", position=j)
        for j in range(len(words))
    ]


def _exact(index: KnowledgeIndex, question: str, embeddings: FakeEmbeddings) -> list[str]:
    """Every live passage by its cosine with the question, computed here from the store."""
    ids = index.keywords.allowed(SearchFilters())
    stored = index.store.vectors(ids)
    q = np.asarray(embeddings.embed_query(index.rewrite(question).text))
    cosine = {
        cid: round(float(v @ q / np.linalg.norm(v) / np.linalg.norm(q)), 6)
        for cid, v in stored.items()
    }
    return sorted(cosine, key=lambda cid: (-cosine[cid], cid))


def _no_hnsw(index: KnowledgeIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a small index is not searched through HNSW")

    monkeypatch.setattr(index.store, "query", refuse)


def _reads_of(index: KnowledgeIndex, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The chunk ids whose stored vectors ``index`` reads from now on, in order."""
    read: list[str] = []
    vectors = index.store.vectors

    def counted(ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        read.extend(ids)
        return vectors(ids)

    monkeypatch.setattr(index.store, "vectors", counted)
    return read


def test_a_small_index_ranks_every_stored_vector_not_the_hnsw_graph(
    index: KnowledgeIndex, embeddings: FakeEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i, doc in enumerate(DOCS):
        index.replace_document(doc, _chunks(i))
    _no_hnsw(index, monkeypatch)
    # Every cosine counts in the ranking (the fake model's cosines are low): dense mode then
    # ranks by the cosine alone.
    index.fusion = replace(index.fusion, dense_floor=-1.0)
    question = "izin usaha lewat menu perizinan"
    hits = index.search(question, k=10, mode="dense")
    assert [h.chunk_id for h in hits] == _exact(index, question, embeddings)[:10]
    assert [h.dense_score for h in hits] == sorted(
        (h.dense_score for h in hits), key=lambda v: -(v or 0.0)
    )
    # Filters still apply: only the allowed passages, in the same order among themselves.
    gampil = index.search(question, k=10, mode="dense", filters=SearchFilters(app="Gampil"))
    assert gampil and all(h.app == "Gampil" for h in gampil)
    allowed = set(index.keywords.allowed(SearchFilters(app="Gampil")))
    assert [h.chunk_id for h in gampil] == [
        c for c in _exact(index, question, embeddings) if c in allowed
    ][:10]
    assert index.search(question, k=5, mode="hybrid")  # the hybrid search as well


def test_the_warm_up_reads_the_vectors_the_first_question_would(
    index: KnowledgeIndex, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i, doc in enumerate(DOCS[:2]):
        index.replace_document(doc, _chunks(i))
    worker = make_index(engine, tmp_path / "chroma")
    worker.warm_up()
    read = _reads_of(worker, monkeypatch)
    assert worker.search("kata sandi NIK", k=3, mode="dense")
    assert read == []
    worker.close()


def test_above_the_limit_hnsw_answers(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = make_index(engine, tmp_path / "chroma")
    index.exact_dense_limit = 3  # six passages: above it
    index.replace_document(DOCS[0], _chunks(0) + _chunks(1)[:2])
    asked: list[int] = []
    query = index.store.query

    def counted(vector: Any, n: int) -> list[tuple[str, float]]:
        asked.append(n)
        return query(vector, n)

    monkeypatch.setattr(index.store, "query", counted)
    assert index.search("izin usaha", k=3, mode="dense")
    assert asked
    index.close()


def test_another_process_follows_writes_reading_only_the_new_vectors(
    index: KnowledgeIndex,
    engine: Engine,
    tmp_path: Path,
    embeddings: FakeEmbeddings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for i, doc in enumerate(DOCS[:3]):
        index.replace_document(doc, _chunks(i))
    reader = make_index(engine, tmp_path / "chroma")
    _no_hnsw(reader, monkeypatch)
    read = _reads_of(reader, monkeypatch)
    question = "target kinerja tahunan"
    assert all(h.doc_id != "doc-3" for h in reader.search(question, k=20, mode="dense"))
    assert len(read) == sum(len(_chunks(i)) for i in range(3))  # every passage, once
    read.clear()
    index.replace_document(DOCS[3], _chunks(3))  # another process writes
    reader.fusion = replace(reader.fusion, dense_floor=-1.0)
    hits = reader.search(question, k=20, mode="dense")
    assert hits[0].doc_id == "doc-3"
    assert sorted(read) == sorted(chunk_ids("doc-3", [c.text for c in _chunks(3)]))
    assert [h.chunk_id for h in hits] == _exact(reader, question, embeddings)[:20]
    read.clear()
    index.remove_document("doc-3")
    assert all(h.doc_id != "doc-3" for h in reader.search(question, k=20, mode="dense"))
    assert read == []  # a removal reads no vector
    reader.close()


def test_a_vector_put_back_without_a_write_is_found(
    index: KnowledgeIndex, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A passage whose vector the store lacked when a process built its matrix (a write
    putting back, after its commit, the vectors another write cleaned up; a repair) is
    searched once the vector is back, though no write bumped the revision."""
    for i, doc in enumerate(DOCS[:2]):
        index.replace_document(doc, _chunks(i))
    lost = index.search("kata sandi NIK", k=1, mode="dense")[0].chunk_id
    vector = index.store.vectors([lost])[lost]
    index.store.delete([lost])
    reader = make_index(engine, tmp_path / "chroma")
    _no_hnsw(reader, monkeypatch)
    assert lost not in {h.chunk_id for h in reader.search("kata sandi NIK", k=20, mode="dense")}
    index.store.upsert([lost], np.stack([vector]), ["doc-1"])
    assert reader.search("kata sandi NIK", k=1, mode="dense")[0].chunk_id == lost
    reader.close()


def _numpy_blas_threads() -> list[int]:
    """The threads numpy's own BLAS may use (scipy loads a BLAS of its own, which numpy's
    product does not call)."""
    return [
        i["num_threads"]
        for i in threadpool_info()
        if i["user_api"] == "blas" and "numpy" in i["filepath"]
    ]


class _RecordingMatrix(np.ndarray):
    """A matrix that notes how many threads numpy's BLAS may use when it is multiplied."""

    threads: ClassVar[list[int]] = []

    def __matmul__(self, other: Any) -> Any:
        _RecordingMatrix.threads.extend(_numpy_blas_threads())
        return np.asarray(self) @ other


def test_the_product_keeps_blas_to_one_thread() -> None:
    # A multi-threaded product left BLAS threads spinning that took the CPU the next
    # question's embedding needed (docs/benchmarks.md, twelfth round).
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((50, 8)).astype(np.float32)
    found = build_matrix(
        [f"c{i:02d}" for i in range(50)],
        lambda ids: {cid: vectors[int(cid[1:])] for cid in ids},
        8,
    )
    recording = replace(found, matrix=found.matrix.view(_RecordingMatrix))
    _RecordingMatrix.threads.clear()
    with threadpool_limits(limits=2, user_api="blas"):
        best = nearest(recording, vectors[7], 3)
        assert set(_numpy_blas_threads()) == {2}
    assert next(iter(best)) == "c07"
    assert _RecordingMatrix.threads == [1]
