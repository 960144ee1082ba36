"""Entry point of the ``sinergi`` command."""

from __future__ import annotations

import os
import sys
import traceback

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError

from cli import usage
from cli.context import AppContext
from cli.errors import ExitStatus, exit_status_for
from core.config import Settings, language_setting, settings_error
from core.errors import AppError
from core.files import use_private_umask
from core.redaction import Redactor, install_log_redaction
from services.messages import catalog, error_message

app = typer.Typer(
    name="sinergi",
    help="Sinergi: replikasi aplikasi e-government dan pemantauan kerja sama antardaerah.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(ctx: typer.Context) -> None:
    """Settings are read once, here, from SINERGI_* variables and .env."""
    if ctx.obj is None:
        ctx.obj = AppContext(_settings())
    ctx.call_on_close(ctx.obj.close)


def _settings() -> Settings:
    """The settings; a malformed one is a domain error naming the variable (exit status 7)."""
    try:
        return Settings()
    except (ValidationError, SettingsError) as exc:
        raise settings_error(exc) from None


def _mount() -> None:
    """Every command module has a ``typer.Typer`` called ``app``: a group is mounted under its
    name, a module of root commands (``run``, ``demo``...) without one."""
    from cli import ask, db, demo, kb, mou, regions, reminders, run, status, users

    for module, name in (
        (db, "db"),
        (regions, "regions"),
        (mou, "mou"),
        (reminders, "reminders"),
        (kb, "kb"),
        (users, "users"),
        (run, None),
        (ask, None),
        (demo, None),
        (status, None),
    ):
        app.add_typer(module.app, name=name)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; domain errors become a message on stderr and a stable exit status.

    Every text this function prints passes through the settings' redactor, and so does every
    log record (secrets never reach a terminal, cron mail or journald). Anything that is not a
    domain error is a bug: one line naming it, exit status 1, the traceback only with
    ``SINERGI_DEBUG=1`` (and redacted there too); never SQL or row values by default.
    """
    # Everything this process creates (the database, Chroma's files, exports, backups) is the
    # service account's only; restored on return for callers that run it in-process.
    earlier_umask = use_private_umask()
    try:
        return _main(argv)
    finally:
        os.umask(earlier_umask)


def _main(argv: list[str] | None) -> int:
    lang, debug, redactor = "id", False, Redactor()
    try:
        settings = Settings()
    except (ValidationError, SettingsError):
        # Reported by the command itself (exit status 7), in the language if that one is fine.
        lang = language_setting()
    else:
        lang, debug, redactor = settings.language, settings.debug, settings.redactor()
    install_log_redaction(redactor)
    try:
        # Not standalone: click's usage errors come here, to be worded in the user's language
        # (exit status 2 as click gives them); ``typer.Exit(n)`` and ``--help`` return n.
        code = app(args=argv, prog_name="sinergi", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else int(ExitStatus.FAILED))
    except AppError as err:
        typer.echo(_printable(redactor.redact(error_message(err, lang))), err=True)
        return int(exit_status_for(err))
    except Exception as exc:  # the last line of the transport: a bug, reported without leaks
        if usage.shows_help(exc):  # a group without its command: the help is printed
            return int(ExitStatus.USAGE)
        if usage.is_usage_error(exc):
            message = usage.usage_message(exc, lang, redactor.redact)
            typer.echo(_printable(redactor.redact(message)), err=True)
            return int(ExitStatus.USAGE)
        if usage.is_abort(exc):  # end of input or Ctrl-C at a prompt
            typer.echo(catalog().t("usage.aborted", lang), err=True)
            return int(ExitStatus.FAILED)
        typer.echo(
            redactor.redact(catalog().t("error.unexpected", lang, kind=type(exc).__name__)),
            err=True,
        )
        if debug:
            trace = "".join(traceback.format_exception(exc))
            typer.echo(_printable(redactor.redact(trace)), err=True)
        return int(ExitStatus.FAILED)
    return code if isinstance(code, int) else 0


def _printable(text: str) -> str:
    """``text`` that any output encoding takes: an argument's bytes that were not UTF-8 (lone
    surrogates) are shown as ``\\udcff`` instead of failing the write."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


_mount()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
