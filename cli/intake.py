"""``sinergi mou intake|evidence|files|search``: paper in, tracked agreement out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from cli.context import AppContext, get_ctx, print_json, progress_bar, shown
from ingestion.errors import FileNotFound, FileTooLarge, UnreadableFile
from services.evidence import AgreementFileView
from services.intake import DRAFT_FIELDS, IntakeDraft, IntakeResult

JSON_HELP = "Keluaran JSON yang dapat dibaca mesin."
ACTOR_HELP = "Siapa yang melakukan perubahan (tercatat di log audit)."


def _read_file(app_ctx: AppContext, path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > app_ctx.settings.max_upload_bytes:
            raise FileTooLarge(
                path.name,
                size_mb=round(size / 2**20, 1),
                limit_mb=round(app_ctx.settings.max_upload_mb, 1),
            )
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise FileNotFound(str(path)) from exc
    except OSError as exc:
        raise UnreadableFile(str(path), reason=exc.strerror or str(exc)) from exc


class _PageBar:
    """A progress bar for the scanned pages being read (only shown when OCR runs)."""

    def __init__(self, app_ctx: AppContext) -> None:
        self._label = app_ctx.t("ingest.progress.ocr")
        self._progress = progress_bar(app_ctx)
        self._task: Any = None

    def __enter__(self) -> _PageBar:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)

    def __call__(self, done: int, total: int) -> None:
        if self._task is None:
            self._task = self._progress.add_task(self._label, total=total)
        self._progress.update(self._task, completed=done, total=total)


def _value(draft: IntakeDraft, name: str) -> str:
    if name == "region_codes":
        return "; ".join(
            f"{p.region_name} ({p.code})"
            if p.code
            else f"{p.name}: ? {' / '.join(n for _, n in p.candidates)}"
            for p in draft.parties
        )
    value = getattr(draft, name)
    if isinstance(value, tuple):
        return "; ".join(str(v) for v in value)
    return "-" if value is None else str(value)


def print_draft(app_ctx: AppContext, draft: IntakeDraft) -> None:
    table = Table(title=app_ctx.t("intake.draft.title", file=draft.filename))
    for key in ("field", "value", "where", "confidence"):
        table.add_column(app_ctx.t(f"intake.col.{key}"))
    for name in DRAFT_FIELDS:
        places = draft.found.get(name, ())
        where = ", ".join(
            app_ctx.t("intake.where", page=p.page or "-", line=p.line) for p in places if p.line
        )
        confidence = min((p.confidence for p in places), default=None)
        table.add_row(
            app_ctx.t(f"intake.field.{name}"),
            shown(_value(draft, name)),
            where or "-",
            "-" if confidence is None else f"{confidence:.2f}",
        )
    app_ctx.console.print(table)
    if draft.term:
        app_ctx.console.print(app_ctx.t("intake.term", term=draft.term), highlight=False)
    if draft.duplicate_of is not None:
        app_ctx.console.print(app_ctx.t("intake.duplicate", id=draft.duplicate_of))
    if draft.parent_id is not None:
        app_ctx.console.print(app_ctx.t("intake.parent", id=draft.parent_id))
    for party in draft.questions:
        names = ", ".join(f"{n} ({c})" for c, n in party.candidates)
        app_ctx.console.print(
            app_ctx.t("intake.question", name=party.name, candidates=names), highlight=False
        )


def print_result(app_ctx: AppContext, result: IntakeResult) -> None:
    app_ctx.console.print(
        app_ctx.t(
            f"intake.saved.{result.outcome}",
            id=result.agreement_id,
            milestones=result.milestones,
            amended=result.amended_id or "-",
        ),
        highlight=False,
    )
    if result.kb_error:
        app_ctx.err_console.print(app_ctx.t("intake.kb_failed", code=result.kb_error))


app = typer.Typer()
"""``intake``, ``evidence``, ``files`` and ``search``, mounted into the ``mou`` group."""


@app.command("intake")
def intake(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="KB/PKS/adendum: PDF (berteks atau pindaian), foto."),
    save: bool = typer.Option(False, "--save", help="Simpan draf ini (konfirmasi)."),
    set_fields: list[str] = typer.Option(
        [],
        "--set",
        help='Ubah satu isian sebelum disimpan, mis. --set "region_codes=Kota Bandung; '
        'Kota Tasikmalaya" (daftar dipisah ";").',
    ),
    actor: str = typer.Option("cli", "--by", help=ACTOR_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Read a signed agreement into a draft (OCR where needed); --save records it."""
    app_ctx = get_ctx(ctx)
    data = _read_file(app_ctx, path)
    service = app_ctx.services.intake
    operator = app_ctx.operator(actor)
    with _PageBar(app_ctx) as bar:
        draft = service.read(operator, path.name, data, progress=bar)
    for item in set_fields:
        name, _, value = item.partition("=")
        draft = service.edit(operator, draft, name.strip(), value)
    result = service.confirm(operator, draft) if save else None
    if as_json:
        out: dict[str, Any] = draft.to_json()
        if result is not None:
            out["saved"] = result
        print_json(out)
        return
    print_draft(app_ctx, draft)
    if result is not None:
        print_result(app_ctx, result)


@app.command("evidence")
def evidence(
    ctx: typer.Context,
    milestone_id: int = typer.Argument(..., help="ID tonggak."),
    path: Path = typer.Argument(..., help="Foto atau dokumen bukti."),
    note: str | None = typer.Option(None, "--note", help="Catatan bukti."),
    status: str = typer.Option("done", "--status", help="Status tonggak (default done)."),
    actor: str = typer.Option("cli", "--by", help=ACTOR_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Attach a photo or document as a milestone's evidence (kept with its text)."""
    app_ctx = get_ctx(ctx)
    data = _read_file(app_ctx, path)
    view, kept, stored = app_ctx.services.evidence.complete_with_file(
        app_ctx.operator(actor), milestone_id, path.name, data, status=status, note=note
    )
    if as_json:
        print_json({"milestone": view, "file": kept, "text_note": stored.text_note})
        return
    app_ctx.console.print(
        app_ctx.t("evidence.kept", file=kept.filename, id=kept.id, milestone=view.title),
        highlight=False,
    )
    if stored.text_note:
        app_ctx.err_console.print(app_ctx.t(f"error.{stored.text_note}", file=kept.filename))


@app.command("files")
def list_files(
    ctx: typer.Context,
    agreement_id: int = typer.Argument(..., help="ID perjanjian."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """The agreement's source documents and milestone evidence."""
    app_ctx = get_ctx(ctx)
    found = app_ctx.services.evidence.list_files(app_ctx.operator(), agreement_id)
    if as_json:
        print_json(found)
        return
    print_files(app_ctx, found)


@app.command("search")
def search(
    ctx: typer.Context,
    agreement_id: int = typer.Argument(..., help="ID perjanjian."),
    query: str = typer.Argument(..., help="Kata yang dicari di dokumen dan bukti."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Search the text of an agreement's documents and evidence."""
    app_ctx = get_ctx(ctx)
    hits = app_ctx.services.evidence.search(app_ctx.operator(), agreement_id, query)
    if as_json:
        print_json(hits)
        return
    if not hits:
        app_ctx.console.print(app_ctx.t("evidence.search.none"))
    for hit in hits:
        app_ctx.console.print(
            f"#{hit.file.id} {hit.file.filename}: {hit.snippet}", highlight=False, markup=False
        )


def print_files(app_ctx: AppContext, found: Sequence[AgreementFileView]) -> None:
    if not found:
        return
    table = Table(title=app_ctx.t("evidence.files.title"))
    for key in ("id", "role", "file", "milestone", "sha256", "by"):
        table.add_column(app_ctx.t(f"evidence.col.{key}"))
    for f in found:
        table.add_row(
            str(f.id),
            app_ctx.t(f"evidence.role.{f.role}"),
            shown(f.filename),
            str(f.milestone_id or "-"),
            f.sha256[:12],
            shown(f.uploaded_by),
        )
    app_ctx.console.print(table)
