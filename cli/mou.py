"""``sinergi mou``."""

from __future__ import annotations

import typer

app = typer.Typer(help="mou", no_args_is_help=True)
