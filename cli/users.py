"""``sinergi users``: who may use the bot, and as what."""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.table import Table

from cli.context import get_ctx, print_json, shown
from cli.errors import ExitStatus

#: Answers that confirm (Indonesian and English); anything else, or no answer, cancels.
YES = frozenset({"y", "ya", "yes", "iya"})

app = typer.Typer(help="Pengguna bot: tambah, undang, daftar, hapus.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    telegram_id: int = typer.Argument(..., help="The user's numeric Telegram ID."),
    role: str = typer.Option(..., "--role", "-r", help="admin, trainer, coordinator or official."),
    region: str | None = typer.Option(None, "--region", help="Region code or name (coordinators)."),
    name: str | None = typer.Option(None, "--name", help="Display name."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Add an active user directly (the way to create the first admin)."""
    app_ctx = get_ctx(ctx)
    access = app_ctx.services.access
    user = access.add_user(telegram_id, role, region, name)
    if json_out:
        print_json(user)
        return
    if user.region_code is None:
        message = app_ctx.t("access.user_added", telegram_id=telegram_id, role=user.role)
    else:  # the region as it was read (a typed name may have been a typo)
        message = app_ctx.t(
            "access.user_added_region",
            telegram_id=telegram_id,
            role=user.role,
            region=access.region_name(user.region_code),
            region_code=user.region_code,
        )
    app_ctx.console.print(message)


@app.command("invite")
def invite(
    ctx: typer.Context,
    role: str = typer.Option(..., "--role", "-r", help="admin, trainer, coordinator or official."),
    region: str | None = typer.Option(None, "--region", help="Region code or name (coordinators)."),
    days: int = typer.Option(14, "--days", help="Days the code stays valid (0: no expiry)."),
    bot_username: str | None = typer.Option(
        None,
        "--bot-username",
        envvar="SINERGI_TELEGRAM_BOT_USERNAME",
        help="The bot's @username, to print a t.me deep link.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Create a one-time invite code (and a t.me link) that lets its holder in directly."""
    app_ctx = get_ctx(ctx)
    access = app_ctx.services.access
    invite = access.create_invite(role, region, by=app_ctx.operator(), valid_days=days)
    code = invite.code
    link = f"https://t.me/{bot_username.lstrip('@')}?start={code}" if bot_username else None
    region_code = invite.region_code
    region_name = access.region_name(region_code) if region_code is not None else None
    if json_out:
        print_json(
            {
                "code": code,
                "link": link,
                "role": invite.role,
                "region": region_code,
                "region_name": region_name,
            }
        )
        return
    # Plain output so the code and link can be copied without table borders.
    typer.echo(app_ctx.t("access.invite_created", code=code))
    if region_code is not None:  # the region as it was read (a typed name may have been a typo)
        typer.echo(
            app_ctx.t(
                "access.invite_for", role=invite.role, region=region_name, region_code=region_code
            )
        )
    if link:
        typer.echo(app_ctx.t("access.invite_link", link=link))
    else:
        typer.echo(app_ctx.t("access.invite_no_link", code=code))


@app.command("list")
def list_users(
    ctx: typer.Context,
    role: str | None = typer.Option(None, "--role", help="Only this role."),
    status: str | None = typer.Option(None, "--status", help="Only this status (e.g. pending)."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List users with their role, status and region."""
    app_ctx = get_ctx(ctx)
    users = app_ctx.services.access.list_users(role=role, status=status)
    if json_out:
        print_json(users)
        return
    if not users:
        app_ctx.console.print(app_ctx.t("access.no_users"))
        return
    table = Table()
    for key in ("telegram_id", "name", "role", "status", "region", "language"):
        table.add_column(app_ctx.t(f"access.column.{key}"))
    for user in users:
        table.add_row(
            str(user.telegram_id),
            shown(user.name or (f"@{user.username}" if user.username else "")),
            user.role,
            user.status,
            user.region_code or "",
            user.language,
        )
    app_ctx.console.print(table)


@app.command("remove")
def remove(
    ctx: typer.Context,
    telegram_id: int = typer.Argument(..., help="The user's numeric Telegram ID."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Remove a user (and their agreement bindings)."""
    app_ctx = get_ctx(ctx)
    user = app_ctx.services.access.remove_user(telegram_id)
    if json_out:
        print_json(user)
        return
    app_ctx.console.print(app_ctx.t("access.user_removed", telegram_id=telegram_id))


@app.command("approve")
def approve(
    ctx: typer.Context,
    telegram_id: int = typer.Argument(..., help="The requesting user's Telegram ID."),
    role: str = typer.Option("official", "--role", "-r", help="Role to grant."),
    region: str | None = typer.Option(None, "--region", help="Region code or name (coordinators)."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Approve a pending access request (see `sinergi users list --status pending`)."""
    app_ctx = get_ctx(ctx)
    user = app_ctx.services.access.approve(
        telegram_id, role=role, region_code=region, by=app_ctx.operator()
    )
    if json_out:
        print_json(user)
        return
    app_ctx.console.print(app_ctx.t("access.user_added", telegram_id=telegram_id, role=user.role))


@app.command("block")
def block(
    ctx: typer.Context,
    telegram_id: int = typer.Argument(..., help="The user's Telegram ID."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Block a user: the bot refuses them everything (an invite does not lift it)."""
    app_ctx = get_ctx(ctx)
    user = app_ctx.services.access.block(telegram_id, by=app_ctx.operator())
    if json_out:
        print_json(user)
        return
    app_ctx.console.print(app_ctx.t("access.user_blocked", telegram_id=telegram_id))


@app.command("bind")
def bind(
    ctx: typer.Context,
    telegram_id: int = typer.Argument(..., help="The coordinator's Telegram ID."),
    agreement_id: int = typer.Argument(..., help="The agreement's ID (see `sinergi mou list`)."),
) -> None:
    """Make a coordinator responsible for an agreement."""
    app_ctx = get_ctx(ctx)
    user = app_ctx.services.access.bind_agreement(telegram_id, agreement_id)
    print_json(user)


@app.command("export")
def export(
    ctx: typer.Context,
    telegram_id: int = typer.Argument(..., help="The person's Telegram ID."),
) -> None:
    """Everything Sinergi holds about one person, as JSON (UU 27/2022: the right of access)."""
    app_ctx = get_ctx(ctx)
    print_json(app_ctx.services.privacy.export_person(app_ctx.operator(), telegram_id))


@app.command("forget")
def forget(
    ctx: typer.Context,
    telegram_id: int = typer.Argument(..., help="The person's Telegram ID."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Delete a person's data; where a record must stay (the agreements' audit trail, the
    question statistics) a pseudonym takes their place. Asks first; cannot be undone."""
    app_ctx = get_ctx(ctx)
    privacy = app_ctx.services.privacy
    held = privacy.export_person(app_ctx.operator(), telegram_id)  # not found: exit 3
    if not yes:
        typer.echo(app_ctx.t("privacy.forget_summary", telegram_id=telegram_id, **_counts(held)))
        typer.echo(app_ctx.t("privacy.forget_confirm", telegram_id=telegram_id) + " [ya/tidak] ")
        if sys.stdin.readline().strip().lower() not in YES:
            typer.echo(app_ctx.t("privacy.forget_cancelled"), err=True)
            raise typer.Exit(int(ExitStatus.FAILED))
    report = privacy.forget_person(app_ctx.operator(), telegram_id)
    if json_out:
        print_json(report)
        return
    typer.echo(app_ctx.t("privacy.forgotten", telegram_id=telegram_id, pseudonym=report.pseudonym))


@app.command("retention")
def retention(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Pseudonymise who asked questions older than SINERGI_QUESTION_LOG_RETENTION_DAYS (the bot
    does it daily; this is for deployments that run it from cron)."""
    app_ctx = get_ctx(ctx)
    privacy = app_ctx.services.privacy
    changed = privacy.apply_retention()
    if json_out:
        print_json({"pseudonymised": changed, "retention_days": privacy.retention_days})
        return
    typer.echo(app_ctx.t("privacy.retention_done", count=changed, days=privacy.retention_days))


def _counts(held: dict[str, Any]) -> dict[str, int]:
    knowledge, agreements = held["knowledge"], held["agreements"]
    return {
        "account": int(held["accounts"]["account"] is not None),
        "questions": len(knowledge["questions"]),
        "audit": len(agreements["audit"]),
        "reminders": len(held["reminders"]["reminders"]),
    }
