"""What a question asks for: its type, and the specifics an answer must match.

The type says what the answer must state: ``berapa`` a number, ``kapan`` a time, ``siapa`` a
person or body, ``dimana`` a place, ``bagaimana`` steps, ``syarat`` conditions, ``mengapa``
a reason, ``yesno`` a ruling, ``apa`` a definition or a thing. The same rules read
Indonesian (formal or, after normalisation, informal) and English questions.

The specifics are the years, numbers and names the question is about ("THR 2019", "PP
50/2008", "Forkopimda"): an answer about another year or another regulation does not answer
it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from core.text import clean_block

QuestionType = Literal[
    "berapa", "kapan", "siapa", "dimana", "bagaimana", "syarat", "mengapa", "yesno", "apa"
]

_RULES: tuple[tuple[QuestionType, re.Pattern[str]], ...] = (
    (
        "kapan",
        re.compile(
            r"\b(kapan(kah)?|(tanggal|tahun|bulan|hari|pukul|jam)\s+(berapa|apa)|sejak kapan|"
            r"batas\s+waktu|tenggat|jatuh\s+tempo|deadline|by\s+when|"
            r"(tiap|setiap)\s+(berapa|brp)|berapa\s+(bulan|tahun|minggu|hari)\s+sekali|"
            r"when|what\s+(date|year|time|day)|how\s+often|in\s+which\s+year)\b"
        ),
    ),
    (
        "berapa",
        re.compile(
            r"\b(berapa(kah)?|how\s+(many|much|long|far|old|large|big|high)|"
            r"what\s+(percentage|amount|number|share)|maksimal|minimal|paling\s+(lama|banyak|"
            r"sedikit|lambat)|maximum|minimum)\b"
        ),
    ),
    (
        "siapa",
        re.compile(
            r"\b(siapa(kah)?|pihak\s+mana|lembaga\s+(apa|mana)|instansi\s+(apa|mana)|"
            r"who(m|se)?|to\s+whom|which\s+(official|body|agency|institution|authority|party|"
            r"officials|bodies))\b"
        ),
    ),
    (
        "dimana",
        re.compile(r"\b(di\s?mana(kah)?|ke\s?mana|dari\s+mana|where|in\s+which\s+(city|place))\b"),
    ),
    ("mengapa", re.compile(r"\b(mengapa|kenapa|why)\b")),
    (
        "syarat",
        re.compile(
            r"\b(syarat\w*|persyaratan|kriteria|requirements?|criteria|prerequisites?|"
            r"conditions?)\b"
        ),
    ),
    (
        "bagaimana",
        re.compile(
            r"\b(bagaimana(kah)?|cara\w*|langkah\w*|prosedur|tahapan|alur|mekanisme|"
            r"how\s+(do|does|can|to|should|is|are|must|will)|steps?|procedure)\b"
        ),
    ),
)
# "Apakah" + the subject (up to four words) + a modal is a yes/no question ("Apakah belanja
# hibah pemda boleh diberikan ...?"); a modal after "yang" stands in a relative clause, and
# "apakah" then asks what ("Apakah peninggalan sejarah yang bisa ditemukan di kota X?").
_YESNO = re.compile(
    r"^\s*(bolehkah|dapatkah|bisakah|haruskah|perlukah|wajibkah|benarkah|"
    r"apakah\s+(?:(?!yang\b)\w+\s+){1,4}"
    r"(boleh|bisa|dapat|harus|perlu|wajib|tetap|termasuk|berlaku|dikenakan)|"
    r"(is|are|does|do|can|must|should|may|will|was|were|has|have|did)\s)"
    r"|\b(gak|nggak|enggak|ga|tidak|bukan|atau\s+tidak|or\s+not)\s*(sih|ya|kah|dong)?\s*\??\s*$"
)
_LIST = re.compile(
    r"\b(apa\s+saja|siapa\s+saja|apa\s+aja|mana\s+saja|sebutkan|what\s+are|which\s+are|list)\b"
)
# A negated restriction ("cabang ilmu yang *tidak* mempelajari reptil", "which ... does not"),
# not "paling tidak" (at least) nor an informal "gak?" closing a yes/no question.
_NEGATION = re.compile(
    r"\b(yang|which|that|who)\s+(tidak|bukan|belum|not|does\s+not|do\s+not|is\s+not|are\s+not)\b"
)
_DEFINITION = re.compile(
    r"\b(dimaksud dengan|yang dimaksud|arti|artinya|pengertian|definisi|apa itu|apakah itu|"
    r"kepanjangan|singkatan|what is|what are|what does|meaning|stand for)\b"
)
_MEANING = re.compile(
    r"\b(?:apa\s+(?:yang\s+)?dimaksud|(?:yang\s+)?dimaksud\s+dengan|pengertian|definisi|"
    r"apa\s+itu|apakah\s+itu|apa\s+arti(?:nya)?|arti\s+(?:dari|kata|istilah)|kepanjangan|"
    r"singkatan\s+dari|what\s+is\s+meant\s+by|meant\s+by|definition\s+of|defined\s+as|"
    r"meaning\s+of|what\s+does\s+.{1,60}?\s+(?:mean|stand\s+for))\b"
    r"|^\W*what\s+(?:is|are)\s+(?:an?\s+)?(?!the\b|an?\b)(?:[\w./-]+\s*){1,4}\?*\s*$"
)
"""A question that asks what a term means ("Apa yang dimaksud dengan Forkopimda?", "Apa
pengertian Masuk Kerja?", "What is meant by personal data?", "What is Forkopimda?"), not what
some value is: "What is the maximum duration ...?" asks a figure (``asks_definition`` reads
both)."""
_ANOTHER_ASK = re.compile(
    r"(?:[,;?]|\b(?:dan|serta|lalu|kemudian|juga|and|also|then))\s*(?:juga\s+|also\s+)?"
    r"(?:kapan|berapa|siapa|bagaimana|gimana|di\s?mana|mengapa|kenapa|apa\s+saja|apakah|"
    r"when|how|who|where|why|which)\b"
)
"""A second question joined to the first ("apa itu pelatihan *dan kapan* dilaksanakan?",
"What is SPBE, and how is it assessed?"): a question that holds one asks more than what a
term means, so it is not answered by the definition alone (``asks_meaning`` is false)."""
_ELUCIDATION = re.compile(
    r"\b(penjelasan|dijelaskan|maksudnya|contoh|contohnya|seperti apa|misalnya|explanation|"
    r"elucidation|for example|such as)\b"
)
_ENACTMENT = re.compile(
    r"\b(ditetapkan|diundangkan|disahkan|diterbitkan|terbit|berlaku|ditandatangani|"
    r"enacted|promulgated|issued|signed|into\s+force|in\s+force|takes?\s+effect|effective)\b"
)
_WHEN = re.compile(
    r"\b(kapan|tanggal|tahun\s+berapa|sejak|mulai|sebelum|setelah|sesudah|when|date|since|"
    r"before|after)\b"
)
_REGULATION = re.compile(
    r"\b(pp|uu|perpres|permen\w*|perda|perkada|pergub|perbup|perwal|peraturan|undang-undang|"
    r"regulation|law)\b"
)
"""A question asks when a regulation was enacted or takes effect when it names an enactment
verb, a time and a regulation ("Kapan PP 38/2017 ditetapkan?", "PP forkopimda ditetapkan
tanggal berapa?", "When did the regulation take effect?"): a regulation's closing lines
answer it, and only it."""
_REFERENCE = re.compile(
    r"\b(?:PP|UU|Perpres|Permen\w*|Perda|Perwal|Perbup|Pergub|Nomor|No\.?)\s*(\d{1,4})(?=\s*(?:/|"
    r"[Tt]ahun|[Tt]h\.?)\s*\d{4})",
)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")
_VERSION = re.compile(
    r"(?<![\w.,])(?<!pukul )(?<!jam )(?<!at )v?(\d{1,4}(?:\.\d{1,2})+)(?![\w,]|\.\d)"
    r"(?!\s*(?:%|(?:million|billion|thousand|juta|ribu|miliar|triliun|percent|persen|km|m2|kg|"
    r"ha|hektare?|meters?|hours?|jam|hari|days?|minggu|weeks?|bulan|months?|tahun|years?)\b))",
    re.I,
)
"""A release a question names by a dotted number of short groups ("OpenSID 22.09", "versi
2.3.1", "v4.2"): not thousands ("10.000": three digits after the dot), not a decimal written
with a comma, nor one written with a dot before its unit ("1.5 million", "2.5 persen"), not a
time ("pukul 22.10")."""
_NAME = re.compile(r"\b([A-Z][\w.-]*[A-Z0-9][\w.-]*|[A-Z][a-z]+[A-Z]\w*|[A-Z]{2,}\w*)\b")


@dataclass(frozen=True)
class QuestionInfo:
    """What :func:`analyse` found in a question."""

    qtype: QuestionType
    wants_list: bool
    """"apa saja", "siapa saja", "what are": every element of a list is part of the answer."""
    negated: bool
    years: tuple[str, ...]
    numbers: tuple[str, ...]
    """Numbers other than years ("PP 45/2017" -> 45; 2017 is a year)."""
    names: tuple[str, ...]
    """Acronyms and mixed-case names ("THR", "OpenSID", "SLiMS", "DPRD")."""
    references: tuple[str, ...] = ()
    """Numbers of the regulations the question names ("PP 50/2008" -> "50")."""
    asks_definition: bool = False
    """"Apa yang dimaksud dengan X", "what is X": the answer is X's definition."""
    bounds: tuple[str, ...] = ()
    """The bound asked ("max" for maksimal / paling banyak / at most, "min" for minimal /
    paling sedikit / at least): a regulation states both in neighbouring sentences."""
    measures: tuple[str, ...] = ()
    """The measures the asked figure is in (:func:`measures_asked`: percent, money,
    duration, times)."""
    asks_elucidation: bool = False
    """What something means or an example of it ("menurut penjelasan", "contohnya", "seperti
    apa", a definition): a regulation's elucidation answers it."""
    versions: tuple[str, ...] = ()
    """The releases the question names by a dotted number ("OpenSID 22.10" -> "22.10",
    :data:`_VERSION`): a passage of another release does not answer it."""
    asks_enactment: bool = False
    """When a regulation was enacted or takes effect ("Kapan PP 38/2017 ditetapkan?"): its
    closing lines ("Ditetapkan di Jakarta pada tanggal ...") answer it."""
    asks_meaning: bool = False
    """What a term means, and only that (:data:`_MEANING`): a regulation's definitions
    article answers it."""
    acronyms: tuple[str, ...] = ()
    """The ``names`` the question writes in capitals only ("NGO", not "OpenSID"), as they are
    kept: lower case."""


TYPE_WORDS: dict[str, str] = {
    "kapan": "batas waktu tenggat jatuh tempo deadline tanggal when date",
    "berapa": "jumlah besaran lama how many much long",
    "syarat": "syarat persyaratan kriteria requirement requirements criteria conditions",
    "bagaimana": "cara langkah prosedur tahapan how steps procedure",
}
"""Words that say what kind of answer is asked, not what it is about: "batas waktu
memeriksa laporan" asks *when* the report is checked, "berapa lama" a duration, not about
something "lama"; a sentence need not repeat them."""


def question_type(text: str) -> QuestionType:
    """The type of a (normalised) question; ``apa`` when nothing more specific is asked."""
    lowered = " ".join(text.lower().split())
    if _YESNO.search(lowered) and not re.search(r"\b(berapa|kapan|siapa|how\s+many)\b", lowered):
        return "yesno"
    for qtype, pattern in _RULES:
        if pattern.search(lowered):
            return qtype
    return "apa"


def analyse(text: str) -> QuestionInfo:
    """Type and specifics of a question (already normalised: "brp" read as "berapa")."""
    lowered = text.lower()
    years = tuple(dict.fromkeys(_YEAR.findall(text)))
    numbers = tuple(
        dict.fromkeys(n for n in _NUMBER.findall(text) if n not in years and len(n) <= 6)
    )
    found = [m for m in _NAME.findall(text) if len(m) >= 2]
    names = tuple(dict.fromkeys(m.lower() for m in found))
    acronyms = tuple(dict.fromkeys(m.lower() for m in found if m.isupper()))
    return QuestionInfo(
        qtype=question_type(text),
        wants_list=bool(_LIST.search(lowered)),
        negated=bool(_NEGATION.search(lowered)),
        years=years,
        numbers=numbers,
        names=names,
        acronyms=acronyms,
        asks_definition=bool(_DEFINITION.search(lowered)),
        references=tuple(dict.fromkeys(_REFERENCE.findall(text))),
        bounds=tuple(sorted(bounds_of(text))),
        measures=tuple(sorted(measures_asked(text))),
        asks_elucidation=bool(_DEFINITION.search(lowered) or _ELUCIDATION.search(lowered)),
        asks_enactment=asks_enactment(lowered),
        asks_meaning=asks_meaning_only(lowered),
        versions=tuple(dict.fromkeys(_VERSION.findall(text))),
    )


def asks_meaning_only(text: str) -> bool:
    """Whether a question asks what a term means, and nothing more (:data:`_MEANING`, with
    no second question joined to it: :data:`_ANOTHER_ASK`)."""
    lowered = " ".join(text.lower().split())
    return bool(_MEANING.search(lowered)) and not _ANOTHER_ASK.search(lowered)


def asks_enactment(text: str) -> bool:
    """Whether a question asks when a regulation was enacted or takes effect."""
    lowered = text.lower()
    return bool(
        _ENACTMENT.search(lowered) and _WHEN.search(lowered) and _REGULATION.search(lowered)
    )


_BOUNDS = {
    "max": re.compile(
        r"\b(maksimal|maksimum|maks|paling\s+banyak|paling\s+lama|paling\s+lambat|"
        r"selambat-lambatnya|sebanyak-banyaknya|setinggi-tingginya|paling\s+tinggi|"
        r"at\s+most|maximum|no\s+later\s+than|up\s+to|atau\s+kurang|or\s+less|or\s+fewer)\b",
        re.I,
    ),
    "min": re.compile(
        r"\b(minimal|minimum|paling\s+sedikit|sekurang-kurangnya|paling\s+tidak|"
        r"paling\s+rendah|at\s+least|atau\s+lebih|or\s+more)\b",
        re.I,
    ),
}


def bounds_of(text: str, among: Iterable[str] | None = None) -> frozenset[str]:
    """The bounds a text names: "max" (maksimal, paling banyak, paling lama, at most, "atau
    kurang"...) and "min" (minimal, paling sedikit, sekurang-kurangnya, at least, "2 (dua)
    atau lebih"...); only those ``among`` when given (a unit is searched for the bounds its
    question names, none for most questions)."""
    wanted = _BOUNDS.keys() if among is None else _BOUNDS.keys() & set(among)
    return frozenset(name for name in wanted if _BOUNDS[name].search(text))


_COUNTED = r"(?:\s*\([\w\s-]+\))?\s*"
"""A number may be spelled out after its digits ("14 (empat belas) hari")."""
_MEASURES: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "percent": (
        re.compile(
            r"\b(berapa|brp)\s+(\w+\s+)?(persen|persentase)\b|\bpersentase\b|"
            r"\b(what|which)\s+(percentage|share|proportion)\b|\bhow\s+many\s+percent\b",
            re.I,
        ),
        re.compile(rf"\d{_COUNTED}(%|persen\b|per\s*seratus\b|percent\b)", re.I),
    ),
    "money": (
        re.compile(
            r"\b(biaya|denda|harga|tarif|honor\w*|gaji|upah|ganti\s+rugi|kompensasi|"
            r"rupiah|cost|fee|fine|price|salary|compensation|how\s+much\s+money)\b",
            re.I,
        ),
        re.compile(
            # From the start of a run of digits only: tried at every digit, a long run was
            # read once per digit (a unit of 5,000 digits took 1.3 s, 50,000 two minutes).
            rf"\bRp\.?\s*\d|(?<![\d.,])[.,]?\d[\d.,]*{_COUNTED}(rupiah|juta|miliar|ribu)\b|"
            r"\bgratis\b|\btidak\s+dipungut\s+biaya\b|\bfree\s+of\s+charge\b",
            re.I,
        ),
    ),
    "duration": (
        re.compile(
            r"\b(berapa|brp)\s+(lama|hari|minggu|bulan|tahun|jam)\b|\bhow\s+long\b|"
            r"\bhow\s+many\s+(working\s+)?(days|weeks|months|years|hours)\b",
            re.I,
        ),
        re.compile(
            rf"\d{_COUNTED}((hari|minggu|bulan|tahun|jam)\b|(days?|weeks?|months?|years?|"
            r"hours?)\b)",
            re.I,
        ),
    ),
    "area": (
        re.compile(
            r"\b(berapa|brp)\s+(\w+\s+){0,2}luas\w*\b|\bluas\w*\s+(\w+\s+){0,3}(berapa|brp)\b|"
            r"\bhow\s+(large|big)\b|\bwhat\s+is\s+the\s+(\w+\s+)?area\b",
            re.I,
        ),
        re.compile(
            rf"\d{_COUNTED}((ribu|juta)\s+)?((km|m|mi)\s*(²|2\b)|(km|kilometer|meter|mil)\s+persegi\b)|"
            rf"\d{_COUNTED}(hektare?|ha|acres?)\b|\bsquare\s+(kilomet|met|mile)|\d\s*sq\s*mi\b",
            re.I,
        ),
    ),
    "length": (
        re.compile(
            r"\b(berapa|brp)\s+(\w+\s+)?(tinggi|panjang|jarak|kedalaman|lebar|jauh)\w*\b|"
            r"\bhow\s+(tall|high|far|deep|wide)\b",
            re.I,
        ),
        re.compile(
            rf"\d{_COUNTED}(km|m|cm|mdpl|meter|kilometer|kaki|mil|feet|ft|miles?|metres?|meters?)\b"
            r"(?!\s*(persegi|²))",
            re.I,
        ),
    ),
    "population": (
        re.compile(
            r"\b(berapa|brp)\s+(\w+\s+){0,2}(penduduk|populasi)\b|\bjumlah\s+penduduk\b|"
            r"\bpopulation\b",
            re.I,
        ),
        re.compile(
            rf"\d{_COUNTED}((juta|ribu)\s+)?(jiwa|penduduk|orang|people|inhabitants)\b", re.I
        ),
    ),
    "times": (
        re.compile(r"\b(berapa|brp)\s+kali\b|\bhow\s+(often|many\s+times)\b", re.I),
        re.compile(
            rf"\d{_COUNTED}kali\b|\bsekali\b|\b(once|twice|times)\b|"
            r"\b(setiap|tiap|sekali\s+dalam)\s+\d",
            re.I,
        ),
    ),
}


def measures_asked(question: str) -> frozenset[str]:
    """The measures a question asks a figure in: "percent" (berapa persen), "money" (biaya,
    denda, harga...), "duration" (berapa lama / hari, how long), "area" (berapa luas, how
    large), "length" (berapa tinggi / panjang / jarak, how tall / far), "population" (berapa
    penduduk, jumlah penduduk), "times" (berapa kali, how often)."""
    return frozenset(name for name, (asked, _) in _MEASURES.items() if asked.search(question))


def measures_stated(text: str, among: Iterable[str] | None = None) -> frozenset[str]:
    """The measures a text states a figure in ("30 (tiga puluh) hari kerja": "duration";
    "Rp10.000.000": "money"; "25%": "percent"; "332,698km2", "2.500 hektare": "area"; "53,75 m":
    "length"; "1.093.110 jiwa": "population"; "2 (dua) kali": "times"); only those ``among``
    when given (each unit of an answer's passages is searched for the measures its question
    asks, none for most questions: seven patterns a unit were two fifths of the answer's
    pattern searches, docs/benchmarks.md, fifteenth round)."""
    wanted = _MEASURES.keys() if among is None else _MEASURES.keys() & set(among)
    return frozenset(name for name in wanted if _MEASURES[name][1].search(text))


# --- what an answer of each type states -----------------------------------------------------


def _any_word(words: str) -> str:
    """A pattern matching any of the space-separated words as a whole word."""
    return r"\b(" + "|".join(words.split()) + r")\b"


_NUMBER_WORDS = (
    "satu dua tiga empat lima enam tujuh delapan sembilan sepuluh sebelas belas puluh ratus "
    "ribu juta miliar triliun seratus seribu sejuta separuh setengah persen one two three four "
    "five six seven eight nine ten eleven twelve hundred thousand million percent"
)
_HAS_NUMBER = re.compile(r"\d|%|\brp\b|" + _any_word(_NUMBER_WORDS), re.I)
_TIME_WORDS = (
    "januari februari maret april mei juni juli agustus september oktober november desember "
    "january february march june july august october december senin selasa rabu kamis jumat "
    "sabtu minggu hari bulan tahun tanggal pukul jam triwulan semester sejak sebelum sesudah "
    "setelah paling lambat selambat-lambatnya setiap tiap berkala harian mingguan bulanan "
    "tahunan day days week weeks month months year years annually monthly weekly daily before "
    "after within"
)
_HAS_TIME = re.compile(r"(?<![\w.])\d{4}(?![\w]|\.\d)|" + _any_word(_TIME_WORDS), re.I)
"""A year or a word of time. Four digits inside a dotted release ("versi 2410.0.0") are no
year."""
_ROLE_WORDS = (
    "oleh kepala menteri gubernur bupati wali walikota camat lurah presiden pejabat petugas "
    "admin atasan pimpinan ketua anggota dinas badan dewan dprd pemerintah lembaga instansi "
    "perangkat komisi tim sekretaris direktur kementerian masyarakat warga pemohon pegawai "
    "ppid ombudsman by head minister governor mayor officer official"
)
_HAS_ROLE = re.compile(_any_word(_ROLE_WORDS), re.I)
_HAS_PLACE = re.compile(
    r"\b(di|ke|pada|kota|kabupaten|provinsi|kecamatan|desa|kelurahan|kantor|menu|halaman|"
    r"portal|located|in|at)\b",
    re.I,
)
_HAS_REASON = re.compile(r"\b(karena|sebab|agar|supaya|untuk|tujuan|because|so that|to)\b", re.I)
_HAS_RULING = re.compile(
    r"\b(tidak|bukan|dapat|boleh|wajib|harus|dilarang|tetap|perlu|dinyatakan|termasuk|"
    r"cannot|must|may|shall|not)\b",
    re.I,
)


def states(qtype: QuestionType, text: str) -> bool:
    """Whether ``text`` has what an answer of ``qtype`` states (a number for ``berapa``...)."""
    if qtype == "berapa":
        return bool(_HAS_NUMBER.search(text))
    if qtype == "kapan":
        return bool(_HAS_TIME.search(text))
    if qtype == "siapa":
        return bool(_HAS_ROLE.search(text)) or bool(re.search(r"\s[A-Z][a-z]+", text[1:]))
    if qtype == "dimana":
        return bool(_HAS_PLACE.search(text))
    if qtype == "mengapa":
        return bool(_HAS_REASON.search(text))
    if qtype == "yesno":
        return bool(_HAS_RULING.search(text))
    return True


_MONTHS = (
    "januari februari maret april mei juni juli agustus september oktober november desember "
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul agu agt aug sep sept okt oct nov des dec"
)
_DATE = re.compile(
    r"\b\d{1,2}\s+(" + "|".join(_MONTHS.split()) + r")\b|\b(" + "|".join(_MONTHS.split()) + r")"
    r"\s+\d{4}\b|\b(tahun|abad|year|century)\s+(ke-?)?\d{1,4}\b|\b1[5-9]\d\d\b|\b20\d\d\b|"
    r"\b\d{1,2}[/-]\d{1,2}[/-]\d{2,4}\b|\btanggal\s+\d{1,2}\b|\b(pukul|jam)\s+\d",
    re.I,
)
_PERIOD = re.compile(
    r"\b(\d+|satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|\w+\s+puluh)\s+"
    r"(hari|minggu|pekan|bulan|tahun|jam|menit|days?|weeks?|months?|years?|hours?)\b|"
    r"\b(setiap|tiap|paling\s+lambat|selambat-lambatnya|sebelum|sesudah|setelah|sejak|"
    r"every|annually|within)\b",
    re.I,
)
_QUANTITY = re.compile(
    # A number is read from its first digit only ("1.1.1..." tried at each digit was read once
    # per digit: 10,000 characters took 6 s).
    r"((?<![\w.,])\d+(?:[.,]\d+)*\s*(%|persen|percent|rp|rupiah|juta|miliar|ribu|orang|jiwa|kali|km|"
    r"m2|meter|ha|hektar|kg|ton|unit|buah|hari|minggu|bulan|tahun|jam|menit|gb|mb|tb|inti|"
    r"cores?|kursi|anggota|people|members|times|days?|months?|years?)\b)|\brp\.?\s*\d|"
    r"\b(satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|\w+\s+(belas|"
    r"puluh|ratus|ribu|juta))\s+\w+",
    re.I,
)
_OFFICE = re.compile(
    r"\b(menteri|gubernur|bupati|wali\s*kota|walikota|camat|lurah|kepala|presiden|sekretaris|"
    r"direktur|ketua|pejabat|dinas|badan|dewan|dprd|komisi|kementerian|lembaga|pemerintah|"
    r"perangkat\s+daerah|tim|panitia|minister|governor|mayor|head|president|director|council|"
    r"agency|ministry)\b",
    re.I,
)
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+")
_PLACE = re.compile(
    r"\b(di|ke|dari|pada|in|at|near)\s+(kota|kabupaten|provinsi|kecamatan|desa|kelurahan|"
    r"pulau|gunung|sungai|kantor|menu|halaman|portal|laman|situs|[A-Z][a-z]+)\b|"
    r"\b(terletak|berada|beribu\s*kota|ibu\s*kota|located|situated)\b"
)


def evidence_of(qtype: QuestionType, text: str) -> float:
    """How strongly ``text`` states what a ``qtype`` question asks for: 1 for the specific
    form (a date for kapan, a number with its unit for berapa, a named person or office for
    siapa, a place for di mana, an enumeration for syarat), 0.5 for a weaker sign, else 0."""
    if qtype == "kapan":
        if _DATE.search(text):
            return 1.0
        return 0.5 if _PERIOD.search(text) else 0.0
    if qtype == "berapa":
        if _QUANTITY.search(text):
            return 1.0
        return 0.5 if _HAS_NUMBER.search(text) else 0.0
    if qtype == "siapa":
        if _OFFICE.search(text) and _PROPER.search(text):
            return 1.0
        return 0.5 if _OFFICE.search(text) or _PROPER.search(text) else 0.0
    if qtype == "dimana":
        return 1.0 if _PLACE.search(text) else 0.0
    if qtype in ("syarat", "bagaimana"):
        if re.match(r"^\s*(?:\d+[.)]|[-*•]|[a-z][.)])\s+", text) or text.rstrip().endswith(":"):
            return 1.0
        return (
            0.5
            if re.search(r"\b(wajib|harus|paling\s+sedikit|memenuhi|must)\b", text, re.I)
            else 0.0
        )
    return 0.0


_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
_MARKERS = re.compile(r"\[\d+\]")
_CAPITALISED = re.compile(r"(?<=[\s(\"'])[A-Z][\w'-]+")


def states_new(qtype: QuestionType, text: str, question: str) -> bool:
    """Whether ``text`` states a fact of the kind ``qtype`` asks that ``question`` does not
    hold: a figure for berapa, a date or year for kapan, a capitalised name inside the
    sentence for siapa and di mana. Sharper than :func:`evidence_of`, which "salah satu
    kabupaten" satisfies for berapa and the subject's own name for siapa. A figure is the
    question's own only where the question writes that whole figure ("5" is not held by
    "PP 50/2007")."""
    asked = question.lower()
    text = _MARKERS.sub(" ", text)
    if qtype == "berapa":
        held = set(_FIGURE.findall(asked))
        return any(f not in held for f in _FIGURE.findall(text))
    if qtype == "kapan":
        return any(m.group(0).lower() not in asked for m in _DATE.finditer(text))
    if qtype in ("siapa", "dimana"):
        words = set(re.findall(r"\w+", asked))
        return any(m.group(0).lower() not in words for m in _CAPITALISED.finditer(text))
    return False


_REFERENCE_FIGURE = re.compile(
    r"\b(?:pasal|ayat|huruf|bab|bagian|paragraf|lampiran|nomor|no\.|article|paragraph|section|"
    r"chapter|number|annex)\s*[^\w\s]?\(?\d+[a-z]?\)?"
    r"(?:\s*(?:dan|and|sampai\s+dengan|s\.d\.|to|,)\s*\(?\d+[a-z]?\)?)*"
    r"|(?<![\w)])\(\d+[a-z]?\)"
    r"|\b\d+\s*/\s*(?:1[89]|20)\d\d\b|\btahun\s+(?:1[89]|20)\d\d(?=\s+tentang\b)"
    r"|\bsalah\s+satu\b",
    re.I,
)
"""Figures that number a text, not an amount: an article, paragraph, point or chapter ("Pasal
14", "ayat (2)", a paragraph's "(3)"), a regulation's number and year ("PP 38/2017",
"Nomor 23 Tahun 2014 tentang ..."), also with a stray OCR mark before the number ("Pasal ^14",
"ayat {21"); and "salah satu" (one of), which counts nothing. A year is an amount's answer
too ("tahun berapakah ...", "berapa lama ... menjabat": "1945-1967")."""
_AMOUNT_WORDS = re.compile(
    r"\b(sebesar|sejumlah|senilai|setara|sama\s+dengan|seluruh|gratis|tidak\s+dipungut\s+biaya|"
    r"amounting\s+to|equal\s+to|equivalent\s+to|free\s+of\s+charge|all\s+of|"
    r"pertama|kedua|ketiga|keempat|kelima|first|second|third|fourth|fifth)\b",
    re.I,
)
"""Words that state an amount without a figure: "sebesar penghasilan pada bulan Mei" (as
much as May's pay), "gratis", "equal to"; an ordinal ("abad berapakah ...": "pertama
Masehi")."""
_ASKS_AMOUNT = re.compile(
    r"\b(berapa\w*|brp|how\s+(many|much|long|far|old|large|big|high)|"
    r"what\s+(percentage|amount|number|share)|maksimal|minimal|maksimum|minimum|maximum)\b",
    re.I,
)
"""The words that ask for an amount. "Paling lama" alone does not: "negara manakah yang
paling lama menjajah ...?" asks which country."""


def without_reference_figures(text: str) -> str:
    """``text`` with the figures that number it, not amounts (:data:`_REFERENCE_FIGURE`:
    "Pasal ^10 ayat {2)", "PP 38/2017"), blanked."""
    return _REFERENCE_FIGURE.sub(" ", text)


def asks_amount(info: QuestionInfo, question: str) -> bool:
    """Whether a question asks for an amount: a "berapa" / "how many" / "maximum ..."
    question (:data:`_ASKS_AMOUNT`) that does not ask for a list ("Komponen apa saja yang
    minimal harus ada?" asks the components, not how many)."""
    return info.qtype == "berapa" and not info.wants_list and bool(_ASKS_AMOUNT.search(question))


def states_amount(text: str, question: str) -> bool:
    """Whether ``text`` states an amount that ``question`` does not hold: a figure other than
    those numbering the text (:data:`_REFERENCE_FIGURE`), a number written as a word ("tiga
    anggota", "seratus dua puluh"), or a word that states an amount without one ("sebesar",
    "gratis": :data:`_AMOUNT_WORDS`).

    :func:`states_new` counts any figure, so the paragraph numbers and article references of
    a regulation's sentence ("sebagaimana dimaksud pada ayat (2)") read as the asked figure,
    and a "berapa" question was answered by a sentence that states none.

    A figure is the question's own only where the question writes that whole figure as an
    amount: "5" is not held by "PP 50/2007", nor "1" by "tahun 2018", nor "6" by "UU 6/2014"
    (read as a part of the question's text, "paling lama 5 tahun" stated no amount to
    "Berapa lama ... menurut PP 50/2007?")."""
    asked = question.lower()
    held = set(_FIGURE.findall(without_reference_figures(asked)))
    text = without_reference_figures(_MARKERS.sub(" ", text))
    if any(f not in held for f in _FIGURE.findall(text)):
        return True
    words = {m.group(0).lower() for m in _HAS_NUMBER.finditer(text) if not m.group(0).isdigit()}
    if any(not re.search(rf"\b{re.escape(w)}\b", asked) for w in words):
        return True
    return bool(_AMOUNT_WORDS.search(text))


# --- long and odd messages ---------------------------------------------------------------

MAX_QUESTION_CHARS = 500
"""Longer messages are searched for the question they hold (or the asker is asked to
shorten them); they are never cut silently."""
_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")
_MARKUP = re.compile(r"(\*\*|__|~~|`+|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|^#{1,6}\s+|^>\s*)", re.M)
_QUESTION_START = re.compile(
    r"^(apa|apakah|bagaimana|gimana|gmn|berapa|brp|kapan|siapa|mengapa|kenapa|di\s?mana|"
    r"dimanakah|bolehkah|bisakah|dapatkah|haruskah|perlukah|mohon|tolong|minta|"
    r"what|how|when|who|where|why|which|can|could|is|are|does|do|should|must|please)\b",
    re.I,
)
_SENTENCES = re.compile(r"[^.!?\n]+[.!?]*")
_ASKING = re.compile(
    r"\b(apakah|apa|bagaimana|berapa|kapan|siapa|mengapa|kenapa|di\s?mana|"
    r"what|how|when|who|where|why|which)\b",
    re.I,
)
"""Words that open a question wherever they stand (not "is", "do", "can": prose has them)."""
_WORD = re.compile(r"[^\W\d_]{2,}")
"""A word of two letters or more: a question needs one ("1.1.1?", "...?", ":)?" ask nothing;
each piece between their full stops would otherwise read as a sentence ending in "?")."""
_WORD_BREAKS = re.compile("[\u200b\ufeff]")
"""Zero-width spaces (and a BOM where one is pasted in a text): a space, as ingestion reads
them in documents."""
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u180e\u200c-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f]"
)
"""Invisible format characters pasted or typed inside words (soft hyphen, zero-width joiners,
direction marks and embeddings, word joiner): they would split "lapo\u00adran" into two
unknown words, so the search and the topic check would miss what is plainly "laporan"."""


def without_invisible(text: str) -> str:
    """``text`` without invisible format characters, zero-width spaces read as spaces (as
    questions are read: the synonym groups read the same way, see ``lexicon``)."""
    return _INVISIBLE.sub("", _WORD_BREAKS.sub(" ", text))


def clean_message(text: str) -> str:
    """A message without markup (HTML tags, Markdown emphasis and headings), control characters
    (a NUL, which no database stores), invisible format characters or extra spaces;
    undecodable bytes a terminal passed on as lone surrogates become U+FFFD."""
    text = without_invisible(clean_block(text))
    text = _TAG.sub(" ", text)
    text = _MARKUP.sub(" ", text)
    return " ".join(text.split())


def find_question(text: str, limit: int = MAX_QUESTION_CHARS) -> str | None:
    """The question inside a long pasted message: its last question sentence (one ending
    in "?" or opening with a question word); ``None`` when there is none, or it is itself
    too long. The story around it is left out: its words would only blur the search."""
    sentences: list[str] = [str(s).strip() for s in _SENTENCES.findall(text) if str(s).strip()]
    asks = [
        i
        for i, sentence in enumerate(sentences)
        if (sentence.endswith("?") or _QUESTION_START.match(sentence)) and _WORD.search(sentence)
    ]
    if not asks:
        return None
    question = sentences[asks[-1]]
    if len(question) <= limit:
        return question
    if question.endswith("?"):
        # A paste without full stops reads as one endless sentence ending in the question:
        # the question is its tail, from the last word that opens a question.
        opening = [m.start() for m in _ASKING.finditer(question)]
        if opening:
            tail = question[opening[-1] :]
            if len(tail) <= limit and len(tail.split()) >= 3:
                return tail
    return None
