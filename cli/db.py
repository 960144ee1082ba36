"""``sinergi db``: schema management."""

from __future__ import annotations

import typer
from rich.text import Text

from cli.context import get_ctx
from services import database

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade(ctx: typer.Context, revision: str = typer.Argument("head")) -> None:
    """Create or migrate the database schema to the newest version."""
    app_ctx = get_ctx(ctx)
    url, current = database.upgrade_configured(app_ctx.settings, revision)
    app_ctx.console.print(Text.assemble(("OK", "green"), f" {url} @ {current}"))


@app.command("current")
def current(ctx: typer.Context) -> None:
    """Show the schema revision of the database."""
    app_ctx = get_ctx(ctx)
    current, head = database.configured_revisions(app_ctx.settings)
    app_ctx.console.print(f"{current} (head: {head})")
