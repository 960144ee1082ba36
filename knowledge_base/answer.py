"""Extractive answers: the most relevant sentences of the best passages, with numbered citations.

No model is needed. Sentences are scored by the IDF-weighted query terms they contain (plus the
rank of their passage); the best ones are kept in document order, each followed by the number
of its source. Only sources whose sentences made it into the answer are cited, numbered in order
of first use. Passages in the question's language are preferred when they are about as relevant
as the others. Step lists are kept whole when the question asks how to do something.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from knowledge_base.abbreviations import asked_abbreviations, spelled_out
from knowledge_base.articles import (
    asked_terms,
    closes,
    definition_match,
    enactment_date,
    entry_span,
)
from knowledge_base.language import detect_language
from knowledge_base.question import (
    TYPE_WORDS,
    QuestionInfo,
    analyse,
    bounds_of,
    evidence_of,
    measures_stated,
    states,
    states_new,
    without_reference_figures,
)
from knowledge_base.schemas import Citation, SearchHit
from knowledge_base.units import LIST_ITEM as _LIST_ITEM
from knowledge_base.units import (
    Span,
    Unit,
    is_table_row,
    passage_units,
    split_spans,
    unit_key,
)
from knowledge_base.units import strip_prefix as _strip_prefix

__all__ = [
    "ComposedAnswer",
    "Evidence",
    "Span",
    "answer_passages",
    "compose",
    "split_spans",
    "usable_hits",
]

_SNIPPET = 240


@dataclass(frozen=True)
class ComposedAnswer:
    """An answer built from passages; ``text`` carries ``[n]`` markers matching ``citations``."""

    text: str
    citations: tuple[Citation, ...]
    language: str
    source_language: str | None
    """The language of the cited passages when it differs from the question's."""
    passages: tuple[str, ...] = ()
    """The full text of each cited passage, in citation order."""
    evidence: Evidence | None = None
    """How well the chosen sentences answer the question (``None`` from an LLM)."""
    info: QuestionInfo | None = None
    judged: ComposedAnswer | None = None
    """The answer the refusal reads when it differs from this one: without the runner-up of
    another passage quoted beside the best passage's units (:func:`_beside_from_elsewhere`;
    the refusal model was fitted on answers quoted from one passage). ``None``: this one."""


RELATIVE_CUTOFF = 0.75
"""Passages scoring below this share of the best one are not used in an answer."""


SAME_LANGUAGE_SHARE = 0.9
"""Passages in the question's language are answered from, the others left out, when the best
of them scores at least this share of the best passage overall: an Indonesian official reads
an Indonesian passage rather than a slightly better English one. A judgement, not a fitted
figure (docs/retrieval.md, "The question's language"): it sits above :data:`RELATIVE_CUTOFF`,
so a passage in the other language that is clearly the better match is still used.
"""

ANSWER_PASSAGES = 5
"""At most this many passages compete for the answer (their units in one ranking)."""


def usable_hits(
    hits: Sequence[SearchHit],
    relative_cutoff: float = RELATIVE_CUTOFF,
    limit: int = ANSWER_PASSAGES,
) -> list[SearchHit]:
    """The passages close enough to the best one to answer from (at least the best one)."""
    if not hits:
        return []
    best = hits[0].score or 1e-9
    return [h for h in hits[:limit] if h.score >= best * relative_cutoff] or [hits[0]]


def answer_passages(
    hits: Sequence[SearchHit],
    language: str,
    relative_cutoff: float = RELATIVE_CUTOFF,
    limit: int = ANSWER_PASSAGES,
) -> list[SearchHit]:
    """The passages an answer is composed from: the usable ones, in the question's language
    when those are about as relevant as the best one."""
    usable = usable_hits(hits, relative_cutoff, limit)
    if not usable:
        return usable
    same = [h for h in usable if (h.language or language) == language]
    if same and same[0].score >= usable[0].score * SAME_LANGUAGE_SHARE:
        return same
    return usable


def strip_prefix(hit: SearchHit) -> str:
    """The passage without the "title > section" heading the chunker put in front of it."""
    return _strip_prefix(hit.text, hit.title, hit.section)


def split_units(text: str) -> list[str]:
    """Sentences, with list items and short lines kept as their own units."""
    return [s.text for s in split_spans(text)]


def locate(hit: SearchHit, start: int, end: int) -> tuple[int | None, int | None, str | None]:
    """The first page, last page and section of ``hit.text[start:end]`` (its anchors)."""
    if not hit.anchors:
        return hit.page, hit.page, hit.section
    first = last = None
    section: str | None = None
    for offset, page, label in hit.anchors:
        if offset <= start:
            first, section = page, label
        if offset < end:
            last = page
    if first is None and section is None:
        first, section = hit.anchors[0][1], hit.anchors[0][2]
    return first, last if last is not None else first, section or hit.section


@dataclass
class _Unit:
    hit_rank: int
    index: int
    span: Span
    score: float
    coverage: float
    states: bool
    cosine: float | None = None
    header: bool = False
    label: str | None = None

    @property
    def text(self) -> str:
        return self.span.text

    @property
    def is_list(self) -> bool:
        return self.span.is_list


Concepts = Sequence[tuple[Sequence[str], Sequence[Sequence[str]]]]
Similarities = Mapping[str, Mapping[bytes, float]]
"""The question's cosine with each unit: chunk id -> unit key -> cosine (see
``KnowledgeIndex.unit_similarities``)."""


@dataclass(frozen=True)
class Evidence:
    """How well the chosen sentences answer the question (for the refusal decision)."""

    coverage: float
    """IDF-weighted share of the question's concepts in the chosen sentences and the
    passage's title and heading."""
    passage_coverage: float
    """The same share over the whole passage the sentences come from."""
    states: bool
    """Whether the sentences state what the question's type asks for (a number...)."""
    missing: tuple[str, ...]
    """Question terms found nowhere in the passage, its title or heading."""
    cosine: float | None = None
    """The question's cosine with the best chosen unit (``None`` without unit vectors)."""
    best_cosine: float | None = None
    """The highest cosine of any candidate unit."""
    score: float = 0.0
    """The unit scorer's logit of the chosen unit."""
    margin: float = 0.0
    """How far the chosen unit scores above the runner-up among the candidates."""
    direct: float = 0.0
    """IDF-weighted share of the question's concepts in the chosen unit itself."""
    missing_peak: float = 0.0
    """The weight of the heaviest concept the passage lacks, over the heaviest concept's: a
    near-miss question usually names one specific thing the passage does not."""
    answer_missing_peak: float = 0.0
    """The same over the chosen units (with the passage's title and heading)."""
    type_evidence: float = 0.0
    """How strongly the chosen units state what the type asks (``question.evidence_of``)."""
    passage_margin: float = 10.0
    """How far the chosen unit scores above the best unit of any other passage (10.0 when no
    other passage competed): an answer the passages dispute is less likely to be there."""


_DEFINES = re.compile(
    r"\b(adalah|merupakan|ialah|yaitu|yakni|selanjutnya disebut|selanjutnya disingkat|"
    r"dimaksud dengan|is|are|means|refers to)\b",
    re.I,
)
_DEFINES_TERM = re.compile(
    r"^\s*\d{1,3}\s*\.\s+[^.;:]{1,200}?\b(?:adalah|ialah|means)\b"
    r"|\byang\s+selanjutnya\s+(?:disebut|disingkat)\b",
    re.I,
)
"""An entry of a regulation's definitions article: a numbered "N. X adalah ..." or "X yang
selanjutnya disebut Y". A plain "X adalah ..." is left alone: in an encyclopaedia it answers
who or what X is, whatever the question's type."""
_TYPED = ("kapan", "berapa", "siapa", "dimana", "yesno", "syarat", "bagaimana")
PASSAGE_FEATURES = (
    "passage_coverage",
    "title_coverage",
    "support",
    "passage_cosine",
    "passage_best",
    "cosine_gap",
    "reciprocal_rank",
    "keyword_coverage",
)
"""What a unit's passage says of the question, so that units of several passages compete in
one ranking (:func:`passage_context`)."""
ARTICLE_FEATURES = ("explained_concepts",)
"""What the term an elucidation explains says of a unit (:func:`article_context`)."""
PART_FEATURES = (
    "general_part",
    "defines_unasked",
    "refers_other",
    "elucidation",
    "elucidation_asked",
)
"""Where a unit stands in a regulation's structure (:func:`part_context`)."""
STRUCTURE_FEATURES = ("closing_unasked",)
"""Whether a unit is one of a regulation's closing lines when the question does not ask what
they answer (:func:`structure_context`)."""
LANGUAGE_FEATURES = ("cosine_gap_english",)
"""The unit's cosine read more when the question is in English (:func:`language_context`)."""
FEATURES = (
    "coverage",
    "framed",
    "focus",
    "states",
    *(f"states_{t}" for t in _TYPED),
    "evidence",
    "defines",
    "bigrams",
    "proximity",
    "novel",
    "rank",
    "relative",
    "position",
    "first",
    "length",
    "list",
    "list_wanted",
    "cosine",
    "cosine_best",
    "cosine_missing",
    "heading",
    "enumeration",
    "explains",
    "asks",
    "capitals",
    "bound",
    "measure",
    "previous",
    "next",
    *PASSAGE_FEATURES,
    *ARTICLE_FEATURES,
    *PART_FEATURES,
    *STRUCTURE_FEATURES,
    *LANGUAGE_FEATURES,
)
UNIT_WEIGHTS: tuple[float, ...] = (
    0.463, 1.798, 0.519, 2.104, 0.825, 0.517, -1.190, -0.424, 2.499, 0.000, 0.000, 1.703, 2.495,
    -0.420, 0.146, 0.481, -0.761, 1.452, -0.501, -0.192, -0.508, -1.395, 0.150, 1.483, 0.423, 0.000,
    1.038, 1.798, 2.849, -2.116, -2.444, 3.826, 1.711, 0.166, -0.011, 1.583, 1.070, 1.749, 0.807,
    -1.006, 1.483, -0.624, 0.766, 1.354, -3.344, -2.590, -0.558, -0.640, 2.509, -1.148,
    1.308,
)  # fmt: skip
"""Weights of :data:`FEATURES` in a unit's score, fitted by ``python -m bench.answer_model fit``
on the 5,369 TyDi QA train questions and the gov-id dev questions (listwise softmax;
docs/retrieval.md); :data:`PART_FEATURES`, then :data:`STRUCTURE_FEATURES`, then
:data:`LANGUAGE_FEATURES` (eleventh round), with ``--only``, on top of the earlier weights
scaled (the last one added unscaled, its weight divided by the fit's scale 0.986, so that an
Indonesian question's unit scores, which the refusal reads, are as before): the unit holding
the gold span is chosen for 68.2% of TyDi valid (held out) and 66.2% of gov-id dev
(cross-validated by document), where some unit of the competing passages holds it for 95% and
92% (docs/benchmarks.md, eleventh round)."""

COSINE_FLOOR = 0.8
"""e5 cosines of unrelated texts sit near 0.8; the feature reads ``(cosine - 0.8) * 10``."""


def unit_features(
    span: Span,
    index: int,
    rank: int,
    relative: float,
    context: set[str],
    info: QuestionInfo,
    weighted: Sequence[tuple[float, Sequence[frozenset[str]]]],
    terms: Callable[[str], list[str]],
    question_terms: Sequence[str] = (),
    *,
    cosine: float | None = None,
    best_cosine: float | None = None,
    fallback_cosine: float | None = None,
    heading: set[str] | None = None,
) -> list[float]:
    """What the unit scorer reads of one unit (names in :data:`FEATURES`).

    Args:
        context: the terms of the passage's title and heading path.
        heading: the terms of the unit's own article or section label (its anchor).
        cosine: the question's cosine with this unit (``None``: no unit vector, then
            ``fallback_cosine``, the passage's, stands in).
        best_cosine: the highest unit cosine among the candidates.
    """
    sequence = terms(span.text)
    own = set(sequence)
    total = sum(w for w, _ in weighted) or 1.0
    direct = framed = focus = focus_total = in_heading = 0.0
    positions: list[int] = []
    for weight, alternatives in weighted:
        in_unit = any(a <= own for a in alternatives)
        in_context = any(a <= context for a in alternatives)
        if heading and any(a <= heading for a in alternatives):
            in_heading += weight
        if in_unit:
            direct += weight
            for alt in alternatives:
                if alt <= own:
                    positions.extend(i for i, t in enumerate(sequence) if t in alt)
                    break
        if in_unit or in_context:
            framed += weight
        if not in_context:
            focus_total += weight
            if in_unit:
                focus += weight
    pairs = set(itertools.pairwise(sequence))
    wanted = list(itertools.pairwise(question_terms))
    bigrams = sum(1 for p in wanted if p in pairs) / len(wanted) if wanted else 0.0
    defines = 1.0 if info.asks_definition and _DEFINES.search(span.text) else 0.0
    matched = len(set(positions))
    proximity = matched / (max(positions) - min(positions) + 1) if positions else 0.0
    asked = set(question_terms)
    novel = len([t for t in own if t not in asked]) / (len(own) or 1)
    stated = states(info.qtype, span.text)
    if cosine is None:
        missing, cosine = 1.0, fallback_cosine
    else:
        missing = 0.0
    scaled = (cosine - COSINE_FLOOR) * 10.0 if cosine is not None else 0.0
    is_best = (
        1.0 if cosine is not None and best_cosine is not None and cosine >= best_cosine else 0.0
    )
    return [
        direct / total,
        (framed - direct) / total,
        focus / focus_total if focus_total else 0.0,
        1.0 if stated else 0.0,
        *(1.0 if stated and info.qtype == t else 0.0 for t in _TYPED),
        evidence_of(info.qtype, span.text),
        defines,
        bigrams,
        proximity,
        novel,
        float(rank),
        relative,
        math.log1p(index),
        1.0 if index == 0 else 0.0,
        math.log1p(len(span.text)) / 6.0,
        1.0 if span.is_list else 0.0,
        1.0 if span.is_list and (info.wants_list or info.qtype in ("syarat", "bagaimana")) else 0.0,
        scaled,
        is_best,
        missing,
        in_heading / total,
        1.0 if enumerates(span.text) and (info.wants_list or info.qtype == "syarat") else 0.0,
        explains(span.text, asked, terms),
        1.0 if span.text.rstrip().endswith("?") else 0.0,
        capitals(span.text),
        1.0 if info.bounds and bounds_of(span.text, info.bounds) else 0.0,
        1.0 if info.measures and measures_stated(span.text, info.measures) else 0.0,
    ]


_EXPLAINED = re.compile(
    r"\b(?:yang\s+dimaksud\s+dengan|the\s+term)\s*[\"“”'‘’]([^\"“”'‘’]{2,120})[\"“”'‘’]", re.I
)


def explains(text: str, asked: set[str], terms: Callable[[str], list[str]]) -> float:
    """The share of the words of the term a unit explains ('Yang dimaksud dengan "kondisi
    darurat" adalah ...', as a regulation's elucidation reads) that the question uses."""
    found = _EXPLAINED.search(text)
    if found is None:
        return 0.0
    explained = set(terms(found.group(1)))
    return len(explained & asked) / len(explained) if explained else 0.0


def capitals(text: str) -> float:
    """The share of a unit's letters in capitals: a regulation's title and preamble ("PERATURAN
    PEMERINTAH ... TENTANG ...") restate the question's words without answering it."""
    letters = "".join(filter(str.isalpha, text))
    return sum(map(str.isupper, letters)) / len(letters) if letters else 0.0


def weigh(
    concepts: Concepts, idf: Callable[[str], float]
) -> list[tuple[float, list[frozenset[str]]]]:
    """Each concept's weight (the IDF of its own terms) and its alternatives as term sets."""
    return [
        (sum(idf(t) for t in set(own)) or 0.0, [frozenset(a) for a in alternatives if a])
        for own, alternatives in concepts
    ]


def prepared_concepts(
    concepts: Concepts,
    info: QuestionInfo,
    terms: Callable[[str], list[str]],
    idf: Callable[[str], float],
) -> tuple[Concepts, list[tuple[float, list[frozenset[str]]]]]:
    """The concepts an answer must hold (without the words that only name the kind of
    answer, "batas waktu", "syarat") and their weights."""
    type_terms = set(terms(TYPE_WORDS.get(info.qtype, "")))
    kept = [c for c in concepts if not set(c[0]) <= type_terms] or list(concepts)
    return kept, weigh(kept, idf)


@dataclass(frozen=True)
class Candidate:
    """A unit of the retrieved passages, as the scorer sees it."""

    rank: int
    index: int
    span: Span
    features: list[float]
    cosine: float | None
    header: bool
    label: str | None = None
    """The unit's article or section label ("Pasal 12 ayat (2)", "Penjelasan")."""

    def extended(self, *features: float) -> Candidate:
        """This unit with ``features`` after its own (each context adds its own). Built
        directly: ``dataclasses.replace``, once per unit in each of six contexts, cost a
        tenth of the sentence choice (docs/benchmarks.md, fifteenth round)."""
        return Candidate(
            self.rank,
            self.index,
            self.span,
            [*self.features, *features],
            self.cosine,
            self.header,
            self.label,
        )


def _label_at(hit: SearchHit, start: int) -> str | None:
    label: str | None = None
    for offset, _, section in hit.anchors:
        if offset <= start:
            label = section
    return label


def candidate_units(
    hits: Sequence[SearchHit],
    info: QuestionInfo,
    weighted: Sequence[tuple[float, Sequence[frozenset[str]]]],
    terms: Callable[[str], list[str]],
    question_terms: Sequence[str],
    similarity: Similarities | None = None,
    language: str | None = None,
) -> list[Candidate]:
    """Every unit of ``hits`` with its features, in passage and reading order (``language``:
    the question's, ``None`` when unknown)."""
    if not hits:
        return []
    best = hits[0].score or 1e-9
    similarity = similarity or {}
    listed: list[tuple[int, SearchHit, int, Unit, float | None]] = []
    for rank, hit in enumerate(hits):
        sims = similarity.get(hit.chunk_id, {})
        for i, unit in enumerate(passage_units(hit.text, hit.title, hit.section)):
            listed.append((rank, hit, i, unit, sims.get(unit_key(unit.read))))
    known = [c for *_, c in listed if c is not None]
    best_cosine = max(known) if known else None
    out: list[Candidate] = []
    contexts: dict[int, set[str]] = {}
    headings: dict[tuple[int, str | None], set[str]] = {}
    for rank, hit, i, unit, cosine in listed:
        context = contexts.get(rank)
        if context is None:
            context = contexts[rank] = set(terms(f"{hit.title} {hit.section or ''}"))
            first = next((u for r, _, j, u, _ in listed if r == rank and j == 0), None)
            named = opening_subject(first.read) if first is not None else None
            if named and not info.asks_definition:
                # The passage's opening names what its sentences speak of ("X adalah ...";
                # then "Ia ...", "Kota ini ..."): it frames them as a title does.
                context = contexts[rank] = context | set(terms(named))
        label = _label_at(hit, unit.span.start)
        heading = headings.get((rank, label))
        if heading is None:
            heading = headings[(rank, label)] = set(terms(label or ""))
        read = Span(unit.span.start, unit.span.end, unit.read, unit.span.is_list)
        features = unit_features(
            read,
            unit.place,
            rank,
            hit.score / best,
            context,
            info,
            weighted,
            terms,
            question_terms,
            cosine=cosine,
            best_cosine=best_cosine,
            fallback_cosine=hit.dense_score,
            heading=heading,
        )
        out.append(
            Candidate(
                rank,
                i,
                unit.span,
                features,
                cosine,
                unit.header,
                label or _last_section(hit.section),
            )
        )
    return language_context(
        structure_context(
            part_context(
                article_context(
                    passage_context(_with_neighbours(out), hits, weighted, terms), weighted, terms
                ),
                info,
            ),
            info,
        ),
        language,
    )


_OPENING = re.compile(r"^([A-Z][^(),;:\d]{1,79}?)\s*(?:[(,]|(?:adalah|merupakan|ialah)\b)")
_COPULA = re.compile(r"\b(?:adalah|merupakan|ialah)\b")


def opening_subject(text: str) -> str | None:
    """What a passage's opening sentence says something is ("Kota Vatikan (Italian: ...)
    merupakan ..." -> "Kota Vatikan"): its first words up to a bracket, a comma or the verb,
    80 characters at most, when the sentence says what something is. ``None`` otherwise.

    An encyclopaedia's paragraph names its subject once and then refers to it ("Ia lahir di
    ...", "Kota ini ..."): counted as the frame of every unit of the passage (as a title is,
    the ``framed`` and ``focus`` features), a later sentence stating the asked fact no longer
    loses to the opening for lacking the subject's name, unless the question asks what the
    subject is. TyDi train +51 / -19 of 5,369 answers (docs/benchmarks.md, fourteenth
    round)."""
    found = _OPENING.match(text)
    if found is None or not _COPULA.search(text):
        return None
    return found.group(1)


def _last_section(section: str | None) -> str | None:
    """The innermost part of a heading path ("BAB II > Pasal 5" -> "Pasal 5"; "Penjelasan >
    Pasal 5" -> "Penjelasan Pasal 5", as the unit anchors name an elucidation)."""
    parts = [p.strip() for p in (section or "").split(">") if p.strip()]
    if not parts:
        return None
    if len(parts) > 1 and parts[0].lower() == "penjelasan":
        return f"Penjelasan {parts[-1]}"
    return parts[-1]


GENERAL_PARTS = frozenset({"penjelasan", "penjelasan umum", "umum", "pembukaan"})
"""Labels of a regulation's parts that state no provision: its preamble and the general
part of its elucidation, which restate the subject's words in summary."""
_REFERENCE = re.compile(
    r"\b(?:dimaksud\s+(?:dalam|pada|di\s*dalam)|referred\s+to\s+in)\s+pasal\s+(\d+[a-z]?)\b", re.I
)
_ARTICLE = re.compile(r"^(?:penjelasan\s+)?pasal\s+(\d+[a-z]?)\b", re.I)


def article_of(label: str | None) -> str | None:
    """The article number a label names ("Pasal 12 ayat (2)" and "Penjelasan Pasal 12" ->
    "12"), ``None`` for a label outside the articles."""
    found = _ARTICLE.match(label.strip()) if label else None
    return found.group(1).upper() if found else None


def references(text: str) -> set[str]:
    """The articles a unit refers to ("sebagaimana dimaksud dalam Pasal 16" -> {"16"})."""
    return {m.upper() for m in _REFERENCE.findall(text)}


def part_context(candidates: list[Candidate], info: QuestionInfo) -> list[Candidate]:
    """Each unit's features followed by :data:`PART_FEATURES`, what a regulation's structure
    says of it:

    * ``general_part``: the unit stands in the preamble or the general elucidation, which
      summarise a regulation's subject in the question's words without stating a provision;
    * ``defines_unasked``: the unit is a definition ("X adalah ...", "yang selanjutnya
      disebut") when the question asks no definition: the definitions article names every
      term of a regulation, so it matches many questions it does not answer;
    * ``refers_other``: the unit refers to another article ("Laporan sebagaimana dimaksud
      dalam Pasal 16 ...") and so repeats the words of the provision it points at;
    * ``elucidation``: the unit stands in an article's elucidation ("Penjelasan Pasal 4"),
      which restates the article's terms to explain them, and ``elucidation_asked``: the same
      when the question asks what something means or an example of it ("menurut
      penjelasan", "contohnya", "seperti apa").

    (Tried and dropped: whether the unit's own article is one another candidate refers to;
    fitted, it moved no question.)
    """
    out: list[Candidate] = []
    for c in candidates:
        own = article_of(c.label)
        label = (c.label or "").strip().lower()
        elucidation = 1.0 if label.startswith("penjelasan ") else 0.0
        general = 1.0 if label in GENERAL_PARTS else 0.0
        unasked = 1.0 if not info.asks_definition and _DEFINES_TERM.search(c.span.text) else 0.0
        refers = 1.0 if any(n != own for n in references(c.span.text)) else 0.0
        out.append(
            c.extended(
                general,
                unasked,
                refers,
                elucidation,
                elucidation * (1.0 if info.asks_elucidation else 0.0),
            )
        )
    return out


_CLOSING = re.compile(
    r"\b(?:mulai\s+berlaku\s+pada\s+tanggal|ditetapkan\s+di\s+\w+|diundangkan\s+di\s+\w+|"
    r"agar\s+setiap\s+orang\s+mengetahuinya|(?:lembaran|berita)\s+negara\s+republik\s+indonesia"
    r"\s+tahun\s+\d{4})",
    re.I,
)
"""A regulation's closing lines: when it takes effect, where and when it was enacted and
promulgated, the gazette it stands in."""
_TRANSITIONAL = re.compile(
    r"\b(?:sebelum|pada\s+saat|sejak)\s+(?:mulai\s+)?berlakunya\b"
    r"|\bpada\s+saat\s+(?:peraturan|undang-undang)\b[^.;]{0,60}?\bini\s+mulai\s+berlaku\b",
    re.I,
)
"""A transitional provision: what becomes of what stood before the regulation took effect
("... yang telah ditandatangani sebelum berlakunya Peraturan Pemerintah ini, tetap
berlaku")."""


def structure_context(candidates: list[Candidate], info: QuestionInfo) -> list[Candidate]:
    """Each unit's features followed by :data:`STRUCTURE_FEATURES`: ``closing_unasked``, the
    unit is one of a regulation's closing lines ("mulai berlaku pada tanggal diundangkan",
    "Ditetapkan di Jakarta pada tanggal ...") or a transitional provision ("sebelum
    berlakunya Peraturan Pemerintah ini"), and the question does not ask when the regulation
    was enacted or takes effect (:func:`question.asks_enactment`). Those lines repeat the
    regulation's name and the words "berlaku", "perjanjian", "kerja sama" of many questions
    they do not answer.

    Tried and dropped (docs/benchmarks.md, eighth round): the same for the definitions
    article ("Dalam Peraturan ini yang dimaksud dengan:" and its entries) when no definition
    is asked, which gains on its own but nothing beside this one cross-validated; the
    counterparts "the question asks it", which no collected question set (none that asks a
    definition or an enactment date has that article among its candidates); the share of
    the question the unit's own article holds without its title and headings; the share a
    paragraph gains read with the paragraph it refers to ("sebagaimana dimaksud pada ayat
    (3)"). Tenth round: the share of the question's concepts a unit holds and the other
    paragraphs of its article (or its passage) lack, with or without list questions, and its
    lead over the article's best other paragraph; none rose cross-validated on gov-id.
    """
    enactment = 1.0 if info.asks_enactment else 0.0
    out: list[Candidate] = []
    for c in candidates:
        closing = bool(_CLOSING.search(c.span.text) or _TRANSITIONAL.search(c.span.text))
        out.append(c.extended((1.0 - enactment) if closing else 0.0))
    return out


def language_context(candidates: list[Candidate], language: str | None) -> list[Candidate]:
    """Each unit's features followed by :data:`LANGUAGE_FEATURES`: ``cosine_gap_english``,
    the unit's cosine against the best unit's (``cosine_gap``) when the question is in
    English, 0 otherwise. An English question's words reach the Indonesian units only
    through the dictionary's translations ("submitted" -> "kumpul" where a regulation says
    "disampaikan"), so the word features read it poorly, while the multilingual sentence
    vectors compare it with each unit directly.

    (Tried and dropped, eleventh round: a paragraph that takes up another paragraph of its
    own article, "... sebagaimana dimaksud pada ayat (1) ..."; the same for the word
    coverage and the passage's cosine of an English question; a unit that refers to another
    article retrieved beside it.)
    """
    english = 1.0 if language == "en" else 0.0
    gap = FEATURES.index("cosine_gap")
    return [c.extended(english * c.features[gap]) for c in candidates]


def article_context(
    candidates: list[Candidate],
    weighted: Sequence[tuple[float, Sequence[frozenset[str]]]],
    terms: Callable[[str], list[str]],
) -> list[Candidate]:
    """Each unit's features followed by :data:`ARTICLE_FEATURES`: the IDF-weighted share of
    the question's concepts that the term an elucidation explains names. The ``explains``
    feature counts words, so 'Yang dimaksud dengan "membebani daerah"' half-matched a
    question about a region's assets on the common "daerah" alone; weighted, it counts for
    little, while "kondisi darurat" names the asked, rare "darurat"."""
    total = sum(w for w, _ in weighted) or 1.0
    out: list[Candidate] = []
    for c in candidates:
        found = _EXPLAINED.search(c.span.text)
        named = 0.0
        if found is not None:
            own = set(terms(found.group(1)))
            named = sum(w for w, alts in weighted if any(a <= own for a in alts)) / total
        out.append(c.extended(named))
    return out


def passage_context(
    candidates: list[Candidate],
    hits: Sequence[SearchHit],
    weighted: Sequence[tuple[float, Sequence[frozenset[str]]]],
    terms: Callable[[str], list[str]],
) -> list[Candidate]:
    """Each unit's features followed by what its passage says of the question
    (:data:`PASSAGE_FEATURES`): the share of the question's concepts the whole passage and its
    document's title hold, the share of the candidates' retrieval score its document gathers
    (a regulation several of whose articles were retrieved is likely the one asked about), the
    passage's cosine and its best unit's against the best ones, the unit's cosine against the
    best unit's, the passage's reciprocal rank and its keyword coverage. A sentence of the
    third passage then wins over the first passage's when its passage, not only its words,
    answers the question better."""
    if not candidates:
        return candidates
    total = sum(w for w, _ in weighted) or 1.0

    def share(found: set[str]) -> float:
        return sum(w for w, alts in weighted if any(a <= found for a in alts)) / total

    mass = sum(max(h.score, 0.0) for h in hits) or 1.0
    by_doc: dict[str, float] = {}
    for h in hits:
        by_doc[h.doc_id] = by_doc.get(h.doc_id, 0.0) + max(h.score, 0.0)
    denses = [h.dense_score for h in hits if h.dense_score is not None]
    best_dense = max(denses) if denses else None
    cosines = [c.cosine for c in candidates if c.cosine is not None]
    best_cosine = max(cosines) if cosines else None
    passage_best: dict[int, float] = {}
    for c in candidates:
        if c.cosine is not None:
            passage_best[c.rank] = max(passage_best.get(c.rank, c.cosine), c.cosine)
    per_passage: dict[int, list[float]] = {}
    for rank, hit in enumerate(hits):
        own = set(terms(f"{hit.title} {hit.section or ''} {hit.text}"))
        dense = (
            (hit.dense_score - best_dense) * 10.0
            if hit.dense_score is not None and best_dense is not None
            else -1.0
        )
        best_unit = passage_best.get(rank)
        per_passage[rank] = [
            share(own),
            share(set(terms(hit.title))),
            by_doc[hit.doc_id] / mass,
            dense,
            (best_unit - best_cosine) * 10.0
            if best_unit is not None and best_cosine is not None
            else -1.0,
            0.0,
            1.0 / (1.0 + rank),
            hit.coverage,
        ]
    out: list[Candidate] = []
    for c in candidates:
        row = list(per_passage[c.rank])
        if c.cosine is not None and best_cosine is not None:
            row[5] = (c.cosine - best_cosine) * 10.0
        else:
            row[5] = -1.0
        out.append(c.extended(*row))
    return out


def _with_neighbours(candidates: list[Candidate]) -> list[Candidate]:
    """Each unit's features followed by the share of the question's concepts its previous and
    next unit hold: the asked figure often stands beside the sentence that names the subject
    ("(3) ... premi untuk suap ..." then "(4) Besaran premi ... paling banyak Rp10.000.000")."""
    direct = {(c.rank, c.index): c.features[0] for c in candidates}
    return [
        c.extended(direct.get((c.rank, c.index - 1), 0.0), direct.get((c.rank, c.index + 1), 0.0))
        for c in candidates
    ]


ANSWER_CHARS = 330
"""A best sentence shorter than this gets beside it the best unit of its passage that fits
with it in this many characters."""
RUNNER_UP_MARGIN = 4.0
"""How far below the best a runner-up may score (the scores are a softmax's logits). First
360 characters and 3.0 for the best runner-up whatever its length (TyDi valid 0.57 -> 0.64
against the best unit alone under 300 characters within 1.0); since the runner-up is the
best unit that fits, 330 and 4.0, chosen on 1,500 TyDi train questions (docs/benchmarks.md,
seventh round)."""
MAX_CHARS = 320
"""A sentence longer than this is cut to its clauses that carry the question's terms."""
CONTINUATION_CHARS = 290
"""A best sentence beside which no runner-up fits and the next one that goes on about its
subject ("Ia ...", "Kota tersebut ...", "Luasnya ...") are given together when both fit in
this many characters (chosen on 1,500 TyDi train questions: 290 and 330 tie, 290 is
shorter; docs/benchmarks.md, eighth round)."""
_CONTINUES = re.compile(
    # "\W*+" holds what it took: given back one at a time, each "\S+" below read the rest
    # of a long run of dashes or quotes again (8,000 characters took 3.5 s).
    r"^\W*+(?:(?:ia|dia|beliau|mereka|hal\s+(?:ini|itu|tersebut)|(?:ini|itu)\s+(?:adalah|merupakan"
    r"|karena|disebabkan)|he|she|it|they|this|these|its|his|her|their)\b"
    r"|(?:\S+\s+){0,3}?(?:ia|dia|beliau|mereka)\b"
    r"|(?:\S+\s+){0,3}?(?:tersebut|itu|ini)\b(?!\s*(?:adalah|ialah|merupakan|yang)\b)"
    r"|(?:\S+\s+){0,1}?\w{3,}nya\b)",
    re.I,
)
"""How a sentence that goes on about the previous one's subject opens: a personal pronoun
("Ia", "Beliau", "Mereka"), a demonstrative within its first four words ("Kota tersebut",
"Pada tahun itu"), a possessive "-nya" within its first two ("Luasnya", "Ibu kotanya")."""


TYPED_QUESTIONS = frozenset({"kapan", "berapa", "siapa", "dimana"})
"""Question types whose asked fact a sentence can be seen to state (:func:`states_new`)."""


def _typed_neighbour(
    top: _Unit, by_key: Mapping[tuple[int, int], _Unit], info: QuestionInfo, question: str
) -> _Unit | None:
    """The sentence beside the best one that states the asked kind of fact when the best one
    does not (:func:`states_new`: a figure for berapa, a date for kapan, a name for siapa
    and di mana), if both fit in :data:`ANSWER_CHARS`."""
    if info.qtype not in TYPED_QUESTIONS or states_new(info.qtype, top.text, question):
        return None
    for step in (1, -1):
        unit = by_key.get((top.hit_rank, top.index + step))
        if (
            unit is not None
            and not unit.is_list
            and not unit.header
            and len(top.text) + len(unit.text) <= ANSWER_CHARS
            and states_new(info.qtype, unit.text, question)
        ):
            return unit
    return None


COMPLEMENT_WEIGHT = 8.0
"""How much the question's concepts a runner-up adds to the best sentence (their IDF-weighted
share, 0 to 1, of those neither the best sentence nor its passage's title and heading hold)
count in choosing it: "Siapa arsitek Memorial Lincoln?" gets "Arsitek monumen ini bernama
Henry Bacon." beside the monument's opening sentence rather than a closer-scoring one about
the statue. Chosen on TyDi train (docs/benchmarks.md, twelfth round): 2.0 to 12.0 all gain,
8.0 and 12.0 tie."""

OTHER_PASSAGE_MARGIN = 2.0
"""How far below the best unit a unit of another answer passage may score to stand beside it
as the runner-up (the same passage's may score :data:`RUNNER_UP_MARGIN` below). Chosen on
TyDi train (docs/benchmarks.md, eleventh round): 1.0 to 4.0 trade hit for length, 2.0 keeps
the answers' median length under 250 characters."""


def _beside_from_elsewhere(unit: _Unit, top: _Unit, info: QuestionInfo, question: str) -> bool:
    """Whether a unit of a passage other than the best unit's may be quoted beside it: a
    sentence, not a heading, scoring within :data:`OTHER_PASSAGE_MARGIN` of the best one, and
    for a typed question (when, how many, who, where) one that states the asked kind of fact
    (:func:`states_new`): another passage's sentence that does not is seldom the answer."""
    return (
        not unit.header
        and unit.score >= top.score - OTHER_PASSAGE_MARGIN
        and (info.qtype not in TYPED_QUESTIONS or states_new(info.qtype, unit.text, question))
    )


def _repeats(unit: _Unit, top: _Unit) -> bool:
    """Whether ``unit`` says word for word what the best unit says (a document uploaded twice,
    a sentence a manual repeats): quoted beside it, the answer said one thing twice."""
    return unit.text.casefold().split() == top.text.casefold().split()


def continues(text: str) -> bool:
    """Whether a sentence goes on about the previous one's subject (:data:`_CONTINUES`)."""
    return bool(_CONTINUES.match(text))


def compose(
    question: str,
    hits: Sequence[SearchHit],
    *,
    terms: Callable[[str], list[str]],
    idf: Callable[[str], float],
    language: str | None = None,
    max_sentences: int = 4,
    max_chars: int = 900,
    relative_cutoff: float = RELATIVE_CUTOFF,
    passages: int = ANSWER_PASSAGES,
    concepts: Concepts | None = None,
    info: QuestionInfo | None = None,
    similarity: Similarities | None = None,
    weights: Sequence[float] = (),
) -> ComposedAnswer:
    """Compose an answer from ``hits`` (already judged relevant), best passages first.

    The answer is the sentence (or list, table row, steps) that states what the question
    asks, not the passage around it: units are scored by the question's concepts they hold
    (IDF-weighted; the passage's title and headings count for part), by whether they state
    what the question's type asks for (a number for "berapa", a time for "kapan"...), and by
    their passage's rank. The best one is kept, with the list it introduces, the step list for
    a "how" question, or the neighbouring sentence that carries the asked figure.

    Args:
        terms: text -> normalised terms (the keyword index's normaliser).
        idf: term -> inverse document frequency (weights the concepts).
        language: the question's language; detected when ``None``.
        concepts: the question's concepts (synonyms and corrections applied); from its own
            terms when ``None``.
        info: the question's type and specifics; analysed from ``question`` when ``None``.
        max_sentences, max_chars: bounds of a multi-unit answer (lists are cut at twice).
        weights: the unit scorer's weights (:data:`UNIT_WEIGHTS` when empty; the fitting
            script passes each fold's own).
    """
    lang = language or detect_language(question)
    info = info or analyse(question)
    if not hits:
        return ComposedAnswer("", (), lang, None)
    # Passages in the question's language are preferred when they are about as relevant.
    usable = answer_passages(hits, lang, relative_cutoff, passages)
    if concepts is None:
        concepts = [((t,), ((t,),)) for t in dict.fromkeys(terms(question))]
    concepts, weighted = prepared_concepts(concepts, info, terms, idf)
    total = sum(w for w, _ in weighted) or 1.0

    def coverage_of(found: set[str]) -> float:
        return sum(w for w, alts in weighted if any(a <= found for a in alts)) / total

    units: list[_Unit] = []
    scored = candidate_units(
        usable, info, weighted, terms, [t for own, _ in concepts for t in own], similarity, lang
    )
    coefficients = weights or UNIT_WEIGHTS
    scores = [sum(w * x for w, x in zip(coefficients, c.features, strict=True)) for c in scored]
    for candidate, score in zip(scored, scores, strict=True):
        f = candidate.features
        units.append(
            _Unit(
                candidate.rank,
                candidate.index,
                candidate.span,
                score,
                f[0] + f[1],
                f[3] > 0,
                candidate.cosine,
                candidate.header,
                candidate.label,
            )
        )
    contexts = [set(terms(f"{hit.title} {hit.section or ''}")) for hit in usable]
    if not units:
        return ComposedAnswer("", (), lang, None)

    by_key = {(u.hit_rank, u.index): u for u in units}

    candidates = [u for u in units if not u.header] or units
    top = max(candidates, key=_standing)
    best_unit = top
    runner_up = max((u.score for u in candidates if u is not top), default=top.score - 10.0)
    elsewhere = max(
        (u.score for u in candidates if u.hit_rank != top.hit_rank), default=top.score - 10.0
    )
    # The evidence above stays the scorer's (the refusal model reads it as it was fitted).
    question_terms = terms(question)
    asked = asked_terms(question_terms, concepts)
    pointed = asked_article_unit(candidates, info, asked, terms, question_terms)
    if pointed is not None and info.asks_meaning and not enactment_date(info):
        pointed = _entry_of(pointed, asked, terms, question_terms)
    elif pointed is None and info.asks_meaning:
        pointed = _spelling_out(candidates, question, top)
    if pointed is None:
        pointed = _named_row(top, by_key, lambda text: coverage_of(set(terms(text))))
    top = pointed or top
    if pointed is None:
        top = _about_the_subject(candidates, top, usable, set(question_terms), terms) or top
    chosen = [top]
    aside: _Unit | None = None  # a runner-up of another passage, quoted beside the best
    steps = info.qtype in ("bagaimana", "syarat") or info.wants_list
    with_lists = sorted({u.hit_rank for u in units if u.is_list and u.coverage > 0})
    if info.qtype != "bagaimana":
        # Conditions and "apa saja" lists: a list of a passage ranked below the best unit's is
        # not the answer ("server requirements" are a sentence, not the handover steps).
        with_lists = [rank for rank in with_lists if rank <= top.hit_rank]
    if pointed is not None:
        pass  # the definitions entry, the enactment line or the spelled-out short form
    elif steps and info.qtype != "bagaimana" and enumerates(top.text):
        # The best unit is itself an enumeration ("... berasaskan: a. ...; b. ..."): it is the
        # list asked for, whatever list a better-ranked passage holds.
        chosen = _with_list(top, units, by_key, budget=max_chars)
    elif steps and with_lists:
        # A how-to question gets the step list of the best-ranked passage that has one. The
        # passage ranking, not one sentence's word overlap, decides: "mendaftar akun" must
        # get the registration steps even when a step of the next procedure shares more
        # words with the question.
        rank = with_lists[0]
        first_item = min(u.index for u in units if u.hit_rank == rank and u.is_list)
        chosen = _with_list(by_key[(rank, first_item)], units, by_key, budget=max_chars)
        lead = by_key.get((rank, first_item - 1))
        if lead is not None and lead not in chosen and not lead.text.endswith(":"):
            chosen.insert(0, lead)
        top = chosen[0]
    elif steps or opens_list(top.text):
        chosen = _with_list(top, units, by_key, budget=max_chars)
    else:
        following = by_key.get((top.hit_rank, top.index + 1))
        if not top.states and following is not None and following.states:
            # The asked figure often stands in the next sentence ("The server must be
            # ready... A typical minimum is four cores, 8 GB...").
            chosen.append(following)
        else:
            paired = (
                following is not None
                and not following.is_list
                and not following.header
                and continues(following.text)
                and len(top.text) + len(following.text) <= CONTINUATION_CHARS
            )
            second = None
            if len(top.text) < ANSWER_CHARS:
                # A short best sentence leaves room for the runner-up of the same passage:
                # the scorer's second choice holds the fact often enough to be worth the
                # space. The best of those that fit beside it and share a concept with the
                # question, not the best of all: a long second choice left no room for the
                # third, which often holds the fact.
                # A unit of another answer passage competes too when it scores close to the
                # best one (the passages often split the subject and the asked fact: "...
                # wafat di Kastil Willersley" stands in the passage ranked second).
                held = set(terms(top.text)) | contexts[top.hit_rank]
                base = coverage_of(held)

                def completing(u: _Unit) -> float:
                    # The runner-up that holds what the best sentence lacks of the question.
                    return u.score + COMPLEMENT_WEIGHT * (
                        coverage_of(held | set(terms(u.text))) - base
                    )

                second = max(
                    (
                        u
                        for u in units
                        if u is not top
                        and not u.is_list
                        and u.coverage > 0
                        and len(top.text) + len(u.text) <= ANSWER_CHARS
                        and not _repeats(u, top)
                        and (
                            u.hit_rank == top.hit_rank
                            or _beside_from_elsewhere(u, top, info, question)
                        )
                    ),
                    key=completing,
                    default=None,
                )
                if second is not None and second.score < top.score - RUNNER_UP_MARGIN:
                    second = None
            typed = _typed_neighbour(top, by_key, info, question)
            if typed is not None and (
                second is None or not states_new(info.qtype, second.text, question)
            ):
                # Neither the best sentence nor the runner-up states the asked kind of fact
                # and the sentence beside the best one does ("... salah satu kabupaten di
                # Jawa Tengah." then "Luas wilayahnya 1.902 km²."): it is the runner-up.
                # Preferred even over a runner-up that states it, it lost TyDi train
                # questions (docs/benchmarks.md, ninth round).
                second = typed
            if paired and following is not None and second is None:
                # No runner-up fits, and the next sentence goes on about the best one's
                # subject ("... lahir di Medan. Ia menjabat ..."): the asked fact often stands
                # in it, and it reads only with it. (Preferred over a runner-up that fits, it
                # lost TyDi train questions: docs/benchmarks.md, eighth round.)
                chosen.append(following)
            elif second is not None:
                chosen.append(second)
                if second.hit_rank != top.hit_rank:
                    aside = second
    chosen = _with_whole_tables(chosen, units, budget=max_chars)
    # In reading order, the best unit's passage first (cited first) when another's is quoted.
    chosen.sort(key=lambda u: (u.hit_rank != top.hit_rank, u.hit_rank, u.index))
    chosen = provision_first(chosen, usable)
    anchor_hit = usable[top.hit_rank]
    passage_terms = set(terms(strip_prefix(anchor_hit))) | contexts[top.hit_rank]
    own_terms = {t for own, _ in concepts for t in own}
    # The refusal model was fitted on answers quoted from one passage: a runner-up of another
    # passage quoted beside them is left out of what it reads (the evidence here, the
    # answer's text and citations through ``judged`` below).
    quoted = [u for u in chosen if u is not aside]
    answer_terms = set().union(*(terms(u.text) for u in quoted)) | contexts[top.hit_rank]
    heaviest = max((w for w, _ in weighted), default=0.0) or 1.0
    evidence = Evidence(
        coverage=coverage_of(answer_terms),
        passage_coverage=coverage_of(passage_terms),
        states=any(u.states for u in quoted),
        missing=tuple(sorted(t for t in own_terms if t not in passage_terms)),
        cosine=max((u.cosine for u in quoted if u.cosine is not None), default=None),
        best_cosine=max((u.cosine for u in units if u.cosine is not None), default=None),
        score=best_unit.score,
        margin=best_unit.score - runner_up,
        direct=coverage_of(set(terms(best_unit.text))),
        missing_peak=max(
            (w for w, alts in weighted if not any(a <= passage_terms for a in alts)), default=0.0
        )
        / heaviest,
        answer_missing_peak=max(
            (w for w, alts in weighted if not any(a <= answer_terms for a in alts)), default=0.0
        )
        / heaviest,
        type_evidence=max(evidence_of(info.qtype, u.text) for u in quoted),
        passage_margin=best_unit.score - elsewhere,
    )
    composed = _render(chosen, usable, lang, evidence, info, coverage_of, terms)
    if aside is None:
        return composed
    judged = _render(quoted, usable, lang, evidence, info, coverage_of, terms)
    return replace(composed, judged=judged)


def provision_first(chosen: list[_Unit], hits: Sequence[SearchHit]) -> list[_Unit]:
    """``chosen`` with the article's own passage first when the answer quotes both an
    article's elucidation ("Penjelasan Pasal 3 ayat (5)") and, from another passage of the
    same regulation, the article itself ("Pasal 3 ayat (3)"): the elucidation only explains
    the provision, which is what the answer rests on and is cited first. Otherwise
    ``chosen`` as it is (``hits``: the passages the units' ``hit_rank`` index)."""
    if not chosen:
        return chosen
    lead = (chosen[0].label or "").strip().lower()
    number = article_of(lead)
    if number is None or not lead.startswith("penjelasan "):
        return chosen
    body = next(
        (
            u
            for u in chosen
            if u.hit_rank != chosen[0].hit_rank
            and hits[u.hit_rank].doc_id == hits[chosen[0].hit_rank].doc_id
            and article_of(u.label) == number
            and not (u.label or "").strip().lower().startswith("penjelasan")
        ),
        None,
    )
    if body is None:
        return chosen
    return [u for u in chosen if u.hit_rank == body.hit_rank] + [
        u for u in chosen if u.hit_rank != body.hit_rank
    ]


def _named_row(
    top: _Unit, by_key: Mapping[tuple[int, int], _Unit], coverage: Callable[[str], float]
) -> _Unit | None:
    """The row of the best unit's table that the question names, when the best unit is a
    table row and another row's first cell holds more of the question's concepts than any
    other row's ("Berapa lama ... izin usaha?": the row "Izin usaha mikro dan kecil | 1 hari
    kerja", not the row the embedding model put closest, "Sertifikat laik fungsi | 10 hari
    kerja"). A table's rows share their words past the first cell (the columns' kinds of
    value), so the first cell is what tells one row's subject from another's; ``None`` when
    no row is named better than the others."""
    if not is_table_row(top.text):
        return None
    table = [u for u in _table_of(top, by_key) if not u.header]
    named = [(coverage(u.text.split(" | ", 1)[0]), u) for u in table]
    best = max((value for value, _ in named), default=0.0)
    winners = [u for value, u in named if value == best]
    if best <= 0.0 or len(winners) != 1 or winners[0] is top:
        return None
    return winners[0]


SUBJECT_MARGIN = 0.5
"""How far below the best unit the best one of a passage about the question's subject may
score and still be the answer (:func:`_about_the_subject`; the scores are a softmax's logits)."""


def _about_the_subject(
    candidates: Sequence[_Unit],
    top: _Unit,
    hits: Sequence[SearchHit],
    asked: set[str],
    terms: Callable[[str], list[str]],
) -> _Unit | None:
    """The best unit of a passage whose opening names the question's subject
    (:func:`opening_subject`, every word of it in the question: "Kapan Dinasti Han berakhir?"
    and "Dinasti Han (...) (202 SM - 220) adalah ..."), when the scorer's best stands in a
    passage whose opening names no such subject and scores at most :data:`SUBJECT_MARGIN`
    above it. An encyclopaedia's passages often mention the asked subject in passing ("...
    dinasti Han didirikan kembali oleh Liu Xiu"); the one about it is the likelier to state the
    asked fact. Only passages without a title of their own (the document id stands for it)
    take part: a title says what its passage is about, and a regulation's or a guide's
    passages seldom open "X adalah ..." (gov-id dev: one near-miss more answered otherwise).
    ``None`` when the best unit's passage is about the subject, or no unit of such a passage
    scores close enough."""
    untitled = {r for r, hit in enumerate(hits) if not hit.title or hit.title == hit.doc_id}
    if top.hit_rank not in untitled:
        return None
    firsts: dict[int, _Unit] = {}
    for unit in candidates:
        if unit.hit_rank not in untitled:
            continue
        if unit.hit_rank not in firsts or unit.index < firsts[unit.hit_rank].index:
            firsts[unit.hit_rank] = unit
    about: dict[int, bool] = {}
    for rank, first in firsts.items():
        subject = opening_subject(first.text)
        named = set(terms(subject)) if subject else set()
        about[rank] = bool(named) and named <= asked
    if about.get(top.hit_rank, False):
        return None
    close = [
        u
        for u in candidates
        if about.get(u.hit_rank, False) and u.score >= top.score - SUBJECT_MARGIN
    ]
    return max(close, key=_standing, default=None)


def _standing(unit: _Unit) -> tuple[float, int, int]:
    """How units rank: by score, then the better-ranked passage, then the earlier unit."""
    return (unit.score, -unit.hit_rank, -unit.index)


def asked_article_unit(
    units: Sequence[_Unit],
    info: QuestionInfo,
    asked: set[str],
    terms: Callable[[str], list[str]],
    own: Sequence[str] = (),
) -> _Unit | None:
    """The unit the question's type points at, when a regulation's structure says which:
    for "Apa yang dimaksud dengan X?" the definitions entry that defines X (the longest
    defined term the question holds whole, :func:`articles.definition_match`), for "Kapan
    PP 38/2017 ditetapkan?" the enactment line. The best-scoring such unit, else ``None``
    (then the scorer's best stands). The scorer learned neither case: until the definitions
    and closing passages were added to the candidates (:mod:`knowledge_base.articles`) no
    question that asks them had such a unit among its candidates, and a definitions entry
    reads as a list item far down its article."""
    found: list[_Unit] = []
    if enactment_date(info):
        found = [u for u in units if closes(u.text)]
    elif info.asks_meaning:
        matches = [(definition_match(u.text, asked, terms, own), u) for u in units]
        best = max((n for n, _ in matches), default=(0, 0))
        found = [u for n, u in matches if best[1] and n == best]
    return max(found, key=_standing, default=None)


def _spelling_out(units: Sequence[_Unit], question: str, top: _Unit) -> _Unit | None:
    """For a question that asks what a short form means ("Apa itu TPP?", "Apa kepanjangan
    dari GPS?") and has no definitions entry for it: the best-scoring unit that spells the
    short form out (:func:`knowledge_base.abbreviations.spelled_out`), when the scorer's best
    does not; ``None`` when the best does or none does (the usual composition stands)."""
    shorts = set(asked_abbreviations(question))
    found = [u for u in units if spelled_out(u.text) & shorts]
    best = max(found, key=_standing, default=None)
    return None if best is None or best is top else best


def _entry_of(
    unit: _Unit, asked: set[str], terms: Callable[[str], list[str]], order: Sequence[str]
) -> _Unit:
    """``unit`` narrowed to the definitions entry that defines the asked term (a unit of a
    scanned definitions article often runs over several entries)."""
    found = entry_span(unit.text, asked, terms, order)
    if found is None:
        return unit
    start, end = found
    piece = unit.text[start:end].rstrip()
    span = Span(unit.span.start + start, unit.span.start + start + len(piece), piece)
    return replace(unit, span=span)


_INLINE_ITEM = re.compile(r"(?:^|[\s;:])(?:[a-z]|\d{1,2})[.)]\s+\S")


def enumerates(text: str) -> bool:
    """Whether a unit is or introduces an enumeration: a list item, a lead ending in a colon,
    or a sentence holding its items inline ("meliputi: a. ...; b. ...", as regulations read
    once their line breaks are lost)."""
    stripped = text.strip()
    return (
        bool(_LIST_ITEM.match(stripped))
        or stripped.endswith(":")
        or len(_INLINE_ITEM.findall(stripped)) >= 2
    )


_DANGLING_ITEM = re.compile(r"(?:[:;]\s*\d{1,2}|(?:^|\s)[a-z])[.)]$")


def opens_list(text: str) -> bool:
    """Whether a unit ends where its list begins or goes on: a lead ending in a colon, or an
    item marker left dangling where a line break cut the sentence ("... memuat: a. ...; c.")."""
    stripped = text.rstrip()
    return stripped.endswith(":") or bool(_DANGLING_ITEM.search(stripped))


def _with_list(
    top: _Unit, units: list[_Unit], by_key: dict[tuple[int, int], _Unit], *, budget: int
) -> list[_Unit]:
    """The best unit with the list it belongs to or introduces (whole, up to ``budget``)."""
    rank = top.hit_rank
    if top.is_list:
        start = top.index
        while (rank, start - 1) in by_key and by_key[(rank, start - 1)].is_list:
            start -= 1
        lead = by_key.get((rank, start - 1))
        first = start - 1 if lead is not None and lead.text.endswith(":") else start
    else:
        first = top.index
        start = top.index + 1
        if not ((rank, start) in by_key and by_key[(rank, start)].is_list):
            # An enumeration a line break cut ("... memuat: a. ...; c." then "Jangka Waktu
            # ...; d.") goes on in the next units: they are kept while the list goes on.
            continued = [top]
            used = len(top.text)
            following = by_key.get((rank, start))
            while (
                following is not None
                and opens_list(continued[-1].text)
                and used + len(following.text) <= budget
            ):
                continued.append(following)
                used += len(following.text)
                following = by_key.get((rank, following.index + 1))
            return continued
    out: list[_Unit] = []
    spent = 0
    index = first
    while (rank, index) in by_key:
        unit = by_key[(rank, index)]
        if index >= start and not unit.is_list:
            break
        if out and spent + len(unit.text) > budget:
            break
        out.append(unit)
        spent += len(unit.text)
        index += 1
    if top not in out:
        out.insert(0, top)
    return out


def _clip(text: str, found: Callable[[str], float]) -> tuple[int, int]:
    """The clauses of an over-long sentence that carry the question's terms: (start, end)."""
    if len(text) <= MAX_CHARS:
        return 0, len(text)
    bounds = [0] + [m.end() for m in _CLAUSE_BOUND.finditer(text)]
    bounds.append(len(text))
    best = (0.0, 0, len(text))
    for i in range(len(bounds) - 1):
        for j in range(i + 1, min(len(bounds), i + 1 + CLIP_CLAUSES)):
            if bounds[j] - bounds[i] > MAX_CHARS:
                break
            score = found(text[bounds[i] : bounds[j]]) - 0.0001 * (bounds[j] - bounds[i])
            if score > best[0]:
                best = (score, bounds[i], bounds[j])
    _, start, end = best
    if text[start:end].rstrip(" ,;").endswith(":"):
        # The clauses holding the question's terms only introduce an enumeration ("... berdasarkan
        # asas:"): the answer is what follows, so the items are kept as far as the budget goes.
        for bound in bounds:
            if end < bound <= start + MAX_CHARS:
                end = bound
    else:
        # The clauses that name the subject come first and what is said of it follows ("X,
        # menurut ..., adalah Y"): the cut goes on over the next clauses while they fit.
        for bound in bounds:
            if end < bound <= start + MAX_CHARS:
                end = bound
        if end < len(text) and text[:end].rstrip().endswith(","):
            # The next clause of the same sentence does not fit whole ("X (...), yang disebut
            # ..., adalah peraturan yang dikeluarkan oleh ... pada tahun 1830 yang ..."): what
            # is said of the subject begins there, so its words that fit are kept, cut at a
            # word. Not past a sentence's end, a semicolon or an item marker: what follows
            # them is another statement (the next paragraph of an article).
            word = text.rfind(" ", end, start + MAX_CHARS)
            if word > end:
                end = word
    if end - start > MAX_CHARS:
        # No piece that fits holds the question's terms, or none fits at all (thousands of
        # words without a comma, as a scan's text can read): never given whole, but from the
        # clause start whose piece cut at a word holds them best (the opening when none does).
        start = max(bounds[:-1], key=lambda at: found(text[at : _word_cut(text, at)]))
        end = _word_cut(text, start)
    return start, end


SUBJECT_CHARS = 80
"""The longest opening of an over-long unit kept as its subject before "…" and the clauses
that state the asked fact (:func:`_clip_pieces`)."""
_SUBJECT_END = re.compile(r"\s*[(\[,;:]")
"""Where the subject an encyclopaedia's opening names ends: at its first aside, a bracket or a
comma ("Polandia (Polish: Polska) ... adalah ...")."""
_PIECE_START = re.compile(
    r"[;,]\s+|\s(?=\(\d+\)|[a-z]\.\s)|(?<=[.!?])(?:\[\d+\])*\s+|(?<=[)\]])\s+"
    r"|\s(?=(?:adalah|merupakan|ialah|yaitu|yakni)\b)",
    re.I,
)
"""Where the second piece of a clipped unit may start: a clause start (:data:`_CLAUSE_BOUND`),
after a closing bracket, or at the verb that says what the subject is."""


def _clip_pieces(text: str, found: Callable[[str], float]) -> list[tuple[int, int]]:
    """The pieces of an over-long unit to quote: the clauses :func:`_clip` keeps, or the
    unit's subject (its opening up to the first bracket or comma, :data:`SUBJECT_CHARS` at
    most) and, after "…", the clauses past a bracketed aside that state the asked fact, when
    those two together hold more of the question (``found``) than one piece does, or as much
    while leaving out less of the text outside brackets. An encyclopaedia's opening often
    names its subject, then its names in other scripts, pronunciations and asides, and only
    then what is said of it ("Polandia (Polish: Polska) (secara resmi: ...) adalah sebuah
    negara ... di Eropa Tengah ..."): the first 320 characters then hold the asides and cut
    the statement. Without a bracket after the subject only clauses would be left out
    between the pieces, and one piece reads better (TyDi train: a date cut off the end of
    "... membentuk organisasi yang bernama Nahdlatul Ulama (...)", docs/benchmarks.md,
    fourteenth round)."""
    single = _clip(text, found)
    if len(text) <= MAX_CHARS:
        return [single]
    subject = _SUBJECT_END.search(text)
    head = subject.start() if subject is not None else 0
    if not 0 < head <= SUBJECT_CHARS or not any(c.isalpha() for c in text[:head]):
        return [single]
    aside = _ASIDE.search(text, head)
    if aside is None:
        return [single]  # nothing but clauses to leave out: one piece reads better
    budget = MAX_CHARS - head - 2
    bounds = sorted(
        {m.end() for m in _PIECE_START.finditer(text) if m.end() > aside.start()} | {len(text)}
    )
    subject_text = text[:head]
    best: tuple[float, int, int] | None = None
    for i in range(len(bounds) - 1):
        for j in range(i + 1, min(len(bounds), i + 1 + CLIP_CLAUSES)):
            if bounds[j] - bounds[i] > budget:
                break
            piece = text[bounds[i] : bounds[j]]
            score = found(f"{subject_text} {piece}") - 0.0001 * (bounds[j] - bounds[i])
            if best is None or score > best[0]:
                best = (score, bounds[i], bounds[j])
    if best is None:
        return [single]
    _, start, end = best
    for bound in bounds:
        if end < bound <= start + budget:
            end = bound
    pair = [(0, head), (start, end)]
    one = found(text[single[0] : single[1]])
    two = found(f"{subject_text} {text[start:end]}")
    if two > one + 1e-9 or (
        two > one - 1e-9 and _plain_left_out(text, pair) < _plain_left_out(text, [single])
    ):
        return pair
    return [single]


_ASIDE = re.compile(r"[(\[]")


def _plain_left_out(text: str, pieces: Sequence[tuple[int, int]]) -> int:
    """How many characters outside brackets the pieces of ``text`` leave out."""
    kept = [False] * len(text)
    for start, end in pieces:
        kept[start:end] = [True] * (end - start)
    depth = 0
    out = 0
    for c, k in zip(text, kept, strict=True):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth = max(depth - 1, 0)
        elif depth == 0 and not k:
            out += 1
    return out


def _word_cut(text: str, start: int) -> int:
    """Where a piece of ``text`` from ``start`` ends within :data:`MAX_CHARS`: at its last
    space, or at the limit when it holds none."""
    word = text.rfind(" ", start + 1, start + MAX_CHARS)
    return word if word > start else min(len(text), start + MAX_CHARS)


_CLAUSE_BOUND = re.compile(r"[;,]\s+|\s(?=\(\d+\)|[a-z]\.\s)|(?<=[.!?])(?:\[\d+\])*\s+")
"""Where an over-long unit may be cut: after a comma or semicolon, before an item marker, and
after a sentence end followed by citation marks (".[1] Kalimat"). The unit cutter ends a
sentence there itself when a capital follows (``units.SENTENCE_END``); this cut also applies
when none does."""
CLIP_CLAUSES = 16
"""The most clauses a piece of a clipped unit is tried with: a sentence of thousands of short
items ("1, 2, 3, ...") was tried as every run of up to a hundred of them (a 1,200-character
one took 2 s, one of 100,000 characters 280 s). Prose rarely holds 16 clauses in
:data:`MAX_CHARS`; the piece chosen still goes on over the clauses that fit after it."""
CLIP_EVIDENCE = 1.0
"""What a piece of a clipped unit gains, over its share of the question's concepts, for stating
what the question's type asks (a number, a date...) or, for a definition, the definition."""


def _clause_value(
    info: QuestionInfo,
    coverage_of: Callable[[set[str]], float],
    terms: Callable[[str], list[str]],
) -> Callable[[str], float]:
    """How well a piece of an over-long unit answers: the share of the question's concepts it
    holds, plus :data:`CLIP_EVIDENCE` when it also states what the type asks or the definition
    asked (the clause "adalah Y" rather than the one repeating the question's words)."""

    def value(piece: str) -> float:
        share = coverage_of(set(terms(piece)))
        if share <= 0:
            return share
        if states(info.qtype, without_reference_figures(piece)):
            # "Pasal 10 ayat (2)" in a clipped unit's subject is no figure of what is said:
            # the subject and a later clause were quoted, "10 (sepuluh) hari" cut out between.
            share += CLIP_EVIDENCE
        if info.asks_definition and _DEFINES.search(piece):
            share += CLIP_EVIDENCE
        return share

    return value


_ENUMERATION_LEAD = re.compile(r":\s*(?=(?:[a-z]|\d{1,2})[.)]\s)")


def _clip_enumeration(text: str) -> tuple[int, int] | None:
    """Where to cut an over-long sentence holding an enumeration when a list or conditions are
    asked: the items are the answer, so the cut keeps the lead that names them and as many
    items as fit ("... harus memenuhi persyaratan: a. ...; b. ..."), not the clause that
    happens to repeat the question's words. ``None`` when the sentence enumerates nothing."""
    lead = _ENUMERATION_LEAD.search(text)
    if lead is None:
        return None
    start = 0
    if lead.start() > MAX_CHARS // 2:
        # A long lead: its last clause names what is listed.
        clauses = [m.end() for m in re.finditer(r"[;,]\s+", text[: lead.start()])]
        start = clauses[-1] if clauses else 0
        if lead.start() - start > MAX_CHARS // 2:
            return None
    bounds = [m.end() for m in re.finditer(r"[;,]\s+|\s(?=(?:[a-z]|\d{1,2})[.)]\s)", text)]
    ends = [b for b in bounds if lead.end() < b <= start + MAX_CHARS]
    end = ends[-1] if ends else min(len(text), start + MAX_CHARS)
    return start, end


def _render(
    chosen: list[_Unit],
    usable: Sequence[SearchHit],
    lang: str,
    evidence: Evidence,
    info: QuestionInfo,
    coverage_of: Callable[[set[str]], float],
    terms: Callable[[str], list[str]],
) -> ComposedAnswer:
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    used: dict[int, list[tuple[int, int, str]]] = {}
    parts: list[str] = []
    for unit in chosen:
        if unit.hit_rank not in numbers:
            numbers[unit.hit_rank] = len(numbers) + 1
        text = unit.text
        start, end = unit.span.start, unit.span.end
        if not unit.is_list and len(text) > MAX_CHARS:
            listed = (
                _clip_enumeration(text)
                if info.wants_list or info.qtype in ("syarat", "bagaimana")
                else None
            )
            value = _clause_value(info, coverage_of, terms)
            cuts = [listed] if listed else _clip_pieces(unit.text, value)
            pieces: list[tuple[int, int, str]] = []
            for cut_start, cut_end in cuts:
                piece = unit.text[cut_start:cut_end].strip(" ,;")
                lead = max(unit.text[cut_start:cut_end].find(piece), 0)
                shown = (
                    ("…" if cut_start > 0 and not pieces else "")
                    + piece
                    + ("…" if cut_end < len(unit.text) else "")
                )
                pieces.append(
                    (start + cut_start + lead, start + cut_start + lead + len(piece), shown)
                )
            used.setdefault(unit.hit_rank, []).extend(pieces)
            text = " ".join(shown for *_, shown in pieces)
        else:
            used.setdefault(unit.hit_rank, []).append((start, end, text))
        parts.append(f"{text} [{numbers[unit.hit_rank]}]")
    answer_text = _collapse_markers(parts)
    passages: list[str] = []
    for rank, number in numbers.items():
        hit = usable[rank]
        quotes = used[rank]
        first_page: int | None = None
        last_page: int | None = None
        section: str | None = None
        for start, end, _ in quotes:
            page, page_end, label = locate(hit, start, end)
            if section is None:
                section = label
            if page is not None:
                first_page = page if first_page is None else min(first_page, page)
            if page_end is not None:
                last_page = page_end if last_page is None else max(last_page, page_end)
        snippet = " ".join(q[2] for q in quotes)
        if len(snippet) > _SNIPPET:
            snippet = snippet[: _SNIPPET - 1].rstrip() + "…"
        citations.append(
            Citation(
                number=number,
                doc_id=hit.doc_id,
                title=hit.title,
                section=section,
                page=first_page,
                score=round(hit.score, 4),
                snippet=snippet,
                chunk_id=hit.chunk_id,
                page_end=last_page if last_page != first_page else None,
                quotes=tuple((start, end) for start, end, _ in quotes),
            )
        )
        passages.append(hit.text)
    languages = {lg for r in numbers if (lg := usable[r].language)}
    source_language = None
    if languages and lang not in languages:
        source_language = sorted(languages)[0]
    return ComposedAnswer(
        answer_text, tuple(citations), lang, source_language, tuple(passages), evidence, info
    )


def _table_of(row: _Unit, by_key: Mapping[tuple[int, int], _Unit]) -> list[_Unit]:
    """The table ``row`` stands in: the run of table rows around it in its passage, in order
    (the first is the header)."""

    def is_row(index: int) -> bool:
        unit = by_key.get((row.hit_rank, index))
        return unit is not None and is_table_row(unit.text)

    first, last = row.index, row.index
    while is_row(first - 1):
        first -= 1
    while is_row(last + 1):
        last += 1
    return [by_key[(row.hit_rank, i)] for i in range(first, last + 1)]


def _with_whole_tables(chosen: list[_Unit], units: list[_Unit], *, budget: int) -> list[_Unit]:
    """A chosen table row brings its table's header: one row means little alone."""
    by_key = {(u.hit_rank, u.index): u for u in units}
    out = list(chosen)
    picked = {(u.hit_rank, u.index) for u in chosen}
    for unit in chosen:
        if not is_table_row(unit.text):
            continue
        header = _table_of(unit, by_key)[0]
        if (header.hit_rank, header.index) not in picked:
            out.append(header)
            picked.add((header.hit_rank, header.index))
    return out


def _collapse_markers(parts: list[str]) -> str:
    out: list[str] = []
    for i, part in enumerate(parts):
        marker = part[part.rfind(" [") :]
        nxt = parts[i + 1] if i + 1 < len(parts) else None
        if nxt is not None and nxt.endswith(marker) and "\n" not in part:
            part = part[: -len(marker)]
        out.append(part)
    lines: list[str] = []
    for part in out:
        previous = lines[-1].strip() if lines else ""
        if (
            _LIST_ITEM.match(part)
            or is_table_row(part)
            or (previous and (_LIST_ITEM.match(previous) or is_table_row(previous)))
        ):
            lines.append("\n" + part)
        else:
            lines.append((" " if lines else "") + part)
    return "".join(lines).strip()
