"""``sinergi kb``: ask the knowledge base, list and remove documents, gaps, evaluation."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from cli import kb_curated, kb_ingest
from cli.context import AppContext, get_ctx, print_json, progress_bar, shown, shown_block
from cli.errors import ExitStatus
from knowledge_base.evaluation import METRICS
from knowledge_base.schemas import Citation, SearchFilters
from services.knowledge import Answer

app = typer.Typer(
    help="Basis pengetahuan: tanya, dokumen, celah, evaluasi / knowledge base.",
    no_args_is_help=True,
)
app.add_typer(kb_ingest.app)
app.add_typer(kb_curated.app, name="curated")


def _where(app_ctx: AppContext, citation: Citation) -> str:
    parts = [p for p in (citation.section,) if p]
    if citation.page is not None:
        pages = f"{citation.page}–{citation.page_end}" if citation.page_end else citation.page
        parts.append(app_ctx.t("kb.page", page=pages))
    return ", ".join(parts)


def citation_json(citation: Citation) -> dict[str, Any]:
    return {
        "number": citation.number,
        "doc_id": citation.doc_id,
        "title": citation.title,
        "section": citation.section,
        "page": citation.page,
        "page_end": citation.page_end,
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
        "citations": [citation_json(c) for c in answer.citations],
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
    out.print(shown_block(answer.answer), markup=False, highlight=False)
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
            out.print(f"{shown(line)} ({c.score:.2f})", markup=False, highlight=False)


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
        # Ids in full (folded, never cut with "…"): `kb remove` needs them exactly.
        table.add_column(
            app_ctx.t(f"kb.col.{key}"), overflow="fold" if key == "doc_id" else "ellipsis"
        )
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
    with progress_bar(app_ctx, disable=as_json) as bar:
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
    months: int = typer.Option(6, "--months", min=1, max=36, help="Bulan untuk laju jawaban."),
    as_json: bool = typer.Option(False, "--json", help="Keluaran JSON."),
) -> None:
    """Knowledge gaps (unanswered or unhelpful questions, grouped) with their status and owner,
    and the monthly answer rate."""
    app_ctx = get_ctx(ctx)
    service = app_ctx.services.gaps
    found = service.gaps(limit=limit)
    rates = service.answer_rates(months)
    if as_json:
        print_json(
            {
                "gaps": found,
                "answer_rates": [
                    {"month": r.month, "asked": r.asked, "answered": r.answered, "rate": r.rate}
                    for r in rates
                ],
            }
        )
        return
    rate_text = " · ".join(
        f"{r.month} {'-' if r.rate is None else f'{r.rate:.0%}'} ({r.answered}/{r.asked})"
        for r in rates
    )
    app_ctx.console.print(app_ctx.t("kb.gaps.rates", rates=rate_text), markup=False)
    if not found:
        app_ctx.console.print(app_ctx.t("kb.gaps.empty"), markup=False)
        return
    table = Table(title=app_ctx.t("kb.gaps.title"))
    for key in ("id", "question", "count", "status", "owner"):
        table.add_column(app_ctx.t(f"kb.col.{key}"))
    for g in found:
        table.add_row(
            str(g.id),
            g.question,
            f"{g.count} ({g.not_found}/{g.unhelpful})",
            app_ctx.t(f"kb.gap_status.{g.status}"),
            g.owner_name or "-",
        )
    app_ctx.console.print(table)


@app.command("gap")
def gap(
    ctx: typer.Context,
    gap_id: int = typer.Argument(..., help="ID celah (lihat `sinergi kb gaps`)."),
    status: str | None = typer.Option(
        None, "--status", help="open, answered, documented, wont_answer"
    ),
    owner: int | None = typer.Option(None, "--owner", help="ID Telegram pelatih penanggung."),
    release: bool = typer.Option(False, "--release", help="Lepaskan penanggungnya."),
    as_json: bool = typer.Option(False, "--json", help="Keluaran JSON."),
) -> None:
    """Set a gap's status and/or owner (a trainer or admin by Telegram ID)."""
    app_ctx = get_ctx(ctx)
    services = app_ctx.services
    # The owner must be an active trainer or admin (anyone else: exit 4).
    who = services.access.require(owner, "trainer", "admin") if owner is not None else None
    changed = services.gaps.update(
        app_ctx.operator(), gap_id, status=status, owner=who, release=release
    )
    if as_json:
        print_json(changed)
        return
    app_ctx.console.print(
        app_ctx.t(
            "kb.gap.updated",
            id=changed.id,
            status=app_ctx.t(f"kb.gap_status.{changed.status}"),
            owner=changed.owner_name or "-",
        ),
        markup=False,
    )


@app.command("synonyms")
def synonyms(
    ctx: typer.Context,
    add: list[str] = typer.Option(
        None,
        "--add",
        help="Tambah kelompok: --add TPP --add 'tambahan penghasilan pegawai' / add a group.",
    ),
    remove: list[str] = typer.Option(
        None,
        "--remove",
        help=(
            "Hapus kelompok tambahan pelatih yang memuat ungkapan ini (bawaan tidak dapat"
            " dihapus) / remove a trainers' group holding this expression."
        ),
    ),
    as_json: bool = typer.Option(False, "--json", help="Keluaran JSON."),
) -> None:
    """Domain synonyms and abbreviations: list them, add a group or remove a trainers' group."""
    app_ctx = get_ctx(ctx)
    service = app_ctx.services.knowledge
    if add and remove:
        app_ctx.err_console.print(app_ctx.t("kb.synonyms.add_or_remove"), markup=False)
        raise typer.Exit(int(ExitStatus.USAGE))
    if remove:
        removed = service.remove_synonyms(remove)
        if as_json:
            print_json({"removed": list(removed)})
            return
        app_ctx.console.print(
            app_ctx.t("kb.synonyms.removed", group=" | ".join(removed)), markup=False
        )
        return
    if add:
        result = service.add_synonyms(add)
        key = "kb.synonyms.added" if result.added else "kb.synonyms.known"
        app_ctx.console.print(app_ctx.t(key, group=" | ".join(result.group)), markup=False)
        return
    bundled, user = service.synonyms()
    if as_json:
        print_json({"bundled": bundled, "user": user})
        return
    out = app_ctx.console
    out.print(app_ctx.t("kb.synonyms.bundled") + ":", markup=False)
    for group in bundled:
        out.print("  " + " | ".join(group), markup=False, highlight=False)
    out.print(
        app_ctx.t("kb.synonyms.user", path=app_ctx.settings.synonyms_file) + ":", markup=False
    )
    for group in user:
        out.print("  " + " | ".join(group), markup=False, highlight=False)


def to_json_line(item: Mapping[str, object]) -> str:
    return json.dumps(item, ensure_ascii=False) + "\n"


@app.command("eval")
def evaluate(
    ctx: typer.Context,
    corpus: Path | None = typer.Option(None, "--corpus", help="BEIR corpus.jsonl"),
    queries: Path | None = typer.Option(
        None, "--queries", help="BEIR queries.jsonl (with `answers`: answer-level figures too)"
    ),
    qrels: Path | None = typer.Option(None, "--qrels", help="BEIR qrels .tsv"),
    docs: Path | None = typer.Option(
        None, "--docs", help="Folder of documents, ingested with the real pipeline."
    ),
    questions: Path | None = typer.Option(
        None, "--questions", help="Questions about --docs (.jsonl: question, answers, doc...)."
    ),
    k: int = typer.Option(10, "--k", min=1, max=100),
    unanswerable: Path | None = typer.Option(
        None, "--unanswerable", help="Questions without an answer in the corpus (.jsonl)."
    ),
    cache: Path | None = typer.Option(
        None,
        "--cache",
        help="Passage vectors kept between runs (default: DATA_DIR/eval-cache).",
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Embed everything afresh."),
    details: Path | None = typer.Option(
        None, "--details", help="With --docs: write every question's outcome here (.jsonl)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Keluaran JSON."),
) -> None:
    """Measure retrieval and answers: a BEIR corpus (--corpus --queries --qrels), or a folder
    of documents and questions about them (--docs --questions)."""
    app_ctx = get_ctx(ctx)
    beir = (corpus, queries, qrels)
    domain = (docs, questions)
    if (any(domain) and any(beir)) or not (all(beir) or all(domain)):
        app_ctx.err_console.print(app_ctx.t("kb.eval.usage"), markup=False)
        raise typer.Exit(int(ExitStatus.USAGE))
    cache_dir = None if no_cache else (cache or app_ctx.settings.data_dir / "eval-cache")
    if docs is not None and questions is not None:
        _evaluate_documents(app_ctx, docs, questions, cache_dir, details, as_json)
        return
    assert corpus is not None and queries is not None and qrels is not None
    service = app_ctx.services.knowledge
    if as_json:
        report = service.evaluate(
            corpus, queries, qrels, k=k, unanswerable=unanswerable, cache_dir=cache_dir
        )
        print_json(report.as_dict())
        return
    with _progress(app_ctx) as on_progress:
        report = service.evaluate(
            corpus,
            queries,
            qrels,
            k=k,
            unanswerable=unanswerable,
            progress=on_progress,
            cache_dir=cache_dir,
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
    for metric in METRICS:
        name = metric.replace("@10", f"@{k}") if metric == "recall@10" else metric
        table.add_row(
            name, f"{data[metric]}", f"{bm25.get(metric, '')}", f"{dense.get(metric, '')}"
        )
    app_ctx.console.print(table)
    if report.abstention is not None:
        app_ctx.console.print(
            app_ctx.t("kb.eval.abstention", rate=f"{report.abstention.rate:.1%}"), markup=False
        )
    if report.answers is not None:
        _print_answers(app_ctx, report.answers)


@contextlib.contextmanager
def _progress(app_ctx: AppContext) -> Iterator[Callable[[int, int], None]]:
    with progress_bar(app_ctx) as bar:
        task = bar.add_task("eval", total=None)

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield on_progress


_ANSWER_FIGURES = (
    "answerable",
    "answered_rate",
    "hit_rate",
    "chars_p50",
    "cited_first_rate",
    "section_rate",
    "unanswerable",
    "refusal_rate",
    "latency_p50_ms",
    "latency_p95_ms",
)


def _print_answers(app_ctx: AppContext, answers: Mapping[str, object]) -> None:
    by_category = answers.get("by_category")
    columns: dict[str, Mapping[str, object]] = {app_ctx.t("kb.col.all"): answers}
    if isinstance(by_category, Mapping):
        columns.update({str(name): figures for name, figures in by_category.items()})
    table = Table(title=app_ctx.t("kb.eval.answers_title"))
    table.add_column(app_ctx.t("kb.col.metric"))
    for name in columns:
        table.add_column(name)
    for figure in _ANSWER_FIGURES:
        if figure not in answers:
            continue
        row = [figure]
        for figures in columns.values():
            value = figures.get(figure, "") if isinstance(figures, Mapping) else ""
            row.append(f"{value}")
        table.add_row(*row)
    app_ctx.console.print(table)


def _evaluate_documents(
    app_ctx: AppContext,
    docs: Path,
    questions: Path,
    cache_dir: Path | None,
    details: Path | None,
    as_json: bool,
) -> None:
    from services.evaluation import evaluate_documents

    settings = app_ctx.settings
    knowledge = app_ctx.services.knowledge
    if as_json:
        report = evaluate_documents(settings, knowledge, docs, questions, cache_dir=cache_dir)
    else:
        with _progress(app_ctx) as on_progress:
            report = evaluate_documents(
                settings, knowledge, docs, questions, cache_dir=cache_dir, progress=on_progress
            )
    if details is not None:
        details.write_text("".join(to_json_line(item) for item in report.details), encoding="utf-8")
    if as_json:
        print_json(report.as_dict())
        return
    app_ctx.console.print(
        app_ctx.t(
            "kb.eval.documents",
            documents=report.documents,
            chunks=report.chunks,
            questions=report.questions,
        ),
        markup=False,
    )
    for failure in report.failed:
        app_ctx.err_console.print(failure, markup=False)
    if report.retrieval:
        app_ctx.console.print(
            "  ".join(f"{key} {value}" for key, value in report.retrieval.items()), markup=False
        )
    _print_answers(app_ctx, report.answers)
