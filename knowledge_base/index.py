"""The knowledge index: documents and chunks in the database, vectors in Chroma, BM25 beside it.

Writes are diffs. Chunk ids are content addresses (document id + text), so a new version of a
document only embeds the passages whose text changed; vectors are written first, then one
database transaction switches the document to its new chunk set, then stale vectors are
deleted. Until that commit readers see only the old version (a vector counts only when its
chunk row is live), and an interrupted write leaves nothing but orphan vectors that the next
write of the same document reuses or deletes.

The keyword side (:mod:`knowledge_base.keyword_store`) follows the database's ``revision``
counter, so another process's writes (CLI ingest while the bot answers) become visible at the
next query without a rebuild: in this process's memory (SQLite), or in PostgreSQL itself, where
a worker holds no corpus-sized index at all.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt
from langchain_core.embeddings import Embeddings
from sqlalchemy import (
    Integer,
    LargeBinary,
    String,
    case,
    cast,
    delete,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from core.clock import Clock, SystemClock
from core.config import Settings
from core.db import is_write_locked, make_session_factory, with_busy_timeout
from core.errors import ConfigurationError, DatabaseUnavailable
from core.locks import LocalNamedLocks, NamedLocks, named_locks_for
from knowledge_base.articles import (
    asked_terms,
    closes,
    definition_match,
    documents_to_open,
    enactment_date,
    insert_articles,
)
from knowledge_base.dense import (
    EXACT_DENSE_LIMIT,
    PassageMatrix,
    RecentCache,
    build_matrix,
    nearest,
)
from knowledge_base.embeddings import build_embeddings, model_id
from knowledge_base.errors import InvalidDocument, ModelMismatch
from knowledge_base.fusion import (
    Fused,
    FusionConfig,
    by_sentences,
    fuse,
    fusion_for,
    judge,
)
from knowledge_base.judge import judge_for
from knowledge_base.keyword import TERMS_VERSION, TextNormalizer
from knowledge_base.keyword_store import InProcessKeywordStore, KeywordStore
from knowledge_base.lexicon import LexiconSource
from knowledge_base.models import (
    REVISION_META,
    KbChunk,
    KbDocument,
    KbIndexMeta,
    KbUnitVectors,
)
from knowledge_base.query import Query, QueryRewriter
from knowledge_base.question import TYPE_WORDS, QuestionInfo, question_type
from knowledge_base.rerank import Reranker, rerank
from knowledge_base.schemas import (
    Anchor,
    ChunkInput,
    DocumentInfo,
    DocumentInput,
    IndexCheck,
    SearchFilters,
    SearchHit,
    SearchMode,
    SearchResult,
)
from knowledge_base.terms_upgrade import (
    DEFAULT_BATCH as DEFAULT_TERMS_BATCH,
)
from knowledge_base.terms_upgrade import (
    TERMS_META,
    TermsStatus,
    TermsUpgrade,
    terms_status,
    upgrade_terms,
)
from knowledge_base.unit_vectors import (
    HEADER_SIZE,
    KEY_SIZE,
    SCALE_SIZE,
    UnitVectors,
    decode,
    encode,
    fits,
    similarities,
    usable,
    usable_parts,
)
from knowledge_base.units import passage_units, unit_key
from knowledge_base.vectorstore import VectorStore, make_client

Progress = Callable[[int, int], None]
"""``progress(done, total)``: texts (chunks, then their units) embedded so far out of those
that need embedding."""

MODEL_META = "embedding_model"
AUTO_TERMS_UPGRADE_LIMIT = 20_000
"""Up to this many chunks, a process that finds stale keyword terms re-derives them on open
(seconds); above it, that is ``sinergi kb reindex-terms``'s job."""
EXACT_SEARCH_LIMIT = 3000
"""In an index larger than ``knowledge_base.dense.EXACT_DENSE_LIMIT`` (searched through HNSW),
a filter that leaves at most this many chunks is searched exactly instead."""
_VECTOR_CACHE_LIMIT = 50_000
UNIT_CACHE_WAIT_S = 0.25
"""How long storing lazily computed unit vectors waits for SQLite's write lock."""
_log = logging.getLogger(__name__)


def without_repeats(chunks: Sequence[ChunkInput]) -> list[ChunkInput]:
    """``chunks`` with a passage the document already gave (same section, same text) left
    out: an OCR'd scan whose page came out hundreds of times filled each search's candidates
    (``FusionConfig.candidates``) with one text, and its other passages were never found."""
    seen: set[tuple[str | None, str]] = set()
    kept: list[ChunkInput] = []
    for chunk in chunks:
        key = (chunk.section, chunk.text)
        if key not in seen:
            seen.add(key)
            kept.append(chunk)
    return kept


def chunk_ids(doc_id: str, texts: Iterable[str]) -> list[str]:
    """Content-addressed ids: the same text in the same document keeps its id (and vector)."""
    seen: Counter[str] = Counter()
    out = []
    for text in texts:
        occurrence = seen[text]
        seen[text] += 1
        digest = hashlib.sha256(f"{doc_id}\x00{occurrence}\x00{text}".encode()).hexdigest()
        out.append(digest[:32])
    return out


def _ensure_meta(s: Session, key: str, value: str) -> None:
    """Create the meta row ``key`` unless it exists, in one statement: a concurrent first
    write (another process's first ingest) cannot make it fail with a duplicate key."""
    dialect = s.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        s.execute(
            insert(KbIndexMeta)
            .values(key=key, value=value)
            .on_conflict_do_nothing(index_elements=[KbIndexMeta.key])
        )
    elif s.get(KbIndexMeta, key) is None:  # pragma: no cover - only SQLite and PostgreSQL run
        s.add(KbIndexMeta(key=key, value=value))
        s.flush()


def _info(row: KbDocument) -> DocumentInfo:
    return DocumentInfo(
        doc_id=row.doc_id,
        title=row.title,
        app=row.app,
        doc_type=row.doc_type,
        language=row.language,
        version=row.version,
        uploader=row.uploader,
        source_name=row.source_name,
        source_hash=row.source_hash,
        original_path=row.original_path,
        media_type=row.media_type,
        chunk_count=row.chunk_count,
        ingested_at=row.ingested_at,
    )


def _anchors_json(anchors: Sequence[Anchor]) -> list[list[Any]] | None:
    return [list(a) for a in anchors] or None


def _anchors(stored: Any) -> tuple[Anchor, ...]:
    """Anchors as stored (JSON lists), tolerant of rows written without them."""
    if not isinstance(stored, list):
        return ()
    out: list[Anchor] = []
    for item in stored:
        if isinstance(item, list) and len(item) == 3 and isinstance(item[0], int):
            page = item[1] if isinstance(item[1], int) else None
            section = item[2] if isinstance(item[2], str) else None
            out.append((item[0], page, section))
    return tuple(out)


def keyword_store_for(session_factory: sessionmaker[Session], where: str = "auto") -> KeywordStore:
    """The keyword side for a database: in PostgreSQL itself when it is PostgreSQL (``auto``
    or ``database``), else in this process (SQLite, or ``process``)."""
    bind = session_factory.kw.get("bind")
    dialect = getattr(getattr(bind, "dialect", None), "name", "")
    if where == "database" and dialect != "postgresql":
        raise ConfigurationError(detail="SINERGI_KEYWORD_INDEX=database needs PostgreSQL")
    if dialect == "postgresql" and where in ("auto", "database"):
        from knowledge_base.pg_keyword import PostgresKeywordStore

        return PostgresKeywordStore(session_factory)
    return InProcessKeywordStore()


def _filtered(filters: SearchFilters | None) -> bool:
    return filters is not None and not filters.is_empty


PREFILTER_TERMS = 400
"""At most this many terms of a meaning question pick the definitions passages to read by
their stored terms (one LIKE a term, joined by OR: SQLite refuses a statement of more than
1,000 such, and a question naming a few trainers' synonym groups of 20 expressions asks more);
a question of more terms has every definitions passage of its documents read."""


class KnowledgeIndex:
    """Hybrid (dense + BM25) index of document chunks with diff-based updates."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        embeddings: Embeddings,
        store: VectorStore,
        *,
        clock: Clock | None = None,
        fusion: FusionConfig | None = None,
        normalizer: TextNormalizer | None = None,
        lexicon: LexiconSource | None = None,
        reranker: Reranker | None = None,
        rerank_top_n: int = 20,
        rerank_weight: float = 0.5,
        keyword_store: KeywordStore | None = None,
        batch_size: int = 32,
        unit_vectors: bool = True,
        document_locks: NamedLocks | None = None,
        exact_dense_limit: int = EXACT_DENSE_LIMIT,
    ) -> None:
        self._sf = session_factory
        self.embeddings = embeddings
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.model_id = model_id(embeddings)
        self.fusion = fusion if fusion is not None else fusion_for(self.model_id)
        self.judge = judge_for(self.model_id)
        self.normalizer = normalizer or TextNormalizer()
        self.lexicon = lexicon if lexicon is not None else LexiconSource()
        self._rewriter = QueryRewriter(self.normalizer)
        self.reranker = reranker
        self.rerank_top_n = rerank_top_n
        self.rerank_weight = rerank_weight
        self.batch_size = batch_size
        self.unit_vectors = unit_vectors
        """Whether chunks' units (sentences...) get vectors (see ``unit_vectors``)."""
        self.exact_dense_limit = exact_dense_limit
        """Up to this many passages, the dense search reads every stored vector instead of
        Chroma's HNSW graph (:mod:`knowledge_base.dense`)."""
        self._lock = threading.RLock()
        # One writer per document at a time, across processes (see ``replace_document``).
        self._document_locks: NamedLocks = document_locks or LocalNamedLocks()
        self.keywords: KeywordStore = keyword_store or keyword_store_for(session_factory)
        self._revision = -1
        self._terms_current = True
        self._vectors: dict[str, npt.NDArray[np.float32]] = {}
        self._vector_width: int | None = None
        self._matrices: RecentCache[SearchFilters, PassageMatrix]
        self._matrices = RecentCache()
        # The exact dense search of a small index (knowledge_base.dense): the matrix of
        # every live passage and the revision it was built at, and each filter's rows in it.
        self._passages: tuple[int, PassageMatrix] | None = None
        self._filter_rows: RecentCache[SearchFilters, tuple[PassageMatrix, npt.NDArray[np.intp]]]
        self._filter_rows = RecentCache()

    def options(self) -> dict[str, Any]:
        """The query settings of this index, to open another index that answers the same way
        (an evaluation's scratch index)."""
        return {
            "normalizer": self.normalizer,
            "lexicon": self.lexicon,
            "reranker": self.reranker,
            "rerank_top_n": self.rerank_top_n,
            "rerank_weight": self.rerank_weight,
            "unit_vectors": self.unit_vectors,
            "exact_dense_limit": self.exact_dense_limit,
        }

    @property
    def session_factory(self) -> sessionmaker[Session]:
        """The database the index (and the question log beside it) lives in."""
        return self._sf

    # ------------------------------------------------------------------ documents
    def document(self, doc_id: str) -> DocumentInfo | None:
        """The indexed version of ``doc_id``, or ``None``."""
        with self._sf() as s:
            row = s.get(KbDocument, doc_id)
            return _info(row) if row is not None else None

    def list_documents(self) -> list[DocumentInfo]:
        """Every indexed document, by title."""
        with self._sf() as s:
            rows = s.scalars(select(KbDocument).order_by(KbDocument.title, KbDocument.doc_id))
            return [_info(r) for r in rows]

    def chunk_count(self) -> int:
        with self._sf() as s:
            return int(s.scalar(select(func.count()).select_from(KbChunk)) or 0)

    # ------------------------------------------------------------------ writes
    def replace_document(
        self,
        doc: DocumentInput,
        chunks: Sequence[ChunkInput],
        progress: Progress | None = None,
    ) -> int:
        """Index ``chunks`` as the new version of ``doc``; returns the number of chunks embedded.

        Chunk texts the previous version already had are not embedded again, nor are the units
        (sentences, list items, table rows) of chunks that already have their unit vectors.
        ``progress`` counts the texts embedded: chunks, then units. Readers keep
        seeing the old version until the new one is fully written; on any error the old version
        stays in place.

        Two writes of one document (the same file uploaded during its re-ingest, by another
        process) are done one after the other: each holds the document's lock across
        processes from its first vector to its last clean-up, so neither can take the other's
        new vectors for stale ones and leave the live version without them.
        """
        if not doc.doc_id.strip() or not doc.title.strip():
            raise InvalidDocument(detail="doc_id and title are required")
        chunks = without_repeats(chunks)
        texts = [c.text for c in chunks]
        if not texts or not any(t.strip() for t in texts):
            raise InvalidDocument(detail=f"{doc.doc_id}: no text to index")
        with self._document_locks.hold(doc.doc_id):
            return self._replace_document(doc, chunks, texts, progress)

    def _replace_document(
        self,
        doc: DocumentInput,
        chunks: Sequence[ChunkInput],
        texts: list[str],
        progress: Progress | None,
    ) -> int:
        self._check_model(writing=True)
        ids = chunk_ids(doc.doc_id, texts)

        # 1. Vectors first: only texts the store does not hold yet are embedded; the same
        # for the units (sentences) of chunks that have no unit vectors yet.
        present = self.store.existing(ids)
        todo = [i for i, cid in enumerate(ids) if cid not in present]
        todo_unique: dict[str, int] = {}
        for i in todo:
            todo_unique.setdefault(ids[i], i)
        order = list(todo_unique.values())
        unit_work = self._units_to_embed(
            list(
                dict.fromkeys(
                    (cid, c.text, doc.title, c.section) for cid, c in zip(ids, chunks, strict=True)
                )
            )
        )
        unit_texts = list(dict.fromkeys(t for _, reads in unit_work for t in reads.values()))
        total = len(order) + len(unit_texts)
        if progress is not None:
            progress(0, total)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            vectors = self.embeddings.embed_documents([texts[i] for i in batch])
            self.store.upsert([ids[i] for i in batch], vectors, [doc.doc_id] * len(batch))
            if progress is not None:
                progress(min(start + len(batch), len(order)), total)
        unit_rows = self._embed_units(
            unit_work,
            unit_texts,
            (lambda done: progress(len(order) + done, total)) if progress is not None else None,
        )

        # 2. One transaction switches the document to the new chunk set.
        now = self.clock.now()
        with self._sf.begin() as s:
            revision = self._bump_revision(s)
            self._record_model(s)
            self._record_terms_version(s)
            rows = s.scalars(select(KbChunk).where(KbChunk.doc_id == doc.doc_id))
            old = {c.chunk_id: c for c in rows}
            row = s.get(KbDocument, doc.doc_id)
            if row is None:
                row = KbDocument(doc_id=doc.doc_id)
                s.add(row)
            for field in (
                "title",
                "app",
                "doc_type",
                "language",
                "version",
                "uploader",
                "source_name",
                "source_hash",
                "original_path",
                "media_type",
            ):
                setattr(row, field, getattr(doc, field))
            row.chunk_count = len(ids)
            row.revision = revision
            row.ingested_at = now
            s.flush()
            keep = set(ids)
            stale = [cid for cid in old if cid not in keep]
            removed_terms = [old[cid].terms for cid in stale]
            if stale:
                s.execute(delete(KbChunk).where(KbChunk.chunk_id.in_(stale)))
            added_terms: list[str] = []
            for cid, chunk in zip(ids, chunks, strict=True):
                existing = old.get(cid)
                if existing is not None:
                    existing.position = chunk.position
                    existing.section = chunk.section
                    existing.page = chunk.page
                    existing.anchors = _anchors_json(chunk.anchors)
                    continue
                terms = " ".join(self.normalizer.terms(chunk.text))
                added_terms.append(terms)
                s.add(
                    KbChunk(
                        chunk_id=cid,
                        doc_id=doc.doc_id,
                        position=chunk.position,
                        section=chunk.section,
                        page=chunk.page,
                        text=chunk.text,
                        terms=terms,
                        anchors=_anchors_json(chunk.anchors),
                    )
                )
            self.keywords.record_write(s, added=added_terms, removed=removed_terms)
            if unit_rows:
                s.flush()
                self._store_units(s, unit_rows)

        # Another write of this document (the same file uploaded again during a re-ingest)
        # may have cleaned up its vectors before this version was committed: put them back.
        self._restore_vectors(doc.doc_id, ids, texts)

        # 3. Stale and orphan vectors go last; a failure here only leaves unused vectors. The
        # store is read before the database, so a version another write committed meanwhile
        # is seen there, and its vectors are not taken for orphans.
        unused = (set(self.store.ids_of_document(doc.doc_id)) - keep) | set(stale)
        if unused:
            unused -= self._committed_chunk_ids(doc.doc_id)
        self.store.delete(sorted(unused))
        self._sync()
        return len(order)

    def _live_chunk_ids(self, chunk_ids: Sequence[str]) -> set[str]:
        """Those of ``chunk_ids`` that are passages in the database now."""
        live: set[str] = set()
        with self._sf() as s:
            for start in range(0, len(chunk_ids), 1000):
                part = chunk_ids[start : start + 1000]
                live.update(s.scalars(select(KbChunk.chunk_id).where(KbChunk.chunk_id.in_(part))))
        return live

    def _committed_chunk_ids(self, doc_id: str) -> set[str]:
        with self._sf() as s:
            return set(s.scalars(select(KbChunk.chunk_id).where(KbChunk.doc_id == doc_id)))

    def _restore_vectors(self, doc_id: str, ids: Sequence[str], texts: Sequence[str]) -> None:
        """Embed again the chunks of ``ids`` still in the database whose vectors are gone."""
        present = self.store.existing(ids)
        if len(present) == len(set(ids)):
            return
        committed = self._committed_chunk_ids(doc_id)
        lost = list(
            {
                cid: text
                for cid, text in zip(ids, texts, strict=True)
                if cid not in present and cid in committed
            }.items()
        )
        for start in range(0, len(lost), self.batch_size):
            batch = lost[start : start + self.batch_size]
            vectors = self.embeddings.embed_documents([text for _, text in batch])
            self.store.upsert([cid for cid, _ in batch], vectors, [doc_id] * len(batch))
        if lost:
            self._vectors_put_back()

    def _vectors_put_back(self) -> None:
        """Tell every process that vectors of live passages are back in the store: a new
        revision, so the next search's matrix (:mod:`knowledge_base.dense`) reads them."""
        with self._sf.begin() as s:
            self._bump_revision(s)

    def remove_document(self, doc_id: str) -> bool:
        """Remove ``doc_id`` and all its chunks from every index; ``False`` if it was unknown."""
        with self._document_locks.hold(doc_id):
            return self._remove_document(doc_id)

    def _remove_document(self, doc_id: str) -> bool:
        with self._sf.begin() as s:
            row = s.get(KbDocument, doc_id)
            if row is None:
                return False
            self._bump_revision(s)  # first: writers take the revision row in the same order
            rows = s.execute(
                select(KbChunk.chunk_id, KbChunk.terms).where(KbChunk.doc_id == doc_id)
            ).all()
            ids = [r.chunk_id for r in rows]
            self.keywords.record_write(s, added=(), removed=[r.terms for r in rows])
            s.execute(delete(KbChunk).where(KbChunk.doc_id == doc_id))
            s.delete(row)
        self.store.delete(sorted(set(ids) | set(self.store.ids_of_document(doc_id))))
        self._sync()
        return True

    def check(self, *, repair: bool = False, progress: Progress | None = None) -> IndexCheck:
        """Compare the passages in the database with the vectors in Chroma.

        With ``repair``, passages without a vector are embedded again from their stored text
        (no original file needed), vectors without a passage are deleted and the sentence
        (unit) vectors of rows that cannot be used (``IndexCheck.damaged_units``) are embedded
        again. ``progress`` counts passages checked out of all passages. A document is
        repaired under its lock, as it stands then (a write of it may run meanwhile).
        """
        total = self.chunk_count()
        missing: list[tuple[str, str, str]] = []
        known = 0
        last = ""
        while True:
            with self._sf() as s:
                rows = s.execute(
                    select(KbChunk.chunk_id, KbChunk.doc_id, KbChunk.text)
                    .where(KbChunk.chunk_id > last)
                    .order_by(KbChunk.chunk_id)
                    .limit(1000)
                ).all()
            if not rows:
                break
            present = self.store.existing([r.chunk_id for r in rows])
            missing.extend(
                (r.chunk_id, r.doc_id, r.text) for r in rows if r.chunk_id not in present
            )
            known += len(rows)
            last = rows[-1].chunk_id
            if progress is not None:
                progress(known, total)
        orphans: list[str] = []
        vectors = 0
        for ids in self.store.all_ids():
            vectors += len(ids)
            live = self._live_chunk_ids(ids)
            orphans.extend(i for i in ids if i not in live)
        damaged = self._damaged_units_read()
        found = IndexCheck(known, vectors, len(missing), len(orphans), damaged_units=damaged)
        if not repair or found.consistent:
            return found
        self._check_model(writing=True)
        # Each document's passages are repaired under its lock, as they stand then: a write
        # of the document (a re-ingest by the bot or another command) may have run since they
        # were read, and one still running has stored its new vectors before committing its
        # passages, vectors the scan took for orphans.
        pending: dict[str, list[tuple[str, str]]] = {}
        restored = False
        for cid, doc_id, text in missing:
            pending.setdefault(doc_id, []).append((cid, text))
        for doc_id, items in pending.items():
            with self._document_locks.hold(doc_id):
                live = self._committed_chunk_ids(doc_id)
                todo = [(cid, text) for cid, text in items if cid in live]
                for start in range(0, len(todo), self.batch_size):
                    batch = todo[start : start + self.batch_size]
                    embedded = self.embeddings.embed_documents([text for _, text in batch])
                    self.store.upsert([c for c, _ in batch], embedded, [doc_id] * len(batch))
                    restored = True
        stray: dict[str | None, list[str]] = {}
        for start in range(0, len(orphans), 1000):
            for cid, doc in self.store.documents_of(orphans[start : start + 1000]).items():
                stray.setdefault(doc, []).append(cid)
        for doc, ids in stray.items():
            with self._document_locks.hold(doc) if doc is not None else nullcontext():
                live = self._live_chunk_ids(ids)
                self.store.delete([cid for cid in ids if cid not in live])
        if restored:
            self._vectors_put_back()
        if damaged:
            self.fill_unit_vectors()  # the damaged rows count as missing there
        return replace(found, repaired=True)

    # ------------------------------------------------------------------ metadata
    def _meta(self, s: Session, key: str) -> str | None:
        row = s.get(KbIndexMeta, key)
        return row.value if row is not None else None

    def _bump_revision(self, s: Session) -> int:
        # One UPDATE computes the new value in the database: two writers (two processes'
        # first ingest) each get their own revision, and the row lock orders them.
        _ensure_meta(s, REVISION_META, "0")
        value = KbIndexMeta.value
        s.execute(
            update(KbIndexMeta)
            .where(KbIndexMeta.key == REVISION_META)
            .values(value=cast(cast(value, Integer) + 1, String))
            # "fetch": a row this session already loaded is refreshed, not left stale
            .execution_options(synchronize_session="fetch")
        )
        return int(s.scalar(select(value).where(KbIndexMeta.key == REVISION_META)) or 0)

    def _record_model(self, s: Session) -> None:
        _ensure_meta(s, MODEL_META, self.model_id)
        row = s.get(KbIndexMeta, MODEL_META)
        if row is not None and row.value != self.model_id:
            # Only reachable when the index was emptied: adopt the new model.
            row.value = self.model_id

    def _record_terms_version(self, s: Session) -> None:
        # A first document. An older version stays recorded until every stored row has been
        # re-derived (knowledge_base.terms_upgrade): new rows alone do not make the index current.
        _ensure_meta(s, TERMS_META, TERMS_VERSION)

    def _refresh_terms(self) -> None:
        """Bring stored terms made by another normalisation up to date, or say they are not.

        Runs when a process first opens the index. A small index (up to
        ``AUTO_TERMS_UPGRADE_LIMIT`` chunks) is upgraded right here, in batches
        (:func:`knowledge_base.terms_upgrade.upgrade_terms`); a larger one is left to
        ``sinergi kb reindex-terms`` (or ``sinergi db upgrade``) and searched meanwhile with
        ``terms_current`` false, its confident answers shown as tentative.
        """
        status = terms_status(self._sf)
        if not status.current and status.chunks <= AUTO_TERMS_UPGRADE_LIMIT:
            done = upgrade_terms(self._sf, self.normalizer, self.keywords)
            _log.info(
                "keyword terms re-derived (v%s -> v%s): %d chunks changed",
                done.from_version,
                TERMS_VERSION,
                done.changed_chunks,
            )
            status = terms_status(self._sf)
        self._note_terms(status)

    def _note_terms(self, status: TermsStatus) -> None:
        if not status.current and self._terms_current:
            _log.warning(
                "keyword terms of %d of %d chunks are from normalisation v%s, not v%s: answers "
                "are shown as tentative until `sinergi kb reindex-terms` has finished",
                status.chunks - status.chunks_done,
                status.chunks,
                status.stored_version,
                TERMS_VERSION,
            )
        self._terms_current = status.current

    @property
    def terms_current(self) -> bool:
        """Whether every stored row has this version's keyword terms (see ``terms_upgrade``)."""
        self._sync()
        return self._terms_current

    def upgrade_terms(
        self, *, batch: int = DEFAULT_TERMS_BATCH, progress: Progress | None = None
    ) -> TermsUpgrade:
        """Re-derive stored terms of another normalisation, ``batch`` rows per transaction."""
        done = upgrade_terms(
            self._sf, self.normalizer, self.keywords, batch=batch, progress=progress
        )
        self._sync()
        return done

    def recorded_model(self) -> str | None:
        """The embedding model that built the index (``None`` before the first document)."""
        with self._sf() as s:
            return self._meta(s, MODEL_META)

    def _check_model(self, *, writing: bool = False) -> None:
        with self._sf() as s:
            recorded = self._meta(s, MODEL_META)
            if recorded is None or recorded == self.model_id:
                return
            has_docs = s.scalar(select(func.count()).select_from(KbDocument)) or 0
        if writing and not has_docs:
            # An empty index may switch models; its leftover vectors must go with the old one.
            self.store.clear()
            self._vector_width = None
            return
        raise ModelMismatch(index_model=recorded, configured_model=self.model_id)

    # ------------------------------------------------------------------ sync
    def _sync(self) -> None:
        """Follow the database: reload documents written since this process last looked."""
        if self._revision < 0:
            self._refresh_terms()
        with self._sf() as s:
            value = self._meta(s, REVISION_META)
            revision = int(value) if value is not None else 0
            if revision == self._revision:
                return
            with self._lock:
                if revision == self._revision:
                    return
                if self._revision < 0:
                    self._check_recorded_model(s)
                self.keywords.follow(s, self._revision, revision)
                self._matrices.clear()
                if not self._terms_current and self._meta(s, TERMS_META) == TERMS_VERSION:
                    self._terms_current = True  # an upgrade (another process's) finished
                self._revision = revision

    def _check_recorded_model(self, s: Session) -> None:
        recorded = self._meta(s, MODEL_META)
        if recorded is not None and recorded != self.model_id:
            has_docs = s.scalar(select(func.count()).select_from(KbDocument)) or 0
            if has_docs:
                raise ModelMismatch(index_model=recorded, configured_model=self.model_id)

    # ------------------------------------------------------------------ search
    def search(
        self,
        query: str,
        *,
        k: int = 5,
        filters: SearchFilters | None = None,
        mode: SearchMode = "hybrid",
    ) -> list[SearchHit]:
        """The ``k`` best passages for ``query``, best first (fused score, see ``fusion``)."""
        return list(self.retrieve(query, k=k, filters=filters, mode=mode).hits)

    def retrieve(
        self,
        query: str,
        *,
        k: int = 5,
        filters: SearchFilters | None = None,
        mode: SearchMode = "hybrid",
        language: str | None = None,
    ) -> SearchResult:
        """Like :meth:`search`, plus whether the best hit is relevant enough to answer from.

        ``language`` is the question's; English questions are judged without the keyword
        coverage (see ``FusionConfig.english_tentative_dense``).
        """
        self._sync()
        if not query.strip():
            return SearchResult((), False)
        rewritten = self._rewrite(query, language=language)
        cfg = self.fusion
        n = max(cfg.candidates, k)
        allowed = self.keywords.live_count(filters)
        if allowed == 0:
            return SearchResult((), False, query=rewritten)
        keyword: dict[str, float] = {}
        if mode != "dense" and rewritten.weights:
            keyword = self.keywords.search(rewritten.weights, n, filters)
        dense: dict[str, float] = {}
        vector: npt.NDArray[np.float32] | None = None
        if mode != "keyword":
            vector = np.asarray(
                self.embeddings.embed_query(rewritten.embedding_text), dtype=np.float32
            )
            dense = self._dense(vector, n, allowed, filters)
        if mode == "dense":
            keyword = {}
        # Words that only say what kind of answer is wanted ("cara", "batas waktu") need not
        # stand in the passage (as in the answer checks, knowledge_base.question.TYPE_WORDS).
        asked = set(self.normalizer.terms(TYPE_WORDS.get(question_type(rewritten.text), "")))
        pairs = [p for p in rewritten.concept_pairs if not set(p[0]) <= asked]
        coverage = self.keywords.concept_coverages(
            pairs or rewritten.concept_pairs, set(dense) | set(keyword)
        )
        # The single-search modes are the baselines: no coverage bonus in their ranking.
        ranking = cfg if mode == "hybrid" else replace(cfg, coverage_weight=0.0)
        if language == "en" and cfg.english_dense_floor is not None:
            ranking = replace(ranking, dense_floor=cfg.english_dense_floor)
        fused = fuse(dense, keyword, coverage=coverage, config=ranking)
        read: dict[str, UnitVectors] = {}
        cosines: dict[str, dict[bytes, float]] = {}
        if mode == "hybrid" and vector is not None and cfg.sentence_weight > 0:
            best = self._best_sentences(fused, vector, cfg, read, cosines)
            fused = by_sentences(fused, best, cfg)
        rerank_pool = self.rerank_top_n if self.reranker is not None and mode == "hybrid" else 0
        if not fused:
            return SearchResult((), False, query=rewritten)
        hits = self._distinct_hits(fused, max(k, rerank_pool))
        if hits and rerank_pool:
            assert self.reranker is not None
            scores = self.reranker.score(rewritten.text, [h.text for h in hits])
            hits = rerank(hits, scores, weight=self.rerank_weight)
        hits = hits[:k]
        if not hits:
            return SearchResult((), False, query=rewritten)
        if vector is not None:
            hits = self._with_cosines(hits, vector)
        lowest = min(dense.values()) if dense else None
        top_dense = hits[0].dense_score if hits[0].dense_score is not None else lowest
        confident, tentative = judge(
            hits[0].score, hits[0].coverage, cfg, top_dense, language=language
        )
        stale = not self._terms_current
        held_back = confident and stale
        if held_back:
            # Some passages still hold another normalisation's terms (an upgrade is running):
            # the coverage behind the verdict may be off, so the answer carries the caveat.
            confident, tentative = False, True
        return SearchResult(
            tuple(hits),
            confident,
            tentative,
            query=rewritten,
            query_vector=vector,
            terms_stale=stale,
            held_back=held_back,
            unit_vectors=read,
            unit_cosines=cosines,
        )

    def with_articles(
        self,
        hits: Sequence[SearchHit],
        info: QuestionInfo,
        query: Query | None,
        query_vector: npt.ArrayLike | None = None,
        filters: SearchFilters | None = None,
    ) -> list[SearchHit]:
        """``hits`` with the passages the question's type points at in the retrieved
        regulations (:mod:`knowledge_base.articles`): for "Apa yang dimaksud dengan X?" the
        definitions-article passages that define X, for "Kapan PP 38/2017 ditetapkan?" the
        closing lines. Each is placed after its document's best passage; documents without
        such passages (and questions that ask neither) get ``hits`` unchanged, with one read
        of the named documents' matching passages at most."""
        docs = documents_to_open(hits, info)
        if not docs:
            return list(hits)
        dated = enactment_date(info)
        pattern = "%ditetapkan di%" if dated else "%adalah%"
        terms = self.normalizer.terms
        own = terms(query.text) if query is not None and not dated else []
        asked = asked_terms(own, query.concept_pairs if query is not None else ())
        where: list[ColumnElement[bool]] = [
            KbChunk.doc_id.in_(docs),
            func.lower(KbChunk.text).like(pattern),
        ]
        if not dated and self._terms_current and len(asked) <= PREFILTER_TERMS:
            # An entry defines what the question asks only if all its terms are the
            # question's, so its passage holds one of them: passages whose stored terms hold
            # none are not read (a regulation of 5,000 definitions passages read each entry).
            # While an upgrade rewrites the stored terms, every passage is read as before, and
            # so for a question of more terms than one statement can test (PREFILTER_TERMS).
            spaced = " " + KbChunk.terms + " "
            held = (spaced.contains(f" {t} ", autoescape=True) for t in sorted(asked))
            where.append(or_(false(), *held))
        with self._sf() as s:
            rows = list(
                s.execute(
                    select(KbChunk.chunk_id, KbChunk.doc_id, KbChunk.text)
                    .where(*where)
                    .order_by(KbChunk.doc_id, KbChunk.position)
                )
            )
        chosen: list[str] = []
        if dated:
            # The regulation the question names: the first document that has its closing.
            for doc in docs:
                found = next((r.chunk_id for r in rows if r.doc_id == doc and closes(r.text)), None)
                if found is not None:
                    chosen.append(found)
                    break
        elif info.asks_meaning:
            matches = {r.chunk_id: definition_match(r.text, asked, terms, own) for r in rows}
            best = max(matches.values(), default=(0, 0))
            chosen.extend(cid for cid, n in matches.items() if best[1] and n == best)
        chosen = self.keywords.admit(list(dict.fromkeys(chosen)), filters) if chosen else []
        if not chosen:
            return list(hits)
        coverage = self.coverages(query, chosen) if query is not None else {}
        cosines = (
            self._passage_cosines(chosen, np.asarray(query_vector, dtype=np.float32))
            if query_vector is not None
            else {}
        )
        added = self._hits(
            [Fused(cid, 0.0, cosines.get(cid), None, coverage.get(cid, 0.0)) for cid in chosen]
        )
        return insert_articles(hits, added)

    def _best_sentences(
        self,
        fused: Sequence[Fused],
        vector: npt.NDArray[np.float32],
        cfg: FusionConfig,
        read: dict[str, UnitVectors],
        cosines: dict[str, dict[bytes, float]],
    ) -> dict[str, float]:
        """The question's best cosine with a sentence (unit) of each of the first passages,
        from the stored unit vectors (one read, kept in ``read`` for the answer, and every
        unit's cosine kept in ``cosines``; nothing is embedded while the official waits)."""
        if not self.unit_vectors:
            return {}
        ids = [f.chunk_id for f in fused[: cfg.sentence_depth]]
        dimensions = np.asarray(vector).size
        read.update(
            (cid, units) for cid, units in self._read_units(ids).items() if fits(units, dimensions)
        )
        sims = similarities({cid: read[cid] for cid in ids if cid in read}, vector)
        cosines.update(sims)
        return {cid: max(values.values()) for cid, values in sims.items() if values}

    def _with_cosines(
        self, hits: list[SearchHit], vector: npt.NDArray[np.float32]
    ) -> list[SearchHit]:
        """``hits`` with the question's cosine on those the keyword search alone found.

        Such a passage was not among the dense candidates, but it is judged and scored on its
        meaning like any other: without its cosine, a passage sharing one common word with an
        off-topic question ("Apa kabar?" and a "surat kabar") looked as close in meaning as
        the best, and no cosine floor applied to it.
        """
        missing = [h.chunk_id for h in hits if h.dense_score is None]
        if not missing:
            return hits
        cosines = self._passage_cosines(missing, vector)
        return [
            replace(hit, dense_score=cosines[hit.chunk_id])
            if hit.dense_score is None and hit.chunk_id in cosines
            else hit
            for hit in hits
        ]

    def _passage_cosines(
        self, chunk_ids: Sequence[str], vector: npt.NDArray[np.float32]
    ) -> dict[str, float]:
        """The question's cosine with each stored passage vector of ``chunk_ids`` (rounded as
        the dense search's scores are); a passage without a stored vector is left out."""
        q = vector / (np.linalg.norm(vector) or 1.0)
        return {
            cid: round(float(found @ q / (np.linalg.norm(found) or 1.0)), 6)
            for cid, found in self.store.vectors(list(chunk_ids)).items()
        }

    def rewrite(self, question: str, *, language: str | None = None) -> Query:
        """``question`` as the searches read it: formal words, typos corrected against this
        index's vocabulary, synonyms (see :mod:`knowledge_base.query`)."""
        self._sync()
        return self._rewrite(question, language=language)

    def _rewrite(self, question: str, *, language: str | None) -> Query:
        # The caller has just followed the database (``_sync``): one revision read per search.
        keywords = self.keywords
        keywords.prefetch(self.normalizer.terms(question))  # one round trip, not one per word
        return self._rewriter.rewrite(
            question,
            self.lexicon.current(),
            known=lambda term: keywords.df(term) > 0,
            candidates=keywords.terms_like,
            frequency=keywords.df,
            language=language,
            prefetch=keywords.prefetch,
        )

    def _dense(
        self,
        vector: npt.NDArray[np.float32],
        n: int,
        allowed: int,
        filters: SearchFilters | None = None,
    ) -> dict[str, float]:
        live = self.keywords.live_count(None)
        if live <= self.exact_dense_limit:
            return self._exact_all(vector, n, filters)
        if filters is not None and _filtered(filters) and allowed <= EXACT_SEARCH_LIMIT:
            return self._exact(vector, n, filters)
        live = max(live, 1)
        fetch = n if not _filtered(filters) else min(live, math.ceil(n * live / allowed * 1.5) + n)
        # Fetch a little more than asked: stale vectors of a document being replaced are dropped.
        found = self.store.query(vector, fetch + 8)
        admitted = set(self.keywords.admit([cid for cid, _ in found], filters))
        out: dict[str, float] = {}
        for cid, sim in found:
            if cid not in admitted:
                continue
            out[cid] = sim
            if len(out) >= n:
                break
        return out

    def _exact_all(
        self,
        vector: npt.NDArray[np.float32],
        n: int,
        filters: SearchFilters | None,
    ) -> dict[str, float]:
        """The ``n`` nearest passages ``filters`` allows, by every stored vector of the index
        (:mod:`knowledge_base.dense`): the same candidates in every process, unlike HNSW."""
        found = self._passage_matrix(int(np.asarray(vector).size))
        rows = None
        if _filtered(filters):
            assert filters is not None
            cached = self._filter_rows.get(filters)
            if cached is None or cached[0] is not found:
                cached = (found, found.rows_of(self.keywords.allowed(filters)))
                self._filter_rows.put(filters, cached)
            rows = cached[1]
        return nearest(found, vector, n, rows)

    def _passage_matrix(self, width: int) -> PassageMatrix:
        """The matrix of every live passage at this process's revision (the caller has just
        followed the database), built again from the previous one after a write."""
        revision = self._revision  # read first: the passages read after are as new or newer
        current = self._passages
        # A passage whose vector is missing is not asked for again before each search: what
        # puts vectors back (``check(repair=True)``, a write restoring those another write
        # cleaned up) bumps the revision, and the next matrix reads them.
        if current is not None and current[0] == revision and current[1].width == width:
            return current[1]
        previous = current[1] if current is not None else None
        live = self.keywords.allowed(SearchFilters())
        found = build_matrix(live, self.store.vectors, width, previous)
        self._passages = (revision, found)
        self._filter_rows.clear()
        return found

    def _exact(
        self,
        vector: npt.NDArray[np.float32],
        n: int,
        filters: SearchFilters,
    ) -> dict[str, float]:
        cached = self._matrices.get(filters)
        if cached is None:
            width = int(np.asarray(vector).size)
            cached = build_matrix(self.keywords.allowed(filters), self._cached_vectors, width)
            self._matrices.put(filters, cached)
        # The same product as the small index's (BLAS held to one thread, one at a time).
        return nearest(cached, vector, n)

    def _cached_vectors(self, ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        """The stored vectors of ``ids`` through this process's cache (the large index's
        filtered searches share vectors between their filters' matrices)."""
        missing = [cid for cid in ids if cid not in self._vectors]
        if missing:
            if len(self._vectors) + len(missing) > _VECTOR_CACHE_LIMIT:
                self._vectors.clear()
            self._vectors.update(self.store.vectors(missing))
        # One read of each: another thread may empty the cache meanwhile.
        return {cid: found for cid in ids if (found := self._vectors.get(cid)) is not None}

    def _distinct_hits(self, fused: Sequence[Fused], want: int) -> list[SearchHit]:
        """The first ``want`` passages of ``fused`` as hits, a passage whose document already
        gave one with the same text and section left out: a document that repeats a passage
        (an OCR'd scan whose first page came out nine times, a template pasted twice) would
        otherwise fill the answer passages with one text and push the others below the cut.
        One read of ``want`` rows, another for each further ``want`` only when such repeats
        (or passages removed meanwhile) were left out."""
        hits: list[SearchHit] = []
        seen: set[tuple[str, str | None, str]] = set()
        for start in range(0, len(fused), max(want, 1)):
            for hit in self._hits(fused[start : start + want]):
                key = (hit.doc_id, hit.section, hit.text)
                if key not in seen and len(hits) < want:
                    seen.add(key)
                    hits.append(hit)
            if len(hits) >= want:
                break
        return hits

    def _hits(self, fused: Sequence[Fused]) -> list[SearchHit]:
        ids = [f.chunk_id for f in fused]
        with self._sf() as s:
            rows = {
                r.chunk_id: r
                for r in s.execute(
                    select(
                        KbChunk.chunk_id,
                        KbChunk.doc_id,
                        KbChunk.text,
                        KbChunk.section,
                        KbChunk.page,
                        KbChunk.position,
                        KbChunk.anchors,
                        KbDocument.title,
                        KbDocument.app,
                        KbDocument.doc_type,
                        KbDocument.language,
                    )
                    .join(KbDocument, KbDocument.doc_id == KbChunk.doc_id)
                    .where(KbChunk.chunk_id.in_(ids))
                )
            }
        hits: list[SearchHit] = []
        for f in fused:
            row = rows.get(f.chunk_id)
            if row is None:  # removed between the search and this read
                continue
            hits.append(
                SearchHit(
                    chunk_id=row.chunk_id,
                    doc_id=row.doc_id,
                    title=row.title,
                    text=row.text,
                    section=row.section,
                    page=row.page,
                    position=row.position,
                    score=round(float(f.score), 6),
                    dense_score=f.dense,
                    keyword_score=f.keyword,
                    app=row.app,
                    doc_type=row.doc_type,
                    language=row.language,
                    coverage=round(f.coverage, 6),
                    anchors=_anchors(row.anchors),
                )
            )
        return hits

    # ------------------------------------------------------------------ unit vectors
    def _units_to_embed(
        self,
        chunks: Sequence[tuple[str, str, str, str | None]],
        stored: Mapping[str, UnitVectors] | None = None,
    ) -> list[tuple[str, dict[bytes, str]]]:
        """The chunks (id, text, title, section) whose units have no stored vectors yet, with
        the units to embed: ``(chunk id, {unit key: read text})``."""
        if not self.unit_vectors or not chunks:
            return []
        if stored is None:
            ids = [c[0] for c in chunks]
            stored = self._read_units(ids)
            width = self._width(ids)
            if width is not None:
                # A row of another width (a damaged one) is embedded again, like a missing one.
                stored = {cid: units for cid, units in stored.items() if fits(units, width)}
        out: list[tuple[str, dict[bytes, str]]] = []
        for cid, text, title, section in chunks:
            reads = {unit_key(u.read): u.read for u in passage_units(text, title, section)}
            have = stored.get(cid)
            if reads and (have is None or not set(reads) <= set(have)):
                out.append((cid, reads))
        return out

    def _embed_units(
        self,
        work: Sequence[tuple[str, dict[bytes, str]]],
        texts: Sequence[str],
        progress: Callable[[int], None] | None = None,
    ) -> dict[str, bytes]:
        """Embed the units of ``work`` (``texts``: their distinct read texts); the stored
        form of each chunk's vectors."""
        if not work:
            return {}
        vectors: dict[str, list[float]] = {}
        # Similar lengths together: a batch costs what its longest text costs.
        ordered = sorted(texts, key=len)
        for start in range(0, len(ordered), self.batch_size):
            batch = ordered[start : start + self.batch_size]
            vectors.update(zip(batch, self.embeddings.embed_documents(batch), strict=True))
            if progress is not None:
                progress(min(start + len(batch), len(ordered)))
        return {
            cid: encode(self.model_id, list(reads), [vectors[t] for t in reads.values()])
            for cid, reads in work
        }

    def _width(self, chunk_ids: Sequence[str]) -> int | None:
        """How wide this index's vectors are (its chunk vectors' in the store, which holds one
        width); ``None`` while neither it is known nor any of the first ``chunk_ids`` has one."""
        if self._vector_width is None:
            for vector in self.store.vectors(list(chunk_ids[:20])).values():
                self._vector_width = int(np.asarray(vector).size)
                break
        return self._vector_width

    def damaged_unit_count(self) -> int:
        """How many stored unit-vector rows cannot be used: written by another model, damaged
        (NaN scales, a cut row) or of another width than the index's vectors (0 without unit
        vectors), as :func:`~knowledge_base.unit_vectors.usable` tells. The database sends each
        row's header, length and scales (about 40 bytes a passage), not the row (1.2 to 1.6 kB):
        ``sinergi status`` shows it; ``kb check`` reads the rows whole
        (:meth:`_damaged_units_read`) and ``kb check --repair`` embeds them again."""
        if not self.unit_vectors:
            return 0
        with self._sf() as s:
            first = list(
                s.scalars(select(KbUnitVectors.chunk_id).order_by(KbUnitVectors.chunk_id).limit(20))
            )
        if not first:
            return 0
        width = self._width(first)
        if width is None:  # no chunk vector to tell the width by: each row read whole
            return self._damaged_units_read()
        blob = _stored_units()
        size = func.length(blob)
        # The scales' place as ``unit_vectors.scales_span`` computes it, in the database.
        per_unit = KEY_SIZE + SCALE_SIZE + width
        units = cast(
            case((size >= HEADER_SIZE, (size - HEADER_SIZE) // per_unit), else_=0), Integer
        )
        query = select(
            KbUnitVectors.chunk_id,
            func.substr(blob, 1, HEADER_SIZE),
            size,
            func.substr(blob, HEADER_SIZE + 1 + KEY_SIZE * units, SCALE_SIZE * units),
        ).order_by(KbUnitVectors.chunk_id)
        damaged = 0
        last = ""
        while True:
            with self._sf() as s:
                rows = s.execute(query.where(KbUnitVectors.chunk_id > last).limit(5000)).all()
            if not rows:
                return damaged
            last = rows[-1][0]
            model = self.model_id
            damaged += sum(
                not usable_parts(_raw(head), int(size or 0), _raw(part), model, width)
                for _, head, size, part in rows
            )

    def _damaged_units_read(self) -> int:
        """:meth:`damaged_unit_count` from each row read whole (``kb check``)."""
        if not self.unit_vectors:
            return 0
        damaged = 0
        last = ""
        width: int | None = None
        while True:
            with self._sf() as s:
                rows = s.execute(
                    select(KbUnitVectors.chunk_id, _stored_units().label("vectors"))
                    .where(KbUnitVectors.chunk_id > last)
                    .order_by(KbUnitVectors.chunk_id)
                    .limit(500)
                ).all()
            if not rows:
                return damaged
            last = rows[-1].chunk_id
            if width is None:
                width = self._width([r.chunk_id for r in rows])
            damaged += sum(not usable(row.vectors, self.model_id, width) for row in rows)

    def _store_units(self, s: Session, rows: dict[str, bytes]) -> None:
        present = set(
            s.scalars(select(KbUnitVectors.chunk_id).where(KbUnitVectors.chunk_id.in_(rows)))
        )
        for cid, blob in rows.items():
            if cid in present:
                s.execute(
                    update(KbUnitVectors).where(KbUnitVectors.chunk_id == cid).values(vectors=blob)
                )
            else:
                s.add(KbUnitVectors(chunk_id=cid, vectors=blob))

    def _read_units(self, chunk_ids: Sequence[str]) -> dict[str, UnitVectors]:
        out: dict[str, UnitVectors] = {}
        with self._sf() as s:
            for start in range(0, len(chunk_ids), 500):
                batch = list(chunk_ids[start : start + 500])
                for cid, blob in s.execute(
                    select(KbUnitVectors.chunk_id, _stored_units()).where(
                        KbUnitVectors.chunk_id.in_(batch)
                    )
                ):
                    decoded = decode(blob, self.model_id)
                    if decoded is not None:
                        out[cid] = decoded
        return out

    def unit_similarities(
        self,
        hits: Sequence[SearchHit],
        query_vector: npt.ArrayLike | None,
        *,
        lazy: bool = True,
        read: Mapping[str, UnitVectors] | None = None,
        cosines: Mapping[str, Mapping[bytes, float]] | None = None,
    ) -> dict[str, dict[bytes, float]]:
        """The question's cosine with each unit of ``hits``: chunk id -> unit key -> cosine.

        Chunks written before unit vectors existed get theirs now (``lazy``), once: the first
        answer that reads such a chunk pays for embedding its sentences. ``read``: the vectors
        the search already read (``SearchResult.unit_vectors``); only the others are read.
        ``cosines``: the cosines the search already computed from them
        (``SearchResult.unit_cosines``); only the others are computed (and those of a chunk
        whose vectors were embedded again here).
        """
        if query_vector is None or not hits or not self.unit_vectors:
            return {}
        known = read or {}
        stored = {h.chunk_id: known[h.chunk_id] for h in hits if h.chunk_id in known}
        missing = [h.chunk_id for h in hits if h.chunk_id not in stored]
        if missing:
            stored.update(self._read_units(missing))
        # Rows of another width (a damaged row) are embedded again below, like missing ones.
        dimensions = np.asarray(query_vector).size
        stored = {cid: units for cid, units in stored.items() if fits(units, dimensions)}
        renewed: set[str] = set()
        if lazy:
            work = self._units_to_embed(
                [(h.chunk_id, h.text, h.title, h.section) for h in hits], stored
            )
            if work:
                rows = self._embed_and_store_units(work)
                for cid, blob in rows.items():
                    decoded = decode(blob, self.model_id)
                    if decoded is not None:
                        stored[cid] = decoded
                        renewed.add(cid)
        done = cosines or {}
        reused = {cid: done[cid] for cid in stored if cid in done and cid not in renewed}
        computed = similarities(
            {cid: units for cid, units in stored.items() if cid not in reused}, query_vector
        )
        return {cid: dict(reused[cid]) if cid in reused else computed[cid] for cid in stored}

    def _embed_and_store_units(
        self, work: Sequence[tuple[str, dict[bytes, str]]]
    ) -> dict[str, bytes]:
        """Embed the units ``work`` lists and store them in their own transaction; returns the
        stored blobs by chunk. A chunk that went (or was replaced) meanwhile, or whose vectors
        another process stored first, is left as it is: its current version brings its own."""
        texts = list(dict.fromkeys(t for _, reads in work for t in reads.values()))
        rows = self._embed_units(work, texts)
        bind = self._sf.kw.get("bind")
        # A cache: while another process holds SQLite's write lock (a long ingest), the answer
        # uses the vectors without storing them rather than wait for the lock.
        writer = (
            make_session_factory(with_busy_timeout(bind, UNIT_CACHE_WAIT_S))
            if isinstance(bind, Engine)
            else self._sf
        )
        try:
            with writer.begin() as s:
                self._store_units(s, rows)
        except IntegrityError:
            pass
        except DatabaseUnavailable as err:
            if not is_write_locked(err):
                raise
            _log.info(
                "unit vectors of %d chunks not stored: the database is write-locked", len(rows)
            )
        return rows

    def fill_unit_vectors(self, progress: Progress | None = None) -> int:
        """Give every chunk without unit vectors its own (an index written before they
        existed); returns the number of chunks filled."""
        if not self.unit_vectors:
            return 0
        self._sync()
        filled = 0
        with self._sf() as s:
            total = int(s.scalar(select(func.count()).select_from(KbChunk)) or 0)
        done = 0
        last = ""
        while True:
            with self._sf() as s:
                rows = s.execute(
                    select(KbChunk.chunk_id, KbChunk.text, KbChunk.section, KbDocument.title)
                    .join(KbDocument, KbDocument.doc_id == KbChunk.doc_id)
                    .where(KbChunk.chunk_id > last)
                    .order_by(KbChunk.chunk_id)
                    .limit(200)
                ).all()
            if not rows:
                break
            last = rows[-1].chunk_id
            work = self._units_to_embed([(r.chunk_id, r.text, r.title, r.section) for r in rows])
            if work:
                filled += len(self._embed_and_store_units(work))
            done += len(rows)
            if progress is not None:
                progress(done, total)
        return filled

    @property
    def loaded(self) -> bool:
        """Whether this process has read the index from the database yet."""
        return self._revision >= 0

    def warm_up(self) -> None:
        """Pay the first question's start-up costs now: restore the keyword index from the
        database (re-deriving stale terms if needed), load the embedding model and, for an
        index searched exactly (``exact_dense_limit``), read every passage vector."""
        self._sync()
        vector = self.embeddings.embed_query("warm-up")
        if 0 < self.keywords.live_count(None) <= self.exact_dense_limit:
            self._passage_matrix(len(vector))

    def idf(self, term: str) -> float:
        """The keyword index's inverse document frequency of a normalised term."""
        return self.keywords.idf(term)

    def knows(self, term: str) -> bool:
        """Whether any indexed passage holds ``term``."""
        self._sync()
        return self.keywords.df(term) > 0

    def knows_as_searched(self, term: str) -> bool:
        """Whether a passage of the index as this process's last search read it holds
        ``term``: :meth:`knows` without reading the database's revision again. The answer
        checks ask it of a dozen terms a question, right after the search has followed the
        database; each read of the revision cost more CPU than the rest of the checks
        (docs/benchmarks.md, fifteenth round), and the question is judged against the
        passages it was searched in. With the keyword side in PostgreSQL
        (``PostgresKeywordStore``) the store is the database: a later write counts at once."""
        return self.keywords.df(term) > 0

    def query_terms(self, text: str) -> list[str]:
        """The BM25 terms of ``text`` (for grouping questions and similar uses)."""
        return self.normalizer.terms(text)

    def known_concepts(
        self, query: Query
    ) -> list[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]:
        """The question's concepts the index can check: those with an alternative whose terms
        it knows (an English word against Indonesian documents cannot be checked)."""
        keywords = self.keywords
        keywords.prefetch(t for pair in query.concept_pairs for alt in pair[1] for t in alt)
        return [
            pair
            for pair in query.concept_pairs
            if any(alt and all(keywords.df(t) > 0 for t in alt) for alt in pair[1])
        ]

    def coverages(self, query: Query, chunk_ids: Iterable[str]) -> dict[str, float]:
        """The share of ``query``'s concepts each chunk holds (see ``concept_coverages``)."""
        return self.keywords.concept_coverages(query.concept_pairs, chunk_ids)

    def close(self) -> None:
        """Release the vector store's client."""
        self.store.close()


def build_index(
    settings: Settings,
    session_factory: sessionmaker[Session],
    *,
    clock: Clock | None = None,
    embeddings: Embeddings | None = None,
    fusion: FusionConfig | None = None,
) -> KnowledgeIndex:
    """The index the settings describe: their embedding model and Chroma (disk or server)."""
    emb = embeddings if embeddings is not None else build_embeddings(settings)
    client = make_client(chroma_url=settings.chroma_url, chroma_dir=settings.chroma_dir)
    store = VectorStore(client, settings.collection, emb)
    config = fusion if fusion is not None else fusion_for(model_id(emb))
    lexicon = LexiconSource(settings.synonyms_file, english=settings.english_dictionary)
    keywords = keyword_store_for(session_factory, settings.keyword_index)
    bind = session_factory.kw.get("bind")
    locks = (
        named_locks_for(
            bind,
            settings.data_dir / "locks",
            prefix="document",
            wait_s=settings.document_lock_wait_s,
        )
        if isinstance(bind, Engine)
        else None
    )
    return KnowledgeIndex(
        session_factory,
        emb,
        store,
        clock=clock,
        fusion=config,
        lexicon=lexicon,
        keyword_store=keywords,
        document_locks=locks,
    )


def _stored_units() -> ColumnElement[bytes]:
    """A unit-vector row as its bytes, whatever the database keeps in it. SQLite keeps any
    value in a BLOB column (a restore by another tool): a text there that is not UTF-8 could
    not even be fetched ("Could not decode to UTF-8 column"), failing ``sinergi status``,
    ``kb check`` and every question retrieving the passage; as bytes it is a damaged row. A
    no-op on PostgreSQL, whose column holds bytes only."""
    return cast(KbUnitVectors.vectors, LargeBinary)


def _raw(value: object) -> bytes:
    """A part of a stored row as the database sent it, or no bytes when the row holds no
    bytes at all (SQLite keeps a number or a text in a BLOB column: a damaged row)."""
    return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else b""
