"""Answer-level evaluation on a domain set: real documents through the real pipeline.

``sinergi kb eval --docs DIR --questions FILE`` ingests every file of ``DIR`` with the
product's own ingestion (:class:`services.ingest.IngestService`: load, clean, structure,
chunk, embed, write) into a scratch index, then asks every question through the same
``KnowledgeService.ask`` the bot calls, and measures what an official would read: whether the
answer holds the gold span, how long it is, whether its first citation names the right
document and article, and whether unanswerable questions are refused.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.config import Settings
from ingestion.metadata import doc_id_for
from knowledge_base.errors import EvalDataError
from knowledge_base.evaluation import (
    AnswerCase,
    EmbeddingCache,
    PrimedEmbeddings,
    answer_report,
    ask_cases,
    load_answer_cases,
    ndcg,
    open_scratch_index,
    rank_documents,
    recall,
    reciprocal_rank,
)
from knowledge_base.index import KnowledgeIndex
from services.ingest import IngestService
from services.knowledge import KnowledgeService


@dataclass(frozen=True)
class DomainReport:
    """What ``kb eval --docs`` prints: the documents, retrieval and the answer figures."""

    documents: int
    chunks: int
    questions: int
    failed: tuple[str, ...]
    retrieval: dict[str, float]
    answers: dict[str, object]
    details: tuple[dict[str, object], ...] = field(default=(), repr=False)

    def as_dict(self) -> dict[str, object]:
        return {
            "documents": self.documents,
            "chunks": self.chunks,
            "questions": self.questions,
            "failed": list(self.failed),
            "retrieval": self.retrieval,
            "answers": self.answers,
        }


def evaluate_documents(
    settings: Settings,
    knowledge: KnowledgeService,
    docs: Path,
    questions: Path,
    *,
    cache_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    workdir: Path | None = None,
) -> DomainReport:
    """Ingest ``docs`` into a scratch index and ask ``questions`` through the full ask path.

    Args:
        knowledge: the production service; its settings (model, fusion, answerer) are used
            over the scratch index.
        cache_dir: keeps passage vectors between runs (content-addressed; see
            :class:`~knowledge_base.evaluation.EmbeddingCache`).
    """
    if not docs.is_dir():
        raise EvalDataError(path=str(docs), detail="not a folder")
    cases = load_answer_cases(questions, doc_id=doc_id_for)
    if not cases:
        raise EvalDataError(path=str(questions), detail="no questions")
    base = knowledge.index
    inner = base.embeddings
    cache = EmbeddingCache(inner, cache_dir) if cache_dir is not None else None
    with tempfile.TemporaryDirectory(prefix="sinergi-eval-docs-") as tmp:
        root = workdir or Path(tmp)
        scratch = settings.model_copy(update={"data_dir": root / "data"})
        scratch.ensure_dirs()
        index = open_scratch_index(
            PrimedEmbeddings(cache if cache is not None else inner),
            root / "index",
            fusion=base.fusion,
            **base.options(),
        )
        try:
            report = IngestService(scratch, index=lambda: index).ingest_paths([docs])
            service = knowledge.over(index)
            outcomes = ask_cases(service.ask, cases, progress=progress)
            retrieval = _retrieval(index, cases)
            chunks = index.chunk_count()
            documents = len(index.list_documents())
        finally:
            index.close()
            if cache is not None:
                cache.close()
    details: tuple[dict[str, object], ...] = tuple(
        {
            "id": o.case.case_id,
            "category": o.case.category,
            "answerable": o.case.answerable,
            "found": o.found,
            "confident": o.confident,
            "hit": o.hit,
            "cited": o.first_doc,
            "section": o.first_section,
            "section_right": o.section_right,
            "text": o.text,
        }
        for o in outcomes
    )
    return DomainReport(
        documents=documents,
        chunks=chunks,
        questions=len(cases),
        failed=tuple(f"{f.file}: {f.code}" for f in report.failed),
        retrieval=retrieval,
        answers=answer_report(outcomes, sections=True, by_category=True),
        details=details,
    )


def _retrieval(index: KnowledgeIndex, cases: Sequence[AnswerCase]) -> dict[str, float]:
    """Document-level ranking of the answerable questions (the gold document is relevant)."""
    judged = [c for c in cases if c.answerable and c.relevant]
    if not judged:
        return {}
    rr = r1 = r10 = nd = 0.0
    for case in judged:
        ranked, _ = rank_documents(index, case.question, 10, "hybrid")
        rel = dict.fromkeys(case.relevant, 1.0)
        rr += reciprocal_rank(ranked, rel, 10)
        r1 += recall(ranked, rel, 1)
        r10 += recall(ranked, rel, 10)
        nd += ndcg(ranked, rel, 10)
    n = len(judged)
    return {
        "mrr@10": round(rr / n, 4),
        "recall@1": round(r1 / n, 4),
        "recall@10": round(r10 / n, 4),
        "ndcg@10": round(nd / n, 4),
        "queries": n,
    }
