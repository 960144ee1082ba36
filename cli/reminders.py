"""``sinergi reminders``."""

from __future__ import annotations

import typer

app = typer.Typer(help="reminders", no_args_is_help=True)
