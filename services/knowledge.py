"""Ask the knowledge base: cited answers, the question log, feedback and knowledge gaps."""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock, SystemClock
from core.db import is_write_locked
from core.errors import AppError, DatabaseUnavailable
from core.i18n import Catalog
from knowledge_base.answer import ComposedAnswer, answer_passages, compose, usable_hits
from knowledge_base.errors import (
    CitationNotFound,
    DocumentNotFound,
    EmptyQuestion,
    QuestionNotFound,
    QuestionTooLong,
)
from knowledge_base.evaluation import EvalReport, run_evaluation
from knowledge_base.index import KnowledgeIndex
from knowledge_base.judge import Verdict, judge_answer
from knowledge_base.language import detect_language
from knowledge_base.llm import LlmAnswerer
from knowledge_base.question import MAX_QUESTION_CHARS, analyse, clean_message, find_question
from knowledge_base.repository import KnowledgeRepository
from knowledge_base.schemas import Citation, DocumentInfo, IndexCheck, SearchFilters, SearchHit
from services.deferred import DeferredWrites
from services.gaps import Gap, GapService
from services.messages import catalog as services_catalog
from services.privacy import asker_forgotten, fresh_pseudonym

__all__ = [
    "Answer",
    "Citation",
    "DocumentInfo",
    "EvalReport",
    "Gap",
    "KnowledgeService",
    "SourcePassage",
    "Turn",
]

#: The share of a message's weight the documents must hold for it to be theirs (see ``knows``).
KNOWN_SHARE = 0.5
_FOLLOW_UP = (
    "itu tersebut ini nya dia mereka juga lagi lalu kemudian selanjutnya bagaimana dengan "
    "it that this they them those also then what about"
)
_FOLLOW_UP_WORDS = frozenset(_FOLLOW_UP.split())
#: How a question whose log entry waits (a deferred write) is named on its buttons: ``p`` and
#: a random token, never digits (a written entry is named by its id). The entry is written
#: with it (``KbQuestion.key``), so the name holds on every worker and after a restart.
PENDING_PREFIX = "p"
_PENDING_NAME = re.compile(rf"{PENDING_PREFIX}[0-9a-f]{{16}}", re.ASCII)
#: The largest id of a log entry (``kb_questions.id`` is a 32-bit integer on PostgreSQL).
MAX_QUESTION_ID = 2**31 - 1
#: Entries still waiting (or just written) kept in memory, for the buttons of answers sent
#: meanwhile; a written entry is found by its key in the log as well.
PENDING_KEPT = 2000


@dataclass(frozen=True)
class Answer:
    """An answer with its numbered sources; ``found`` is ``False`` for "not in the KB"."""

    question_id: int | None
    answer: str
    found: bool
    language: str
    citations: tuple[Citation, ...]
    confident: bool = True
    """``False`` for a tentative answer: relevant passages that may not answer exactly."""
    text: str = ""
    """The answer proper (with its ``[n]`` markers), without the notes around it."""
    pending_key: str | None = None
    """The name of its log entry while that entry waits to be written (``question_id`` is
    ``None`` meanwhile): feedback and source buttons carry it, :meth:`KnowledgeService.feedback`
    and :meth:`KnowledgeService.citation_source` take it."""

    @property
    def key(self) -> str | None:
        """What its buttons name it by: the log entry's id, or its pending name."""
        return str(self.question_id) if self.question_id is not None else self.pending_key


@dataclass
class _PendingQuestion:
    """A question-log entry queued for writing, and its id once written."""

    row: dict[str, Any]
    written_id: int | None = None
    dropped: bool = False


@dataclass(frozen=True)
class SourcePassage:
    """A cited passage, with the ``(start, end)`` offsets of the sentences the answer quoted."""

    text: str
    quotes: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Turn:
    """An earlier exchange of the same conversation (for follow-up questions)."""

    question: str
    answer: str = ""


def _is_follow_up(terms: Sequence[str], words: Sequence[str]) -> bool:
    return len(set(terms)) <= 2 or any(w in _FOLLOW_UP_WORDS for w in words[:3])


class KnowledgeService:
    """Questions in, grounded answers out; every question is logged for the gap report."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        index: KnowledgeIndex,
        *,
        clock: Clock | None = None,
        llm: LlmAnswerer | None = None,
        top_k: int = 5,
        catalog: Catalog | None = None,
        timezone: str = "Asia/Jakarta",
        bookkeeping: sessionmaker[Session] | None = None,
        deferred: DeferredWrites | None = None,
    ) -> None:
        self._sf = session_factory
        # The question log is bookkeeping: written with a short wait for SQLite's write lock,
        # and deferred while another process holds it (the answer does not wait for it).
        self._quick = bookkeeping or session_factory
        self.deferred = deferred
        self.index = index
        self.clock: Clock = clock or SystemClock()
        self.llm = llm
        self.top_k = top_k
        self._catalog = catalog
        self.timezone = timezone
        # Log entries written later (deferred), by pending name: their buttons work meanwhile.
        self._pending: OrderedDict[str, _PendingQuestion] = OrderedDict()
        self._pending_guard = threading.Lock()

    def over(self, index: KnowledgeIndex) -> KnowledgeService:
        """The same service (settings, model, answerer) over another index and its database:
        evaluations ask a scratch index through exactly the production path."""
        return KnowledgeService(
            index.session_factory,
            index,
            clock=self.clock,
            llm=self.llm,
            top_k=self.top_k,
            catalog=self._catalog,
        )

    @property
    def catalog(self) -> Catalog:
        return self._catalog or services_catalog()

    # ------------------------------------------------------------------ ask
    def ask(
        self,
        question: str,
        *,
        language: str | None = None,
        filters: SearchFilters | None = None,
        history: Sequence[Turn | str] = (),
        asked_by: str | None = None,
    ) -> Answer:
        """Answer ``question`` from the indexed documents, or say honestly that it is not there.

        Args:
            language: the asker's language, used when the question's own is unclear.
            filters: restrict the search to an app, document type and/or language.
            history: earlier questions of the conversation, oldest first; a short or
                referring question ("and for e-RK?") is searched together with the last one.
            asked_by: who asked (``"tg:123"``, ``"cli"``), kept in the question log.
        """
        question = clean_message(question)
        normalizer = self.index.normalizer
        if not normalizer.words(question):
            raise EmptyQuestion()
        extracted: str | None = None
        if len(question) > MAX_QUESTION_CHARS:
            # Never cut silently: answer the question the message holds, and say which.
            extracted = find_question(question)
            if extracted is None:
                raise QuestionTooLong(length=len(question), limit=MAX_QUESTION_CHARS)
            question = extracted
        terms = normalizer.terms(question)
        lang = detect_language(question, default=language or "id")
        query = question
        if history:
            last = history[-1]
            previous = last.question if isinstance(last, Turn) else str(last)
            if _is_follow_up(terms, normalizer.words(question)):
                query = f"{previous} {question}"
        result = self.index.retrieve(query, k=self.top_k, filters=filters, language=lang)
        rewritten = result.query
        info = analyse(rewritten.text if rewritten is not None else question)
        composed: ComposedAnswer | None = None
        verdict = Verdict(False, False)
        if result.hits:
            # A definition or an enactment date stands in a regulation's definitions article
            # or closing lines, which the searches rank low: the retrieved regulations' own
            # are added to the passages the answer is composed from.
            hits = self.index.with_articles(
                result.hits, info, rewritten, result.query_vector, filters
            )
            if self.llm is not None:
                # The model sees only the passages an answer may use, never the rest of the
                # index: a document's text cannot widen what the model is shown.
                composed = self.llm.answer(question, usable_hits(hits), language=lang)
            if composed is None:
                composed = compose(
                    rewritten.text if rewritten is not None else query,
                    hits,
                    terms=normalizer.terms,
                    idf=self.index.idf,
                    language=lang,
                    concepts=self.index.known_concepts(rewritten) if rewritten else None,
                    info=info,
                    similarity=self.index.unit_similarities(
                        answer_passages(hits, lang),
                        result.query_vector,
                        read=result.unit_vectors,
                        cosines=result.unit_cosines,
                    ),
                )
            # Judged as if the terms were current (a search held back only for the upgrade
            # counts as confident here); the upgrade's caveat is added below.
            judged = result
            if result.held_back:
                judged = replace(result, confident=True, tentative=False)
            verdict = judge_answer(
                judged,
                composed,
                info,
                terms=normalizer.terms,
                known=self.index.knows_as_searched,
                synonyms=[c.alternatives for c in rewritten.concepts] if rewritten else (),
                config=self.index.judge,
            )
            if not verdict.answer:
                composed = None
        found = composed is not None
        # While the keyword terms are being upgraded no answer is given as confident (a
        # passage whose terms are still the old ones may have been missed), but one that would
        # have been is no knowledge gap either: it is logged as answered.
        held_back = found and verdict.confident and result.terms_stale
        confident = found and verdict.confident and not held_back
        text = self._render(composed, lang) if composed is not None else self._not_found(lang)
        if found and not confident:
            caveat = "kb.answer.upgrading" if held_back else "kb.answer.tentative"
            text = f"{self.catalog.t(caveat, lang)}\n\n{text}"
        if extracted is not None:
            note = self.catalog.t("kb.answer.extracted", lang, question=extracted)
            text = f"{note}\n\n{text}"
        top = result.hits[0] if result.hits else None
        question_id, pending_key = self._log(
            question=question,
            lang=lang,
            asked_by=asked_by,
            found=confident or held_back,
            top=top,
            answer=text,
            filters=filters,
            composed=composed,
        )
        return Answer(
            question_id=question_id,
            answer=text,
            found=found,
            language=lang,
            citations=composed.citations if composed is not None else (),
            confident=confident,
            text=composed.text if composed is not None else "",
            pending_key=pending_key,
        )

    def _render(self, composed: ComposedAnswer, lang: str) -> str:
        text = composed.text
        if composed.source_language and composed.source_language != lang:
            note = self.catalog.t(
                "kb.answer.source_language",
                lang,
                language=self.catalog.t(f"kb.language.{composed.source_language}", lang),
            )
            text = f"{text}\n\n{note}"
        return text

    def _not_found(self, lang: str) -> str:
        return self.catalog.t("kb.answer.not_found", lang)

    def _log(
        self,
        *,
        question: str,
        lang: str,
        asked_by: str | None,
        found: bool,
        top: SearchHit | None,
        answer: str,
        filters: SearchFilters | None,
        composed: ComposedAnswer | None,
    ) -> tuple[int | None, str | None]:
        """Log the question: its id, or (the database write-locked) its pending name."""
        citations: list[dict[str, Any]] = []
        if composed is not None:
            for citation, passage in zip(composed.citations, composed.passages, strict=False):
                citations.append(
                    {
                        "number": citation.number,
                        "doc_id": citation.doc_id,
                        "chunk_id": citation.chunk_id,
                        "title": citation.title,
                        "section": citation.section,
                        "page": citation.page,
                        "score": citation.score,
                        "passage": passage,
                        "page_end": citation.page_end,
                        "quotes": [list(q) for q in citation.quotes],
                    }
                )
        row: dict[str, Any] = {
            "asked_at": self.clock.now(),
            "asked_by": asked_by,
            "question": question,
            "normalized": self.index.normalizer.signature(question),
            "language": lang,
            "found": found,
            "top_score": top.score if top is not None else None,
            "answer": answer,
            "filters": {
                "app": filters.app,
                "doc_type": filters.doc_type,
                "language": filters.language,
            }
            if filters is not None
            else {},
            "citations": citations,
        }
        try:
            with self._quick.begin() as s:
                return _add_question(s, row), None
        except DatabaseUnavailable as err:
            if self.deferred is None or not is_write_locked(err):
                raise

        # Another process holds SQLite's write lock: the answer goes out now and the entry is
        # written later. Its buttons name it by a pending name, written with the entry: until
        # then this process answers them from memory (the deferred write lives only here),
        # afterwards any worker finds the entry by it.
        key = f"{PENDING_PREFIX}{secrets.token_hex(8)}"
        row["key"] = key
        pending = _PendingQuestion(row)
        queued_at = self.clock.now()
        with self._pending_guard:
            self._pending[key] = pending
            while len(self._pending) > PENDING_KEPT:
                self._pending.popitem(last=False)

        def write_later() -> None:
            try:
                with self._sf.begin() as s:
                    pending.written_id = _add_question(s, row, queued_at=queued_at)
            except AppError as err:
                if not is_write_locked(err):
                    pending.dropped = True  # never written: its buttons say it expired
                raise

        def dropped() -> None:
            pending.dropped = True  # waited too long: its buttons say it is not found

        self.deferred.defer(write_later, what=f"question log entry {key}", on_drop=dropped)
        return None, key

    def _resolve(self, question: int | str) -> int | _PendingQuestion:
        """A question named by its id (an int or its digits) or its pending name: the id once
        the entry is written, else the entry still waiting.

        Raises:
            QuestionNotFound: no such name (its entry lost to a restart before it was
                written, or never written), or not one this service gives.
        """
        if isinstance(question, int) or (
            question.isascii() and question.isdigit() and len(question) <= 10
        ):
            number = int(question)
            if not 0 < number <= MAX_QUESTION_ID:  # no entry has it; the database could not
                raise QuestionNotFound(question_id=str(number)[:40])  # even compare it
            return number
        if not _PENDING_NAME.fullmatch(question):
            raise QuestionNotFound(question_id=question[:40])
        with self._pending_guard:
            pending = self._pending.get(question)
        if pending is not None:
            if pending.dropped:
                raise QuestionNotFound(question_id=question)
            return pending if pending.written_id is None else pending.written_id
        # Written by another worker, or by this one before a restart: the log knows the name.
        with self._sf() as s:
            written = KnowledgeRepository(s).question_by_key(question)
        if written is None:
            raise QuestionNotFound(question_id=question)
        return written

    def question_id(self, question: int | str) -> int | None:
        """The log entry's id of a question named on a button (``None``: not written, or no
        such entry)."""
        try:
            found = self._resolve(question)
        except QuestionNotFound:
            return None
        if not isinstance(found, int):
            return None
        with self._sf() as s:
            return found if KnowledgeRepository(s).citations(found) is not None else None

    # ------------------------------------------------------------------ follow-ups
    def citation_passage(self, question_id: int | str, number: int) -> str:
        """The full passage behind citation ``number`` of an answer (as it was when answered)."""
        return self.citation_source(question_id, number).text

    def citation_source(self, question_id: int | str, number: int) -> SourcePassage:
        """The passage behind citation ``number`` and where the quoted sentences stand in it
        (``question_id``: the entry's id, or its pending name while it waits to be written)."""
        found = self._resolve(question_id)
        if isinstance(found, int):
            with self._sf.begin() as s:
                citations = KnowledgeRepository(s).citations(found)
        else:
            citations = found.row["citations"]
        if citations is None:
            raise QuestionNotFound(question_id=question_id)
        for citation in citations:
            if citation.get("number") == number:
                quotes = tuple(
                    (int(q[0]), int(q[1]))
                    for q in citation.get("quotes") or []
                    if isinstance(q, list) and len(q) == 2
                )
                return SourcePassage(str(citation.get("passage", "")), quotes)
        raise CitationNotFound(question_id=question_id, number=number)

    def feedback(self, question_id: int | str, helpful: bool, *, user: str) -> None:
        """Record a thumbs-up/down; a user's later vote on the same answer replaces the earlier.

        On an answer whose log entry still waits to be written (``question_id`` its pending
        name), the vote is queued behind that entry and written with it.
        """
        at = self.clock.now()
        found = self._resolve(question_id)
        if isinstance(found, int):
            with self._sf.begin() as s:
                if not _set_vote(s, found, user, helpful, at):
                    raise QuestionNotFound(question_id=question_id)
            return
        assert self.deferred is not None  # an entry only waits where writes are deferred
        pending = found

        def vote_later() -> None:
            if pending.written_id is None:  # the entry was dropped: so is its vote
                return
            with self._sf.begin() as s:
                _set_vote(s, pending.written_id, user, helpful, at, queued_at=at)

        self.deferred.defer(
            vote_later, key=("feedback", question_id, user), what=f"a vote on {question_id}"
        )

    def gaps(self, limit: int = 50) -> list[Gap]:
        """Unanswered (or only tentatively answered) and thumbs-down questions, grouped (see
        :mod:`services.gaps`)."""
        return GapService(self._sf, clock=self.clock, timezone=self.timezone).gaps(limit)

    # ------------------------------------------------------------------ evaluation
    def evaluate(
        self,
        corpus: Path,
        queries: Path,
        qrels: Path,
        *,
        k: int = 10,
        unanswerable: Path | None = None,
        progress: Callable[[int, int], None] | None = None,
        cache_dir: Path | None = None,
    ) -> EvalReport:
        """Index a BEIR corpus into a fresh scratch index (this model and fusion) and measure it;
        questions that carry ``answers`` also go through :meth:`ask` (answer-level figures)."""
        return run_evaluation(
            self.index.embeddings,
            corpus,
            queries,
            qrels,
            k=k,
            unanswerable_path=unanswerable,
            fusion=self.index.fusion,
            progress=progress,
            answerer=lambda index: self.over(index).ask,
            cache_dir=cache_dir,
        )

    def knows(self, text: str) -> int:
        """How many of the concepts of ``text`` the indexed documents hold, or 0 when they hold
        less than half of its weight: whether a question is about something the knowledge base
        covers at all. The text is read as the searches read it (chat spelling, typos,
        synonyms: "komplain" is an "aduan"); each concept weighs its rarest word's IDF, so a
        common word the documents happen to hold ("hari", "cara") does not make the weather or
        a recipe a question for them."""
        index = self.index
        text = clean_message(text)  # as ``ask`` reads it: markup and invisible characters out
        # read in its own language: an English question's words count through their
        # Indonesian translations, as its search reads them
        query = index.rewrite(text, language=detect_language(text, default="id"))
        if not query.concepts:
            return 0
        known = {terms for terms, _ in index.known_concepts(query)}
        weight = {
            c.terms: max((index.idf(t) for t in c.terms), default=0.0) for c in query.concepts
        }
        held = sum(w for terms, w in weight.items() if terms in known)
        total = sum(weight.values())
        return len(known) if total > 0 and held >= KNOWN_SHARE * total else 0

    def warm_up(self) -> None:
        """Load the index and the model before the first question (the bot does it at start)."""
        self.index.warm_up()

    def check_index(
        self, *, repair: bool = False, progress: Callable[[int, int], None] | None = None
    ) -> IndexCheck:
        """Does every passage have its vector (after a restore)? ``repair`` fixes both ways;
        run it with the bot workers stopped, since an ingest in flight looks half-written."""
        return self.index.check(repair=repair, progress=progress)

    # ------------------------------------------------------------------ synonyms
    def synonyms(self) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
        """The synonym groups in force: (shipped with Sinergi, added by trainers)."""
        source = self.index.lexicon
        return source.bundled_groups(), source.user_groups()

    def add_synonyms(self, expressions: Sequence[str]) -> SynonymsAdded:
        """Add a synonym group to the trainers' file; questions use it from the next one on.

        A group whose expressions all belong to one group in force already (shipped or added
        before; compared without case, spacing and hyphens: ``lexicon.synonym_key``) is not
        written again: ``added`` is false and ``group`` is the one in force.
        """
        group, added = self.index.lexicon.add_group(expressions)
        return SynonymsAdded(group, added=added)

    def remove_synonyms(self, expressions: Sequence[str]) -> tuple[str, ...]:
        """Remove the trainers' group holding ``expressions`` (shipped groups stay); returns it.

        Raises ``SynonymGroupNotFound``, ``SynonymGroupShipped`` or ``SynonymGroupsAmbiguous``.
        """
        return self.index.lexicon.remove_group(expressions)

    # ------------------------------------------------------------------ documents
    def list_documents(self) -> list[DocumentInfo]:
        return self.index.list_documents()

    def remove_document(self, doc_id: str) -> None:
        """Remove a document from every index (``kb.document_not_found`` if unknown)."""
        if not self.index.remove_document(doc_id):
            raise DocumentNotFound(doc_id=doc_id)


@dataclass(frozen=True)
class SynonymsAdded:
    """A synonym group asked to be added: written now, or already in force (``added`` false)."""

    group: tuple[str, ...]
    added: bool


def _add_question(s: Session, row: dict[str, Any], *, queued_at: datetime | None = None) -> int:
    """Log the question; one whose asker was forgotten meanwhile (``users forget`` while it was
    answered, or since it was queued behind the write lock) is kept without them, as their
    earlier questions are (:func:`services.privacy.asker_forgotten`)."""
    repo = KnowledgeRepository(s)
    question_id = repo.add_question(**row)
    if asker_forgotten(s, row["asked_by"], queued_at):
        repo.unname_question(question_id)
    return question_id


def _set_vote(
    s: Session,
    question_id: int,
    user: str,
    helpful: bool,
    at: datetime,
    *,
    queued_at: datetime | None = None,
) -> bool:
    """Record the vote (``False``: no such question); one whose voter was forgotten meanwhile
    is kept under a pseudonym of its own, as the forgetting keeps their earlier votes."""
    repo = KnowledgeRepository(s)
    # Checked before writing (PostgreSQL: the account's row is locked first, in the order a
    # forgetting takes it, so the two cannot deadlock) and again after (SQLite reads outside
    # the write transaction; writing takes its lock).
    if asker_forgotten(s, user, queued_at):
        user = fresh_pseudonym()
    if not repo.set_feedback(question_id, user, helpful, at):
        return False
    if asker_forgotten(s, user, queued_at):
        repo.rename_vote(question_id, user, fresh_pseudonym())
    return True
