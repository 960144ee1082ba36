"""``sinergi kb``: ask the knowledge base, list and remove documents, gaps, evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli import kb_ingest
from cli.context import AppContext, get_ctx, print_json
from cli.errors import ExitStatus
from knowledge_base.schemas import Citation, SearchFilters
from services.knowledge import Answer

app = typer.Typer(
    help="Basis pengetahuan: tanya, dokumen, celah, evaluasi / knowledge base.",
    no_args_is_help=True,
)
app.add_typer(kb_ingest.app)


def _where(app_ctx: AppContext, citation: Citation) -> str:
    parts = [p for p in (citation.section,) if p]
    if citation.page is not None:
        parts.append(app_ctx.t("kb.page", page=citation.page))
    return ", ".join(parts)


def _citation_json(citation: Citation) -> dict[str, Any]:
    return {
        "number": citation.number,
        "doc_id": citation.doc_id,
        "title": citation.title,
        "section": citation.section,
        "page": citation.page,
        "score": citation.score,
        "snippet": citation.snippet,
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "question_id": answer.question_id,
        "answer": answer.answer,
        "found": answer.found,
        "language": answer.language,
        "confident": answer.confident,
        "citations": [_citation_json(c) for c in answer.citations],
    }


@app.command("ask")
def ask(
    ctx: typer.Context,
    question: str = typer.Argument(..., help="Pertanyaan / the question."),
    app_name: str | None = typer.Option(None, "--app", help="Hanya dokumen aplikasi ini."),
    doc_type: str | None = typer.Option(None, "--doc-type", help="Hanya jenis dokumen ini."),
    lang: str | None = typer.Option(None, "--lang", help="Hanya dokumen berbahasa ini (id/en)."),
    as_json: bool = typer.Option(False, "--json", help="Keluaran JSON."),
) -> None:
    """Answer a question from the indexed documents, with numbered sources."""
    app_ctx = get_ctx(ctx)
    filters = SearchFilters(app=app_name, doc_type=doc_type, language=lang)
    answer = app_ctx.services.knowledge.ask(
        question, language=app_ctx.lang, filters=filters, asked_by="cli"
    )
    if as_json:
        print_json(answer_json(answer))
        return
    out = app_ctx.console
    out.print(answer.answer, markup=False, highlight=False)
    if answer.citations:
        out.print()
        out.print(
            app_ctx.t(
                "kb.sources",
            )
            + ":",
            markup=False,
        )
        for c in answer.citations:
            where = _where(app_ctx, c)
            line = f"[{c.number}] {c.title}" + (f" — {where}" if where else "")
            out.print(f"{line} ({c.score:.2f})", markup=False, highlight=False)


@app.command("list")
def list_documents(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Keluaran JSON."),
) -> None:
    """The indexed documents."""
    app_ctx = get_ctx(ctx)
    docs = app_ctx.services.knowledge.list_documents()
    if as_json:
        print_json(docs)
        return
    if not docs:
        app_ctx.console.print(app_ctx.t("kb.list.empty"), markup=False)
        return
    table = Table(title=app_ctx.t("kb.list.title"))
    for key in ("doc_id", "title", "app", "doc_type", "language", "chunks", "ingested_at"):
        table.add_column(app_ctx.t(f"kb.col.{key}"))
    for d in docs:
        table.add_row(
            d.doc_id,
            d.title,
            d.app or "",
            d.doc_type or "",
            d.language or "",
            str(d.chunk_count),
            d.ingested_at.strftime("%Y-%m-%d %H:%M"),
        )
    app_ctx.console.print(table)


@app.command("remove")
def remove(
    ctx: typer.Context,
    doc_id: str = typer.Argument(..., help="ID dokumen (lihat `sinergi kb list`)."),
) -> None:
    """Remove a document and all its passages from every index."""
    app_ctx = get_ctx(ctx)
    app_ctx.services.knowledge.remove_document(doc_id)
    app_ctx.console.print(app_ctx.t("kb.removed", doc_id=doc_id), markup=False)


@app.command("check")
def check(
    ctx: typer.Context,
    repair: bool = typer.Option(
        False, "--repair", help="Beri vektor lagi / delete orphans (bot dihentikan dulu)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Keluaran JSON."),
) -> None:
    """Check that every passage has its vector in Chroma (after a restore); exit 1 if not."""
    app_ctx = get_ctx(ctx)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=app_ctx.err_console,
        transient=True,
        disable=as_json,
    ) as bar:
        task = bar.add_task("kb check", total=None)
        result = app_ctx.services.knowledge.check_index(
            repair=repair,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        print_json({**result.__dict__, "consistent": result.consistent})
    else:
        out = app_ctx.console
        out.print(app_ctx.t("kb.check.result", **result.__dict__), markup=False)
        if result.repaired:
            out.print(
                app_ctx.t("kb.check.repaired", missing=result.missing, orphans=result.orphans),
                markup=False,
            )
        elif result.consistent:
            out.print(app_ctx.t("kb.check.ok"), markup=False)
        else:
            out.print(app_ctx.t("kb.check.inconsistent"), markup=False)
    if not result.consistent:
        raise typer.Exit(int(ExitStatus.FAILED))


@app.command("gaps")
def gaps(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", min=1, max=500),
    as_json: bool = typer.Option(False, "--json", help="Keluaran JSON."),
) -> None:
    """Questions the knowledge base could not answer (or answered unhelpfully), grouped."""
    app_ctx = get_ctx(ctx)
    found = app_ctx.services.knowledge.gaps(limit=limit)
    if as_json:
        print_json(found)
        return
    if not found:
        app_ctx.console.print(app_ctx.t("kb.gaps.empty"), markup=False)
        return
    table = Table(title=app_ctx.t("kb.gaps.title"))
    for key in ("question", "count", "not_found", "unhelpful", "last_asked"):
        table.add_column(app_ctx.t(f"kb.col.{key}"))
    for g in found:
        table.add_row(
            g.question,
            str(g.count),
            str(g.not_found),
            str(g.unhelpful),
            g.last_asked_at.strftime("%Y-%m-%d %H:%M"),
        )
    app_ctx.console.print(table)


_METRICS = (
    "mrr@10",
    "recall@1",
    "recall@5",
    "recall@10",
    "ndcg@10",
    "latency_p50_ms",
    "latency_p95_ms",
)


@app.command("eval")
def evaluate(
    ctx: typer.Context,
    corpus: Path = typer.Option(..., "--corpus", help="BEIR corpus.jsonl"),
    queries: Path = typer.Option(..., "--queries", help="BEIR queries.jsonl"),
    qrels: Path = typer.Option(..., "--qrels", help="BEIR qrels .tsv"),
    k: int = typer.Option(10, "--k", min=1, max=100),
    unanswerable: Path | None = typer.Option(
        None, "--unanswerable", help="Questions without an answer in the corpus (.jsonl)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Keluaran JSON."),
) -> None:
    """Index a BEIR corpus into a fresh index and report hybrid, BM25-only and dense-only."""
    app_ctx = get_ctx(ctx)
    service = app_ctx.services.knowledge
    if as_json:
        report = service.evaluate(corpus, queries, qrels, k=k, unanswerable=unanswerable)
        print_json(report.as_dict())
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=app_ctx.err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("index", total=None)

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = service.evaluate(
            corpus, queries, qrels, k=k, unanswerable=unanswerable, progress=on_progress
        )
    data = report.as_dict()
    table = Table(
        title=app_ctx.t("kb.eval.title", queries=report.queries, documents=report.documents)
    )
    for key in ("metric", "hybrid", "bm25", "dense"):
        table.add_column(app_ctx.t(f"kb.col.{key}"))
    bm25 = data.get("bm25") or {}
    dense = data.get("dense") or {}
    assert isinstance(bm25, dict) and isinstance(dense, dict)
    for metric in _METRICS:
        name = metric.replace("@10", f"@{k}") if metric == "recall@10" else metric
        table.add_row(
            name, f"{data[metric]}", f"{bm25.get(metric, '')}", f"{dense.get(metric, '')}"
        )
    app_ctx.console.print(table)
    if report.abstention is not None:
        app_ctx.console.print(
            app_ctx.t("kb.eval.abstention", rate=f"{report.abstention.rate:.1%}"), markup=False
        )
