"""Entry point of the ``sinergi`` command."""

from __future__ import annotations

import contextlib
import sys

import typer
from pydantic import ValidationError

from cli.context import AppContext
from cli.errors import ExitStatus, exit_status_for
from core.config import Settings
from core.errors import AppError
from services.messages import error_message

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
        ctx.obj = AppContext(Settings())
    ctx.call_on_close(ctx.obj.close)


def _mount() -> None:
    """Every command module has a ``typer.Typer`` called ``app``: a group is mounted under its
    name, a module of root commands (``run``, ``demo``...) without one."""
    from cli import db, demo, kb, mou, regions, reminders, run, status, users

    for module, name in (
        (db, "db"),
        (regions, "regions"),
        (mou, "mou"),
        (reminders, "reminders"),
        (kb, "kb"),
        (users, "users"),
        (run, None),
        (demo, None),
        (status, None),
    ):
        app.add_typer(module.app, name=name)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; domain errors become a message on stderr and a stable exit status."""
    settings_lang = "id"
    # Bad settings are reported by the command itself below; here only the language is wanted.
    with contextlib.suppress(ValidationError):
        settings_lang = Settings().language
    try:
        # Standalone mode: click reports usage errors itself and exits with status 2.
        app(args=argv, standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else int(ExitStatus.FAILED))
    except AppError as err:
        typer.echo(error_message(err, settings_lang), err=True)
        return int(exit_status_for(err))
    return 0


_mount()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
