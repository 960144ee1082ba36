"""``sinergi demo``: load the sample agreements and manuals so Sinergi can be tried at once."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from cli.context import get_ctx, print_json, shown, shown_block
from services.demo import DEFAULT_SAMPLES_DIR, seed_demo
from services.wording import health_title

#: Asked after seeding, to show a cited answer straight away.
SAMPLE_QUESTION = "Bagaimana cara mengajukan izin usaha lewat Gampil?"


app = typer.Typer()
"""``demo``, mounted at the root."""


@app.command("demo")
def demo(
    ctx: typer.Context,
    samples: Path = typer.Option(
        DEFAULT_SAMPLES_DIR, "--samples", help="Folder with agreements.csv and docs/."
    ),
    ask: bool = typer.Option(True, "--ask/--no-ask", help="Ask a sample question after."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Import the sample agreements and documents (idempotent: safe to run again)."""
    app_ctx = get_ctx(ctx)
    services = app_ctx.services
    report = seed_demo(services, samples, today=services.clock.now().date())
    answer = services.knowledge.ask(SAMPLE_QUESTION, asked_by="demo") if ask else None
    if as_json:
        print_json({"report": report, "sample_question": SAMPLE_QUESTION, "answer": answer})
        return
    console = app_ctx.console
    table = Table(title=app_ctx.t("demo.title"), show_header=False)
    table.add_row(
        app_ctx.t("demo.agreements"),
        f"{report.agreements_total} (+{report.agreements_created})",
    )
    table.add_row(
        app_ctx.t("demo.documents"),
        app_ctx.t(
            "demo.documents_detail",
            added=report.documents_added,
            updated=report.documents_updated,
            unchanged=report.documents_unchanged,
            failed=report.documents_failed,
            chunks=report.chunks_embedded,
        ),
    )
    for health, count in sorted(report.health.items()):
        label = health_title(health, app_ctx.lang)
        table.add_row(app_ctx.t("demo.health", health=label), str(count))
    console.print(table)
    if answer is not None:
        console.print()
        console.print(Text.assemble((app_ctx.t("demo.question"), "bold"), " ", SAMPLE_QUESTION))
        console.print(shown_block(answer.answer), markup=False, highlight=False)
        for c in answer.citations:
            where = f"hlm. {c.page}" if c.page else (c.section or "")
            line = shown(f"[{c.number}] {c.title} {where}")
            console.print(f"  {line}", markup=False, highlight=False)
