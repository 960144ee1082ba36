"""The Chroma store: on disk here; against a real ``chroma run`` server in CI."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.engine import Engine

from core.db import make_session_factory
from knowledge_base.embeddings import FakeEmbeddings
from knowledge_base.index import KnowledgeIndex
from knowledge_base.schemas import ChunkInput, DocumentInput
from knowledge_base.vectorstore import (
    HNSW_EF,
    HNSW_SYNC_THRESHOLD,
    VectorStore,
    make_client,
    upgrade_collection,
)
from tests.conftest import CHROMA_URL_ENV, require_server


def _exercise(store: VectorStore) -> None:
    assert store.hnsw["ef_search"] == HNSW_EF and store.hnsw["ef_construction"] == HNSW_EF
    assert store.hnsw["sync_threshold"] == HNSW_SYNC_THRESHOLD
    emb = FakeEmbeddings()
    texts = ["izin usaha Gampil", "target kinerja e-RK", "pengaduan warga Hayu"]
    store.upsert(["a", "b", "c"], emb.embed_documents(texts), ["d1", "d1", "d2"])
    assert store.count() == 3
    best = store.query(emb.embed_query("izin usaha"), 2)
    assert best[0][0] == "a" and best[0][1] > best[1][1]
    assert sorted(store.ids_of_document("d1")) == ["a", "b"]
    assert store.existing(["a", "zz"]) == {"a"}
    assert set(store.vectors(["c"])) == {"c"}
    store.delete(["a", "b"])
    assert store.count() == 1 and store.ids_of_document("d1") == []
    store.clear()
    assert store.count() == 0
    assert store.hnsw["ef_construction"] == HNSW_EF  # recreated with the same settings
    assert store.query(emb.embed_query("x"), 3) == []


def test_on_disk_store(tmp_path: Path) -> None:
    client = make_client(chroma_url=None, chroma_dir=tmp_path / "chroma")
    store = VectorStore(client, "unit_chunks", FakeEmbeddings())
    _exercise(store)
    store.close()


def test_vectors_are_read_a_page_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The exact search of a small index reads every vector (up to 20,000): in pages, as the
    writes are, not in one request of every id."""
    store = VectorStore(
        make_client(chroma_url=None, chroma_dir=tmp_path / "chroma"), "paged", FakeEmbeddings()
    )
    data = np.random.default_rng(1).normal(size=(4500, 8)).astype(np.float32)
    ids = [f"c{i}" for i in range(len(data))]
    store.upsert(ids, data, ["d"] * len(ids))
    collection = store._collection
    pages: list[int] = []
    get = collection.get

    def counted(*args: object, **kwargs: object) -> object:
        pages.append(len(kwargs.get("ids") or []))  # type: ignore[arg-type]
        return get(*args, **kwargs)

    monkeypatch.setattr(collection, "get", counted)
    found = store.vectors([*ids, "missing"])
    assert pages == [2000, 2000, 501]
    assert set(found) == set(ids)
    assert np.allclose(found["c4499"], data[4499])
    store.close()


def test_vectors_not_yet_in_a_saved_graph_survive_a_reopen(tmp_path: Path) -> None:
    """The graph is saved every HNSW_SYNC_THRESHOLD vectors; fewer than that, written and the
    process gone, are still found when the directory is opened again (Chroma's write-ahead log)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    emb = FakeEmbeddings()
    texts = [f"panduan aplikasi nomor {i}" for i in range(300)] + ["izin usaha Gampil"]
    ids = [f"c{i}" for i in range(len(texts))]
    client = make_client(chroma_url=None, chroma_dir=tmp_path / "chroma")
    store = VectorStore(client, "unit_chunks", emb)
    store.upsert(ids, emb.embed_documents(texts), ["d1"] * len(ids))
    store.close()
    del store, client
    SharedSystemClient.clear_system_cache()

    reopened = VectorStore(
        make_client(chroma_url=None, chroma_dir=tmp_path / "chroma"), "unit_chunks", emb
    )
    assert reopened.count() == len(ids)
    # Each vector as written (not only the count), and searchable. The search asks for a
    # near-duplicate: an HNSW graph of 300 near-duplicates and one outlier may leave the
    # outlier without incoming links (about 1 build in 15), so a top-1 search for the outlier
    # is not a property of the store but of HNSW.
    kept = reopened.vectors(ids)
    assert set(kept) == set(ids)
    assert np.allclose(kept[ids[-1]], emb.embed_query(texts[-1]), atol=1e-6)
    assert reopened.query(emb.embed_query(texts[7]), 1)[0][1] > 0.999
    reopened.close()


def test_an_older_collection_gets_the_wider_search(tmp_path: Path) -> None:
    client = make_client(chroma_url=None, chroma_dir=tmp_path / "chroma")
    client.create_collection("old_chunks", metadata={"hnsw:space": "cosine"})  # Chroma's defaults
    assert client.get_collection("old_chunks").configuration_json["hnsw"]["ef_search"] < HNSW_EF
    store = VectorStore(client, "old_chunks", FakeEmbeddings())
    assert store.hnsw["ef_search"] == HNSW_EF
    assert client.get_collection("old_chunks").configuration_json["hnsw"]["ef_search"] == HNSW_EF
    store.close()


def test_short_collection_names_are_refused(tmp_path: Path) -> None:
    client = make_client(chroma_url=None, chroma_dir=tmp_path / "chroma")
    with pytest.raises(ValueError):
        VectorStore(client, "ab", FakeEmbeddings())


@pytest.mark.chroma_server
def test_server_store() -> None:
    url = require_server(CHROMA_URL_ENV, "Chroma server")
    client = make_client(chroma_url=url, chroma_dir=Path("unused"))
    store = VectorStore(client, f"test_{uuid.uuid4().hex[:12]}", FakeEmbeddings())
    try:
        _exercise(store)
    finally:
        client.delete_collection(store.collection_name)
        store.close()


@pytest.mark.chroma_server
def test_index_on_a_server(sqlite_engine: Engine) -> None:
    url = require_server(CHROMA_URL_ENV, "Chroma server")
    emb = FakeEmbeddings()
    client = make_client(chroma_url=url, chroma_dir=Path("unused"))
    name = f"test_{uuid.uuid4().hex[:12]}"
    index = KnowledgeIndex(make_session_factory(sqlite_engine), emb, VectorStore(client, name, emb))
    try:
        doc = DocumentInput("gampil", "Panduan Gampil", app="Gampil")
        chunks = [ChunkInput("Panduan Gampil > Izin\nIzin usaha lewat menu Perizinan.")]
        assert index.replace_document(doc, chunks) == 1
        assert index.replace_document(doc, chunks) == 0
        assert index.search("izin usaha", k=1)[0].doc_id == "gampil"
        assert index.remove_document("gampil")
        assert index.store.count() == 0
    finally:
        client.delete_collection(name)
        index.close()


def test_a_collection_whose_search_cannot_be_widened_still_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from chromadb.api.models.Collection import Collection

    client = make_client(chroma_url=None, chroma_dir=tmp_path / "chroma")
    client.create_collection("old_chunks", metadata={"hnsw:space": "cosine"})

    def refuse(*_a: object, **_k: object) -> None:
        raise ValueError("configuration is immutable on this server")

    monkeypatch.setattr(Collection, "modify", refuse)
    store = VectorStore(client, "old_chunks", FakeEmbeddings())
    assert store.hnsw["ef_search"] < HNSW_EF  # left as it was
    assert "could not raise HNSW ef_search" in caplog.text
    emb = FakeEmbeddings()
    store.upsert(["a"], emb.embed_documents(["izin usaha Gampil"]), ["d1"])
    assert store.query(emb.embed_query("izin usaha"), 1)[0][0] == "a"
    store.close()


def test_a_locked_chroma_database_is_waited_for_when_widening_the_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a busy machine Chroma's background writer may still hold its SQLite file right after
    # a collection is made: the search kept Chroma's narrower default until the next start.
    from chromadb.api.models.Collection import Collection

    import knowledge_base.vectorstore as vectorstore

    client = make_client(chroma_url=None, chroma_dir=tmp_path / "chroma")
    client.create_collection("old_chunks", metadata={"hnsw:space": "cosine"})
    real_modify = Collection.modify
    real_sleep = vectorstore.time.sleep
    refusals = iter([True, True])
    waited: list[float] = []
    refused = {"by_chroma": False}

    def locked_twice(self: Collection, **kwargs: object) -> None:
        refused["by_chroma"] = False
        if next(refusals, False):
            raise RuntimeError("Database error: error returned from database: (code: 5) "
                               "database is locked")  # fmt: skip
        refused["by_chroma"] = True  # on a loaded machine Chroma's own lock may refuse it too
        real_modify(self, **kwargs)  # type: ignore[arg-type]

    def wait(seconds: float) -> None:
        waited.append(seconds)
        if refused["by_chroma"]:  # a real lock: wait for it as the code would
            real_sleep(seconds)

    monkeypatch.setattr(Collection, "modify", locked_twice)
    monkeypatch.setattr(vectorstore.time, "sleep", wait)
    store = VectorStore(client, "old_chunks", FakeEmbeddings())
    assert store.hnsw["ef_search"] == HNSW_EF
    # the two refusals waited for, and a real lock met after them (under load) in turn
    assert waited[:2] == list(vectorstore.LOCKED_WAITS[:2])
    assert waited == list(vectorstore.LOCKED_WAITS[: len(waited)])
    # a lock that outlasts every wait is given up on, as any other refusal: search as before
    refusals = iter([True] * 10)
    before = len(waited)
    client.create_collection("new_chunks", metadata={"hnsw:space": "cosine"})
    other = VectorStore(client, "new_chunks", FakeEmbeddings())
    assert other.hnsw["ef_search"] < HNSW_EF
    assert waited[before:] == list(vectorstore.LOCKED_WAITS)
    other.close()
    store.close()


def _graph_saved(chroma_dir: Path) -> bool:
    """Whether Chroma has saved an HNSW graph with vectors in it (its metadata file)."""
    return any(chroma_dir.glob("*/index_metadata.pickle"))


def test_db_upgrade_raises_an_older_collections_save_interval(tmp_path: Path) -> None:
    """A collection made with Chroma's defaults (a graph save every 1,000 vectors) gets
    HNSW_SYNC_THRESHOLD: once; it applies from the next opening of the collection."""
    from chromadb.api.shared_system_client import SharedSystemClient

    chroma_dir = tmp_path / "chroma"
    client = make_client(chroma_url=None, chroma_dir=chroma_dir)
    old = client.create_collection("old_chunks", metadata={"hnsw:space": "cosine"})
    assert old.configuration_json["hnsw"]["sync_threshold"] == 1000
    old.add(ids=["x"], embeddings=[[1.0] + [0.0] * 15])
    assert upgrade_collection(client, "old_chunks") == {
        "ef_search": (100, HNSW_EF),
        "sync_threshold": (1000, HNSW_SYNC_THRESHOLD),
    }
    assert upgrade_collection(client, "old_chunks") == {}  # idempotent
    assert upgrade_collection(client, "missing_chunks") == {}  # made with them when needed
    del old, client
    SharedSystemClient.clear_system_cache()

    # The next process: 1,500 more vectors and no graph saved yet (at 1,000 there would be).
    client = make_client(chroma_url=None, chroma_dir=chroma_dir)
    reopened = client.get_collection("old_chunks")
    assert reopened.configuration_json["hnsw"]["sync_threshold"] == HNSW_SYNC_THRESHOLD
    for start in range(0, 1500, 500):
        reopened.add(
            ids=[f"v{start + i}" for i in range(500)],
            embeddings=[[float(start + i), 1.0] + [0.5] * 14 for i in range(500)],
        )
    assert reopened.count() == 1501
    assert not _graph_saved(chroma_dir)
    assert upgrade_collection(client, "old_chunks") == {}


def test_with_chromas_default_interval_the_graph_is_saved_at_a_thousand(tmp_path: Path) -> None:
    """The control for the test above: the same writes, not upgraded, save a graph."""
    chroma_dir = tmp_path / "chroma"
    client = make_client(chroma_url=None, chroma_dir=chroma_dir)
    old = client.create_collection("old_chunks", metadata={"hnsw:space": "cosine"})
    for start in range(0, 1500, 500):
        old.add(
            ids=[f"v{start + i}" for i in range(500)],
            embeddings=[[float(start + i), 1.0] + [0.5] * 14 for i in range(500)],
        )
    assert _graph_saved(chroma_dir)


@pytest.mark.chroma_server
def test_db_upgrade_raises_a_server_collections_save_interval() -> None:
    url = require_server(CHROMA_URL_ENV, "Chroma server")
    client = make_client(chroma_url=url, chroma_dir=Path("unused"))
    name = f"test_{uuid.uuid4().hex[:12]}"
    client.create_collection(name, metadata={"hnsw:space": "cosine"})
    try:
        changes = upgrade_collection(client, name)
        assert changes["sync_threshold"] == (1000, HNSW_SYNC_THRESHOLD)
        again = make_client(chroma_url=url, chroma_dir=Path("unused"))
        hnsw = again.get_collection(name).configuration_json["hnsw"]
        assert (hnsw["sync_threshold"], hnsw["ef_search"]) == (HNSW_SYNC_THRESHOLD, HNSW_EF)
        assert upgrade_collection(again, name) == {}
    finally:
        client.delete_collection(name)


_FIRST_WRITER = """
import sys
from pathlib import Path
from knowledge_base.embeddings import FakeEmbeddings
from knowledge_base.vectorstore import VectorStore, make_client

client = make_client(chroma_url=None, chroma_dir=Path(sys.argv[1]))
store = VectorStore(client, "chunks", FakeEmbeddings())
store.upsert(["a", "b"], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], ["d1", "d1"])
store.close()
"""


@pytest.mark.slow
def test_a_store_opened_before_the_first_vectors_reads_another_process_s(tmp_path: Path) -> None:
    """A process that opened a new on-disk store (the bot on a new data folder; the first of
    two first ingests) reads the vectors another process writes first: Chroma failed every
    read of it afterwards ("Error creating hnsw segment reader: Nothing found on disk")."""
    chroma = tmp_path / "chroma"
    store = VectorStore(make_client(chroma_url=None, chroma_dir=chroma), "chunks", FakeEmbeddings())
    assert store.vectors(["a"]) == {}  # opened, and read, before any vector was written
    subprocess.run([sys.executable, "-c", _FIRST_WRITER, str(chroma)], check=True, timeout=300)
    assert set(store.vectors(["a", "zz"])) == {"a"}
    assert store.query([1.0, 0.1, 0.0], 1)[0][0] == "a"
    assert store.existing(["a", "b"]) == {"a", "b"}
    store.close()


def test_a_call_under_way_while_another_thread_opens_the_client_again_is_made_again(
    tmp_path: Path,
) -> None:
    """The thread that finds the on-disk store stale closes the client and opens it again; a
    read another thread was making through the closed one failed (Chroma 1.5: AttributeError
    'RustBindingsAPI' object has no attribute 'bindings') and its question with it."""
    store = VectorStore(
        make_client(chroma_url=None, chroma_dir=tmp_path / "chroma"), "chunks", FakeEmbeddings()
    )
    store.upsert(["a", "b"], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], ["d1", "d1"])
    closing = store._store._chroma_collection

    class UnderWay:
        """The collection as the other thread held it when the client was opened again."""

        def get(self, **arguments: object) -> object:
            assert store._reopen(store._opened)  # the other thread, meanwhile
            return closing.get(**arguments)

    store._store._chroma_collection = UnderWay()
    assert store.existing(["a", "b", "c"]) == {"a", "b"}
    assert store.existing(["b"]) == {"b"}  # and the next call goes through the new client
    store.close()


def test_a_lock_that_outlasts_the_waits_stops_the_upgrade_as_an_outage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sinergi db upgrade`` while another process holds Chroma's file: after the bounded
    waits it is the store being unavailable (an exit code, try again), not a crash; another
    refusal is raised at once, without waiting."""
    from chromadb.api.models.Collection import Collection

    import knowledge_base.vectorstore as vectorstore
    from knowledge_base.errors import VectorStoreUnavailable

    client = make_client(chroma_url=None, chroma_dir=tmp_path / "chroma")
    client.create_collection(
        "old_chunks", metadata={"hnsw:space": "cosine"}, configuration={"hnsw": {"ef_search": 10}}
    )
    waited: list[float] = []
    monkeypatch.setattr(vectorstore.time, "sleep", waited.append)
    refusal = "database is locked"

    def refuse(self: Collection, **kwargs: object) -> None:
        raise RuntimeError(f"Database error: (code: 5) {refusal}")

    monkeypatch.setattr(Collection, "modify", refuse)
    with pytest.raises(VectorStoreUnavailable):
        upgrade_collection(client, "old_chunks")
    assert waited == list(vectorstore.LOCKED_WAITS)  # bounded: 3.7 s in all
    waited.clear()
    refusal = "no such column"
    with pytest.raises(RuntimeError, match="no such column"):
        upgrade_collection(client, "old_chunks")
    assert waited == []
