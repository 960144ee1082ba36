"""The passages a question's type points at: a regulation's definitions and its closing lines.

A question that asks what a term means is answered by the regulation's definitions article
("Dalam Peraturan Pemerintah ini yang dimaksud dengan: ... 4. Forum Koordinasi Pimpinan di
Daerah yang selanjutnya disebut Forkopimda adalah forum ..."), one that asks when a regulation
was enacted by its closing lines ("Ditetapkan di Jakarta pada tanggal 25 Februari 2022").
Neither shares more than the term or the regulation's name with the question, so the searches
rank the articles that use the term above them, often out of the answer's reach. The retrieved
regulations' own such passages are therefore added to the passages an answer is composed from
(:meth:`knowledge_base.index.KnowledgeIndex.with_articles`); the unit scorer still chooses.

Documents without that structure (an encyclopaedia, a manual) have no such passage: nothing
is added for them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from knowledge_base.question import QuestionInfo
from knowledge_base.schemas import SearchHit

__all__ = [
    "ARTICLE_DOCUMENTS",
    "asked_terms",
    "closes",
    "defined_terms",
    "definition_match",
    "documents_to_open",
    "enactment_date",
    "entry_span",
    "insert_articles",
]

ARTICLE_DOCUMENTS = 2
"""The definitions or closing lines of at most this many documents are added, taken in the
order of their best passage among the first :data:`DEPTH` retrieved."""
DEPTH = 3
"""How many of the first retrieved passages name the documents looked into."""

_ENTRY = re.compile(
    r"(?:^|[\s;:])\d{1,3}\s*\.\s+(?P<term>[^.;:\d\s][^.;:]{0,160}?)(?<!\s)\s+"
    r"(?:yang\s+selanjutnya\s+(?:disebut|disingkat)\s+"
    r"(?P<short>[^.;:\s][^.;:]{0,79}?)(?<!\s)\s+)?"
    r"(?:adalah|ialah|means)\b"
    r"|(?:^|(?<=[.;:])\s+)(?P<named>[A-Z][^.;:]{0,160}?)(?<!\s)\s+yang\s+selanjutnya\s+"
    r"(?:disebut|disingkat)\s+(?P<abbr>[^.;:\s][^.;:]{0,79}?)(?<!\s)\s+(?:adalah|ialah)\b",
)
"""An entry of a definitions article: "N. Term adalah ..." or "[N.] Term yang selanjutnya
disebut Short adalah ..." (the line breaks of a scanned regulation are often lost, so entries
are read inline, and a sentence splitter may have left an entry's number behind). A plain
"Jakarta adalah ..." is no entry: an encyclopaedia answers that way whatever is asked.

A term or short form neither begins nor ends with a space: a run of blank lines
(a ``<pre>`` block or a Markdown code fence keeps them) could otherwise be split between the
spaces around a short form in every way, each tried (1,500 line ends after "disebut" took
9 s in one passage, read again for every question that asks what a term means)."""


_NUMBER_LEFT = re.compile(r"\.\s+\d{1,3}(?:\s*\.)?\s*$")
"""The next entry's number left at a span's end ("... di daerah. 3."); the spaces before an
optional dot read one way only (``\\s*\\.?\\s*`` split a run of spaces both ways)."""


def _named(found: re.Match[str]) -> tuple[str, str | None]:
    if found.group("term") is not None:
        return found.group("term").strip(), found.group("short")
    return found.group("named").strip(), found.group("abbr")


_CLOSING = re.compile(r"\bditetapkan\s+di\s+\S+\s+pada\s+tanggal\b", re.I)
"""A regulation's enactment line ("Ditetapkan di Jakarta pada tanggal 14 September 2017")."""


def defined_terms(text: str) -> list[str]:
    """The terms a definitions article's entries in ``text`` define, each long name and its
    short form ("Forum Koordinasi Pimpinan di Daerah", "Forkopimda")."""
    out: list[str] = []
    for found in _ENTRY.finditer(text):
        term, short = _named(found)
        out.append(term)
        if short:
            out.append(short.strip())
    return out


def definition_match(
    text: str,
    asked: set[str],
    terms: Callable[[str], list[str]],
    own: Sequence[str] = (),
) -> tuple[int, int]:
    """How well the best entry of ``text`` defines what the question asks: of the defined
    terms (and short forms) all of whose terms the question holds, the longest, counted first
    in the question's ``own`` terms, then in ``asked`` (with its synonyms and translations:
    "PNS" also reads "pegawai negeri sipil", which must not outweigh the "Masuk Kerja" the
    question names). ``(0, 0)`` when no entry's term stands whole in the question."""
    mine = set(own)
    return max(
        (_entry_match(found, asked, terms, mine)[:2] for found in _ENTRY.finditer(text)),
        default=(0, 0),
    )


def _entry_match(
    found: re.Match[str],
    asked: set[str],
    terms: Callable[[str], list[str]],
    mine: set[str],
    first: dict[str, int] | None = None,
    absent: int = 0,
) -> tuple[int, int, int]:
    """How an entry's term (or its short form) stands in the question: its size counted in
    the question's own terms, its size, and how early the question names it (``first``: a
    term's place in the question, ``absent`` for one it does not name); ``(0, 0, 0)`` when
    neither stands whole in ``asked``."""
    term, short = _named(found)
    places = first or {}
    return max(
        (
            (len(o) if o <= mine else 0, len(o), -min(places.get(t, absent) for t in o))
            for o in (set(terms(term)), set(terms(short or "")))
            if o and o <= asked
        ),
        default=(0, 0, 0),
    )


def asked_terms(
    own: Sequence[str],
    concepts: Sequence[tuple[Sequence[str], Sequence[Sequence[str]]]] = (),
) -> set[str]:
    """The question's terms with its concepts' alternatives (synonyms, an English word's
    Indonesian translations): "What is meant by personal data?" asks for "data pribadi"."""
    return set(own) | {t for _, alternatives in concepts for a in alternatives for t in a}


def entry_span(
    text: str,
    asked: set[str],
    terms: Callable[[str], list[str]],
    order: Sequence[str] = (),
) -> tuple[int, int] | None:
    """Where, in ``text``, the entry that defines the question's term stands (from its number
    to the next entry's): a scanned definitions article is often one run of inline entries,
    of which the question asks one. Of two terms the question holds alike, the one it names
    first (``order``: the question's terms in reading order): "Apa pengertian Masuk Kerja
    dalam PP Disiplin PNS?" asks "Masuk Kerja", "Disiplin PNS" names the regulation. ``None``
    when no entry's term stands whole in the question."""
    entries = list(_ENTRY.finditer(text))
    first = {t: i for i, t in reversed(list(enumerate(order)))}
    best: tuple[int, int] | None = None
    size: tuple[int, int, int] = (0, 0, 0)
    mine = set(order)
    for i, found in enumerate(entries):
        matched = _entry_match(found, asked, terms, mine, first, len(order))
        if matched[1] and matched > size:
            start = found.start() + len(found.group(0)) - len(found.group(0).lstrip(" \t\n;:"))
            end = entries[i + 1].start() if i + 1 < len(entries) else len(text)
            # The next entry's number a sentence splitter left behind ("... di daerah. 3.").
            trailing = _NUMBER_LEFT.search(text, start, end)
            best, size = (start, trailing.start() + 1 if trailing else end), matched
    return best


def closes(text: str) -> bool:
    """Whether ``text`` holds a regulation's enactment line (:data:`_CLOSING`)."""
    return bool(_CLOSING.search(text))


def enactment_date(info: QuestionInfo) -> bool:
    """Whether the question asks when a regulation was enacted or took effect."""
    return info.asks_enactment and info.qtype == "kapan"


def documents_to_open(hits: Sequence[SearchHit], info: QuestionInfo) -> list[str]:
    """The documents whose definitions or closing lines may answer the question: those of the
    first :data:`DEPTH` passages, best first, a document the question names by its number
    ("PP 38/2017") before the others; none when the question asks neither. The enactment is
    asked when the question asks *when* ("Kapan PP 38/2017 ditetapkan?"): "Perjanjian yang
    diteken sebelum PP 28/2018 berlaku, apakah ...?" names it but asks about a transition."""
    if not (info.asks_meaning or enactment_date(info)):
        return []
    docs = list(dict.fromkeys(h.doc_id for h in hits[:DEPTH]))
    if info.references:
        titles = {h.doc_id: h.title for h in hits[:DEPTH]}
        named = [
            d
            for d in docs
            if any(re.search(rf"\b{re.escape(n)}\b", titles.get(d, "")) for n in info.references)
        ]
        docs = named + [d for d in docs if d not in named]
    return docs[:ARTICLE_DOCUMENTS]


def insert_articles(hits: Sequence[SearchHit], added: Sequence[SearchHit]) -> list[SearchHit]:
    """``hits`` with each added passage right after the best passage of its document, scored
    as that passage (so that it competes for the answer as that document's part does). One
    already retrieved further down is moved up the same way: its own score may leave it out
    of the answer's reach (``answer.RELATIVE_CUTOFF``) even right after the best."""
    out = list(hits)
    was = {h.chunk_id: i for i, h in reversed(list(enumerate(hits)))}
    first = {h.doc_id: i for i, h in reversed(list(enumerate(hits)))}
    for extra in added:
        if extra.doc_id not in first:
            continue
        if was.get(extra.chunk_id) == first[extra.doc_id]:
            continue  # retrieved as its document's best passage
        out = [h for h in out if h.chunk_id != extra.chunk_id]
        at = next(i for i, h in enumerate(out) if h.doc_id == extra.doc_id)
        out.insert(at + 1, replace(extra, score=out[at].score))
    return out
