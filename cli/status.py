"""``sinergi status``: is every part of the deployment working? (exit 6 when one is not)."""

from __future__ import annotations

import typer
from rich.table import Table

from cli.context import get_ctx, print_json
from cli.errors import ExitStatus
from services.health import Check, describe, health_checks

app = typer.Typer()
"""``status``, mounted at the root."""


@app.command("status")
def status(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Probe the database, the knowledge base, the vector store, the tracker and reminders.

    Exits with status 6 when any part is down, so it can serve as a health check.
    """
    app_ctx = get_ctx(ctx)
    checks = health_checks(app_ctx.services)
    down = [c.name for c in checks if not c.ok]
    if as_json:  # names and details as monitoring reads them, in every language the same
        plain = [
            {"name": c.name, "ok": c.ok, "detail": c.detail}
            | ({"degraded": True} if c.degraded else {})
            for c in checks
        ]
        print_json({"ok": not down, "checks": plain})
    else:
        t = app_ctx.t
        table = Table(title=t("health.title"))
        for key in ("part", "state", "detail"):
            table.add_column(t(f"health.col.{key}"))
        for c in checks:
            state = (
                t("health.down")
                if not c.ok
                else t("health.degraded" if c.degraded else "health.ok")
            )
            table.add_row(*_described(c, app_ctx.lang, state))
        app_ctx.console.print(table)
        summary = (
            t(
                "health.summary_down",
                count=len(down),
                parts=", ".join(describe(c, app_ctx.lang)[0] for c in checks if not c.ok),
            )
            if down
            else t("health.summary_ok")
        )
        app_ctx.console.print(summary, markup=False)
        limited = [describe(c, app_ctx.lang)[0] for c in checks if c.ok and c.degraded]
        if limited:
            app_ctx.console.print(
                t("health.summary_degraded", count=len(limited), parts=", ".join(limited)),
                markup=False,
            )
    if down:
        raise typer.Exit(int(ExitStatus.UNAVAILABLE))


def _described(check: Check, lang: str, state: str) -> tuple[str, str, str]:
    part, detail = describe(check, lang)
    return part, state, detail
