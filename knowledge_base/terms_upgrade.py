"""Re-deriving the stored keyword terms after the normalisation changed, in batches.

Every chunk row stores its BM25 terms (and every logged question its normalised form), tagged
as a whole with the ``TERMS_VERSION`` that produced them (``kb_index_meta.keyword_terms``).
When a new version of the normaliser arrives, those rows must be derived again from their
texts. At a million chunks that is a long job, so it runs as an explicit step
(``sinergi kb reindex-terms``, also part of ``sinergi db upgrade``) of many short
transactions:

* chunks are visited in ``chunk_id`` order, ``batch`` at a time; each batch is one
  transaction that rewrites the changed rows, adjusts the keyword statistics by exactly what
  changed, gives the touched documents a new revision (other processes reload them) and
  records how far it got (``keyword_terms_cursor``). Interrupted, the next run resumes after
  the last committed batch; run twice at once, the batches queue on the revision row's lock
  and each takes the next slice.
* logged questions follow the same way, then the trainers' curated answers and the knowledge
  gaps (their normalised signatures: a gap's signature is what new unanswered questions are
  grouped against, so a stale one would split a gap in two); then the version is recorded
  and the cursor removed.

Until the version is recorded the index is *mixed*: a question is normalised the new way,
some passages still hold the old terms, and a keyword match or an answer-coverage check can
miss a passage whose terms changed. Searches report this (``KnowledgeIndex.terms_current``
is ``False``) and an answer that would have been confident is shown as tentative, with the
caveat, until the upgrade finishes: never a silently different verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from knowledge_base.keyword import TERMS_VERSION, TextNormalizer
from knowledge_base.keyword_store import KeywordStore
from knowledge_base.models import (
    REVISION_META,
    KbChunk,
    KbCuratedAnswer,
    KbDocument,
    KbGap,
    KbIndexMeta,
    KbQuestion,
)

TERMS_META = "keyword_terms"
"""The ``TERMS_VERSION`` of the normalisation that produced the stored chunk terms."""
CURSOR_META = "keyword_terms_cursor"
"""During an upgrade: ``VERSION:c:CHUNK_ID`` (chunks up to that id done),
``VERSION:q:QUESTION_ID`` (all chunks and the questions up to that id done), then ``a`` for the
curated answers and ``g`` for the gaps the same way."""
SIGNATURE_PHASES = ("q", "a", "g")
"""The phases after the chunks, in order: rows with a normalised ``signature`` of their text."""
DEFAULT_BATCH = 1000

Progress = Callable[[int, int], None]
"""``progress(done, total)``: chunks and questions visited out of all of them."""


@dataclass(frozen=True)
class TermsStatus:
    """Where the stored terms stand against this version's normalisation."""

    stored_version: str | None
    """The version recorded in the index (``None`` before the first document)."""
    current: bool
    """Whether every stored row has this version's terms (also true for an empty index)."""
    chunks: int
    chunks_done: int
    """Chunks visited by the upgrade so far (all of them once ``current``)."""


@dataclass(frozen=True)
class TermsUpgrade:
    """What :func:`upgrade_terms` did in this run."""

    from_version: str | None
    batches: int
    visited: int
    changed_chunks: int
    changed_questions: int
    """Normalised signatures changed: of logged questions, curated answers and gaps."""
    complete: bool


def _meta(s: Session, key: str) -> str | None:
    return s.scalar(select(KbIndexMeta.value).where(KbIndexMeta.key == key))


def _set_meta(s: Session, key: str, value: str) -> None:
    row = s.get(KbIndexMeta, key)
    if row is None:
        s.add(KbIndexMeta(key=key, value=value))
    else:
        row.value = value


def _cursor(s: Session) -> tuple[str, str]:
    """(phase, last id) of an upgrade to this version: ``("c", "")`` when none started."""
    value = _meta(s, CURSOR_META) or ""
    version, _, rest = value.partition(":")
    phase, _, last = rest.partition(":")
    if version != TERMS_VERSION or phase not in ("c", *SIGNATURE_PHASES):
        return "c", ""  # none yet, or one towards another version: start over
    return phase, last


def _stored(s: Session) -> bool:
    return any(
        s.scalar(select(func.count()).select_from(table))
        for table in (KbChunk, KbQuestion, KbCuratedAnswer, KbGap)
    )


def _signature_table(phase: str) -> type[KbQuestion] | type[KbCuratedAnswer] | type[KbGap]:
    if phase == "a":
        return KbCuratedAnswer
    return KbGap if phase == "g" else KbQuestion


def _bump_revision(s: Session) -> int:
    row = s.get(KbIndexMeta, REVISION_META)
    if row is None:
        row = KbIndexMeta(key=REVISION_META, value="0")
        s.add(row)
    row.value = str(int(row.value) + 1)
    s.flush()
    return int(row.value)


def terms_status(session_factory: sessionmaker[Session]) -> TermsStatus:
    """The stored terms' version and how far an upgrade to this version has got."""
    with session_factory() as s:
        stored = _meta(s, TERMS_META)
        chunks = int(s.scalar(select(func.count()).select_from(KbChunk)) or 0)
        if stored == TERMS_VERSION or not _stored(s):
            return TermsStatus(stored, True, chunks, chunks)
        phase, last = _cursor(s)
        if phase != "c":
            done = chunks
        else:
            done = int(
                s.scalar(select(func.count()).select_from(KbChunk).where(KbChunk.chunk_id <= last))
                or 0
            )
        return TermsStatus(stored, False, chunks, done)


def upgrade_terms(
    session_factory: sessionmaker[Session],
    normalizer: TextNormalizer,
    keywords: KeywordStore,
    *,
    batch: int = DEFAULT_BATCH,
    max_batches: int | None = None,
    progress: Progress | None = None,
) -> TermsUpgrade:
    """Bring every stored row to this version's terms, ``batch`` rows per transaction.

    Resumable and idempotent: a run after an interruption continues where the last committed
    batch stopped, a run on an up-to-date index does nothing. ``max_batches`` stops early
    (the upgrade stays incomplete; a later run finishes it).
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    with session_factory() as s:
        from_version = _meta(s, TERMS_META)
        total = sum(
            int(s.scalar(select(func.count()).select_from(table)) or 0)
            for table in (KbChunk, KbQuestion, KbCuratedAnswer, KbGap)
        )
    batches = visited = changed_chunks = changed_questions = 0
    while max_batches is None or batches < max_batches:
        step = _one_batch(session_factory, normalizer, keywords, batch)
        if step is None:
            return TermsUpgrade(
                from_version, batches, visited, changed_chunks, changed_questions, True
            )
        batches += 1
        visited += step[0]
        changed_chunks += step[1]
        changed_questions += step[2]
        if progress is not None:
            progress(min(visited, total), total)
    with session_factory() as s:
        complete = _meta(s, TERMS_META) == TERMS_VERSION
    return TermsUpgrade(from_version, batches, visited, changed_chunks, changed_questions, complete)


def _one_batch(
    session_factory: sessionmaker[Session],
    normalizer: TextNormalizer,
    keywords: KeywordStore,
    batch: int,
) -> tuple[int, int, int] | None:
    """One transaction of the upgrade: (rows visited, chunks changed, questions changed), or
    ``None`` when there was nothing left to do."""
    with session_factory.begin() as s:
        # A first statement that writes: the revision row's lock (PostgreSQL) or the write
        # lock (SQLite) orders this batch against writers and other upgrade runs, before
        # anything is read.
        s.execute(
            update(KbIndexMeta)
            .where(KbIndexMeta.key == REVISION_META)
            .values(value=KbIndexMeta.value)
        )
        if _meta(s, TERMS_META) == TERMS_VERSION:
            return None
        if not _stored(s):  # nothing stored: the first write's terms are this version's
            _set_meta(s, TERMS_META, TERMS_VERSION)
            s.execute(delete(KbIndexMeta).where(KbIndexMeta.key == CURSOR_META))
            return None
        phase, last = _cursor(s)
        if phase == "c":
            rows = s.execute(
                select(KbChunk.chunk_id, KbChunk.doc_id, KbChunk.text, KbChunk.terms)
                .where(KbChunk.chunk_id > last)
                .order_by(KbChunk.chunk_id)
                .limit(batch)
            ).all()
            if not rows:
                _set_meta(s, CURSOR_META, f"{TERMS_VERSION}:q:")
                return 0, 0, 0
            added: list[str] = []
            removed: list[str] = []
            docs: set[str] = set()
            for cid, doc_id, text, terms in rows:
                fresh = " ".join(normalizer.terms(text))
                if fresh != terms:
                    s.execute(update(KbChunk).where(KbChunk.chunk_id == cid).values(terms=fresh))
                    added.append(fresh)
                    removed.append(terms)
                    docs.add(doc_id)
            if added:
                keywords.record_write(s, added=added, removed=removed)
                revision = _bump_revision(s)
                s.execute(
                    update(KbDocument)
                    .where(KbDocument.doc_id.in_(sorted(docs)))
                    .values(revision=revision)
                )
            _set_meta(s, CURSOR_META, f"{TERMS_VERSION}:c:{rows[-1].chunk_id}")
            return len(rows), len(added), 0
        table = _signature_table(phase)
        after = int(last) if last else 0
        signed = s.execute(
            select(table.id, table.question, table.normalized)
            .where(table.id > after)
            .order_by(table.id)
            .limit(batch)
        ).all()
        if not signed:
            following = SIGNATURE_PHASES.index(phase) + 1
            if following < len(SIGNATURE_PHASES):
                _set_meta(s, CURSOR_META, f"{TERMS_VERSION}:{SIGNATURE_PHASES[following]}:")
                return 0, 0, 0
            # Done: record the version; the new revision tells every process to look again.
            _set_meta(s, TERMS_META, TERMS_VERSION)
            s.execute(delete(KbIndexMeta).where(KbIndexMeta.key == CURSOR_META))
            _bump_revision(s)
            return 0, 0, 0
        changed = 0
        for row_id, question, normalized in signed:
            fresh = normalizer.signature(question)
            if fresh != normalized:
                s.execute(update(table).where(table.id == row_id).values(normalized=fresh))
                changed += 1
        _set_meta(s, CURSOR_META, f"{TERMS_VERSION}:{phase}:{signed[-1].id}")
        return len(signed), 0, changed
