"""Vectors in Chroma (through langchain-chroma): on disk by default, or a Chroma server.

The index hands in vectors it computed itself (so unchanged chunks are never re-embedded) and
asks for ids and similarities only; texts and metadata live in the database. Each vector carries
its ``doc_id`` so orphans of an interrupted write can be found and removed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import numpy as np
import numpy.typing as npt
from langchain_core.embeddings import Embeddings

from core.files import private_dir
from core.locks import file_lock
from knowledge_base.errors import VectorStoreUnavailable

_log = logging.getLogger(__name__)

HNSW_EF = 200
"""HNSW build and search breadth. Chroma's default (100) missed 37 of the exact top-10 passages
of 600 TyDi questions in an index built in the same process; 200 missed 7 (docs/retrieval.md)."""

HNSW_SYNC_THRESHOLD = 10_000
"""Vectors added between two saves of the HNSW graph to disk. Chroma's default, 1,000, saves the
whole graph after every thousand vectors, so a large first ingest into a large index costs
quadratically more (docs/benchmarks.md, "Several workers"). Vectors not yet in a saved graph are
not lost: Chroma replays them from its write-ahead log when the collection is opened again."""


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def make_client(*, chroma_url: str | None, chroma_dir: Path) -> Any:
    """A Chroma client: HTTP when ``chroma_url`` is set, else a persistent on-disk client."""
    import chromadb

    try:
        if chroma_url:
            url = urlparse(chroma_url)
            ssl = url.scheme == "https"
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if ssl else 8000),
                ssl=ssl,
                settings=_chroma_settings(),
            )
        private_dir(chroma_dir)
        # Chroma creates its tables on first open; two processes opening a new folder at
        # once would both try ("table collections already exists").
        with file_lock(chroma_dir.with_name(chroma_dir.name + ".open-lock")):
            return chromadb.PersistentClient(path=str(chroma_dir), settings=_chroma_settings())
    except (ValueError, ConnectionError, OSError) as exc:
        raise VectorStoreUnavailable(service="Chroma", detail=str(exc)) from exc


_NOTHING_ON_DISK = "Nothing found on disk"


def _persist_directory(client: Any) -> Path | None:
    """Where an on-disk (persistent) client keeps its data; ``None`` for a server's client."""
    try:
        settings = client.get_settings()
    except AttributeError:
        return None
    directory = getattr(settings, "persist_directory", None)
    if not getattr(settings, "is_persistent", False) or not directory:
        return None
    return Path(directory)


@contextmanager
def _reachable() -> Iterator[None]:
    """A Chroma server that stops answering mid-run is an outage, not a crash."""
    try:
        yield
    except (httpx.TransportError, ConnectionError) as exc:
        raise VectorStoreUnavailable(
            service="Chroma", detail=str(exc) or type(exc).__name__
        ) from exc


#: The HNSW settings an existing collection is brought to by ``sinergi db upgrade``
#: (Chroma lets them change after creation; the build settings, ``ef_construction`` and
#: ``max_neighbors``, it does not).
UPGRADED_HNSW = {"ef_search": HNSW_EF, "sync_threshold": HNSW_SYNC_THRESHOLD}


def upgrade_collection(client: Any, collection: str) -> dict[str, tuple[int, int]]:
    """Raise an existing collection's HNSW settings to :data:`UPGRADED_HNSW`; what changed,
    ``{setting: (before, after)}`` (empty when nothing had to: the step is idempotent).

    A collection made before ``HNSW_SYNC_THRESHOLD`` keeps Chroma's 1,000 otherwise. The
    stored configuration changes at once; a running Chroma process applies it when it next
    loads the collection (this command, a restarted server), so run it with the workers
    stopped, as ``sinergi db upgrade`` is. A missing collection is left to be created with
    these settings.
    """
    from chromadb.errors import NotFoundError

    with _reachable():
        try:
            found = client.get_collection(collection)
        except (NotFoundError, ValueError):  # older clients say ValueError
            return {}
        hnsw = dict((getattr(found, "configuration_json", None) or {}).get("hnsw") or {})
        if not hnsw:  # a collection on another index type (SPANN): nothing of ours to raise
            return {}
        changes = {
            key: (int(hnsw.get(key) or 0), wanted)
            for key, wanted in UPGRADED_HNSW.items()
            if int(hnsw.get(key) or 0) < wanted
        }
        if changes:
            _modify(found, {"hnsw": {k: new for k, (_, new) in changes.items()}})
    return changes


LOCKED_WAITS = (0.2, 0.5, 1.0, 2.0)
"""Seconds to wait before trying a configuration change again while Chroma's own SQLite file
is locked ("database is locked": on a busy machine its background writer still holds it
right after a collection is made); the search kept Chroma's narrower default otherwise."""


def _modify(collection: Any, configuration: dict[str, Any]) -> None:
    """``collection.modify(configuration=...)``, tried again while Chroma's database is
    locked (:data:`LOCKED_WAITS`); any other error is raised as it is, a lock that outlasts
    them as :class:`VectorStoreUnavailable` (``sinergi db upgrade`` reported it as a bug)."""
    for wait in (*LOCKED_WAITS, None):
        try:
            collection.modify(configuration=configuration)
            return
        except Exception as exc:  # chromadb's InternalError, by its text
            if "database is locked" not in str(exc):
                raise
            if wait is None:
                raise VectorStoreUnavailable(
                    service="Chroma", detail="its database stayed locked"
                ) from exc
            _log.info("Chroma's database is locked: trying again in %.1f s", wait)
            time.sleep(wait)


class VectorStore:
    """One Chroma collection of chunk vectors (cosine space)."""

    def __init__(
        self,
        client: Any,
        collection: str,
        embeddings: Embeddings,
        *,
        owns_client: bool = True,
    ) -> None:
        if len(collection) < 3:
            raise ValueError("Chroma collection names need at least 3 characters")
        self._client = client
        self._owns_client = owns_client
        self.collection_name = collection
        self._embeddings = embeddings
        self._reopen_guard = threading.RLock()
        self._opened = 0
        """How many times the client was opened again (see :meth:`_run`)."""
        try:
            self._store = self._open(client)
            self._widen_search()
        except Exception as exc:  # chromadb raises transport-specific errors
            raise VectorStoreUnavailable(service="Chroma", detail=str(exc)) from exc

    def _open(self, client: Any) -> Any:
        from langchain_chroma import Chroma

        return Chroma(
            collection_name=self.collection_name,
            embedding_function=self._embeddings,
            client=client,
            collection_metadata={"hnsw:space": "cosine"},
            collection_configuration={
                "hnsw": {
                    "space": "cosine",
                    "ef_construction": HNSW_EF,
                    "ef_search": HNSW_EF,
                    "sync_threshold": HNSW_SYNC_THRESHOLD,
                }
            },
        )

    def _run(self, method: str, **arguments: Any) -> Any:
        """The collection's ``method`` called with ``arguments``; a down server is
        :class:`VectorStoreUnavailable`.

        An on-disk store this process read before any vector was written (a new data
        folder) fails every read once another process has written the first vectors:
        Chroma 1.x says "Error creating hnsw segment reader: Nothing found on disk" (two
        first ingests together: each asks which vectors exist before writing its own).
        The client is then opened again, which reads what is on disk now, and the call is
        made once more, as is a call that was under way on another thread meanwhile.
        """
        opened = self._opened
        try:
            with _reachable():
                return getattr(self._collection, method)(**arguments)
        except Exception as exc:  # chromadb's InternalError, by its text (see above)
            # Another thread opened the client again during this call, closing the one this
            # call went through (Chroma 1.5: AttributeError, 'RustBindingsAPI' object has no
            # attribute 'bindings'): made again on the new one, as the stale read is.
            reopened = self._opened != opened
            if not reopened and (_NOTHING_ON_DISK not in str(exc) or not self._reopen(opened)):
                raise
        with _reachable():
            return getattr(self._collection, method)(**arguments)

    def _reopen(self, opened: int) -> bool:
        """Open the on-disk client again (once for every thread that found it stale);
        ``False`` where it cannot be (a server, a client this store was lent)."""
        with self._reopen_guard:
            if self._opened != opened:
                return True  # another thread has opened it again meanwhile
            path = _persist_directory(self._client)
            if path is None or not self._owns_client:
                return False
            _log.info("Chroma's on-disk store changed under this process: opening it again")
            self._client.close()
            self._client = make_client(chroma_url=None, chroma_dir=path)
            self._store = self._open(self._client)
            self._opened += 1
            return True

    @property
    def hnsw(self) -> dict[str, Any]:
        """The collection's HNSW settings as Chroma reports them (empty when it reports none)."""
        config = getattr(self._collection, "configuration_json", None) or {}
        return dict(config.get("hnsw") or {})

    def _widen_search(self) -> None:
        """Collections made before ``HNSW_EF`` keep their build setting; raise their search one."""
        hnsw = self.hnsw
        if not hnsw or int(hnsw.get("ef_search") or 0) >= HNSW_EF:
            return
        try:
            _modify(self._collection, {"hnsw": {"ef_search": HNSW_EF}})
        except (httpx.TransportError, ConnectionError):
            raise  # the server is down: VectorStoreUnavailable, like any other call
        except Exception as exc:  # a server that cannot change it: search as before
            _log.warning("could not raise HNSW ef_search to %d: %s", HNSW_EF, exc)

    @property
    def _collection(self) -> Any:
        return self._store._collection

    # ------------------------------------------------------------------ writes
    def clear(self) -> None:
        """Drop every vector (the index switches to another embedding model)."""
        with _reachable(), self._reopen_guard:
            self._store.reset_collection()

    def upsert(
        self,
        ids: Sequence[str],
        vectors: Sequence[Sequence[float]] | npt.NDArray[np.float32],
        doc_ids: Sequence[str],
    ) -> None:
        if not ids:
            return
        batch = 2000  # Chroma limits the size of one write
        for start in range(0, len(ids), batch):
            end = start + batch
            part = list(ids[start:end])
            embeddings = [list(map(float, v)) for v in vectors[start:end]]
            metadatas: list[Any] = [{"doc_id": d} for d in doc_ids[start:end]]
            self._run("upsert", ids=part, embeddings=embeddings, metadatas=metadatas)

    def delete(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        for start in range(0, len(ids), 2000):
            part = list(ids[start : start + 2000])
            self._run("delete", ids=part)

    def ids_of_document(self, doc_id: str) -> list[str]:
        result = self._run("get", where={"doc_id": doc_id}, include=[])
        return list(result["ids"])

    def documents_of(self, ids: Sequence[str]) -> dict[str, str | None]:
        """The document each vector of ``ids`` was stored for (``None``: stored without one);
        an id the store does not hold is left out."""
        if not ids:
            return {}
        result = self._run("get", ids=list(ids), include=["metadatas"])
        found = list(result["ids"])
        metadatas = result["metadatas"] or [None] * len(found)
        return {
            cid: (str(meta["doc_id"]) if meta and meta.get("doc_id") is not None else None)
            for cid, meta in zip(found, metadatas, strict=True)
        }

    def existing(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        result = self._run("get", ids=list(ids), include=[])
        return set(result["ids"])

    def vectors(self, ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        """The stored vectors of ``ids`` (an id the store does not hold is left out), read
        2,000 at a time: the exact search of a small index reads every vector once."""
        out: dict[str, npt.NDArray[np.float32]] = {}
        for start in range(0, len(ids), 2000):
            part = list(ids[start : start + 2000])
            result = self._run("get", ids=part, include=["embeddings"])
            out.update(
                (i, np.asarray(v, dtype=np.float32))
                for i, v in zip(result["ids"], result["embeddings"], strict=True)
            )
        return out

    def all_ids(self, batch: int = 5000) -> Iterator[list[str]]:
        """Every vector id, a page at a time (the order is the store's own)."""
        offset = 0
        while True:
            result = self._run("get", include=[], limit=batch, offset=offset)
            ids = list(result["ids"])
            if not ids:
                return
            yield ids
            offset += len(ids)

    def count(self) -> int:
        return int(self._run("count"))

    # ------------------------------------------------------------------ queries
    def query(
        self, vector: Sequence[float] | npt.NDArray[np.float32], n: int
    ) -> list[tuple[str, float]]:
        """The ``n`` nearest chunk ids with their cosine similarity, best first."""
        if n <= 0:
            return []
        # No count() first: it is a second round trip, and Chroma caps n_results itself.
        embedding = [list(map(float, vector))]
        result = self._run("query", query_embeddings=embedding, n_results=n, include=["distances"])
        if not result["ids"]:
            return []
        ids = result["ids"][0]
        distances = result["distances"][0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]

    def close(self) -> None:
        if not self._owns_client:
            return
        closer = getattr(self._client, "close", None)
        if callable(closer):
            closer()
        else:  # chromadb < 1.1 has no close(); drop the system's caches instead
            system = getattr(self._client, "_system", None)
            stop = getattr(system, "stop", None)
            if callable(stop):
                stop()
