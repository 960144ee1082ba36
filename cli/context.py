"""What every command shares: settings read once, services built lazily, output helpers."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from core.config import Settings
from core.text import clean_block, clean_line
from services import Services, build_services
from services.access import Operator
from services.messages import catalog as services_catalog


class AppContext:
    """Held in ``typer.Context.obj``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # No markup and no emoji codes: every table and line shows stored text (titles,
        # questions, file names) that anyone may have typed, "[/]" and ":warning:" included.
        # Style is given with ``style=`` or ``rich.text.Text``, never inside a string.
        self.console = Console(markup=False, emoji=False)
        self.err_console = Console(stderr=True, markup=False, emoji=False)

    @cached_property
    def services(self) -> Services:
        return build_services(self.settings)

    @property
    def lang(self) -> str:
        return self.settings.language

    def operator(self, actor: str = "cli") -> Operator:
        """The CLI acts as the operator (admin rights), audited as ``actor`` (``--by``)."""
        return Operator(actor)

    def t(self, key: str, **params: Any) -> str:
        return services_catalog().t(key, self.lang, **params)

    def close(self) -> None:
        if "services" in self.__dict__:
            self.services.close()


def shown(value: object) -> str:
    """Stored text as one line of a table: control characters (a terminal escape, a
    right-to-left override) become spaces. Names and titles are cleaned when stored since
    text cleaning came in; rows stored before it are cleaned here."""
    return clean_line(str(value))


def shown_block(value: object) -> str:
    """Stored text of several lines as the terminal prints it (an answer quoting a
    document): its control characters (a terminal escape that retitles the window or
    recolours the screen, a carriage return that overwrites the line, a right-to-left
    override) become spaces, its line ends stay. A document's text is stored as its file
    holds it, and the bot's HTML escaping does not reach the terminal."""
    return clean_block(str(value))


def get_ctx(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):  # pragma: no cover - only when misused as a library
        obj = AppContext(Settings())
        ctx.find_root().obj = obj
    return obj


def _default(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(data: Any) -> str:
    """Machine-readable output: dataclasses, dates and enums become plain JSON."""
    return json.dumps(data, default=_default, ensure_ascii=False, indent=2)


def progress_bar(app_ctx: AppContext, *, disable: bool = False) -> Progress:
    """A transient progress bar on stderr: description, bar, done of total, time elapsed."""
    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=app_ctx.err_console,
        transient=True,
        disable=disable,
    )


def print_json(data: Any) -> None:
    sys.stdout.write(to_json(data) + "\n")
