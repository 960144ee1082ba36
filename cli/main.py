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


def _register() -> None:
    # Each command group lives in its own module; importing here keeps start-up cheap per group.
    from cli import db

    app.add_typer(db.app, name="db")
    for module_name, group in (
        ("cli.regions", "regions"),
        ("cli.mou", "mou"),
        ("cli.reminders", "reminders"),
        ("cli.kb", "kb"),
        ("cli.users", "users"),
    ):
        module = __import__(module_name, fromlist=["app"])
        app.add_typer(module.app, name=group)
    from cli import run as run_module

    run_module.register(app)
    from cli import demo as demo_module

    demo_module.register(app)
    from cli import status as status_module

    status_module.register(app)


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


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
