"""``sinergi db``: schema management."""

from __future__ import annotations

import typer
from rich.text import Text

from cli.context import get_ctx
from cli.kb_ingest import run_terms_upgrade
from services import database

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade(
    ctx: typer.Context,
    revision: str = typer.Argument("head"),
    terms_batch: int = typer.Option(
        1000, "--terms-batch", min=1, max=100_000, help="Rows per transaction of the terms step."
    ),
) -> None:
    """Create or migrate the database schema to the newest version, then bring the stored
    keyword terms up to date (``sinergi kb reindex-terms``; resumable) and the Chroma
    collection's HNSW settings to this version's."""
    app_ctx = get_ctx(ctx)
    url, current = database.upgrade_configured(app_ctx.settings, revision)
    app_ctx.console.print(Text.assemble(("OK", "green"), f" {url} @ {current}"))
    if revision == "head":
        # Data steps that follow the schema: keyword terms of an older normalisation, and
        # the vector store's settings of an older version.
        run_terms_upgrade(app_ctx, batch=terms_batch, quiet=False)
        changes = database.upgrade_vectors_configured(app_ctx.settings)
        if changes:
            listed = ", ".join(f"{k} {old} -> {new}" for k, (old, new) in sorted(changes.items()))
            app_ctx.console.print(app_ctx.t("kb.vectors.upgraded", changes=listed), markup=False)
        elif changes is not None:
            app_ctx.console.print(app_ctx.t("kb.vectors.current"), markup=False)


@app.command("current")
def current(ctx: typer.Context) -> None:
    """Show the schema revision of the database."""
    app_ctx = get_ctx(ctx)
    current, head = database.configured_revisions(app_ctx.settings)
    app_ctx.console.print(f"{current} (head: {head})")
