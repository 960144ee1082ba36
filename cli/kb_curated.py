"""``sinergi kb curated list|show|edit|retire``: trainers' curated answers from the server.

Acts as the operator (admin rights). An edit keeps the earlier text as an earlier version and
sets a new review date (``--review-on``, or ``SINERGI_CURATED_REVIEW_DAYS`` from today).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer
from rich.table import Table

from cli.context import get_ctx, print_json
from services.curated import CuratedAnswer
from services.tracker import parse_date
from services.wording import format_date

app = typer.Typer(
    help="Jawaban kurasi pelatih: daftar, lihat, ubah, tarik / trainers' curated answers.",
    no_args_is_help=True,
)

JSON_HELP = "Keluaran JSON."


def curated_json(answer: CuratedAnswer) -> dict[str, Any]:
    """Every field of the curated answer, as ``--json`` prints it."""
    return asdict(answer)


@app.command("list")
def list_answers(
    ctx: typer.Context,
    retired: bool = typer.Option(False, "--all", help="Termasuk yang ditarik / retired too."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """The curated answers (active ones; ``--all``: retired too)."""
    app_ctx = get_ctx(ctx)
    answers = app_ctx.services.curated.answers(app_ctx.operator(), retired=retired)
    if as_json:
        print_json([curated_json(a) for a in answers])
        return
    if not answers:
        app_ctx.console.print(app_ctx.t("kb.curated.empty"), markup=False)
        return
    table = Table(title=app_ctx.t("kb.curated.title"))
    for key in ("id", "question", "trainer", "version", "review_on", "status"):
        table.add_column(app_ctx.t(f"kb.curated.col.{key}"))
    for a in answers:
        table.add_row(
            str(a.id),
            a.question,
            a.updated_by_name or a.author_name,
            str(a.version),
            format_date(a.review_on, app_ctx.lang) + (" ⏰" if a.review_due else ""),
            a.status,
        )
    app_ctx.console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    curated_id: int = typer.Argument(..., help="ID jawaban kurasi."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """One curated answer with its versions."""
    app_ctx = get_ctx(ctx)
    curated = app_ctx.services.curated
    answer = curated.get(app_ctx.operator(), curated_id)
    versions = curated.versions(app_ctx.operator(), curated_id)
    if as_json:
        print_json({**curated_json(answer), "versions": versions})
        return
    out = app_ctx.console
    out.print(f"#{answer.id} v{answer.version} ({answer.status})", markup=False)
    out.print(answer.question, markup=False, highlight=False)
    out.print(answer.answer, markup=False, highlight=False)
    for v in versions:
        out.print(
            f"  v{v.version} {v.edited_by_name} {format_date(v.edited_at.date(), app_ctx.lang)}:"
            f" {v.answer}",
            markup=False,
            highlight=False,
        )


@app.command("edit")
def edit(
    ctx: typer.Context,
    curated_id: int = typer.Argument(..., help="ID jawaban kurasi."),
    answer: str | None = typer.Option(None, "--answer", help="Jawaban baru / the new answer."),
    question: str | None = typer.Option(None, "--question", help="Pertanyaan baru."),
    review_on: str | None = typer.Option(None, "--review-on", help="Tanggal tinjau ulang."),
    by: str = typer.Option("cli", "--by", help="Dicatat sebagai / recorded as."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """A new version of a curated answer (the old one is kept)."""
    app_ctx = get_ctx(ctx)
    changed = app_ctx.services.curated.edit(
        app_ctx.operator(by),
        curated_id,
        answer=answer,
        question=question,
        review_on=parse_date(review_on) if review_on else None,
    )
    if as_json:
        print_json(curated_json(changed))
        return
    app_ctx.console.print(
        app_ctx.t("kb.curated.edited", id=changed.id, version=changed.version), markup=False
    )


@app.command("retire")
def retire(
    ctx: typer.Context,
    curated_id: int = typer.Argument(..., help="ID jawaban kurasi."),
    by: str = typer.Option("cli", "--by", help="Dicatat sebagai / recorded as."),
) -> None:
    """Stop giving a curated answer (its history is kept)."""
    app_ctx = get_ctx(ctx)
    retired = app_ctx.services.curated.retire(app_ctx.operator(by), curated_id)
    app_ctx.console.print(app_ctx.t("kb.curated.retired", id=retired.id), markup=False)
