"""Structure-aware chunking: sections first, whole steps and tables, then sentences.

A chunk never spans two sections: a heading always starts a new chunk, and each chunk's text
begins with "document title > section path" so a passage read alone (in a citation, or by the
embedding model) still says where it comes from. Inside a section, blocks are packed greedily
up to ``size`` characters. Lists (numbered steps) and tables are kept whole up to
``WHOLE_FACTOR * size``; longer ones are cut between items or rows, a table repeating its header
row. Paragraphs longer than ``size`` are cut between sentences, and consecutive chunks of running
text share about ``overlap`` characters (whole sentences) so an answer cut at a boundary is
still found.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from ingestion.schemas import Block, Chunk
from knowledge_base.units import SENTENCE_END

WHOLE_FACTOR = 1.6
MAX_HEADING_CHARS = 300
"""A "heading" longer than this is text: it is chunked as a paragraph, not put in the path."""
SEPARATOR = " > "


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences; only the whitespace between them is dropped."""
    out: list[str] = []
    start = 0
    # The answer's units end where these sentences do (one definition of a sentence).
    for match in SENTENCE_END.finditer(text):
        piece = text[start : match.start(1)]
        if piece.strip():
            out.append(piece)
        start = match.end(1)
    if text[start:].strip():
        out.append(text[start:])
    return out


@dataclass
class _Unit:
    text: str
    kind: str
    page: int | None
    label: str | None = None


@dataclass
class _Open:
    path: tuple[str, ...]
    units: list[_Unit] = field(default_factory=list)

    @property
    def length(self) -> int:
        return sum(len(u.text) for u in self.units) + 2 * max(len(self.units) - 1, 0)


def chunk_blocks(
    blocks: Sequence[Block],
    title: str,
    *,
    size: int = 900,
    overlap: int = 120,
) -> list[Chunk]:
    """Chunks of a document's blocks; positions count from 0 in reading order."""
    if size < 50:
        raise ValueError("chunk size must be at least 50 characters")
    overlap = max(0, min(overlap, size // 3))
    title = title.strip()
    chunks: list[Chunk] = []
    stack: list[tuple[int, str]] = []
    current = _Open(path=())

    def emit(open_chunk: _Open) -> None:
        if not open_chunk.units:
            return
        body = "\n\n".join(u.text for u in open_chunk.units)
        section = SEPARATOR.join(open_chunk.path)
        prefix = SEPARATOR.join(p for p in (title, section) if p)
        offset = len(prefix) + 2 if prefix else 0
        anchors: list[tuple[int, int | None, str | None]] = []
        for unit in open_chunk.units:
            where = (unit.page, unit.label or section or None)
            if not anchors or anchors[-1][1:] != where:
                anchors.append((offset, *where))
            offset += len(unit.text) + 2
        chunks.append(
            Chunk(
                text=f"{prefix}\n\n{body}" if prefix else body,
                section=section,
                page=next((u.page for u in open_chunk.units if u.page is not None), None),
                position=len(chunks),
                anchors=tuple(anchors),
            )
        )

    # Whether each heading of the stack has had text under it (or under a sub-heading). One
    # replaced before it had any ("NOMOR: 119/KB/2025" between "ANTARA ..." and "TENTANG ..."
    # of an agreement's cover; "Pasal 1" above "Ruang Lingkup") stood in no chunk and no path:
    # its text goes first into the next section's text instead of being lost, unless the path
    # says it already (a scan's "BAB I" above "BAB I KETENTUAN UMUM").
    used: list[bool] = []
    headings: list[Block] = []
    orphans: list[_Unit] = []
    for block in blocks:
        if block.kind == "heading" and len(block.text) > MAX_HEADING_CHARS:
            # No heading: its text would prefix every chunk of its section (a hostile 2 MB
            # "# ..." line made each of 54 chunks 2 MB long).
            block = replace(block, kind="paragraph", level=0)
        if block.kind == "heading":
            emit(current)
            popped: list[_Unit] = []
            while stack and stack[-1][0] >= block.level:
                _, text = stack.pop()
                heading = headings.pop()
                if not used.pop() and text and text.casefold() != title.casefold():
                    popped.insert(0, _Unit(text, "heading", heading.page, heading.label))
            stack.append((block.level, block.text.strip()))
            used.append(False)
            headings.append(block)
            path = tuple(text for _, text in stack if text and text.casefold() != title.casefold())
            said = f" {_folded(' '.join((title, *path)))} "
            orphans.extend(u for u in popped if f" {_folded(u.text)} " not in said)
            current = _Open(path=path)
            continue
        used = [True] * len(used)
        # The orphans' text is packed like the block's own, so a run of them stays in bounds.
        leading = [
            _Unit(piece.text, "heading", piece.page, piece.label)
            for orphan in orphans
            for piece in _units(
                Block("paragraph", orphan.text, page=orphan.page, label=orphan.label), size, 0
            )
        ]
        orphans = []
        for unit in (*leading, *_units(block, size, overlap)):
            if (
                unit.kind in ("list", "table")
                and len(current.units) == 1
                and _is_lead_in(current.units[0])
                and current.length + 2 + len(unit.text) <= size * WHOLE_FACTOR
            ):
                current.units.append(unit)  # the lead-in and its steps, even a little over size
                continue
            if current.units and current.length + 2 + len(unit.text) > size:
                carried: list[_Unit] = []
                last = current.units[-1]
                if unit.kind in ("list", "table") and _is_lead_in(last) and len(current.units) > 1:
                    # "Langkah-langkahnya:" belongs with the steps that follow it.
                    carried.append(current.units.pop())
                elif unit.kind == "paragraph" and last.kind.startswith("paragraph") and overlap:
                    tail = _tail(last.text, overlap)
                    if tail and len(tail) + 2 + len(unit.text) <= size:
                        carried.append(_Unit(tail, "overlap", last.page, last.label))
                emit(current)
                current = _Open(path=current.path, units=carried)
            current.units.append(unit)
    emit(current)
    return chunks


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


def _is_lead_in(unit: _Unit) -> bool:
    return unit.kind == "paragraph" and len(unit.text) <= 200 and unit.text.rstrip().endswith(":")


def _units(block: Block, size: int, overlap: int) -> Iterable[_Unit]:
    text = block.text.strip()
    if not text:
        return
    if block.kind in ("list", "table", "code"):
        if len(text) <= size * WHOLE_FACTOR:
            yield _Unit(text, block.kind, block.page, block.label)
            return
        if block.kind == "list":
            pieces = _pack(_list_items(text), size)
        elif block.kind == "table":
            pieces = _table_pieces(text, size)
        else:
            pieces = _pack(_hard_split_lines(text.splitlines(), size), size)
        for piece in pieces:
            yield _Unit(piece, block.kind, block.page, block.label)
        return
    if len(text) <= size:
        yield _Unit(text, "paragraph", block.page, block.label)
        return
    for index, piece in enumerate(split_text(text, size, overlap)):
        # Pieces after the first already start with their own overlap.
        yield _Unit(piece, "paragraph" if index == 0 else "paragraph+", block.page, block.label)


def split_text(text: str, size: int, overlap: int) -> list[str]:
    """Cut running text between sentences (words, characters as last resorts), with overlap."""
    parts = sentences(text)
    pieces: list[str] = []
    for sentence in parts:
        if len(sentence) <= size:
            pieces.append(sentence)
        else:
            pieces.extend(_split_words(sentence, size))
    out: list[str] = []
    current: list[str] = []
    length = 0
    for piece in pieces:
        if current and length + 1 + len(piece) > size:
            out.append(" ".join(current))
            carry: list[str] = []
            carry_len = 0
            for previous in reversed(current):
                if carry_len + len(previous) + 1 > overlap:
                    break
                carry.insert(0, previous)
                carry_len += len(previous) + 1
            if carry_len + len(piece) > size:
                carry, carry_len = [], 0
            current, length = carry, carry_len
        current.append(piece)
        length += len(piece) + (1 if length else 0)
    if current:
        out.append(" ".join(current))
    return out


def _split_words(text: str, size: int) -> list[str]:
    words = text.split()
    out: list[str] = []
    current: list[str] = []
    length = 0
    for word in words:
        if len(word) > size:  # a "word" longer than a chunk: a huge token, cut it
            if current:
                out.append(" ".join(current))
                current, length = [], 0
            # Index slices: re-slicing the remainder each time would be quadratic.
            cut = (len(word) - 1) // size * size  # the last 1..size characters go on packing
            out.extend(word[i : i + size] for i in range(0, cut, size))
            word = word[cut:]
        if current and length + 1 + len(word) > size:
            out.append(" ".join(current))
            current, length = [], 0
        current.append(word)
        length += len(word) + (1 if length else 0)
    if current:
        out.append(" ".join(current))
    return out


def _hard_split_lines(lines: list[str], size: int) -> list[str]:
    out: list[str] = []
    for line in lines:
        if len(line) <= size:
            out.append(line)
        else:
            out.extend(_split_words(line, size))
    return out


def _list_items(text: str) -> list[str]:
    """Top-level items with their nested lines, so a step and its sub-steps stay together."""
    items: list[list[str]] = []
    for line in text.splitlines():
        if items and line.startswith((" ", "\t")):
            items[-1].append(line)
        else:
            items.append([line])
    return ["\n".join(item) for item in items]


def _pack(items: list[str], size: int) -> list[str]:
    out: list[str] = []
    current: list[str] = []
    length = 0
    for item in items:
        for piece in [item] if len(item) <= size else _split_words(item, size):
            if current and length + 1 + len(piece) > size:
                out.append("\n".join(current))
                current, length = [], 0
            current.append(piece)
            length += len(piece) + (1 if length else 0)
    if current:
        out.append("\n".join(current))
    return out


def _table_pieces(text: str, size: int) -> list[str]:
    rows = text.splitlines()
    header, body = rows[0], rows[1:]
    if len(header) > size // 2:
        return _pack(rows, size)
    return [f"{header}\n{piece}" for piece in _pack(body, size - len(header) - 1)]


def _tail(text: str, overlap: int) -> str:
    """The last whole sentences of ``text`` that fit in ``overlap`` characters."""
    taken: list[str] = []
    length = 0
    for sentence in reversed(sentences(text)[1:]):  # never the whole paragraph
        if length + len(sentence) + 1 > overlap:
            break
        taken.insert(0, sentence)
        length += len(sentence) + 1
    return " ".join(taken)
