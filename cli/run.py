"""``sinergi run`` (the Telegram bot) and ``sinergi chat`` (the same conversation in a terminal)."""

from __future__ import annotations

import logging

import typer

from bot.i18n import t
from cli.context import get_ctx


def register(app: typer.Typer) -> None:
    """Add the bot commands to the root app (other modules add more root commands)."""
    app.command("run")(run)
    app.command("chat")(chat)


def run(ctx: typer.Context) -> None:
    """Start the Telegram bot (long polling, or a webhook with SINERGI_WEBHOOK_URL).

    Without SINERGI_TELEGRAM_TOKEN, explain how to get one and start the terminal chat.
    """
    app_ctx = get_ctx(ctx)
    settings = app_ctx.settings
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    if not token:
        typer.echo(t("chat.no_token", settings.language))
        _chat(ctx, None)
        return
    from bot.runner import run_bot

    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll is noise
    run_bot(app_ctx.services, settings)


def chat(
    ctx: typer.Context,
    lang: str | None = typer.Option(None, "--lang", help="id or en (default: SINERGI_LANGUAGE)."),
) -> None:
    """Talk to Sinergi in the terminal: questions, documents, agreements (no Telegram needed)."""
    _chat(ctx, lang)


def _chat(ctx: typer.Context, lang: str | None) -> None:
    from bot.chat import run_chat

    app_ctx = get_ctx(ctx)
    run_chat(app_ctx.services, app_ctx.settings, lang=lang)
