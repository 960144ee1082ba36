"""What the loaders produce and the chunker consumes: documents as ordered, typed blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list", "table", "code"]


@dataclass(frozen=True)
class Block:
    """One structural unit of a document, in reading order.

    Attributes:
        kind: what the block is; lists and tables are kept whole by the chunker when small.
        text: the block's text; list items are one per line ("1. ..." or "- ..."), table rows
            are one per line with cells separated by " | ".
        level: heading level (1 = top); 0 for other blocks.
        page: 1-based page number for paginated formats (PDF), else None.
        label: where the block stands when finer than its heading path, e.g. "Pasal 12 ayat
            (2)" in a regulation (see ``ingestion.structure``); None = its section.
    """

    kind: BlockKind
    text: str
    level: int = 0
    page: int | None = None
    label: str | None = None


@dataclass(frozen=True)
class LoadedDocument:
    """A parsed file: its blocks plus the metadata found inside it."""

    media_type: str
    blocks: tuple[Block, ...]
    title: str | None = None
    version: str | None = None
    date: str | None = None
    page_count: int | None = None
    # Values a document may declare about itself (e.g. Markdown front matter: app, doc_type).
    declared: dict[str, str] = field(default_factory=dict)
    unread_pages: tuple[int, ...] = ()
    """Scanned pages left out because OCR is not available (a PDF read from its text pages)."""

    @property
    def text_length(self) -> int:
        return sum(len(block.text) for block in self.blocks if block.kind != "heading")


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: ``text`` starts with "title > section path".

    ``anchors`` say where each part of the text stands: ``(offset, page, label)`` triples in
    text order, each valid from its offset to the next one's, so a sentence quoted from the
    chunk is cited with its own page and article, not the chunk's first.
    """

    text: str
    section: str
    page: int | None
    position: int
    anchors: tuple[tuple[int, int | None, str | None], ...] = ()
