"""``sinergi kb ingest PATH...``: add or update documents in the knowledge base."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import typer
from rich.progress import TaskID
from rich.table import Table

from cli.context import AppContext, get_ctx, print_json, progress_bar
from cli.errors import ExitStatus
from knowledge_base.keyword import TERMS_VERSION
from knowledge_base.terms_upgrade import TermsUpgrade
from services import database
from services.ingest import IngestProgress, IngestReport

app = typer.Typer()
"""``ingest``, ``reindex`` and ``prune-originals``, mounted into the ``kb`` group."""


@app.command("ingest")
def ingest(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="Files or folders (searched recursively)."),
    app: str | None = typer.Option(None, "--app", help="App the documents are about."),
    doc_type: str | None = typer.Option(
        None,
        "--doc-type",
        help="manual, best_practice, sop, regulation, faq, agreement or evidence "
        "(default: guessed).",
    ),
    uploader: str = typer.Option("cli", "--uploader", help="Recorded as the uploader."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Ingest documents: unchanged files cost nothing, changed ones replace their old version.

    Exits with status 1 if any file failed; the other files are still ingested.
    """
    app_ctx = get_ctx(ctx)
    service = app_ctx.services.ingest
    if as_json:
        report = service.ingest_paths(
            paths, app=app, doc_type=doc_type, uploader=uploader, lang=app_ctx.lang
        )
        print_json(report)
    else:
        with _ProgressBar(app_ctx) as bar:
            report = service.ingest_paths(
                paths,
                app=app,
                doc_type=doc_type,
                uploader=uploader,
                progress=bar.update,
                lang=app_ctx.lang,
            )
        print_report(app_ctx, report)
    if report.failed:
        raise typer.Exit(int(ExitStatus.FAILED))


@app.command("reindex")
def reindex(
    ctx: typer.Context,
    doc_ids: list[str] | None = typer.Argument(None, help="Documents (default: all)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Re-chunk documents from their kept originals, e.g. after changing the chunk size."""
    app_ctx = get_ctx(ctx)
    service = app_ctx.services.ingest
    if as_json:
        report = service.reindex(doc_ids or None, lang=app_ctx.lang)
        print_json(report)
    else:
        with _ProgressBar(app_ctx) as bar:
            report = service.reindex(doc_ids or None, progress=bar.update, lang=app_ctx.lang)
        print_report(app_ctx, report)
    if report.failed:
        raise typer.Exit(int(ExitStatus.FAILED))


@app.command("reindex-terms")
def reindex_terms(
    ctx: typer.Context,
    batch: int = typer.Option(
        1000, "--batch", min=1, max=100_000, help="Rows per transaction / baris per transaksi."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Re-derive keyword terms stored by an older normalisation, a batch per transaction.

    Safe to interrupt and run again (it resumes); the bot may keep answering meanwhile (its
    answers carry a caveat until the terms are current). Also run by ``sinergi db upgrade``.
    """
    app_ctx = get_ctx(ctx)
    done = run_terms_upgrade(app_ctx, batch=batch, quiet=as_json)
    if as_json:
        print_json(done)


def run_terms_upgrade(app_ctx: AppContext, *, batch: int, quiet: bool) -> TermsUpgrade:
    """The terms upgrade with a progress bar on stderr, and its result said on stdout."""
    with progress_bar(app_ctx, disable=quiet) as bar:
        task = bar.add_task("kb reindex-terms", total=None)
        done = database.upgrade_terms_configured(
            app_ctx.settings,
            batch=batch,
            progress=lambda n, total: bar.update(task, completed=n, total=total),
        )
    if not quiet:
        key = "kb.terms.current" if not done.batches else "kb.terms.upgraded"
        app_ctx.console.print(
            app_ctx.t(
                key,
                version=TERMS_VERSION,
                visited=done.visited,
                chunks=done.changed_chunks,
                questions=done.changed_questions,
            ),
            markup=False,
        )
    return done


#: A hundred years: beyond it a duration is no longer a date (and overflows).
MAX_AGE_HOURS = 100 * 366 * 24


@app.command("prune-originals")
def prune_originals(
    ctx: typer.Context,
    min_age_hours: float = typer.Option(
        1.0,
        "--min-age-hours",
        min=0.0,
        max=MAX_AGE_HOURS,
        help="Spare files changed more recently than this.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Delete kept originals that no document uses any more (e.g. of removed documents)."""
    app_ctx = get_ctx(ctx)
    report = app_ctx.services.ingest.prune_originals(min_age=timedelta(hours=min_age_hours))
    if as_json:
        print_json(report)
        return
    app_ctx.console.print(
        app_ctx.t(
            "ingest.prune.done",
            deleted=report.deleted,
            freed_mb=f"{report.bytes_freed / 1_000_000:.1f}",
            kept_recent=report.kept_recent,
            referenced=report.referenced,
            ocr_deleted=report.ocr_deleted,
        ),
        markup=False,
    )


class _ProgressBar:
    """Files done out of the batch; scanned pages read and chunks embedded for the current one."""

    def __init__(self, app_ctx: AppContext) -> None:
        self._t = app_ctx.t
        self._progress = progress_bar(app_ctx)
        self._files: TaskID | None = None
        self._chunks: TaskID | None = None
        self._pages: TaskID | None = None  # scanned pages read (OCR) of the current file

    def __enter__(self) -> _ProgressBar:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)

    def update(self, event: IngestProgress) -> None:
        progress = self._progress
        if self._files is None:
            self._files = progress.add_task("", total=event.total)
        if event.stage == "start":
            progress.update(self._files, description=self._t("ingest.progress", file=event.file))
            for task in (self._chunks, self._pages):
                if task is not None:
                    progress.remove_task(task)
            self._chunks = self._pages = None
        elif event.stage == "ocr":
            if self._pages is None:
                self._pages = progress.add_task(
                    "  " + self._t("ingest.progress.ocr"), total=event.pages_total or None
                )
            progress.update(self._pages, completed=event.pages_done, total=event.pages_total)
        elif event.stage == "embed":
            if self._chunks is None:
                self._chunks = progress.add_task("  embedding", total=event.chunks_total or None)
            progress.update(self._chunks, completed=event.chunks_done, total=event.chunks_total)
        else:
            progress.update(self._files, completed=event.index)


def print_report(app_ctx: AppContext, report: IngestReport) -> None:
    """The human-readable report: counts, then each failed file with its reason."""
    console = app_ctx.console
    if report.total == 0:
        console.print(app_ctx.t("ingest.report.none"))
        return
    table = Table(title=app_ctx.t("ingest.report.title"), show_header=False)
    table.add_row(app_ctx.t("ingest.report.added"), str(report.added))
    table.add_row(app_ctx.t("ingest.report.updated"), str(report.updated))
    table.add_row(app_ctx.t("ingest.report.unchanged"), str(report.unchanged))
    table.add_row(app_ctx.t("ingest.report.failed"), str(len(report.failed)))
    table.add_row(app_ctx.t("ingest.report.chunks"), str(report.chunks_embedded))
    console.print(table)
    for note in report.notes:
        console.print(note.message, highlight=False)
    if report.failed:
        failures = Table(title=app_ctx.t("ingest.report.failures_title"))
        failures.add_column(app_ctx.t("ingest.report.file"), overflow="fold")
        failures.add_column(app_ctx.t("ingest.report.reason"), overflow="fold")
        for failure in report.failed:
            failures.add_row(failure.file, failure.message)
        console.print(failures)
