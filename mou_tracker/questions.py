"""Questions about the agreements, read in plain words: what is asked and about what.

"Perjanjian dengan Kerinci sudah sampai mana?", "yg telat di mojokerto apa aja",
"How many agreements expire next year?": :func:`read_question` turns such a question into a
:class:`TrackerQuestion`: how strongly it is about the tracker (``score``), what is asked
(``intent``), and its slots: the regions named (through :mod:`mou_tracker.mentions`), the apps
(the tracker's own app names), the replication stage ("go-live", "server", "pelatihan"), a time
window ("minggu ini", "next year", "2027"), the kind of agreement and its number.

Pure: the caller passes the region directory, the app names it knows and today's date. The
vocabulary is written once, in formal Indonesian and English; chat spellings ("yg", "udh",
"kpn") are spelled out by :func:`core.text.words` first, and a mistyped vocabulary word
("koordinatr", "perjanjan") is read as the word it is closest to.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final, Literal

from rapidfuzz import fuzz, process

from core.text import find_names, undotted, words
from mou_tracker.dates import MAX_YEAR, MIN_YEAR, MONTHS
from mou_tracker.mentions import RegionMention, find_regions, unknown_regions
from mou_tracker.regions import RegionDirectory
from mou_tracker.schemas import MilestoneView

Intent = Literal[
    "status",  # how far an agreement is: health, next milestone, who must act
    "overdue",  # milestones past their due date
    "blocked",  # milestones marked blocked
    "due",  # milestones due within a window
    "ending",  # when agreements end / which end within a window
    "renewal",  # agreements to renew soon
    "stalled",  # "paper only": signed long ago, nothing done
    "at_risk",
    "draft",  # agreements not signed yet
    "signed",  # when / whether agreements were signed
    "active",  # agreements in force
    "coordinator",  # who coordinates a region's agreement
    "stage",  # a replication stage: done or when
    "stage_regions",  # which regions have reached a stage
    "addendum",
    "list",  # agreements matching the slots
]

Kind = Literal["kb", "pks", "addendum"]


@dataclass(frozen=True)
class Window:
    """The days a question asks about (both ends included)."""

    start: date
    end: date
    name: str
    """What it was called: ``this_week``, ``next_year``, ``year``, ``days`` … (for the answer)."""


@dataclass(frozen=True)
class TrackerQuestion:
    """What a question asks of the tracker (see the module docstring)."""

    text: str
    score: float
    """How strongly the question is about the agreements: ``>= TRACKER_THRESHOLD`` is."""
    intent: Intent
    regions: tuple[RegionMention, ...] = ()
    unknown_regions: tuple[str, ...] = ()
    """Names written as a region's that no region has ("Kabupaten Atlantis")."""
    apps: tuple[str, ...] = ()
    stage: str | None = None
    window: Window | None = None
    kind: Kind | None = None
    number: str | None = None
    agreement_id: int | None = None
    """The agreement named by the id the bot shows ("/mou 3", "perjanjian 3")."""
    counting: bool = False
    """"How many …": the answer leads with a count."""
    asks_who: bool = False
    """"Who must act / who coordinates": the answer leads with people and regions."""
    asks_when: bool = False
    bare: bool = False
    """Only a region's name and words like "gimana", "kalau" (a follow-up, or "how is it
    going there")."""
    signals: tuple[str, ...] = field(default=(), compare=False)
    """The vocabulary that made the score (for tests and the routing benchmark)."""

    @property
    def about_tracker(self) -> bool:
        return self.score >= TRACKER_THRESHOLD


TRACKER_THRESHOLD: Final = 1.5

# --- vocabulary (formal words, after core.text.words) ----------------------------------------

_AGREEMENT = (
    r"perjanjian\w*|kesepakatan\w*|mou|mous|kb|pks|kerja sama\w*|kerjasama\w*|adendum\w*"
    r"|addend\w*|agreements?|memorandum|kontrak\w*|nota kesepahaman|mitra ?kerja"
)
_MILESTONE = r"tonggak\w*|tahap\w*|milestones?|tenggat\w*|deadlines?|jatuh tempo|batas waktu|due"
_STATES: Final[dict[str, str]] = {
    "overdue": (
        r"terlambat\w*|keterlambatan|telat\w*|molor\w*|overdue|late|behind"
        r"|lewat (tenggat|batas|jatuh tempo)|melewati (tenggat|batas)\w*|terlewat\w*"
    ),
    "blocked": r"terhambat|hambatan\w*|blocked|stuck|nyangkut|tersendat|macet",
    "stalled": (
        r"di atas kertas|atas kertas|hanya (di )?kertas|paper only|paper|mandek|mangkrak"
        r"|stalled|tidak ada (kemajuan|progres\w*|tindak lanjut)|belum (di)?tindak ?lanjut\w*"
        r"|belum (berjalan|jalan)( sama sekali)?|no progress|since signing"
        r"|belum ada (kemajuan|progres\w*)"
    ),
    "at_risk": r"berisiko|beresiko|risiko|resiko|at risk|risky",
    "renewal": r"perpanjang\w*|diperpanjang|renew\w*",
    "draft": r"draf|draft|drafts|rancangan|belum (di)?tanda ?tangan\w*",
}
_ENDING = (
    r"berakhir\w*|habis\w*|abis\w*|kedaluwarsa|kadaluarsa|kadaluwarsa|masa berlaku\w*"
    r"|expire\w*|expiry|expiring|ending|ends|end date|masih berlaku"
    r"|(?:runs?|running|ran) out"
)
"""An end of term: "habis masa berlakunya" (its term of validity), "term runs out"."""
_SIGNED = r"ditandatangani|ditanda ?tangan\w*|tanda ?tangan\w*|signed|menandatangani"
_ACTIVE = (
    r"aktif|active|masih (jalan|berjalan)|sedang berjalan|yang berjalan|in force|running|ongoing"
)
_STATUS = (
    r"sampai mana|sejauh mana|sampai tahap|tahap apa|progres\w*|progress|perkembangan\w*"
    r"|kemajuan\w*|status\w*|kabar\w*|how far|what is next|next step|berikutnya|selanjutnya"
    r"|beres|rampung|pelaksanaan\w*|sudah (sampai|nyampe)|going|doing"
)
_ROLE = (
    r"koordinator\w*|coordinators?|pic|penanggung jawab|tanggung jawab\w*|contact\w*|kontak"
    r"|narahubung|who (needs|has) to act|must act|harus (bertindak|gerak|bergerak)"
    r"|menindaklanjuti|responsible"
)
_COUNT = r"berapa(?! (lama|ukuran|besar|maksimal|hari))|jumlah|how many|number of|total"
_LIST = r"daftar|list|mana saja|apa saja|which|show|tampilkan|rekap\w*|semua|all"
_WHEN = r"kapan|when|tanggal berapa|jadwal\w*|dijadwalkan|what date"
_WHO = r"siapa|who"
_WHICH_REGIONS = (
    r"(daerah|wilayah|kota|kabupaten|pemda|mitra|regions?|partners?|cities) (mana|apa)"
    r"|which (regions?|cities|partners?|areas?)|dimana saja|di mana saja|di daerah mana"
    r"|where (has|have|is|are)|(berapa|jumlah) (daerah|wilayah|kota|kabupaten|pemda|mitra)"
    r"|how many (regions|cities|partners)"
)
_ALREADY = r"sudah|belum|apakah|has|have|yet|done|selesai|siap|ready"
_DEFINITION = (
    r"apa itu|apa (yang dimaksud|arti|maksud)|what is (a|an)|perbedaan|bedanya|beda|berbeda"
    r"|difference|dasar hukum|legal basis|menyusun|isi (minimal|sebuah)|contoh|template"
    r"|format (pks|perjanjian|kesepakatan|mou)"
)

#: Replication stages (the template's milestone keys) and the words that name them.
STAGES: Final[dict[str, str]] = {
    "coordinators": (
        r"(penunjukan|menunjuk|ditunjuk|appoint\w*) (\w+ )?(koordinator\w*|coordinators?)"
    ),
    "work_plan": r"rencana kerja|work ?plan",
    "handover": r"serah terima|handover|hand over|handed over|kode sumber|source code",
    "budget_dpa": r"dpa|anggaran (masuk|replikasi)|budget (in|included)",
    "servers_ready": r"server\w*|infrastruktur\w*|infrastructure",
    "installation": r"instalasi|pemasangan|dipasang|memasang|pasang|install\w*|kustomisasi",
    "training": r"pelatihan|latihan|melatih|training|bimtek|bimbingan teknis",
    "pilot": r"uji ?coba|pilot|trial",
    "go_live": (
        r"go ?live|golive|live|operasional penuh|mengoperasikan|beroperasi|secara penuh"
        r"|rolled out|roll out|peluncuran|launch\w*"
    ),
    "evaluation": r"evaluasi|evaluation",
}

#: Stages the answers reach by another way than a word of the question, and the words of
#: their milestone titles: "the PKS" asked of a Kesepakatan Bersama is its ``pks_signed``
#: milestone ("Penandatanganan PKS"), but "PKS" in a question names a kind of agreement.
PKS_STAGE: Final = "pks_signed"
"""The milestone a Kesepakatan Bersama reaches when its PKS (implementing agreement) is signed
(the replication template's key)."""
_OTHER_STAGES: Final[dict[str, str]] = {PKS_STAGE: r"pks|perjanjian kerja sama"}

#: Words a typo is read back to ("koordinatr" -> "koordinator").
_TYPO_TARGETS: Final = (
    "perjanjian",
    "kesepakatan",
    "koordinator",
    "terlambat",
    "tonggak",
    "berakhir",
    "kedaluwarsa",
    "terhambat",
    "progres",
    "perkembangan",
    "agreement",
    "agreements",
    "milestone",
    "milestones",
    "coordinator",
    "overdue",
)
#: The words of this vocabulary, never read as a mistyped region name.
KNOWN_WORDS: Final = frozenset(
    {
        *_TYPO_TARGETS,
        "pelatihan", "instalasi", "tahapan", "tenggat", "sampai", "sudah", "belum", "bagaimana",
        "dengan", "berapa", "progresnya", "statusnya", "kabarnya", "perjanjiannya", "jadwal",
        "selesai", "berjalan", "rencana", "anggaran", "laporan", "evaluasi", "kerjasama",
        "mengoperasikan", "penanggung", "daerah", "wilayah", "aplikasi", "replikasi",
        "caranya", "syaratnya", "langkahnya", "tenggatnya", "jadwalnya",
        "kemajuan", "perpanjang", "ditandatangani", "terlewat", "tanggal", "minggu", "bulan",
        "tahun", "depan", "server", "servernya", "serah", "terima", "menyiapkan", "disiapkan",
        "persiapan", "pegawai", "petugas", "pengguna", "nyangkut", "molor", "golive",
    }
)  # fmt: skip

_MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))
#: Month names that stand alone as a month ("Juni"); short forms need a year ("Jun 2026").
_FULL_MONTHS = frozenset(m for m in MONTHS if len(m) > 4 and m != "agus") | {
    "mei",
    "juni",
    "juli",
    "june",
    "july",
}


def read_question(
    text: str,
    *,
    regions: RegionDirectory,
    apps: Collection[str],
    today: date,
    home_regions: Collection[str] = (),
) -> TrackerQuestion:
    """What ``text`` asks of the tracker, and how strongly it is about it.

    Args:
        apps: the app names the tracker knows ("Hayu.Bdg", "e-RK").
        today: for windows such as "minggu ini" and "next year".
        home_regions: the codes of regions whose apps are replicated (Kota Bandung): named
            alone, they do not make a question about a partner's agreement.
    """
    # "P.K.S", "K.B.": split at the stops, its letters were read as words
    said = _normalise(words(undotted(text)))
    joined = f" {' '.join(said)} "
    mentions = tuple(find_regions(text, regions, known_words=KNOWN_WORDS))
    partners = [m for m in mentions if not _only_home(m, home_regions)]
    found_apps = tuple(find_names(text, apps))
    signals: list[str] = []

    def has(pattern: str, name: str | None = None) -> bool:
        hit = re.search(rf" (?:{pattern})(?= )", joined) is not None
        if hit and name:
            signals.append(name)
        return hit

    definition = has(_DEFINITION, "definition")
    agreement = has(_AGREEMENT, "agreement")
    milestone = has(_MILESTONE, "milestone")
    states = [state for state, pattern in _STATES.items() if has(pattern, state)]
    # "When does agreement 3 end?": "end" is a term's end only asked of an agreement ("when
    # does the training end?" asks a milestone's date).
    ending = has(_ENDING, "ending") or has(
        rf"when(?: \w+){{0,4}} (?:{_AGREEMENT})(?: \w+){{0,4}} end", "ending"
    )
    signed = has(_SIGNED, "signed")
    active = has(_ACTIVE, "active")
    status = has(_STATUS, "status")
    role = has(_ROLE, "role")
    counting = has(_COUNT, "count")
    listing = has(_LIST, "list")
    when = has(_WHEN, "when")
    who = has(_WHO, "who")
    which_regions = has(_WHICH_REGIONS, "which_regions")
    already = has(_ALREADY, "already")
    stage = next((key for key, pattern in STAGES.items() if has(pattern, f"stage:{key}")), None)
    number = _number(text)
    agreement_id = _agreement_id(text) if number is None else None
    # The year inside an agreement's number ("…/2024") is no time window.
    window = find_window(
        joined if number is None else " ".join(words(text.replace(number, " "))), today
    )
    if window is not None:
        signals.append(f"window:{window.name}")
    kind = _kind(joined)
    subject = (
        bool(partners)
        or agreement
        or bool(found_apps)
        or number is not None
        or agreement_id is not None
    )

    # A state or a date is about an agreement only when something says it is: an agreement
    # or milestone word, a partner region, or a question over the whole list ("yang telat apa
    # saja?", "which regions are behind?", or a bare "what is overdue?" / "apa yang
    # terlambat?"). "akun tidak aktif", "kinerja telat diisi" are not.
    anchored = agreement or milestone or bool(partners)
    state_patterns = [_STATES[state] for state in states]
    whole_list = listing or counting or which_regions or _only_a_state(joined, state_patterns)
    # "what expires next month?", "apa yang berakhir tahun ini?": the end of whatever is in
    # the list ("izin saya berakhir bulan depan" is about something else).
    ending_list = ending and _only_a_state(joined, [_ENDING], window=window is not None)
    score = 0.0
    if agreement and not definition:
        score += 1.0
    if milestone and not definition:
        score += 1.0
    if states:
        score += 1.5 if (anchored or whole_list) else 0.5
    if ending:
        # Asked of the whole list ("apa yang habis masa berlakunya?"), an end of term is the
        # tracker's, as a state is; with a time window it is so whatever else it says.
        score += 1.5 if ending_list else 1.0 if anchored else 0.3
    if signed and (agreement or partners):
        score += 1.0
    if active and agreement:
        score += 1.0
    # A region the directory does not know ("Kabupaten Atlantis") is still a region named: the
    # question is the tracker's as it is with a known one, and the tracker says it knows none.
    unknown = unknown_regions(text, mentions, known_words=KNOWN_WORDS)
    if status:
        score += 1.0 if (partners or unknown or agreement or found_apps) else 0.3
    if role and (partners or agreement or found_apps or stage):
        score += 1.5
    if stage is not None and (partners or which_regions) and not definition:
        score += 1.0
    if stage is not None and partners and (when or already or who):
        score += 0.5
    if which_regions and (found_apps or stage):
        score += 1.5
    if window is not None and (milestone or agreement or ending or signed):
        score += 0.5
    bare = bool(partners) and _only_the_regions(said, partners)
    if partners or unknown:
        score += 0.5
    if bare:
        score += 1.0  # "kerinci gimana?", "Mojokerto?": how is it going there
    if unknown and not partners and _only_the_names(said, unknown):
        score += 1.0  # "Kabupaten Atlantis gimana?": the tracker says it knows no such region
    if agreement and (listing or counting) and not definition:
        score += 0.5  # "which agreements …", "how many MoUs …": ours
    if number is not None or agreement_id is not None:
        score += 1.0
    if definition and not partners:
        score = min(score, 1.0)

    intent = _intent(
        states=states,
        ending=ending,
        signed=signed,
        active=active,
        role=role,
        who=who,
        stage=stage,
        which_regions=which_regions,
        milestone=milestone,
        window=window,
        kind=kind,
        status=status,
        listing=listing,
        subject=subject,
    )
    return TrackerQuestion(
        text=text,
        score=round(score, 2),
        intent=intent,
        regions=mentions,
        unknown_regions=unknown,
        apps=found_apps,
        stage=stage,
        window=window,
        kind=kind,
        number=number,
        agreement_id=agreement_id,
        counting=counting and not who,
        asks_who=who or role,
        asks_when=when,
        bare=bare,
        signals=tuple(signals),
    )


def _intent(
    *,
    states: Sequence[str],
    ending: bool,
    signed: bool,
    active: bool,
    role: bool,
    who: bool,
    stage: str | None,
    which_regions: bool,
    milestone: bool,
    window: Window | None,
    kind: Kind | None,
    status: bool,
    listing: bool,
    subject: bool,
) -> Intent:
    """What is asked, in a stated order: the most specific signal wins."""
    if stage == "coordinators":
        return "stage"
    if role and (who or not status):
        return "coordinator"
    if which_regions and stage is not None:
        return "stage_regions"
    for state in ("overdue", "blocked", "stalled", "at_risk", "renewal"):
        if state in states:
            return state  # type: ignore[return-value]  # the names are intents
    if "draft" in states and not signed:
        return "draft"
    if stage is not None:
        return "stage"
    if ending:
        return "ending"
    if signed or "draft" in states:
        return "signed"
    if milestone and window is not None:
        return "due"
    if kind == "addendum":
        return "addendum"
    if active:
        return "active"
    if status or subject:
        return "status"
    return "list" if listing else "status"


def _normalise(said: Sequence[str]) -> list[str]:
    """Mistyped vocabulary words read as the word they are closest to."""
    out = []
    for word in said:
        if len(word) >= 6 and word.isalpha() and word not in KNOWN_WORDS:
            match = process.extractOne(word, _TYPO_TARGETS, scorer=fuzz.ratio, score_cutoff=86)
            if match is not None:
                word = match[0]
        out.append(word)
    return out


#: Words that, around a region's name and nothing else, ask how things stand there.
def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_HOW_IS_IT: Final = _word_set(
    """
    bagaimana apa kabar kabarnya gimana dengan sama ya sih dong nih deh kah tuh lah kalau
    kalo terus lalu and what about how is it going yang di untuk ke
    """
)


#: The words around a state in a question over the whole list: "what is overdue?", "is
#: anything late right now?", "apa yang terlambat?", "siapa yang telat?", "ada yang mandek?".
_WHOLE_LIST_FRAME: Final = _word_set(
    """
    what whats is are who whos anything something any there now currently still right
    apa yang siapa ada sekarang saat ini masih sedang lagi sih ya
    """
)
_ASKING: Final = frozenset({"what", "whats", "who", "whos", "anything", "apa", "siapa", "ada"})
_TIME_WORDS: Final = _word_set(
    """
    hari ini besok minggu pekan depan bulan tahun ke dalam sebelum akhir
    this next week month months year years day days today tomorrow within in the end of by
    """
)
"""Words of a time window ("bulan depan", "within 90 days"), asked together with a state."""


def _only_a_state(joined: str, patterns: Sequence[str], *, window: bool = False) -> bool:
    """The question is a state (one of ``patterns``: overdue, stalled, ending...) and words
    that ask for whatever is in it, and nothing else ("what is overdue?", "apa yang
    terlambat?"; with ``window``, the time words naming it: "what expires next month?"):
    asked of the whole list, as the tracker is the only place that keeps such states. Any
    other word ("pembayaran", "report", "itu") makes it a question about something else."""
    if not patterns:
        return False
    rest = joined
    for pattern in patterns:
        rest = re.sub(rf" (?:{pattern})(?= )", " ", rest)
    left = {w for w in rest.split() if not (window and w.isdigit())}
    frame = _WHOLE_LIST_FRAME | _TIME_WORDS if window else _WHOLE_LIST_FRAME
    return bool(left) and left <= frame and bool(_ASKING & left)


def _only_the_regions(said: Sequence[str], partners: Sequence[RegionMention]) -> bool:
    """The message is a region's name and words like "gimana", "kalau", "ya"."""
    return _only_the_names(said, [m.phrase for m in partners])


def _only_the_names(said: Sequence[str], names: Sequence[str]) -> bool:
    """The message is these names and words like "gimana", "kalau", "ya"."""
    named = {w.casefold() for name in names for w in name.split()}
    return bool(named) and all(w in _HOW_IS_IT or w in named for w in said)


def _only_home(mention: RegionMention, home_regions: Collection[str]) -> bool:
    """A mention of a home region only ("Kota Bandung"; or "Bandung", one of whose meanings
    is the home region)."""
    return any(r.code in home_regions for r in mention.candidates)


def _kind(joined: str) -> Kind | None:
    if re.search(r" (adendum\w*|addend\w*) ", joined):
        return "addendum"
    if re.search(r" (pks|perjanjian kerja sama) ", joined):
        return "pks"
    # "MoU" is what officials call any cooperation agreement: it names no kind.
    if re.search(r" (kb|kesepakatan bersama|memorandum) ", joined):
        return "kb"
    return None


_NUMBER = re.compile(r"\b\d{1,4}(?:[./-][0-9A-Za-z]+)+\b")
"""Digits, then parts each one separator and letters or digits ("/021", "-Huk"). One way
only to read any text: the pattern had "." and "-" both as separators and inside parts, and
tried every split of "1-----...?" before failing (exponential: 40 dashes took 18 s)."""


def _number(text: str) -> str | None:
    """An agreement number as written ("415.4/021-Huk/2024"): digits and at least two parts,
    one opened by "/"."""
    for match in _NUMBER.finditer(text):
        found = match.group(0)
        if "/" in found and sum(found.count(sep) for sep in "./-") >= 2:
            return found
    return None


_AGREEMENT_ID = re.compile(
    r"(?:^|(?<=\s))(?:/mou\s*|(?:perjanjian|kesepakatan|mou|pks|kb|agreement)\s+"
    r"(?:(?:id|nomor|no\.?|number|nr\.?)\s*)?#?)(\d{1,9})\b(?![./-]\w)"
    r"(?!\s*(?:tahun|thn|bulan|bln|hari|minggu|pekan|pihak|daerah|years?|months?|days?|weeks?"
    r"|part(?:y|ies)|regions?)\b)",
    re.I,
)


def _agreement_id(text: str) -> int | None:
    """The id the bot shows an agreement by ("/mou 3", "perjanjian 3", "agreement #3"), asked
    about as the user saw it; not a year ("MoU 2024"), a duration ("perjanjian 5 tahun") or
    the start of a document number ("MoU 415/...")."""
    match = _AGREEMENT_ID.search(text)
    if match is None:
        return None
    value = int(match.group(1))
    if len(match.group(1)) == 4 and MIN_YEAR <= value <= MAX_YEAR:
        return None
    return value or None


# --- time windows ---------------------------------------------------------------------------


def find_window(joined: str, today: date) -> Window | None:
    """The days a question names ("minggu ini", "next month", "2027", "90 hari ke depan")."""
    text = f" {' '.join(joined.casefold().split())} "
    monday = today - timedelta(days=today.weekday())
    rules: list[tuple[str, Window]] = [
        (r"hari ini|today", Window(today, today, "today")),
        (r"besok|tomorrow", Window(today + timedelta(1), today + timedelta(1), "tomorrow")),
        (
            r"minggu (ini|sekarang)|pekan ini|this week",
            Window(monday, monday + timedelta(6), "this_week"),
        ),
        (
            r"minggu depan|pekan depan|next week",
            Window(monday + timedelta(7), monday + timedelta(13), "next_week"),
        ),
    ]
    for pattern, window in rules:
        if re.search(rf" (?:{pattern}) ", text):
            return window
    days = re.search(
        r" (?:dalam |within |in |next )?(\d{1,4}) (hari|days?|minggu|weeks?|bulan|months?)"
        r"(?: (?:ke depan|lagi|mendatang|ahead|from now))?",
        text,
    )
    if days is not None and re.search(r"depan|lagi|mendatang|dalam|within|next|ahead", text):
        count, unit = int(days.group(1)), days.group(2)
        span = count * (7 if unit.startswith(("minggu", "week")) else 1)
        if unit.startswith(("bulan", "month")):
            end = _add_months(today, count)
        else:
            end = today + timedelta(span)
        return Window(today, end, "days")
    if re.search(r" (bulan ini|this month) ", text):
        return _month(today.year, today.month, "this_month")
    if re.search(r" (bulan depan|next month) ", text):
        following = _add_months(today.replace(day=1), 1)
        return _month(following.year, following.month, "next_month")
    if re.search(r" (tahun ini|this year) ", text):
        return Window(date(today.year, 1, 1), date(today.year, 12, 31), "this_year")
    if re.search(r" (tahun depan|next year) ", text):
        return Window(date(today.year + 1, 1, 1), date(today.year + 1, 12, 31), "next_year")
    month = re.search(rf" (?:bulan )?({_MONTH_WORDS})(?: (\d{{4}}))? ", text)
    if month is not None and (month.group(2) or month.group(1) in _FULL_MONTHS):
        number = MONTHS[month.group(1)]
        year = int(month.group(2)) if month.group(2) else today.year
        return _month(year, number, "month")
    year_named = re.search(r" (?:tahun |pada |in |year |on )?((?:19|20)\d\d) ", text)
    if year_named is not None:
        value = int(year_named.group(1))
        return Window(date(value, 1, 1), date(value, 12, 31), "year")
    return None


def _month(year: int, month: int, name: str) -> Window:
    last = calendar.monthrange(year, month)[1]
    return Window(date(year, month, 1), date(year, month, last), name)


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


# --- matching what was asked against the tracker's views ------------------------------------


def stage_matches(stage: str, key: str, title: str) -> bool:
    """Whether a milestone (its template key and title) is the ``stage`` asked about."""
    if key == stage:
        return True
    pattern = STAGES.get(stage) or _OTHER_STAGES.get(stage)
    if pattern is None:
        return False
    folded = f" {' '.join(words(title))} "
    return re.search(rf" (?:{pattern}) ", folded) is not None


def stage_milestones(stage: str, milestones: Sequence[MilestoneView]) -> tuple[MilestoneView, ...]:
    """The milestones of an agreement that are the ``stage`` asked about
    (:func:`stage_matches`). A stage named by a thing rather than an action (the PKS: its
    signing) is the template's milestone where the agreement has one: a custom "Penyusunan
    draf PKS" names the PKS but is no signing of it. Stages named by an action ("Pelatihan
    operator") keep every milestone whose title names them."""
    if stage in _OTHER_STAGES:
        keyed = tuple(m for m in milestones if m.key == stage)
        if keyed:
            return keyed
    return tuple(m for m in milestones if stage_matches(stage, m.key, m.title))


def mentioned_codes(mentions: Iterable[RegionMention]) -> list[tuple[str, ...]]:
    """For each clear mention, the codes it stands for (a province stands for itself and all
    its regencies and cities, matched by prefix by :func:`party_matches`)."""
    return [tuple(r.code for r in m.candidates) for m in mentions if m.region is not None]


def party_matches(party_code: str, wanted_code: str) -> bool:
    """A party is the wanted region, or lies in the wanted province ("15" covers "15.01")."""
    return party_code == wanted_code or (
        "." not in wanted_code and party_code.startswith(wanted_code + ".")
    )
