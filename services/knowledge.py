"""Ask the knowledge base: cited answers, the question log, feedback and knowledge gaps."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock, SystemClock
from core.db import is_write_locked
from core.errors import DatabaseUnavailable
from core.i18n import Catalog
from knowledge_base.answer import ComposedAnswer, answer_passages, compose, usable_hits
from knowledge_base.errors import (
    CitationNotFound,
    DocumentNotFound,
    EmptyQuestion,
    InvalidSynonyms,
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
from services.privacy import asker_forgotten

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
            hits = list(result.hits)
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
                        answer_passages(hits, lang), result.query_vector
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
                known=self.index.knows,
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
        question_id = self._log(
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
    ) -> int | None:
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
                return _add_question(s, row)
        except DatabaseUnavailable as err:
            if self.deferred is None or not is_write_locked(err):
                raise

        def write_later() -> None:
            with self._sf.begin() as s:
                _add_question(s, row)

        # Another process holds SQLite's write lock: the answer goes out now, without the
        # buttons that need its log entry (feedback, sources); the entry is written later.
        self.deferred.defer(write_later)
        return None

    # ------------------------------------------------------------------ follow-ups
    def citation_passage(self, question_id: int, number: int) -> str:
        """The full passage behind citation ``number`` of an answer (as it was when answered)."""
        return self.citation_source(question_id, number).text

    def citation_source(self, question_id: int, number: int) -> SourcePassage:
        """The passage behind citation ``number`` and where the quoted sentences stand in it."""
        with self._sf.begin() as s:
            citations = KnowledgeRepository(s).citations(question_id)
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

    def feedback(self, question_id: int, helpful: bool, *, user: str) -> None:
        """Record a thumbs-up/down; a user's later vote on the same answer replaces the earlier."""
        at = self.clock.now()
        with self._sf.begin() as s:
            if not KnowledgeRepository(s).set_feedback(question_id, user, helpful, at):
                raise QuestionNotFound(question_id=question_id)

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
        query = index.rewrite(text)
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

    def add_synonyms(self, expressions: Sequence[str]) -> tuple[str, ...]:
        """Add a synonym group to the trainers' file; questions use it from the next one on."""
        try:
            return self.index.lexicon.add_group(expressions)
        except ValueError as exc:
            raise InvalidSynonyms(detail=str(exc)) from exc

    # ------------------------------------------------------------------ documents
    def list_documents(self) -> list[DocumentInfo]:
        return self.index.list_documents()

    def remove_document(self, doc_id: str) -> None:
        """Remove a document from every index (``kb.document_not_found`` if unknown)."""
        if not self.index.remove_document(doc_id):
            raise DocumentNotFound(doc_id=doc_id)


def _add_question(s: Session, row: dict[str, Any]) -> int:
    """Log the question; one whose asker was forgotten meanwhile (``users forget`` while it was
    answered, or while its entry waited for the write lock) is kept without them, as their
    earlier questions are."""
    repo = KnowledgeRepository(s)
    question_id = repo.add_question(**row)
    if asker_forgotten(s, row["asked_by"]):
        repo.unname_question(question_id)
    return question_id
