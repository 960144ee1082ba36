"""``sinergi run`` (the Telegram bot) and ``sinergi chat`` (the same conversation in a terminal)."""

from __future__ import annotations

import logging

import typer

from bot.i18n import t
from cli.context import get_ctx

app = typer.Typer()
"""``run`` and ``chat``, mounted at the root."""


@app.command("run")
def run(
    ctx: typer.Context,
    webhook: bool | None = typer.Option(
        None,
        "--webhook/--polling",
        help="Webhook worker (SINERGI_WEBHOOK_URL; run several behind one URL) or long "
        "polling (one process). Default: a webhook when SINERGI_WEBHOOK_URL is set.",
    ),
    port: int | None = typer.Option(
        None, "--port", help="Port of the webhook and /healthz (default SINERGI_WEBHOOK_PORT)."
    ),
    listen: str | None = typer.Option(
        None, "--listen", help="Address to listen on (default SINERGI_WEBHOOK_LISTEN)."
    ),
) -> None:
    """Start the Telegram bot: one worker (long polling, or a webhook worker).

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
    logging.getLogger("tornado.access").setLevel(logging.WARNING)  # one line per update
    run_bot(app_ctx.services, settings, webhook=webhook, listen=listen, port=port)


@app.command("chat")
def chat(
    ctx: typer.Context,
    lang: str | None = typer.Option(None, "--lang", help="id or en (default: SINERGI_LANGUAGE)."),
    as_user: int | None = typer.Option(
        None,
        "--as",
        help="Act as this Telegram user (their role and region apply); default: "
        "SINERGI_CHAT_USER, else the operator with admin rights.",
    ),
) -> None:
    """Talk to Sinergi in the terminal: questions, documents, agreements (no Telegram needed)."""
    _chat(ctx, lang, as_user)


def _chat(ctx: typer.Context, lang: str | None, as_user: int | None = None) -> None:
    from cli.chat import run_chat

    app_ctx = get_ctx(ctx)
    who = as_user if as_user is not None else app_ctx.settings.chat_user
    run_chat(app_ctx.services, app_ctx.settings, lang=lang, as_user=who)
