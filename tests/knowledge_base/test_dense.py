"""Exact dense search of a small index: the matrix, its upkeep across writes and processes."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pytest
from sqlalchemy.engine import Engine
from threadpoolctl import threadpool_info, threadpool_limits

from knowledge_base.dense import FILTER_CACHE_LIMIT, RecentCache, build_matrix, nearest
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


def test_a_vector_giving_no_cosine_is_absent_not_ranked() -> None:
    # A NaN row among the n best made the cut's value NaN: the search found nothing.
    nan, inf = float("nan"), float("inf")
    fetch, _ = _stored({"a": [1.0, 0.0], "b": [0.6, 0.8], "n": [nan, 1.0], "i": [inf, 0.0]})
    found = build_matrix(["a", "b", "i", "n", "z"], _with_zero(fetch), 2)
    assert found.ids == ("a", "b")
    assert found.absent == ("i", "n", "z")
    assert nearest(found, [1.0, 0.0], 1) == {"a": 1.0}


def _with_zero(fetch: Any) -> Any:
    def read(ids: Sequence[str]) -> Vectors:
        return {**fetch(ids), "z": np.zeros(2, dtype=np.float32)}

    return read


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


def test_a_repaired_vector_is_found_and_a_lost_one_not_asked_for_at_each_search(
    index: KnowledgeIndex, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A passage whose vector the store lacked when a process built its matrix is not asked
    for again before every search (Chroma was asked at each question while it was lost);
    the repair putting it back bumps the revision, and the next matrix reads it."""
    for i, doc in enumerate(DOCS[:2]):
        index.replace_document(doc, _chunks(i))
    lost = index.search("kata sandi NIK", k=1, mode="dense")[0].chunk_id
    index.store.delete([lost])
    reader = make_index(engine, tmp_path / "chroma")
    _no_hnsw(reader, monkeypatch)
    assert lost not in {h.chunk_id for h in reader.search("kata sandi NIK", k=20, mode="dense")}
    read = _reads_of(reader, monkeypatch)
    reader.search("kata sandi NIK", k=20, mode="dense")
    reader.search("izin usaha", k=20, mode="dense")
    assert read == []
    assert index.check(repair=True).missing == 1
    assert reader.search("kata sandi NIK", k=1, mode="dense")[0].chunk_id == lost
    assert read == [lost]  # the next revision's matrix read the repaired vector only
    reader.close()


def test_a_large_index_s_filtered_search_finds_a_repaired_vector(
    index: KnowledgeIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    index.exact_dense_limit = 0  # every index is large: a filter is searched exactly
    for i, doc in enumerate(DOCS[:2]):
        index.replace_document(doc, _chunks(i))
    gampil = SearchFilters(app="Gampil")
    lost = index.search("kata sandi NIK", k=1, mode="dense", filters=gampil)[0].chunk_id
    index.store.delete([lost])
    index._matrices.clear()  # as a process that built its matrix without the vector
    index._vectors.clear()
    _no_hnsw(index, monkeypatch)
    found = index.search("kata sandi NIK", k=20, mode="dense", filters=gampil)
    assert lost not in {h.chunk_id for h in found}
    index.check(repair=True)
    assert index.search("kata sandi NIK", k=1, mode="dense", filters=gampil)[0].chunk_id == lost


def test_a_large_index_s_filtered_search_ranks_as_the_small_index_s(
    index: KnowledgeIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the limit a filter is searched over its passages' vectors: the same ranking,
    cosines and order of equal cosines (the same text in two documents) as below it."""
    index.rewrite("x")  # follow the database
    for i in (1, 3):  # two Gampil documents
        index.replace_document(DOCS[i], _chunks(i))
    twin = DocumentInput("doc-twin", "Salinan", app="Gampil", language="id")
    index.replace_document(twin, _chunks(1))  # the same passages as doc-1's
    _no_hnsw(index, monkeypatch)
    gampil = SearchFilters(app="Gampil")
    vector = np.asarray(index.embeddings.embed_query("kata sandi NIK"), dtype=np.float32)
    small = index._exact_all(vector, 6, gampil)
    large = index._exact(vector, 6, gampil)
    assert list(large.items()) == list(small.items())
    first, second = list(large)[:2]
    assert large[first] == large[second] and first < second  # twins, by chunk id


def test_each_filter_s_rows_are_kept_for_a_bounded_number_of_filters(
    index: KnowledgeIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    index.rewrite("x")  # follow the database
    for i, doc in enumerate(DOCS[:2]):
        index.replace_document(doc, _chunks(i))
    _no_hnsw(index, monkeypatch)
    vector = np.asarray(index.embeddings.embed_query("kata sandi NIK"), dtype=np.float32)
    for n in range(FILTER_CACHE_LIMIT * 3):  # filters of apps no passage has
        assert index._exact_all(vector, 3, SearchFilters(app=f"A{n}")) == {}
    assert len(index._filter_rows) == FILTER_CACHE_LIMIT
    assert index.search("kata sandi NIK", k=3, mode="dense", filters=SearchFilters(app="Gampil"))


def test_recent_cache_keeps_the_keys_used_last() -> None:
    cache: RecentCache[str, int] = RecentCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # used: "b" is now the oldest
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2


def test_recent_cache_counts_under_its_lock() -> None:
    # A put holds the lock while its dict is one key over the limit; a count taken meanwhile
    # would read it so. The count waits for the lock like every other use.
    cache: RecentCache[str, int] = RecentCache(1)
    cache.put("a", 1)
    counted: list[int] = []
    with cache._guard:  # another thread halfway through a put
        reader = threading.Thread(target=lambda: counted.append(len(cache)))
        reader.start()
        reader.join(0.2)
        assert reader.is_alive() and not counted
    reader.join(5)
    assert counted == [1]


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


def test_overlapping_products_on_two_threads_keep_one_blas_thread_and_restore_it() -> None:
    """The bot answers on several threads. With threadpoolctl's limit taken per product, the
    first product to end restored BLAS's threads under the second, and the second then left
    the process at one thread for good (it restored the count it had found). (On a machine
    where BLAS has one thread anyway, this cannot tell.)"""
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((20, 8)).astype(np.float32)
    found = build_matrix(
        [f"c{i:02d}" for i in range(20)],
        lambda ids: {cid: vectors[int(cid[1:])] for cid in ids},
        8,
    )
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, list[int]] = {}

    class Gated(np.ndarray):
        def __matmul__(self, other: Any) -> Any:
            name = threading.current_thread().name
            if name == "first":
                first_in.set()
                second_in.wait(2)  # it does not come: products take turns
            else:
                second_in.set()
                first_out.wait(10)  # the first product has ended meanwhile
            seen[name] = _numpy_blas_threads()
            return np.asarray(self) @ other

    gated = replace(found, matrix=found.matrix.view(Gated))

    def first() -> None:
        nearest(gated, vectors[1], 3)
        first_out.set()

    def second() -> None:
        first_in.wait(10)
        nearest(gated, vectors[2], 3)

    before = _numpy_blas_threads()
    threads = [threading.Thread(target=first, name="first"), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert seen == {"first": [1], threads[1].name: [1]}
    assert _numpy_blas_threads() == before  # the count found before, restored
