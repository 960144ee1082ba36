"""``sinergi reminders``: what is due, one delivery pass (cron), and the delivery log."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from typing import Any

import typer
from rich.table import Table

from cli.context import AppContext, get_ctx, print_json, shown
from cli.errors import ExitStatus, exit_status_for
from services.messages import error_message
from services.reminders import DueReminder, OutboxView, PassReport, ResendReport, parse_instant

app = typer.Typer(
    help="Pengingat tonggak, eskalasi dan ringkasan mingguan / milestone reminders.",
    no_args_is_help=True,
)

AT_HELP = (
    "Waktu acuan: 2026-03-02T09:00+07:00, '2026-03-02 09:00' (zona waktu bawaan) atau "
    "2026-03-02 (awal jam kerja); default sekarang."
)
JSON_HELP = "Keluaran JSON yang dapat dibaca mesin."


def _instant(app_ctx: AppContext, value: str | None) -> datetime:
    if not value:
        return app_ctx.services.clock.now()
    settings = app_ctx.settings
    return parse_instant(value, timezone=settings.timezone, start_hour=settings.working_hours_start)


def due_json(r: DueReminder) -> dict[str, Any]:
    return {
        "agreement_id": r.agreement_id,
        "milestone_id": r.milestone_id,
        "kind": r.kind,
        "threshold": r.threshold,
        "recipient": r.recipient,
        "telegram_id": r.telegram_id,
        "region_code": r.region_code,
        "due_on": r.due_on,
        "trigger_on": r.trigger_on,
        "timezone": r.timezone,
        "agreement_title": r.agreement_title,
        "agreement_number": r.agreement_number,
        "milestone_title": r.milestone_title,
        "laggards": list(r.laggards),
        "dedup_key": r.dedup_key,
    }


@app.command()
def due(
    ctx: typer.Context,
    at: str | None = typer.Option(None, "--at", help=AT_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Pengingat yang akan dikirim pada waktu itu (tanpa Telegram) / what would be sent."""
    app_ctx = get_ctx(ctx)
    instant = _instant(app_ctx, at)
    found = app_ctx.services.reminders.due(at=instant)
    if as_json:
        print_json([due_json(r) for r in found])
        return
    if not found:
        app_ctx.console.print(app_ctx.t("reminders.cli.none", at=instant.isoformat()))
        return
    table = Table(title=instant.isoformat())
    for column in ("kind", "agreement", "milestone", "due_on", "recipient", "region"):
        table.add_column(column)
    for r in found:
        table.add_row(
            f"{r.kind} ({r.threshold})",
            shown(f"#{r.agreement_id} {r.agreement_title}") if r.agreement_id else "-",
            shown(f"#{r.milestone_id} {r.milestone_title}") if r.milestone_id else "-",
            r.due_on.isoformat() if r.due_on else "-",
            shown(r.recipient),
            r.region_code or "-",
        )
    app_ctx.console.print(table)


def pass_json(report: PassReport) -> dict[str, Any]:
    return {
        "at": report.at,
        "due": report.due,
        "recorded": report.recorded,
        "messages_sent": report.messages_sent,
        "reminders_sent": report.reminders_sent,
        "failed": report.failed,
        "undeliverable": report.undeliverable,
        "routed_to_admins": report.routed_to_admins,
        "reclaimed": report.reclaimed,
        "unconfirmed": report.unconfirmed,
    }


@app.command()
def send(
    ctx: typer.Context,
    once: bool = typer.Option(
        False, "--once", help="Satu putaran lalu berhenti (untuk cron) / one pass, then exit."
    ),
    at: str | None = typer.Option(None, "--at", help=AT_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Kirim pengingat yang jatuh tempo melalui Telegram / deliver due reminders.

    The bot (``sinergi run``) sends them continuously; ``--once`` runs a single pass.
    """
    app_ctx = get_ctx(ctx)
    if not once:
        app_ctx.err_console.print("sinergi reminders send --once  (sinergi run: terus-menerus)")
        raise typer.Exit(int(ExitStatus.USAGE))
    from bot.jobs import send_once

    instant = _instant(app_ctx, at)
    report = asyncio.run(send_once(app_ctx.services, app_ctx.settings, now=instant))
    if as_json:
        print_json(pass_json(report))
        return
    app_ctx.console.print(
        app_ctx.t(
            "reminders.cli.pass",
            due=report.due,
            recorded=report.recorded,
            messages=report.messages_sent,
            reminders=report.reminders_sent,
            failed=report.failed,
            undeliverable=report.undeliverable,
            routed=report.routed_to_admins,
            unconfirmed=report.unconfirmed,
        )
    )


def log_json(row: OutboxView) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "threshold": row.threshold,
        "agreement_id": row.agreement_id,
        "milestone_id": row.milestone_id,
        "recipient": row.recipient,
        "status": row.status,
        "attempts": row.attempts,
        "trigger_on": row.trigger_on,
        "due_on": row.due_on,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "sent_at": row.sent_at,
        "next_attempt_at": row.next_attempt_at,
        "last_error": row.last_error,
        "message_id": row.message_id,
        "resends": row.resends,
        "resent_by": row.resent_by,
        "resent_at": row.resent_at,
    }


@app.command()
def log(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", min=1, help="Jumlah baris / rows."),
    status: str | None = typer.Option(
        None,
        "--status",
        help="pending, claimed, sending, sent, failed, undeliverable, unconfirmed, obsolete",
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Apa yang terkirim, kepada siapa, kapan, dan apa yang gagal / the delivery log."""
    app_ctx = get_ctx(ctx)
    rows = app_ctx.services.reminders.log(limit=limit, status=status)
    # Errors stored by older versions may quote a token; what is shown is masked either way.
    redact = app_ctx.settings.redactor().redact
    rows = [replace(r, last_error=redact(r.last_error)) if r.last_error else r for r in rows]
    if as_json:
        print_json([log_json(r) for r in rows])
        return
    if not rows:
        app_ctx.console.print(app_ctx.t("reminders.cli.log_empty"))
        return
    table = Table()
    columns = ("id", "kind", "agreement", "milestone", "recipient", "status", "when", "error")
    # Only when a row was sent again: the column would narrow the error's on a terminal.
    resent = any(r.resends for r in rows)
    for column in (*columns, "resent") if resent else columns:
        table.add_column(column)
    for r in rows:
        when = r.sent_at or r.next_attempt_at or r.updated_at
        cells = [
            str(r.id),
            f"{r.kind} ({r.threshold})",
            str(r.agreement_id or "-"),
            str(r.milestone_id or "-"),
            shown(r.recipient),
            r.status if not r.attempts else f"{r.status} ×{r.attempts}",
            when.isoformat(timespec="minutes"),
            shown((r.last_error or "")[:60]),
        ]
        table.add_row(*cells, *([_resent(r)] if resent else []))
    app_ctx.console.print(table)


def _resent(r: OutboxView) -> str:
    """Who sent it again last, when, and how often (empty: never)."""
    if not r.resends or r.resent_at is None:
        return ""
    times = f" ×{r.resends}" if r.resends > 1 else ""
    return shown(f"{r.resent_by or '-'} {r.resent_at.isoformat(timespec='minutes')}{times}")


def resend_json(report: ResendReport, lang: str) -> list[dict[str, Any]]:
    outcomes: dict[int, dict[str, Any]] = {
        i: {"id": i, "resent": True, "status": "pending", "error": None} for i in report.resent
    }
    for i, err in report.refused:
        outcomes[i] = {
            "id": i,
            "resent": False,
            "status": err.params.get("status"),
            "code": err.code,
            "error": error_message(err, lang),
        }
    return list(outcomes.values())


@app.command()
def resend(
    ctx: typer.Context,
    ids: list[int] = typer.Argument(..., metavar="ID...", help="Nomor pengingat (reminders log)."),
    actor: str = typer.Option(
        "cli", "--by", help="Siapa yang meminta pengiriman ulang (tercatat pada pengingat)."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Kirim ulang pengingat unconfirmed/undeliverable / send a reminder again.

    Each one goes back to pending and the next delivery pass sends it as a fresh reminder
    (working hours, a milestone settled meanwhile drops it, a recipient who still cannot
    receive it makes it undeliverable again). Any other id is refused and left as it was.
    """
    app_ctx = get_ctx(ctx)
    report = app_ctx.services.reminders.resend(ids, by=actor)
    if as_json:
        print_json(resend_json(report, app_ctx.lang))
    else:
        for i in report.resent:
            app_ctx.console.print(app_ctx.t("reminders.cli.resent", id=i))
        for _, err in report.refused:
            app_ctx.err_console.print(error_message(err, app_ctx.lang))
    if report.refused:
        statuses = {exit_status_for(err) for _, err in report.refused}
        raise typer.Exit(int(statuses.pop() if len(statuses) == 1 else ExitStatus.FAILED))
