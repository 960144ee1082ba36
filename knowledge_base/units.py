"""The units of a passage: its sentences, list items and table rows, as an answer quotes them.

One definition serves the answer (which unit states the asked fact) and the index (each unit's
vector, computed when the passage is written): both must cut a passage the same way, or a
stored unit vector would not find its unit. Units are matched to their vectors by a hash of
the text they are read as (:func:`unit_key`), so a change in how passages are cut only leaves
some vectors unused; it never pairs a vector with the wrong sentence.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

_NOT_AN_END = (
    r"(?:(?<=\d [MH])|(?<!\b[A-Z]))(?<!\b(?:Dr|Ir|Mr|Ms|St|Jl|Tn|Ny|Hj|KH|dr|Br|Fr|Ds))"
    r"(?<![^\W\d] gr)(?<!\b(?:Drs|Mrs|Sdr|Moh|Muh|Kol|Mgr|Rev|Pdt|Drg|Kpt|Kab|Kec|Kel))"
    r"(?<!\b(?:Prof|Sdri|Jend|Kapt|Prov))"
    r"(?<!\b(?:Letkol|Letjen|Mayjen|Kompol|Laksda|Marsda))(?<!\b(?:Brigjen|Laksdya|Marsdya))"
)
"""A period after an initial or a title written before a name ends no sentence: a degree
("Dr.", "Ir.", "Prof."), a church's title ("Mgr.", "Rev.", "Pdt.", "Br.", "Fr.", "Ds."), a
rank ("Kol.", "Letkol.", "Brigjen."), the kind of a region or village before its name ("Kab.
Subang", "Kec. Coblong", "Kel.", "Prov.", "Ds." for desa) and, after a name, "gr." (gelar:
"Djamin gr. Datuk Bagindo"; after a figure it stays grams, "100 gr."). An era after a year is
no initial: "tahun 680 M." and "1344 H." (Masehi, Hijriah) may end a sentence."""
SENTENCE_END = re.compile(
    rf"(?:[!?…]|{_NOT_AN_END}\.)[\"'”’)\]]*(?:\[\d{{1,3}}\])*(\s+)(?=[\"'“‘(\[]?[A-ZÀ-Ý])"
)
"""Where one sentence ends and the next begins (group 1: the white space between them): after
. ! ? or …, any closing quotes or brackets and citation marks (".[1] Kalimat", as Wikipedia
leaves them), before a capital. A digit does not open a sentence, so "Perda No. 5" and
"Rp. 10.000" stay whole; nor does a period end one after an initial or a title ("S.
Nishijima", "Drs. H. Uso", "Prof. Ir. Hendrik van Breen"), so a name stays in its sentence.
The chunker cuts long paragraphs at the same places."""
LIST_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*•]|[a-z][.)])\s+")


@dataclass(frozen=True)
class Span:
    """A unit of a passage (sentence, list item, table row) and where it stands in the text."""

    start: int
    end: int
    text: str
    is_list: bool = False


@dataclass(frozen=True)
class Unit:
    """A unit of a passage and the text it is read as: a table row with its table's header
    ("Izin reklame | 3 hari kerja" under "Jenis izin | Waktu penyelesaian")."""

    span: Span
    read: str
    header: bool = False
    """The first row of a table: scored, never chosen alone."""
    place: int = 0
    """Its position for the scorer: the rows of a table all stand at the table's place."""


def is_table_row(text: str) -> bool:
    return text.count(" | ") >= 1


def split_spans(text: str, offset: int = 0) -> list[Span]:
    """Sentences, with list items and short lines kept as their own units, with offsets."""
    spans: list[Span] = []
    position = 0
    for line in text.splitlines(keepends=True):
        line_start = position
        position += len(line)
        stripped = line.strip()
        if not stripped:
            continue
        lead = line_start + (len(line) - len(line.lstrip()))
        if is_table_row(stripped):
            spans.append(Span(offset + lead, offset + lead + len(stripped), stripped, True))
            continue
        if LIST_ITEM.match(stripped):
            for found, end in _inline_items(stripped):
                start = offset + lead + found
                spans.append(Span(start, offset + lead + end, stripped[found:end], True))
            continue
        body = line[lead - line_start :].rstrip()
        for found, end in sentence_bounds(body):
            piece = body[found:end]
            start = offset + lead + found
            spans.append(Span(start, start + len(piece), piece))
    return spans


LONG_ITEM_CHARS = 320
"""A list line longer than this is looked at for the items a scan ran into it."""
_ITEM_MARK = re.compile(r"^\s*(\d{1,2}|[a-z])[.)]\s")


def _inline_items(line: str) -> list[tuple[int, int]]:
    """The items of one list line, ``(start, end)``: the line whole, or, when it is long and
    holds the next items' markers in sequence after a sentence's end ("1. Koordinasi adalah
    ... terpadu. 2. Perlindungan Anak adalah ... 3. Anak adalah ..."), each item apart. OCR
    and text dumps of regulations lose the line breaks between items, and the whole run (900
    characters of definitions) was one unit, quoted whole for any one of them."""
    mark = _ITEM_MARK.match(line)
    if len(line) <= LONG_ITEM_CHARS or mark is None:
        return [(0, len(line))]
    first = mark.group(1)
    number = int(first) if first.isdigit() else ord(first)
    bounds = [0]
    while True:
        number += 1
        label = str(number) if first.isdigit() else chr(number)
        if not first.isdigit() and not label.isalpha():
            break
        found = re.search(rf"(?<=[.;])\s+(?={re.escape(label)}[.)]\s+\S)", line[bounds[-1] :])
        if found is None:
            break
        bounds.append(bounds[-1] + found.end())
    if len(bounds) == 1:
        return [(0, len(line))]
    bounds.append(len(line))
    return [(a, a + len(line[a:b].rstrip())) for a, b in pairwise(bounds)]


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """Where each sentence of ``text`` stands, ``(start, end)``, without the white space
    around it (:data:`SENTENCE_END`)."""
    out: list[tuple[int, int]] = []
    start = 0
    for match in (*SENTENCE_END.finditer(text), None):
        end = match.start(1) if match is not None else len(text)
        piece = text[start:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append((start + lead, start + len(piece.rstrip())))
        if match is not None:
            start = match.end(1)
    return out


def strip_prefix(text: str, title: str, section: str | None) -> str:
    """A passage without the "title > section" heading the chunker put in front of it."""
    text = text.strip()
    first, sep, rest = text.partition("\n")
    if sep and ((title and first.strip().startswith(title.strip())) or " > " in first):
        return rest.strip()
    if title and text.startswith(title):
        # One-line form "Title > Section: text" or "Title > Section text".
        head = text[len(title) :]
        if section and head.lstrip(" >").startswith(section):
            head = head.lstrip(" >")[len(section) :]
        return head.lstrip(" >:\n").strip() or text
    return text


def body_offset(text: str, title: str, section: str | None) -> int:
    """Where the passage proper starts in ``text`` (after the "title > section" line)."""
    body = strip_prefix(text, title, section)
    found = text.find(body)
    return found if found >= 0 else 0


UNITS_REMEMBERED = 1024
"""How many passages' units :func:`passage_units` keeps: one question's answer reads the units
of the same few passages twice (the search's check for missing sentence vectors, then the
sentence choice), and a passage is 1-2 kB (docs/benchmarks.md, seventeenth round)."""


def passage_units(text: str, title: str, section: str | None) -> list[Unit]:
    """The units of a stored passage (``text`` as indexed, with its heading line), in order.

    The units of the last :data:`UNITS_REMEMBERED` passages are kept (units are frozen and
    depend on the three strings only); each call gets its own list."""
    return list(_passage_units(text, title, section))


@lru_cache(maxsize=UNITS_REMEMBERED)
def _passage_units(text: str, title: str, section: str | None) -> tuple[Unit, ...]:
    return tuple(_units_of(text, title, section))


def _units_of(text: str, title: str, section: str | None) -> list[Unit]:
    offset = body_offset(text, title, section)
    out: list[Unit] = []
    header: Span | None = None
    header_index = 0
    for i, span in enumerate(split_spans(text[offset:], offset)):
        if not is_table_row(span.text):
            header = None
            out.append(Unit(span, span.text, place=i))
            continue
        if header is None:
            header, header_index = span, i
            out.append(Unit(span, span.text, header=True, place=i))
            continue
        out.append(Unit(span, f"{header.text} {span.text}", place=header_index))
    return out


def unit_key(read: str) -> bytes:
    """The content address of a unit's vector: 8 bytes of a hash of its read text."""
    return hashlib.blake2b(read.encode("utf-8"), digest_size=8).digest()
