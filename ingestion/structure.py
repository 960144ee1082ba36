"""The structure of Indonesian regulations, recognised in running text as well as in headings.

A regulation (UU, PP, Perpres, Permen, Perda, Perwal...) is divided into BAB, Bagian, Paragraf
and Pasal; a Pasal into ayat "(1)", "(2)"; then come the Penjelasan (explanation, again per
Pasal) and the Lampiran (annexes). Whatever the loader gave (Markdown paragraphs that run
several articles together, PDF lines, OCR'd text with "(21" for "(2)" or "Bagran" for
"Bagian"), :func:`structure_regulation` rebuilds the blocks so that every Pasal starts a
section (a chunk never straddles two articles) and every block says where it stands
(``Block.label``: "Pasal 12 ayat (2)", "Penjelasan Pasal 4", "Lampiran I"), which is what a
citation names.

Telling an article's heading from a reference to it ("sebagaimana dimaksud dalam Pasal 12")
rests on one robust fact: headings number the articles in sequence. A "Pasal N" counts as a
heading only where N is the next number (a gap of a few is allowed: OCR loses some), it is not
followed by "ayat"/"huruf"/a law's name, and not preceded by a referring word. The same holds
for ayat within an article.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from ingestion.schemas import Block

# --- the regulation's name ------------------------------------------------------------------

_KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"UNDANG[\s-]*UNDANG", re.I), "UU"),
    (re.compile(r"PERATURAN\s+PEME\S{2,6}\s+PENGGANTI", re.I), "Perppu"),
    (re.compile(r"PERATURAN\s+PEME\S{2,6}", re.I), "PP"),
    (re.compile(r"PERATURAN\s+PRESIDEN", re.I), "Perpres"),
    (re.compile(r"PERATURAN\s+MENTERI", re.I), "Permen"),
    (re.compile(r"PERATURAN\s+DAERAH", re.I), "Perda"),
    (re.compile(r"PERATURAN\s+GUBERNUR", re.I), "Pergub"),
    (re.compile(r"PERATURAN\s+BUPATI", re.I), "Perbup"),
    (re.compile(r"PERATURAN\s+WALI\s*KOTA", re.I), "Perwal"),
    (re.compile(r"KEPUTUSAN\s+PRESIDEN", re.I), "Keppres"),
)
_NUMBER_YEAR = re.compile(r"N[Oo]M[Oo]R\s+([0-9IlO]{1,4})\s*TAHUN\s+([0-9OLlIo]{4})", re.I)
_STOPS = "DENGAN PRESIDEN MENIMBANG MENGINGAT GUBERNUR BUPATI WALIKOTA"
_SUBJECT_STOP = frozenset(_STOPS.split())
_SMALL = (
    "dan di ke dari yang untuk dalam atas pada tentang sebagai atau serta bagi dengan oleh "
    "terhadap antara"
)
_SMALL_WORDS = frozenset(_SMALL.split())


@dataclass(frozen=True)
class Regulation:
    """What a regulation's opening says about it: "PP 28/2018 tentang Kerja Sama Daerah"."""

    kind: str
    number: str
    year: str
    subject: str | None

    @property
    def short_name(self) -> str:
        return f"{self.kind} {self.number}/{self.year}"

    @property
    def title(self) -> str:
        return f"{self.short_name} tentang {self.subject}" if self.subject else self.short_name


def _ocr_digits(text: str) -> str:
    return text.translate(str.maketrans("OoLlIi", "001111"))


def _title_case(text: str) -> str:
    words = text.split()
    out = []
    for i, word in enumerate(words):
        lower = word.lower()
        if i and lower in _SMALL_WORDS:
            out.append(lower)
        elif word.isupper() and len(word) > 1:
            out.append(word[:1] + word[1:].lower())
        else:
            out.append(word)
    return " ".join(out)


def _subject(after: str) -> str | None:
    """The upper-case words after "TENTANG", up to the preamble ("DENGAN RAHMAT...")."""
    words = after.split()
    if not words or words[0].upper() != "TENTANG":
        return None
    taken: list[str] = []
    for word in words[1:25]:
        if any(c.islower() for c in word) or word.rstrip(",:").upper() in _SUBJECT_STOP:
            break
        taken.append(word)
    subject = re.sub(r"[^\w)]+$", "", " ".join(taken))
    return _title_case(subject) if subject else None


def find_regulation(text: str) -> Regulation | None:
    """The regulation named in a document's opening (its first 3,000 characters)."""
    head = " ".join(text[:3000].split())
    for match in _NUMBER_YEAR.finditer(head):
        before = head[max(0, match.start() - 120) : match.start()]
        kind = next((name for pattern, name in _KINDS if pattern.search(before)), None)
        if kind is None:
            continue
        number = _ocr_digits(match.group(1)).lstrip("0") or "0"
        year = _ocr_digits(match.group(2))
        if not (year.isdigit() and 1945 <= int(year) <= 2100 and number.isdigit()):
            continue
        return Regulation(kind, number, year, _subject(head[match.end() :]))
    return None


# --- markers in running text ----------------------------------------------------------------

_ORDINALS = (
    "kesatu pertama kedua ketiga keempat kelima keenam ketujuh kedelapan kesembilan kesepuluh "
    "kesebelas"
)
_MARKER = re.compile(
    r"(?P<bab>\bBAB\s+(?P<bab_no>[IVXLC]{1,7}|\d{1,3})\b)"
    r"|(?P<bagian>\bBag\w{2,3}\s+(?P<bagian_no>Ke\w{3,12}|Pertama)\b)"
    r"|(?P<paragraf>\bParagraf\s+(?P<paragraf_no>\d{1,2}|Ke\w{3,12})\b)"
    # OCR's spellings of the word: "Pasil", "PasaL", "Pasa1 7", "Pasa] 2 I", "Pasa-l",
    # "P. asal" (read only as the very next article, see _accept_article).
    r"|(?P<pasal>\b(?P<pasal_word>PasaL|Pasa[1\]|](?=\s)|Pasa-l|P\.\s?asal|[Pp]as[a-z]{1,2})\s*"
    r"(?P<pasal_no>[0-9lIO]{1,3}(?:[\s.][\dlI]\b)?[A-Z]?|i\d{1,2})(?![\w/]))"
    r"|(?P<penjelasan>\bPENJE\S{1,4}ASAN\b)"
    # The Penjelasan's first part, "I. UMUM": it opens the Penjelasan when OCR lost the
    # "PENJELASAN ATAS ..." heading itself (upper case only: "Ketentuan Umum" is a title).
    r"|(?P<umum>(?<![\w.])I\.\s?UMUM\b)"
    r"|(?P<lampiran>\bLAMPIRAN(?:\s+(?P<lampiran_no>[IVX]{1,5}|\d{1,2}))?\b)"
    r"|(?P<ayat>(?:(?<=^)|(?<=[\s.;:]))(?:Ayat\s+)?[(\[{l]\s?(?P<ayat_no>[0-9lIOi]{1,2})"
    r"\s?(?:[)\]}]|[l1t](?=\s)|(?=\s[A-Z])))"
)
# Words that make a following "Pasal N" a reference, not a heading.
_REFERRING_WORDS = (
    "dalam pada dan atau dengan ketentuan berdasarkan menurut sesuai diatur dimaksud maksud "
    "lihat oleh sampai hingga sebagaimana bahwa terhadap mengenai melaksanakan tentang "
    "atas sd s.d. serta jo. juncto kecuali menjadi"
)
_REFERRING = frozenset(_REFERRING_WORDS.split())
# Lower-case "ayat": a reference ("Pasal 3 ayat (2)"); the Penjelasan's "Pasal 3 Ayat (1)
# Cukup jelas" is a heading.
_REFERENCE_AFTER = re.compile(
    r"\s*(?:ayat|huruf|angka|UU\s+(?:No|\d)|Undang[-\s]*Undang\s+(?:Nomor|No|Dasar|tentang)|"
    # ...but "Pasal 33 Peraturan Pemerintah ini mulai berlaku" is the closing article.
    r"Peraturan\s+(?:Pemerintah|Presiden|Menteri|Daerah)(?!\s+\^?ini\b)|PP\b|Perpres|"
    r"[Dd]an\s+[Pp]asal|sampai|s\.d\.|atau\s+[Pp]asal|,\s*[Pp]asal|jo\.)"
)
_ORDINAL_WORDS = frozenset(_ORDINALS.split())


def _arabic(roman: str) -> int | None:
    if roman.isdigit():
        return int(roman)
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    total = 0
    for i, char in enumerate(roman):
        value = values.get(char)
        if value is None:
            return None
        nxt = values.get(roman[i + 1], 0) if i + 1 < len(roman) else 0
        total += -value if value < nxt else value
    return total


def _article_numbers(raw: str) -> list[tuple[int, str]]:
    """Readings of an article number, likeliest first: ``"12"`` -> 12; ``"5A"`` -> 5A;
    OCR's ``"lO"`` -> 10 and ``"I"`` -> 1; ``"2 1"`` and ``"1.2"`` -> 21 and 12, else 2, 1;
    ``"2 I"`` -> 21, else 2; ``"2T"`` -> 2T, else 27."""
    parts = re.split(r"[\s.]", raw)
    readings = ["".join(parts), parts[0]] if len(parts) > 1 else [raw]
    out: list[tuple[int, str]] = []
    for reading in readings:
        suffix = ""
        if len(reading) > 1 and reading[-1:].isalpha() and reading[-1] not in "lIO":
            reading, suffix = reading[:-1], reading[-1]
        elif len(reading) > 1 and reading[-1] in "IO" and reading[:-1].isdigit():
            reading = reading  # "1O": an OCR'd zero, read below
        digits = _ocr_digits(reading)
        if digits.isdigit() and len(digits) <= 3:
            out.append((int(digits), f"{int(digits)}{suffix}"))
            if suffix == "T" and len(digits) < 3:  # no inserted article is lettered T: "2T" = 27
                out.append((int(f"{digits}7"), f"{int(digits)}7"))
    return out


@dataclass
class _State:
    """Where the reader is in the regulation."""

    part: str = "body"  # body | penjelasan | lampiran
    article: int = 0
    article_label: str | None = None
    ayat: int = 0
    bab: str | None = None
    bagian: str | None = None
    paragraf: str | None = None
    lampiran: str | None = None
    seen_article: bool = False

    def label(self) -> str | None:
        if self.part == "lampiran":
            return self.lampiran or "Lampiran"
        prefix = "Penjelasan " if self.part == "penjelasan" else ""
        if self.article_label is None:
            if self.part == "penjelasan":
                return "Penjelasan"
            # Before the first article: the preamble; after a BAB or Bagian heading whose
            # article heading was lost: the heading path says it best (None).
            return "Pembukaan" if not self.seen_article else None
        base = f"{prefix}Pasal {self.article_label}"
        return f"{base} ayat ({self.ayat})" if self.ayat else base


@dataclass(frozen=True)
class _Piece:
    """A stretch of text, or a heading, in reading order."""

    text: str
    kind: str  # "text", "list" or a heading kind: bab, bagian, paragraf, pasal, part
    page: int | None
    label: str | None = None
    level: int = 0


_OPENS_AYAT = re.compile(r"\s*[(\[{][1l][)\]}]")
_LOOK_BEHIND = 200
"""How far before a "Pasal N" marker its referring word is looked for (a word, a comma)."""
_PENJELASAN_START = re.compile(r"\s*(?:Cukup|Ayat|Huruf|Angka|Yang\s+dimaksud)", re.I)


def _accept_article(text: str, match: re.Match[str], state: _State) -> tuple[int, str] | None:
    """The article a "Pasal N" marker opens, or ``None`` if it is a reference (or noise).

    Only the text near the marker is read (the word before it, what follows it): this runs
    for every "Pasal N" of the whole document (:func:`_first_article`), and slicing and
    splitting everything before each one took minutes on a long document of references.
    """
    before = text[max(0, match.start() - _LOOK_BEHIND) : match.start()].rstrip()
    previous = before.rsplit(None, 1)[-1].lower() if before.strip() else ""
    end = match.end()
    if _REFERENCE_AFTER.match(text, end):
        return None
    opens_ayat = _OPENS_AYAT.match(text, end) is not None
    referring = previous.strip(",;") in _REFERRING or before.endswith((",", "/"))
    number_text = match.group("pasal_no")
    exact = (
        match.group("pasal_word").lower() == "pasal"
        and number_text[:1].isdigit()
        and not number_text.endswith("T")
    )
    for number, label in _article_numbers(match.group("pasal_no")):
        if referring and not (opens_ayat and number == state.article + 1):
            continue
        if not exact and number != state.article + 1:
            continue  # an OCR'd spelling ("Pasil27", "Pasal lO") only as the very next one
        if label[-1:].isalpha():  # "Pasal 5A" sits right after Pasal 5 (or another 5x)
            if number == state.article:
                return number, label
            continue
        if (
            number == 1
            and state.part == "body"
            and state.seen_article
            and state.article >= 3
            and _PENJELASAN_START.match(text, end)
        ):
            return number, label  # numbering restarts: the Penjelasan's "Pasal demi Pasal"
        if state.article < number <= state.article + 3:
            return number, label
    return None


_AYAT_REFERENCE = re.compile(r"\bayat\s*$")
"""Text before a paragraph number that makes it a reference: "dimaksud dalam Pasal 14 ayat
(2) huruf a" points at a paragraph, it does not open one (a heading is "(2)" alone, or the
elucidation's capitalised "Ayat (2)", which the marker itself takes in)."""


_OCR_ONE = re.compile(r"(?:Ayat\s+)?[(\[{]\s?i\s?[)\]}]")
"""OCR's "(i)" for paragraph (1): between brackets only ("lit" is a word, not "l" "i" "t")."""
_ROMAN_TWO = re.compile(r"[(\[{]\s?ii\s?[)\]}]")
_ROMAN_SPAN = 2000
"""How far after an "(i)" an "(ii)" makes it the first item of a list numbered in roman
numerals ("(i) surat; (ii) KTP"), not a paragraph."""


_SENTENCE_END = re.compile(r"[.;]\s*$")


def _opens_after_lost(text: str, match: re.Match[str], raw: str, expected: int) -> bool:
    """Whether an "(N)" one past the next paragraph opens paragraph N because OCR lost the
    next one's marker ("... perundang-undangan. (a) Hasil audit ... subsidi. (5) Dalam rangka
    ...": "(4)" read as "(a)"). Only the bracketed number itself, at a sentence's start (a
    full stop or semicolon before it, a capital after it): a reference reads "ayat (5)", a
    list item "a." or "1.", and the next paragraph number after such an "(N)" opens as
    before."""
    if match.group(0)[:1] not in "([{" or not raw.isdigit() or int(raw) != expected + 1:
        return False
    if not match.group(0).rstrip().endswith((")", "]", "}")):
        return False
    before = text[max(0, match.start() - 4) : match.start()]
    after = text[match.end() : match.end() + 2].lstrip()
    return bool(_SENTENCE_END.search(before)) and after[:1].isupper()


def _accept_ayat(text: str, match: re.Match[str], state: _State, following: str = "") -> int | None:
    """The paragraph an "(N)" marker opens, or ``None``; ``following``: the text after
    ``text`` (a list's next items)."""
    if state.article_label is None or state.part == "lampiran":
        return None
    if _AYAT_REFERENCE.search(text, max(0, match.start() - 12), match.start()):
        return None
    raw = _ocr_digits(match.group("ayat_no"))
    expected = state.ayat + 1
    if not any(c.isdigit() and int(c) == expected for c in (raw, raw[:1])):
        if state.ayat and _opens_after_lost(text, match, raw, expected):
            return expected + 1
        return None
    # Looked for only when the marker would open the next paragraph: each "(i)" of a long
    # text read the 2,000 characters after it (a megabyte of "(i) x" took 6 s).
    if "i" in match.group("ayat_no") and (
        _OCR_ONE.fullmatch(match.group(0)) is None
        or _ROMAN_TWO.search(f"{text[match.end() : match.end() + _ROMAN_SPAN]}\n{following}")
    ):
        return None
    return expected


def _scan(
    text: str, page: int | None, state: _State, kind: str, following: str = ""
) -> list[_Piece]:
    """Cut ``text`` at the structure markers it holds, updating ``state``; ``following``:
    what comes after it (a list's next items)."""
    pieces: list[_Piece] = []
    start = 0
    pending_title: _Piece | None = None

    def flush(end: int) -> None:
        nonlocal pending_title
        chunk = text[start:end].strip()
        if pending_title is not None:
            title, chunk = _split_title(chunk, pending_title.kind)
            pieces.append(replace(pending_title, text=f"{pending_title.text} {title}".strip()))
            pending_title = None
        if chunk:
            pieces.append(_Piece(chunk, kind, page, state.label()))

    for match in _MARKER.finditer(text):
        if match.group("ayat"):
            number = _accept_ayat(text, match, state, following)
            if number is None:
                continue
            flush(match.start())
            state.ayat = number
            start = match.start()
            continue
        change = _heading(text, match, state)
        if change is None:
            continue
        flush(match.start())
        heading = replace(change(state), page=page)
        if heading.kind in ("bab", "bagian", "paragraf"):
            pending_title = heading
        else:
            pieces.append(heading)
        start = match.end()
    flush(len(text))
    if pending_title is not None:
        pieces.append(pending_title)
    return pieces


def _heading(text: str, match: re.Match[str], state: _State) -> Callable[[_State], _Piece] | None:
    """If ``match`` is a heading, how it changes the state (applied after the text before it
    is flushed under the old state); else ``None``."""
    if match.group("bab"):
        if _arabic(match.group("bab_no")) is None or not match.group(0).startswith("BAB"):
            return None
        number = match.group("bab_no")

        def bab(st: _State) -> _Piece:
            st.bab, st.bagian, st.paragraf = f"BAB {number}", None, None
            st.article_label, st.ayat = None, 0
            return _Piece(f"BAB {number}", "bab", None, level=1)

        return bab
    if match.group("bagian"):
        ordinal = match.group("bagian_no")
        if ordinal.lower() not in _ORDINAL_WORDS:
            return None
        name = f"Bagian {ordinal.capitalize()}"

        def bagian(st: _State) -> _Piece:
            st.bagian, st.paragraf = name, None
            st.article_label, st.ayat = None, 0
            return _Piece(name, "bagian", None, level=2)

        return bagian
    if match.group("paragraf"):
        name = f"Paragraf {match.group('paragraf_no')}"

        def paragraf(st: _State) -> _Piece:
            st.paragraf = name
            st.article_label, st.ayat = None, 0
            return _Piece(name, "paragraf", None, level=3)

        return paragraf
    if match.group("pasal"):
        accepted = _accept_article(text, match, state)
        if accepted is None:
            return None
        number, label = accepted

        def pasal(st: _State) -> _Piece:
            if number == 1 and st.article >= 3 and st.part == "body":
                st.part = "penjelasan"  # numbering restarts: the Penjelasan's articles
                st.bab = st.bagian = st.paragraf = None
            st.article, st.article_label, st.ayat = number, label, 0
            st.seen_article = True
            return _Piece(f"Pasal {label}", "pasal", None, st.label(), level=4)

        return pasal
    if match.group("penjelasan") or match.group("umum"):
        if state.part != "body" or not state.seen_article:
            return None

        def penjelasan(st: _State) -> _Piece:
            st.part, st.article, st.article_label, st.ayat = "penjelasan", 0, None, 0
            st.bab = st.bagian = st.paragraf = None
            return _Piece("Penjelasan", "part", None, "Penjelasan", level=1)

        return penjelasan
    if match.group("lampiran"):
        if not state.seen_article:
            return None
        number_text = match.group("lampiran_no")
        name = f"Lampiran {number_text}" if number_text else "Lampiran"

        def lampiran(st: _State) -> _Piece:
            st.part, st.lampiran, st.article_label, st.ayat = "lampiran", name, None, 0
            return _Piece(name, "part", None, name, level=1)

        return lampiran
    return None


def _split_title(text: str, kind: str) -> tuple[str, str]:
    """A BAB/Bagian/Paragraf's own title, and the text after it.

    The title runs to the next sentence-like start; for a BAB it is the upper-case words.
    """
    if kind == "bab":
        words = text.split()
        taken = 0
        for word in words[:14]:
            if any(c.islower() for c in word) or word.startswith("("):
                break
            taken += 1
        title = " ".join(words[:taken])
        return title, " ".join(words[taken:])
    words = text.split()
    title_words: list[str] = []
    for word in words[:10]:
        if title_words and (word[:1].islower() and word not in _SMALL_WORDS):
            break
        if word.startswith("(") or word.endswith((".", ":", ";")):
            break
        title_words.append(word)
    title = " ".join(title_words)
    if len(title) > 100:
        return "", text
    return title, text[len(" ".join(words[: len(title_words)])) :].strip()


def _first_article(text: str) -> int | None:
    """The number the article headings start from, or ``None`` when there is no run of them.

    Usually 1; an excerpt of a long law starts anywhere ("Pasal 344"). A candidate counts
    when at least two more headings follow it in sequence.
    """
    candidates: list[tuple[int, re.Match[str]]] = []
    for match in _MARKER.finditer(text):
        if match.group("pasal") and match.group("pasal_word").lower() == "pasal":
            for number, label in _article_numbers(match.group("pasal_no")):
                if not label[-1:].isalpha():
                    candidates.append((number, match))
    for i, (number, match) in enumerate(candidates[:400]):
        state = _State(article=number - 1)
        accepted = _accept_article(text, match, state)
        if accepted is None or accepted[0] != number:
            continue
        state.article = number
        run = 1
        for later, later_match in candidates[i + 1 : i + 200]:
            if state.article < later <= state.article + 3 and _accept_article(
                text, later_match, state
            ) == (later, str(later)):
                state.article = later
                run += 1
                if run >= 3:
                    return number
    return None


def structure_regulation(blocks: Sequence[Block]) -> list[Block] | None:
    """The blocks of a regulation rebuilt along its structure, or ``None`` if it is not one.

    Headings come out as ``heading`` blocks (BAB 1, Bagian 2, Paragraf 3, Pasal 4;
    Penjelasan and Lampiran 1), and every block carries its ``label``.
    """
    first = _first_article("\n".join(b.text for b in blocks))
    if first is None:
        return None
    state = _State(article=first - 1)
    pieces: list[_Piece] = []
    for block in blocks:
        if block.kind == "list":
            pieces.extend(_scan_list(block, state))
        elif block.kind in ("table", "code"):
            pieces.append(_Piece(block.text, block.kind, block.page, state.label()))
        else:
            pieces.extend(_scan(block.text, block.page, state, "text"))
    return list(_blocks(pieces))


def _scan_list(block: Block, state: _State) -> list[_Piece]:
    """A list stays a list unless an item holds a structure marker (OCR runs them together)."""
    out: list[_Piece] = []
    items: list[str] = []
    label = state.label()
    lines = block.text.splitlines()
    for k, line in enumerate(lines):
        following = "\n".join(lines[k + 1 : k + 4])
        scanned = _scan(line, block.page, state, "list", following)
        if len(scanned) == 1 and scanned[0].kind == "list":
            items.append(line)
            label = scanned[0].label
            continue
        if items:
            out.append(_Piece("\n".join(items), "list", block.page, label))
            items = []
        out.extend(scanned)
        label = state.label()
    if items:
        out.append(_Piece("\n".join(items), "list", block.page, label))
    return out


def _blocks(pieces: Iterable[_Piece]) -> Iterable[Block]:
    for piece in pieces:
        if piece.kind in ("bab", "bagian", "paragraf", "pasal", "part"):
            yield Block(
                "heading", piece.text, level=piece.level, page=piece.page, label=piece.label
            )
        elif piece.kind == "list":
            yield Block("list", piece.text, page=piece.page, label=piece.label)
        elif piece.kind in ("table", "code"):
            yield Block(piece.kind, piece.text, page=piece.page, label=piece.label)  # type: ignore[arg-type]
        else:
            yield Block("paragraph", piece.text, page=piece.page, label=piece.label)
