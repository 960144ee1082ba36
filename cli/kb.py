"""``sinergi kb``."""

from __future__ import annotations

import typer

app = typer.Typer(help="kb", no_args_is_help=True)
