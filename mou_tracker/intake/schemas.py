"""What the agreement reader takes (lines per page) and gives (a draft, field by field)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

T = TypeVar("T")

#: The fields of a draft, in the order they are shown and confirmed.
FIELDS = (
    "kind",
    "numbers",
    "title",
    "signed_on",
    "ends_on",
    "region_codes",
    "apps",
    "parent_numbers",
)


@dataclass(frozen=True)
class SourcePage:
    """One page of the document as read: ``page`` is None for formats without pages;
    ``confidence`` is the OCR's (1.0 for a text layer)."""

    page: int | None
    lines: tuple[str, ...]
    confidence: float = 1.0


@dataclass(frozen=True)
class Found(Generic[T]):
    """A value and where it was found: page, line (1-based on that page), the line's text, and
    how sure the reader is (0-1: the rule's strength times the OCR's confidence)."""

    value: T
    page: int | None
    line: int
    confidence: float
    text: str = ""


@dataclass(frozen=True)
class PartyFinding:
    """A signing party as printed, resolved to a region when exactly one fits.

    ``candidates`` lists (code, name) when the name fits several regions (Tasikmalaya: the
    regency and the city): the user is asked, never guessed for.
    """

    name: str
    code: str | None
    page: int | None
    line: int
    confidence: float
    candidates: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Term:
    """The agreement's term: ``years``/``months`` from ``anchor`` ("signing", or "extension"
    of the amended agreement's end)."""

    years: int = 0
    months: int = 0
    anchor: str = "signing"


@dataclass(frozen=True)
class AgreementReading:
    """Everything the rules found in one document; absent fields are None or empty."""

    kind: Found[str] | None = None
    numbers: tuple[Found[str], ...] = ()
    title: Found[str] | None = None
    signed_on: Found[date] | None = None
    ends_on: Found[date] | None = None
    term: Found[Term] | None = None
    parties: tuple[PartyFinding, ...] = ()
    apps: tuple[Found[str], ...] = ()
    parent_numbers: tuple[Found[str], ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def region_codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.parties if p.code)

    @property
    def unresolved(self) -> tuple[PartyFinding, ...]:
        return tuple(p for p in self.parties if p.code is None)
