"""Reading a signed KB, PKS or addendum: rules and dictionaries over its printed lines.

Pure functions: lines in, an :class:`AgreementReading` out, with every field's page, line and
confidence. No model, no I/O; regions are resolved with the directory handed in, and a name
that fits several regions is left for the user to choose.

How Indonesian agreements are laid out, which the rules rely on:

* a heading: the kind ("KESEPAKATAN BERSAMA", "PERJANJIAN KERJA SAMA", "ADENDUM PERTAMA ..."),
  "ANTARA <party> DAN/DENGAN <party>", "TENTANG <subject>", and one "NOMOR : ..." per party;
* an opening: "Pada hari ini Senin tanggal tujuh belas bulan Maret tahun dua ribu dua puluh
  lima ..." (words, sometimes digits in brackets), or a date at the signatures;
* a term: "berlaku untuk jangka waktu 5 (lima) tahun terhitung sejak tanggal ditandatangani",
  or "sampai dengan tanggal 16 Maret 2030";
* a PKS names the KB it carries out, an addendum the agreement it amends, each "Nomor ...".
"""

from __future__ import annotations

import bisect
import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from core.errors import AppError
from mou_tracker.dates import MONTHS, parse_date
from mou_tracker.errors import RegionAmbiguous
from mou_tracker.intake.apps import find_apps
from mou_tracker.intake.schemas import (
    AgreementReading,
    Found,
    PartyFinding,
    SourcePage,
    Term,
)
from mou_tracker.intake.words import NUMBER_WORDS, WEEKDAYS, word_date, words_to_number
from mou_tracker.regions import Region, RegionDirectory

# ---------------------------------------------------------------------------------------------
# the document as one text, with offsets mapped back to (page, line)


@dataclass
class _Text:
    text: str
    starts: list[int]
    places: list[tuple[int | None, int, float, str]]  # page, line, confidence, line text

    @classmethod
    def of(cls, pages: Sequence[SourcePage]) -> _Text:
        parts: list[str] = []
        starts: list[int] = []
        places: list[tuple[int | None, int, float, str]] = []
        offset = 0
        for page in pages:
            for number, line in enumerate(page.lines, start=1):
                clean = " ".join(line.split())
                starts.append(offset)
                places.append((page.page, number, page.confidence, clean))
                parts.append(clean)
                offset += len(clean) + 1
        return cls("\n".join(parts), starts, places)

    def where(self, offset: int) -> tuple[int | None, int, float, str]:
        index = max(0, bisect.bisect_right(self.starts, offset) - 1)
        return self.places[index] if self.places else (None, 0, 1.0, "")

    def found(self, value: object, offset: int, strength: float) -> Found:  # type: ignore[type-arg]
        page, line, ocr, text = self.where(offset)
        return Found(value, page, line, round(strength * _ocr_factor(ocr), 3), text[:200])


def _ocr_factor(confidence: float) -> float:
    # A clean text layer is 1.0; OCR at 0.9 word confidence costs little, at 0.6 a lot.
    return max(0.3, min(1.0, 0.25 + confidence * 0.8))


# ---------------------------------------------------------------------------------------------
# patterns

_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "addendum",
        re.compile(
            r"\b(?:ADD?END[UA]M|AMANDEMEN|PERUBAHAN\s+(?:PERTAMA|KEDUA|KETIGA|KEEMPAT|ATAS))\b",
            re.I,
        ),
    ),
    ("pks", re.compile(r"\bPERJANJIAN\s+KERJA\s*SAMA\b|\bPKS\b", re.I)),
    (
        "kb",
        re.compile(
            r"\bKESEPAKATAN\s+BERSAMA\b|\bNOTA\s+(?:KESEPAKATAN|KESEPAHAMAN)\b|"
            r"\bMEMORANDUM\s+(?:OF\s+UNDERSTANDING|SALING\s+PENGERTIAN)\b|\bMOU\b",
            re.I,
        ),
    ),
)
_KB_PHRASE = _KINDS[2][1]
_AGREEMENT_PHRASE = re.compile(_KINDS[1][1].pattern + "|" + _KB_PHRASE.pattern, re.I)

# A document number: groups joined by slashes ("119/HK.01/Bag.Huk/2018", "415.4/021-Huk/2024").
_NUM = r"[A-Za-z0-9][A-Za-z0-9.\-]*(?:[ \t]?/[ \t]?[A-Za-z0-9][A-Za-z0-9.\-]*)+"
_NUMBER_LABEL = re.compile(rf"\b(?:NOMOR|Nomor|NO|No)\s*[:;.]?\s*(?P<num>{_NUM})")
_OPENING = re.compile(
    r"\bPada\s+hari\s+ini\b|\byang\s+bertanda\s*tangan\b|\bPasal\s+1\b|\bPASAL\s+1\b", re.I
)

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_OR_WORDS = rf"(?:\d{{1,2}}|{NUMBER_WORDS})"
_YEAR_OR_WORDS = rf"(?:\d{{4}}|{NUMBER_WORDS})"
_WEEKDAY = "|".join(WEEKDAYS)
_WORD_DATE = re.compile(
    rf"\bPada\s+hari\s+ini\s*,?\s*(?P<weekday>{_WEEKDAY})?\s*,?\s*tanggal\s+"
    rf"(?P<day>{_DAY_OR_WORDS})\s*(?:\((?P<day2>[^)]{{1,40}})\))?\s*,?\s*"
    rf"(?:bulan\s+)?(?P<month>{_MONTH})\s*,?\s*(?:tahun\s+)?"
    rf"(?P<year>{_YEAR_OR_WORDS})\s*(?:\((?P<year2>[^)]{{1,60}})\))?",
    re.I,
)
_DIGIT_DATE = rf"(?:\d{{1,2}}\s+(?:{_MONTH})\.?\s+\d{{4}}|\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{4}})"
_OPENING_DIGIT_DATE = re.compile(
    rf"\bPada\s+hari\s+ini\b[^\n]{{0,40}}?(?P<date>{_DIGIT_DATE})", re.I
)
_SIGNED_AT = re.compile(
    rf"\b(?:ditandatangani|ditetapkan|dibuat)\s+di\s+[A-Za-z .]{{2,40}}?\s*,?\s*"
    rf"(?:pada\s+)?(?:tanggal|tgl\.?)?\s*(?P<date>{_DIGIT_DATE})",
    re.I,
)
_PLACE_DATE_LINE = re.compile(rf"^[A-Z][A-Za-z .]{{2,30}},\s*(?P<date>{_DIGIT_DATE})\s*$", re.M)

_TERM = re.compile(
    r"(?:jangka\s+waktu|berlaku\s+(?:untuk\s+)?selama|diperpanjang\s+(?:untuk\s+)?"
    r"(?:jangka\s+waktu\s+)?selama|berlaku\s+untuk|masa\s+berlaku)\s*:?\s*(?:selama\s+)?"
    rf"(?:(?P<num>\d{{1,3}})\s*(?:\((?P<words>{NUMBER_WORDS})\))?|(?P<words2>{NUMBER_WORDS})"
    r"\s*(?:\((?P<num2>\d{1,3})\))?)\s*(?P<unit>tahun|bulan)\b",
    re.I,
)
_EXPLICIT_END = re.compile(
    rf"\b(?:sampai\s+dengan|s\.\s?d\.?|hingga|berakhir\s+pada)\s+(?:tanggal\s+)?"
    rf"(?P<date>{_DIGIT_DATE})",
    re.I,
)
_VALIDITY = re.compile(r"\bberlaku\b|\bberakhir\b|\bdiperpanjang\b|\bjangka\s+waktu\b", re.I)

_LEVEL_WORD = r"(?:KABUPATEN|KAB\.?|KOTA|PROVINSI|PROV\.)"
_REGION_MENTION = re.compile(
    rf"\b(?P<level>{_LEVEL_WORD})\s+(?P<name>[A-Z][A-Za-z'\-]*(?:\s+[A-Z][A-Za-z'\-]*){{0,3}})",
    re.I,
)
_SIGNER = re.compile(
    r"\b(?P<title>BUPATI|WALI\s?KOTA|WALIKOTA|GUBERNUR)\s+(?P<name>[A-Z][A-Za-z'\-]*"
    r"(?:\s+[A-Z][A-Za-z'\-]*){0,3})",
    re.I,
)
_SIGNER_LEVEL = {
    "bupati": "regency",
    "walikota": "city",
    "wali kota": "city",
    "gubernur": "province",
}
_NAME_STOP = {
    "dan",
    "dengan",
    "tentang",
    "nomor",
    "no",
    "selanjutnya",
    "yang",
    "dalam",
    "untuk",
    "pada",
    "di",
    "sebagai",
    "selaku",
    "atas",
    "beserta",
    "serta",
    "bertindak",
    "tahun",
    "provinsi",
    "kabupaten",
    "kota",
    "pemerintah",
    "pihak",
    "kesatu",
    "pertama",
    "kedua",
    "ketiga",
    "periode",
    "masa",
}
_PARTY_START = re.compile(
    r"^(?:PEMERINTAH|PEMKOT|PEMKAB|PEMPROV|PEMDA|DINAS|BADAN|KANTOR|SEKRETARIAT|KABUPATEN|"
    r"KOTA|PROVINSI|BUPATI|WALI|WALIKOTA|GUBERNUR|BAGIAN|RUMAH|PERUSAHAAN|PT\b)",
    re.I,
)


# ---------------------------------------------------------------------------------------------
# the reader


def read_agreement(pages: Sequence[SourcePage], regions: RegionDirectory) -> AgreementReading:
    """Every field the rules find in a KB, PKS or addendum, with where and how sure."""
    doc = _Text.of(pages)
    header_end = _header_end(doc)
    kind = _kind(doc, header_end)
    numbers, header_parents = _numbers(doc, header_end)
    signed = _signed_on(doc)
    term = _term(doc)
    ends = _ends_on(doc, header_end, signed, term)
    parties = _parties(doc, header_end, regions)
    parents: tuple[Found[str], ...] = ()
    if kind is not None and kind.value in ("pks", "addendum"):
        parents = _parent_numbers(doc, header_end, kind.value, numbers, header_parents)
    return AgreementReading(
        kind=kind,
        numbers=numbers,
        title=_title(doc, header_end, kind),
        signed_on=signed,
        ends_on=ends,
        term=term,
        parties=parties,
        apps=tuple(
            doc.found(name, offset, strength) for name, offset, strength in find_apps(doc.text)
        ),
        parent_numbers=parents,
    )


# The first party is "PIHAK PERTAMA" or, as often, "PIHAK KESATU".
_PARTIES = re.compile(r"\bPIHAK\s+(?:PERTAMA|KESATU)\b[\s\S]*\bPIHAK\s+KEDUA\b", re.I)


def looks_like_agreement(text: str) -> str | None:
    """The kind (``kb``, ``pks``, ``addendum``) when ``text`` reads as a signed agreement.

    Cheaper and stricter than :func:`read_agreement`: the heading names the kind (in the
    first 1,500 characters) and the body has an agreement's opening or signing statement and
    its two parties. A guide that merely mentions an MoU does not pass.
    """
    head = text[:1500]
    kind = next((k for k, pattern in _KINDS if pattern.search(head)), None)
    if kind is None:
        return None
    body = text[:20_000]
    signed = _OPENING.search(body) or _SIGNED_AT.search(body) or _WORD_DATE.search(body)
    return kind if signed and _PARTIES.search(body) else None


def _header_end(doc: _Text) -> int:
    match = _OPENING.search(doc.text)
    limit = doc.starts[min(len(doc.starts) - 1, 45)] if doc.starts else 0
    if match is None:
        return max(limit, min(len(doc.text), 1500))
    return match.start()


def _kind(doc: _Text, header_end: int) -> Found[str] | None:
    header = doc.text[:header_end]
    best: tuple[int, str] | None = None
    for kind, pattern in _KINDS:
        match = pattern.search(header)
        if match is None:
            continue
        if kind == "addendum":
            return doc.found("addendum", match.start(), 0.95)
        if best is None or match.start() < best[0]:
            best = (match.start(), kind)
    if best is None:
        for kind, pattern in _KINDS:  # a heading the OCR lost: the body still names it
            match = pattern.search(doc.text)
            if match is not None:
                return doc.found(kind, match.start(), 0.6)
        return None
    return doc.found(best[1], best[0], 0.95)


def normalize_number(text: str) -> str:
    """A document number as printed, without the spaces OCR puts around slashes."""
    text = re.sub(r"\s*/\s*", "/", text.strip())
    # OCR reads a zero as O and a one as l or I next to digits ("HK.O1" is "HK.01").
    text = re.sub(r"(?<=[\d.])[Oo](?=\d)|(?<=\d)[Oo](?=[\d./-])", "0", text)
    text = re.sub(r"(?<=\d)[lI](?=\d)", "1", text)
    return text.rstrip(".,;:)")


def _numbers(doc: _Text, header_end: int) -> tuple[tuple[Found[str], ...], list[int]]:
    """The agreement's own numbers (labelled "NOMOR" in the heading) and the offsets of
    numbers in the heading that belong to another agreement ("ATAS PKS NOMOR ...")."""
    found: list[Found[str]] = []
    parents: list[int] = []
    seen: set[str] = set()
    for match in _NUMBER_LABEL.finditer(doc.text, 0, header_end):
        line_start = doc.text.rfind("\n", 0, match.start()) + 1
        # Words before the label on its line, numbers left out ("027/PKS.41/..." says PKS too).
        before = re.sub(_NUM, " ", doc.text[line_start : match.start()])
        if _AGREEMENT_PHRASE.search(before):
            parents.append(match.start("num"))
            continue
        value = normalize_number(match["num"])
        if not _plausible_number(value) or value.lower() in seen:
            continue
        seen.add(value.lower())
        found.append(doc.found(value, match.start(), 0.95))
    return tuple(found), parents


def _plausible_number(value: str) -> bool:
    groups = value.split("/")
    return len(groups) >= 2 and any(ch.isdigit() for ch in value) and len(value) >= 5


def _parent_numbers(
    doc: _Text,
    header_end: int,
    kind: str,
    own: Sequence[Found[str]],
    header_parents: Sequence[int],
) -> tuple[Found[str], ...]:
    own_keys = {n.value.lower() for n in own}
    found: list[Found[str]] = []
    seen: set[str] = set()

    def add(value: str, offset: int, strength: float) -> None:
        value = normalize_number(value)
        key = value.lower()
        if key in own_keys or key in seen or not _plausible_number(value):
            return
        seen.add(key)
        found.append(doc.found(value, offset, strength))

    for offset in header_parents:
        match = re.compile(_NUM).match(doc.text, offset)
        if match:
            add(match.group(0), offset, 0.9)
    wanted = _KB_PHRASE if kind == "pks" else _AGREEMENT_PHRASE
    for phrase in wanted.finditer(doc.text, header_end):
        window = doc.text[phrase.end() : phrase.end() + 320]
        stop = re.search(r"\bPasal\b|\bPASAL\b|;|\.\s+[A-Z]", window)
        if stop is not None:
            window = window[: stop.start() + 1]
        for match in _NUMBER_LABEL.finditer(window):
            add(match["num"], phrase.end() + match.start(), 0.85)
        if found:
            break  # the first agreement the body cites is the one it carries out or amends
    return tuple(found)


def _signed_on(doc: _Text) -> Found[date] | None:
    match = _WORD_DATE.search(doc.text)
    if match is not None:
        day_text = match["day"]
        year_text = match["year"]
        value = word_date(day_text, match["month"], year_text)
        if value is None and match["day2"] and match["year2"]:
            value = word_date(match["day2"], match["month"], match["year2"])
        if value is not None:
            strength = 0.9
            # Words and digits that agree ("17 (tujuh belas)") and a weekday that fits the
            # date make a misread unlikely; a weekday that does not fit makes it likely.
            checks = [
                (match["day2"], day_text, value.day),
                (match["year2"], year_text, value.year),
            ]
            for extra, _main, expected in checks:
                if extra and _number_of(extra) == expected:
                    strength += 0.03
            weekday = (match["weekday"] or "").lower()
            if weekday in WEEKDAYS:
                strength = 0.98 if WEEKDAYS[weekday] == value.weekday() else 0.6
            return doc.found(value, match.start(), min(strength, 0.98))
    for pattern, strength in ((_OPENING_DIGIT_DATE, 0.9), (_SIGNED_AT, 0.85)):
        match = pattern.search(doc.text)
        if match is not None:
            value = _date(match["date"])
            if value is not None:
                return doc.found(value, match.start(), strength)
    candidates = list(_PLACE_DATE_LINE.finditer(doc.text))
    if candidates:
        match = candidates[-1]  # the signatures are at the end
        value = _date(match["date"])
        if value is not None:
            return doc.found(value, match.start(), 0.75)
    return None


def _number_of(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else words_to_number(text)


def _date(text: str) -> date | None:
    try:
        return parse_date(text)
    except AppError:
        return None


def _term(doc: _Text) -> Found[Term] | None:
    for match in _TERM.finditer(doc.text):
        digits = match["num"] or match["num2"]
        words = match["words"] or match["words2"]
        by_digits = int(digits) if digits else None
        by_words = words_to_number(words) if words else None
        count = by_words if by_words is not None else by_digits
        if not count or count > 100:
            continue
        strength = 0.95 if by_digits is not None and by_words == by_digits else 0.8
        if by_digits is not None and by_words is not None and by_words != by_digits:
            strength = 0.5
        unit = match["unit"].lower()
        anchor = "extension" if "diperpanjang" in match.group(0).lower() else "signing"
        term = (
            Term(years=count, anchor=anchor)
            if unit == "tahun"
            else Term(months=count, anchor=anchor)
        )
        return doc.found(term, match.start(), strength)
    return None


def add_term(start: date, term: Term) -> date:
    """``start`` plus the term, on the same day of the month (the last day when it has none)."""
    months = start.month - 1 + term.months + 12 * term.years
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def _ends_on(
    doc: _Text, header_end: int, signed: Found[date] | None, term: Found[Term] | None
) -> Found[date] | None:
    for match in _EXPLICIT_END.finditer(doc.text, header_end):
        sentence_start = max(
            doc.text.rfind(".\n", 0, match.start()), doc.text.rfind(". ", 0, match.start())
        )
        context = doc.text[max(sentence_start, match.start() - 240) : match.start()]
        if not _VALIDITY.search(context):
            continue
        value = _date(match["date"])
        if value is not None and (signed is None or value > signed.value):
            return doc.found(value, match.start(), 0.92)
    if term is not None and signed is not None and term.value.anchor == "signing":
        value = add_term(signed.value, term.value)
        return Found(
            value,
            term.page,
            term.line,
            round(min(term.confidence, signed.confidence), 3),
            term.text,
        )
    return None


# ---------------------------------------------------------------------------------------------
# parties


def _parties(doc: _Text, header_end: int, regions: RegionDirectory) -> tuple[PartyFinding, ...]:
    header = doc.text[:header_end]
    flat = header.replace("\n", " ")
    antara = re.search(r"\bANTARA\b", flat, re.I)
    segments: list[tuple[str, int]] = []
    if antara is not None:
        rest = flat[antara.end() :]
        stop = re.search(r"\b(?:TENTANG|NOMOR|NO\s*[.:])\b|\bPERIHAL\b", rest, re.I)
        body = rest[: stop.start()] if stop else rest[:400]
        segments = _split_parties(body, antara.end())
    signers = _signer_levels(doc.text)
    parties: list[PartyFinding] = []
    for text, offset in segments:
        party = _resolve_party(doc, text, offset, regions, signers)
        if party is not None and all(p.code is None or p.code != party.code for p in parties):
            parties.append(party)
    if len(parties) < 2:
        parties = _parties_from_roles(doc, regions, signers) or parties
    return tuple(parties)


def _split_parties(body: str, base: int) -> list[tuple[str, int]]:
    """ "PEMERINTAH KOTA BANDUNG DAN PEMERINTAH KABUPATEN KERINCI" -> the two parties; the "DAN"
    of "DINAS KOMUNIKASI DAN INFORMATIKA" joins words, not parties."""
    joiners = list(re.finditer(r"\s+(?:DENGAN|DAN)\s+|\s*,\s*", body, re.I))
    pieces: list[tuple[str, int, str]] = []  # text, offset, the joiner before it
    position, joiner = 0, ""
    for match in joiners:
        pieces.append((body[position : match.start()], base + position, joiner))
        position, joiner = match.end(), match.group(0)
    pieces.append((body[position:], base + position, joiner))
    parts: list[tuple[str, int]] = []
    for text, offset, before in pieces:
        if not text.strip():
            continue
        new_party = not parts or "dengan" in before.lower() or bool(_PARTY_START.match(text))
        if new_party:
            parts.append((text.strip(), offset))
        else:
            last, last_offset = parts[-1]
            parts[-1] = (f"{last}{before}{text}".strip(), last_offset)
    return parts


def _signer_levels(text: str) -> dict[str, set[str]]:
    """Bare names -> levels the signatories' titles give them ("Bupati Tasikmalaya")."""
    levels: dict[str, set[str]] = {}
    for match in _SIGNER.finditer(text):
        title = " ".join(match["title"].lower().split())
        level = _SIGNER_LEVEL.get(title) or _SIGNER_LEVEL.get(title.replace(" ", ""))
        name = _clip_name(match["name"])
        if level and name:
            levels.setdefault(name.lower(), set()).add(level)
    return levels


def _clip_name(name: str) -> str:
    words: list[str] = []
    for word in name.split():
        if word.lower().strip(",.;:") in _NAME_STOP:
            break
        words.append(word.strip(",.;:"))
    return " ".join(words)


def _resolve_party(
    doc: _Text,
    text: str,
    offset: int,
    regions: RegionDirectory,
    signers: dict[str, set[str]],
) -> PartyFinding | None:
    mention = _REGION_MENTION.search(text)
    candidates: list[str] = []
    if mention is not None:
        words = _clip_name(mention["name"]).split()
        level = mention["level"]
        candidates = [f"{level} {' '.join(words[:n])}" for n in range(len(words), 0, -1)]
        start = offset + mention.start()
    else:
        bare = _clip_name(re.sub(r"^(?:PEMERINTAH(?:\s+DAERAH)?|PEMDA)\s+", "", text, flags=re.I))
        if not bare:
            return None
        candidates = [bare]
        start = offset
    for candidate in candidates:
        try:
            region = regions.resolve(candidate)
        except RegionAmbiguous as err:
            return _ambiguous(doc, candidate, start, regions, signers, err)
        except AppError:
            continue
        strength = 0.95 if _exact_name(region, candidate) else 0.75
        page, line, ocr, _ = doc.where(start)
        return PartyFinding(
            _display(candidate), region.code, page, line, round(strength * _ocr_factor(ocr), 3)
        )
    return None


def _exact_name(region: Region, written: str) -> bool:
    from mou_tracker.regions import name_key, split_prefix

    return name_key(split_prefix(region.name)[1]) == name_key(split_prefix(written)[1])


def _ambiguous(
    doc: _Text,
    candidate: str,
    start: int,
    regions: RegionDirectory,
    signers: dict[str, set[str]],
    err: RegionAmbiguous,
) -> PartyFinding:
    page, line, ocr, _ = doc.where(start)
    names = list(err.params.get("candidate_list", []))
    options = [r for r in regions.search(candidate, limit=10) if r.name in names]
    # "Bupati Tasikmalaya" signing says which Tasikmalaya, when only one level is named.
    levels = signers.get(candidate.lower().strip(), set())
    if len(levels) == 1:
        chosen = [r for r in options if r.level in levels]
        if len(chosen) == 1:
            return PartyFinding(
                _display(candidate), chosen[0].code, page, line, round(0.8 * _ocr_factor(ocr), 3)
            )
    return PartyFinding(
        _display(candidate),
        None,
        page,
        line,
        0.0,
        tuple((r.code, r.name) for r in options),
    )


def _parties_from_roles(
    doc: _Text, regions: RegionDirectory, signers: dict[str, set[str]]
) -> list[PartyFinding]:
    """Parties named where the opening introduces them ("... atas nama Pemerintah Kota
    Bandung, selanjutnya disebut PIHAK KESATU")."""
    parties: list[PartyFinding] = []
    for match in re.finditer(
        r"atas\s+nama\s+(?P<who>[^\n,;]{4,120}?)\s*,?\s*(?:yang\s+)?selanjutnya\s+disebut",
        doc.text,
        re.I,
    ):
        party = _resolve_party(doc, match["who"], match.start("who"), regions, signers)
        if party is not None and all(p.code is None or p.code != party.code for p in parties):
            parties.append(party)
    return parties


def _display(name: str) -> str:
    return " ".join(w.capitalize() if w.isupper() else w for w in name.split())


# ---------------------------------------------------------------------------------------------
# title

_SMALL_WORDS = {
    "dan",
    "di",
    "ke",
    "dari",
    "pada",
    "untuk",
    "atas",
    "tentang",
    "dalam",
    "serta",
    "antara",
    "dengan",
    "yang",
    "oleh",
    "bagi",
    "melalui",
}
_ACRONYMS = {
    "spbe",
    "tik",
    "opd",
    "asn",
    "sdm",
    "ti",
    "sipd",
    "umkm",
    "ptsp",
    "apbd",
    "pad",
    "bumd",
    "dpmptsp",
    "rsud",
    "pns",
    "nik",
    "kb",
    "pks",
    "mou",
}


def _title(doc: _Text, header_end: int, kind: Found[str] | None) -> Found[str] | None:
    header = doc.text[:header_end]
    flat = header.replace("\n", " ")
    tentang = re.search(r"\bTENTANG\b\s*:?\s*", flat, re.I)
    if kind is None:
        return None
    kind_match = None
    for name, pattern in _KINDS:
        if name == kind.value:
            kind_match = pattern.search(flat)
    if kind_match is None:
        return None
    if kind.value == "addendum":
        # "ADENDUM PERTAMA (ATAS) PERJANJIAN KERJA SAMA": the heading up to the parties
        lead_end = re.search(r"\bANTARA\b|\bTENTANG\b|\bNOMOR\b", flat[kind_match.start() :], re.I)
        lead = flat[
            kind_match.start() : kind_match.start() + (lead_end.start() if lead_end else 80)
        ]
    else:
        lead = kind_match.group(0)
    lead = " ".join(lead.split())
    if tentang is None:
        return doc.found(smart_case(lead), kind_match.start(), 0.7)
    rest = flat[tentang.end() :]
    stop = re.search(r"\b(?:ANTARA|NOMOR|NO\s*[.:]|Pada\s+hari)\b", rest, re.I)
    subject = " ".join(rest[: stop.start() if stop else 200].split()).strip(" ,.;:")
    if not subject:
        return doc.found(smart_case(lead), kind_match.start(), 0.7)
    return doc.found(f"{smart_case(lead)} tentang {smart_case(subject)}", tentang.start(), 0.9)


def smart_case(text: str) -> str:
    """An upper-case heading in the case people write titles in; mixed case is kept."""
    from mou_tracker.intake.apps import canonical_app

    if not any(ch.isalpha() for ch in text) or not text.isupper():
        return text
    words = []
    for index, word in enumerate(text.split()):
        app = canonical_app(word)
        lower = word.lower()
        if app is not None:
            words.append(app)
        elif lower.strip(",.;:()") in _ACRONYMS:
            words.append(word.upper())
        elif index > 0 and lower in _SMALL_WORDS:
            words.append(lower)
        else:
            words.append("-".join(part.capitalize() for part in lower.split("-")))
    return " ".join(words)


def iter_values(items: Iterable[Found[str]]) -> list[str]:
    return [item.value for item in items]
