"""``sinergi run`` and ``sinergi chat``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the bot commands to the root app."""
