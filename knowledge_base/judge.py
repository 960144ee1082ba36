"""Whether the chosen answer answers the question: "not in the knowledge base" decided on the
answer, not only on the ranking.

Near-miss questions (another year, another regulation, a number the document sets for
something else, a fact the excerpt lacks) find a passage about the right topic, so the
retrieval scores alone cannot tell them apart. The answer can: a question about THR 2019
answered from a passage about 2018, a "berapa" question answered by a sentence without a
number, or a question whose specific words the passage never uses, is not answered. One rule
for Indonesian and English: the checks read numbers, years, names and the question's type, and
coverage only counts concepts the index knows, so an English question about an Indonesian
passage is not refused merely for being in English.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from knowledge_base.answer import ComposedAnswer, Similarities
from knowledge_base.question import QuestionInfo, asks_amount, measures_stated, states_amount
from knowledge_base.schemas import SearchHit, SearchResult
from knowledge_base.unit_vectors import similarities

_NEGATION = re.compile(r"\b(tidak|bukan|belum|tanpa|kecuali|selain|not|no|without|except)\b", re.I)
_OCR_DIGIT = re.compile(r"(?<=\d)[OoIl]|[OoIl](?=\d)")


def _digits_form(text: str) -> str:
    """OCR'd digits read as digits ("2Ol4" -> "2014")."""
    table = str.maketrans("OoIl", "0011")
    for _ in range(3):
        text = _OCR_DIGIT.sub(lambda m: m.group(0).translate(table), text)
    return text


@dataclass(frozen=True)
class Verdict:
    """What to show: an answer (confident or hedged) or "not in the knowledge base"."""

    answer: bool
    confident: bool
    reason: str = ""
    """Why an answer was withheld (``retrieval``, ``year``, ``number``, ``name``, ``negation``,
    ``coverage``, ``amount``, ``calibrated``; without the calibrated model also ``type``)."""
    probability: float | None = None
    """The calibrated probability that the answer answers the question."""


ANSWER_CONSTRAINTS = (
    "answer_numbers",
    "answer_proper",
    "passage_margin",
    "dense_gap",
    "passage_bigrams",
    "answer_bigrams",
    "unknown_terms",
    "measure_missing",
)
"""The question's constraints against the chosen answer itself (:func:`constraint_features`)."""
MISSING_FEATURES = ("cosine_missing",)
"""Whether the best passage has no cosine with the question (a keyword-only hit whose vector
the store could not give): its cosine features then read the neutral
:data:`MISSING_COSINE`, not 0.0, which the model would take for an unrelated text far below any
real cosine."""
MISSING_COSINE = 0.8
"""The cosine a missing one is read as: e5's level for unrelated texts, where the cosine
features are 0."""
RESTRICTION_FEATURES = ("restriction_missing",)
"""Whether a restriction the question puts on what it asks (:func:`restriction_terms`) is
absent from the cited passages (:func:`restriction_missing`)."""
NEIGHBOURHOOD_FEATURES = ("neighbourhood_cosine", "cross_language")
"""The question's typical cosine with the sentences of the retrieved passages
(:func:`neighbourhood_cosine`), and whether the answer's passages are in another language
than the question: e5 puts a question and its translation's passages further apart, so every
cosine of an English question about Indonesian passages reads lower; without the flag the
neighbourhood cosine cost English questions of gov-id dev their answers (cross-validated, 12
of 17 answered instead of 14; docs/benchmarks.md, "eighth round")."""
REFUSAL_FEATURES = (
    "dense",
    "unit_cosine",
    "best_unit_cosine",
    "coverage",
    "passage_coverage",
    "direct",
    "missing_share",
    "missing_peak",
    "answer_missing_peak",
    "states",
    "type_asked",
    "type_unstated",
    "evidence",
    "unmatched_numbers",
    "unmatched_proper",
    "keyword",
    "fused",
    "unit_score",
    "unit_margin",
    *ANSWER_CONSTRAINTS,
    *MISSING_FEATURES,
    *RESTRICTION_FEATURES,
    *NEIGHBOURHOOD_FEATURES,
)
REFUSAL_WEIGHTS: tuple[float, ...] = (
    -0.617, 0.158, 0.181, 0.608, -0.078, 0.137, -0.168, -0.137, -0.333, -0.195, 0.142, -0.379,
    -0.203, 0.010, -0.176, 0.089, 0.018, 0.198, 0.608, 0.067, -0.366, 0.016, -0.129, -0.129,
    0.424, 0.322, 0.607, -0.505, 0.000, -0.705, 0.991, 0.509,
)  # fmt: skip
"""Intercept, then the weights of :data:`REFUSAL_FEATURES` in the logistic model of "the
chosen answer answers the question", fitted by ``python -m bench.answer_model refusal
--no-offtopic`` on TyDi QA valid and gov-id dev (answerable against near-miss questions,
cross-validated; refitted with :data:`RESTRICTION_FEATURES` and word pairs read over known
words, docs/benchmarks.md, "seventh round"; with :data:`NEIGHBOURHOOD_FEATURES`, "eighth
round"). Fitted with the chit-chat and off-topic
questions as more negatives, the sixth round's model refused more of those (0.81 against
0.72) but fewer near-misses at 90 % answered (gov-id 0.31 against 0.40, TyDi 0.15 against
0.18): small talk and off-topic messages are mostly caught before the knowledge base
(``services.routing``), near-misses are not, so the near-miss model is kept
(docs/benchmarks.md, "sixth round")."""


@dataclass(frozen=True)
class JudgeConfig:
    """Thresholds of the answer checks (calibrated on the unanswerable dev/valid sets)."""

    min_dense: float = 0.80
    """Below this cosine of the best passage nothing is answered (e5 profile)."""
    weak_dense: float = 0.82
    """Between ``min_dense`` and this, only an answer holding nearly all of the question's
    concepts (``strong_coverage``) is given: a colloquial question ("lampu di gang mati, mau
    komplain") sits lower in the embedding space than its lexical match says."""
    strong_coverage: float = 0.8
    min_coverage: float = 0.4
    """Below this share of the question's (known) concepts in the chosen sentences and their
    passage's headings, the answer is refused."""
    confident_dense: float = 0.86
    confident_coverage: float = 0.75
    """From these up the answer is given without a caveat."""
    calibrated: bool = False
    """Decide with the calibrated model (:data:`REFUSAL_WEIGHTS`, fitted for e5) instead of
    the coverage and cosine thresholds above."""
    answer_probability: float = 0.475
    """Calibrated: below this probability the answer is refused. The highest threshold (in
    steps of 0.0125) at which, cross-validated, at least 90% of the answerable questions of
    both TyDi valid and gov-id dev are answered (docs/retrieval.md, "Refusing on the
    answer")."""
    confident_probability: float = 0.7
    """Calibrated: from this probability up the answer is given without a caveat."""
    unknown_rule: bool = True
    """Refuse a question more than :data:`UNKNOWN_SHARE` of whose words no document holds
    (:func:`_mostly_unknown`), before the calibrated model."""


GENERIC_JUDGE = JudgeConfig(min_dense=0.0, weak_dense=0.0, confident_dense=0.0)
"""Models whose unrelated-text cosines sit near 0 (MiniLM, the test fake): no cosine bar."""


DEFAULT_JUDGE = JudgeConfig(calibrated=True)


def judge_answer(
    result: SearchResult,
    composed: ComposedAnswer,
    info: QuestionInfo,
    *,
    terms: Callable[[str], list[str]],
    known: Callable[[str], bool] = lambda term: True,
    synonyms: Sequence[Sequence[Sequence[str]]] = (),
    config: JudgeConfig = DEFAULT_JUDGE,
    similarity: Similarities | None = None,
) -> Verdict:
    """The verdict on ``composed`` as an answer to the question ``info`` describes.

    Args:
        terms: text -> normalised terms (the keyword index's normaliser).
        known: whether the index holds a term anywhere (a name it never saw is not in it).
        synonyms: the question's concepts' alternatives (a name the documents spell out,
            "THR" for "tunjangan hari raya", is known through them).
        similarity: the question's cosine with the units of the retrieved passages, where
            the caller has it (:func:`neighbourhood_cosine`; else read from ``result``).
    """
    composed = _judged(composed)
    if not result.hits or not composed.citations:
        return Verdict(False, False, "retrieval")
    dense = result.hits[0].dense_score
    if dense is not None and dense < config.min_dense:
        return Verdict(False, False, "retrieval")
    evidence = composed.evidence
    cited = _cited_hits(result, composed)
    where = _digits_form(" ".join(f"{h.title}\n{h.text}" for h in cited))
    for year in info.years:
        if year not in where:
            return Verdict(False, False, "year")
    for number in info.references:
        if not re.search(rf"(?<!\d){re.escape(number)}(?!\d)", where):
            return Verdict(False, False, "number")
    for version in info.versions:
        # A release no cited passage or title names: release notes of 22.09 do not say what
        # 22.10 brought, however alike the two read.
        # "2.0" is the release a passage may write "2" (and "2410" may be "2410.0.0").
        base = re.escape(re.sub(r"(?:\.0)+$", "", version))
        if not re.search(rf"(?<![\d.]){base}(?:\.0)*(?!\d|\.\d)", where):
            return Verdict(False, False, "number")
    for name in info.names:
        name_terms = terms(name)
        if not name_terms or any(known(t) for t in name_terms):
            continue
        if composed.source_language is not None and name in info.acronyms:
            # An acronym of a question in another language than its passages is written
            # otherwise in theirs ("NGO" for LSM, "HR" for SDM): unknown, it proves nothing.
            continue
        spelled_out = any(
            set(name_terms) & {t for alt in alternatives for t in alt}
            and any(alt and all(known(t) for t in alt) for alt in alternatives)
            for alternatives in synonyms
        )
        if not spelled_out and not spelled_in(name, f"{question_text(result)}\n{where}"):
            return Verdict(False, False, "name")
    if config.unknown_rule and _mostly_unknown(result, composed, info, terms=terms, known=known):
        return Verdict(False, False, "unknown")
    if evidence is None:  # an LLM's answer: its own NOT_FOUND already spoke
        return Verdict(True, result.confident)
    if info.negated and info.qtype != "yesno" and not _NEGATION.search(composed.text):
        # "Apa cabang ilmu yang *tidak* mempelajari reptil?" is not answered by the branch
        # that does.
        return Verdict(False, False, "negation")
    if config.calibrated:
        if evidence.passage_coverage <= 0.0:
            # None of the question's concepts in the passage, its title or heading: a topic
            # the knowledge base does not hold ("How do I renew my passport?").
            return Verdict(False, False, "coverage")
        asked = question_text(result)
        if asks_amount(info, asked) and not states_amount(composed.text, asked):
            # "Berapa jumlah maksimal anggota forum ...?" answered by the article that sets up
            # the forum: a sentence about the right thing that states no amount answers no
            # "berapa" (the model reads the asked kind as one feature among 31, and the
            # sentence's "ayat (2)" counted as a figure).
            return Verdict(False, False, "amount")
        p = answer_probability(
            refusal_features(
                result, composed, info, terms=terms, known=known, similarity=similarity
            )
        )
        if p < config.answer_probability:
            return Verdict(False, False, "calibrated", p)
        return Verdict(True, p >= config.confident_probability, "", p)
    if info.qtype in ("berapa", "kapan") and not evidence.states:
        return Verdict(False, False, "type")
    if evidence.coverage < config.min_coverage:
        return Verdict(False, False, "coverage")
    if (
        dense is not None
        and dense < config.weak_dense
        and evidence.coverage < config.strong_coverage
    ):
        return Verdict(False, False, "retrieval")
    confident = (dense is None or dense >= config.confident_dense) and (
        evidence.coverage >= config.confident_coverage
    )
    return Verdict(True, confident)


UNKNOWN_SHARE = 0.5
"""Above this share of a question's words that no indexed passage holds (nor any synonym of
them), the question is about something the documents do not cover ("Siapa juara piala
dunia?": "juara" and "piala" are in no document, and "dunia" alone matches many passages).
Half is not enough: "Lampu di gang saya mati, mau komplain?" has "gang" and "mati" in no
document and is answered by the complaint procedure."""


def _mostly_unknown(
    result: SearchResult,
    composed: ComposedAnswer,
    info: QuestionInfo,
    *,
    terms: Callable[[str], list[str]],
    known: Callable[[str], bool],
) -> bool:
    """Whether more than :data:`UNKNOWN_SHARE` of the question's words are unknown to the index.

    The answer's coverage is measured over the words the index knows (an English word cannot
    be checked against Indonesian documents), so an off-topic question left with one common
    known word looked fully covered. Only a question in its passages' language is read so,
    and names are left to the name check (an acronym the documents spell out is known
    through its synonyms). None of the 116 answerable gov-id dev questions in Indonesian has
    more than half its words unknown (docs/retrieval.md, "Off-topic questions").
    """
    query = result.query
    if query is None or composed.source_language is not None:
        return False
    named = {t for name in info.names for t in terms(name)}
    # A word is known through any of its concept's alternatives ("komplain" through "aduan").
    asked = [alts for own, alts in query.concept_pairs if not set(own) <= named]
    if not asked:
        return False
    unknown = sum(1 for alts in asked if not any(a and all(known(t) for t in a) for a in alts))
    return unknown / len(asked) > UNKNOWN_SHARE


_WORD = re.compile(r"[^\W\d_][\w-]*")
_SKIPPED = frozenset(
    {"dan", "atau", "yang", "di", "ke", "dari", "serta", "and", "of", "the", "for"}
)
"""Words an acronym may pass over ("Prioritas dan Plafon Anggaran Sementara": PPAS)."""
MIN_SPELLED = 3
"""An acronym spelled out by initials elsewhere than beside it in the question must have at
least this many letters: two initials ("SP") match many unrelated word pairs."""


def question_text(result: SearchResult) -> str:
    return result.query.original if result.query is not None else ""


def spelled_in(name: str, text: str) -> bool:
    """Whether ``text`` spells the acronym ``name`` out: consecutive words whose initials (an
    acronym among them counting with all its letters, "Calon PNS" for CPNS; a conjunction
    passed over) make it. A question may use an acronym its documents never do ("BTT" where
    the regulation writes "Belanja Tidak Terduga"); the name check refused it as a name the
    knowledge base never saw. Two-letter acronyms count only when the question spells them out
    in brackets right after ("SP (standar pelayanan)")."""
    letters = "".join(ch for ch in name.lower() if ch.isalpha())
    if len(letters) < 2:
        return False
    bracketed = re.search(rf"\b{re.escape(name)}\s*\(([^)]{{2,120}})\)", text, re.I)
    if bracketed and _initials_match(letters, _WORD.findall(bracketed.group(1))):
        return True
    if len(letters) < MIN_SPELLED:
        return False
    words = _WORD.findall(text)
    return any(_initials_match(letters, words[i:]) for i in range(len(words)))


def _initials_match(letters: str, words: Sequence[str]) -> bool:
    """Whether ``words`` from their first on spell ``letters`` by initials (see
    :func:`spelled_in`)."""
    at = 0
    for n, word in enumerate(words):
        if at == len(letters):
            return True
        low = word.lower()
        if word.isupper() and 1 < len(low) < len(letters) and letters.startswith(low, at):
            # an acronym within the spelled-out form: "Calon PNS"; the whole acronym is the
            # name itself, not its spelling (the question's own "TNI" spelled "TNI" out)
            at += len(low)
        elif low[:1] == letters[at]:
            at += 1
        elif n and low in _SKIPPED:
            continue
        else:
            return False
    return at == len(letters)


def _judged(composed: ComposedAnswer) -> ComposedAnswer:
    """The answer the refusal reads (:attr:`ComposedAnswer.judged`): without a runner-up of
    another passage quoted beside the best passage's units."""
    return composed.judged if composed.judged is not None else composed


def _cited_hits(result: SearchResult, composed: ComposedAnswer) -> list[SearchHit]:
    ids = {c.chunk_id for c in composed.citations}
    return [h for h in result.hits if h.chunk_id in ids] or list(result.hits[:1])


def judge_for(model: str) -> JudgeConfig:
    """The answer checks' thresholds for an embedding model id (as ``fusion_for``)."""
    return DEFAULT_JUDGE if "e5" in model.lower() else GENERIC_JUDGE


_PROPER_WORD = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w'-]+")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def refusal_features(
    result: SearchResult,
    composed: ComposedAnswer,
    info: QuestionInfo,
    *,
    terms: Callable[[str], list[str]],
    known: Callable[[str], bool] = lambda term: True,
    similarity: Similarities | None = None,
) -> list[float]:
    """What the calibrated refusal model reads (names in :data:`REFUSAL_FEATURES`).

    Args:
        similarity: the question's cosine with the units of the retrieved passages
            (:func:`neighbourhood_cosine`); ``None``: computed from the unit vectors the
            search read (``SearchResult.unit_vectors``).
    """
    composed = _judged(composed)
    evidence = composed.evidence
    assert evidence is not None
    top = result.hits[0]
    missing = top.dense_score is None
    dense = MISSING_COSINE if top.dense_score is None else top.dense_score
    unit = evidence.cosine if evidence.cosine is not None else dense
    best_unit = evidence.best_cosine if evidence.best_cosine is not None else dense
    query = result.query
    cited = _cited_hits(result, composed)
    where = _digits_form(" ".join(f"{h.title}\n{h.text}" for h in cited))
    where_terms = set(terms(where))
    numbers = [n for n in info.numbers if n not in info.references]
    unmatched_numbers = sum(
        1 for n in numbers if not re.search(rf"(?<!\d){re.escape(n)}(?!\d)", where)
    )
    question = query.original if query is not None else ""
    proper = {t for w in _PROPER_WORD.findall(question) for t in terms(w)}
    unmatched_proper = len([t for t in proper if t not in where_terms]) / (len(proper) or 1)
    stated = 1.0 if evidence.states else 0.0
    typed = 1.0 if info.qtype in ("berapa", "kapan", "siapa", "dimana") else 0.0
    return [
        (dense - 0.8) * 10.0,
        (unit - 0.8) * 10.0,
        (best_unit - 0.8) * 10.0,
        evidence.coverage,
        evidence.passage_coverage,
        evidence.direct,
        1.0 - evidence.passage_coverage,
        evidence.missing_peak,
        evidence.answer_missing_peak,
        stated,
        typed,
        typed * (1.0 - stated),
        evidence.type_evidence,
        float(min(unmatched_numbers, 2)),
        unmatched_proper,
        top.coverage,
        top.score,
        evidence.score / 10.0,
        min(evidence.margin, 10.0) / 10.0,
        *constraint_features(result, composed, info, terms=terms, known=known),
        1.0 if missing else 0.0,
        restriction_missing(result, composed, terms=terms, known=known),
        (neighbourhood_cosine(result, similarity) - 0.8) * 10.0,
        0.0 if composed.source_language is None else 1.0,
    ]


def neighbourhood_cosine(
    result: SearchResult,
    similarity: Similarities | None = None,
    *,
    default: float = MISSING_COSINE,
) -> float:
    """The question's mean cosine with every unit (sentence, list item, table row) of the
    retrieved passages: how close it sits to the passages as a whole, not only to its best
    sentence.

    A near-miss question shares words with one sentence (another entity, an attribute the
    passage does not give, a changed restriction) and finds it about as close as an
    answerable question finds its answer, but sits further from the rest of what was
    retrieved: gov-id dev's near-misses read 0.819 on average against 0.833 for its answerable
    questions (TyDi valid 0.809 against 0.811). Its fitted weight is positive, next to the
    chosen and best units' cosines (docs/benchmarks.md, "eighth round").
    ``similarity`` is chunk id -> unit key -> cosine; without it the cosines are computed
    from the unit vectors the search already read (``SearchResult.unit_vectors``: nothing is
    read or embedded again). Without any unit cosine (chunks stored before unit vectors
    existed, a keyword-only search) it reads ``default``, the neutral
    :data:`MISSING_COSINE` of the other cosine features, not the chosen passage's cosine,
    which would read as a question close to everything it retrieved.
    """
    if similarity is None and result.unit_cosines:
        # Computed once by the search (its ranking by sentences), in the hits' order.
        cosines = result.unit_cosines
        similarity = {h.chunk_id: cosines[h.chunk_id] for h in result.hits if h.chunk_id in cosines}
    if similarity is None:
        vectors = result.unit_vectors
        if result.query_vector is None or not vectors:
            return default
        similarity = similarities(
            {h.chunk_id: vectors[h.chunk_id] for h in result.hits if h.chunk_id in vectors},
            result.query_vector,
        )
    ids = {h.chunk_id for h in result.hits}
    values = [v for cid, units in similarity.items() if cid in ids for v in units.values()]
    return sum(values) / len(values) if values else default


def _pairs(sequence: Sequence[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(sequence))


def constraint_features(
    result: SearchResult,
    composed: ComposedAnswer,
    info: QuestionInfo,
    *,
    terms: Callable[[str], list[str]],
    known: Callable[[str], bool] = lambda term: True,
) -> list[float]:
    """The question's constraints against the chosen answer (:data:`ANSWER_CONSTRAINTS`).

    A near-miss question is usually the answerable one with one thing changed: a number, a
    name, a word swapped for another the documents also use. The passage still matches, so
    these read the *answer*: the question's numbers and capitalised names the answer (with its
    document's title) does not state; how far the chosen unit leads the best unit of another
    passage, and the best passage the second; the share of the question's word pairs that
    stand together in the cited passage and in the answer (a swapped word breaks them); the
    share of the question's words the index never saw; whether the answer states no figure in
    the measure asked ("berapa persen" answered by a sentence without a percentage).
    """
    composed = _judged(composed)
    evidence = composed.evidence
    assert evidence is not None
    cited = _cited_hits(result, composed)
    answer = _digits_form(composed.text)
    titled = f"{answer}\n" + "\n".join(h.title for h in cited)
    numbers = [n for n in (*info.numbers, *info.years) if n not in info.references]
    unmatched = sum(1 for n in numbers if not re.search(rf"(?<!\d){re.escape(n)}(?!\d)", answer))
    query = result.query
    question = query.original if query is not None else ""
    proper = {t for w in _PROPER_WORD.findall(question) for t in terms(w)}
    titled_terms = set(terms(titled))
    absent = len([t for t in proper if t not in titled_terms]) / (len(proper) or 1)
    hits = result.hits
    gap = 0.0
    if len(hits) > 1 and hits[0].dense_score is not None and hits[1].dense_score is not None:
        gap = (hits[0].dense_score - hits[1].dense_score) * 10.0
    asked = list(query.terms) if query is not None else []
    # Pairs of words the index knows: a pair holding a word no document has (an English
    # word, a typo) can stand in no passage, so counting it would read every English
    # question as a near-miss.
    wanted = _pairs([t for t in asked if known(t)])
    passage = _pairs(terms(" ".join(f"{h.title} {h.text}" for h in cited)))
    said = _pairs(terms(composed.text))
    unknown = sum(1 for t in set(asked) if not known(t)) / (len(set(asked)) or 1)
    return [
        float(min(unmatched, 2)),
        absent,
        min(evidence.passage_margin, 10.0) / 10.0,
        gap,
        len(wanted & passage) / len(wanted) if wanted else 1.0,
        len(wanted & said) / len(wanted) if wanted else 1.0,
        unknown,
        1.0 if info.measures and not measures_stated(composed.text, info.measures) else 0.0,
    ]


_RESTRICTION = re.compile(
    r"\b(?:menurut|berdasarkan|according\s+to|based\s+on)\s+((?:[\w/.-]+\s*){1,3})"
    r"|\b(?:paling(?!\s+tidak\b)|lebih|most|least|more|less)\s+(?!(?:than|of|the|a|an)\b)([\w-]+)"
    r"|\b(ter[^\W\d_]{3,}|[^\W\d_]{3,}est|last|non-?[^\W\d_]+)\b",
    re.I,
)
"""What restricts the asked thing to one of its kind: a source ("menurut Wikipedia",
"according to PP 50/2007"), a superlative or comparative ("paling kuat", "terburuk", "most
recent", "smallest", "lebih kecil"), the last of a series ("terakhir", "last"), a negated
kind ("non-majemuk"). "Paling tidak" (at least) and "more than" restrict nothing; the first
of a series is left out: answerable questions ask "the first" of passages that do not say
"pertama" (9% of TyDi valid's, against 2% with it left out)."""
_NOT_SUPERLATIVE = frozenset(
    (
        *("interest", "request", "forest", "honest", "modest", "harvest", "suggest"),
        *("protest", "contest", "digest", "invest", "arrest", "manifest", "quest"),
        *("guest", "chest", "priest", "latest"),
    )
)
"""English words ending in -est that do not restrict ("interest"); "latest" is read by
the date checks."""


def restriction_terms(question: str, terms: Callable[[str], list[str]]) -> list[str]:
    """The terms of the restrictions a question puts on what it asks (:data:`_RESTRICTION`).

    A near-miss question is often an answerable one with a restriction added or turned
    ("Siapa pemimpin *terburuk* Majapahit?", "Apa definisi sains *menurut Wikipedia*?"):
    the passage is on the topic and answers the unrestricted question, and a word that is
    missing is the very one the question turns on. The rule is grammatical (the markers of
    sources, superlatives, comparatives and the last of a series, in Indonesian and English),
    not a list of the words a data set happens to use.
    """
    found: list[str] = []
    for match in _RESTRICTION.finditer(question):
        phrase = next(group for group in match.groups() if group)
        if phrase.lower() in _NOT_SUPERLATIVE:
            continue
        found += terms(phrase)
    return list(dict.fromkeys(found))


def restriction_missing(
    result: SearchResult,
    composed: ComposedAnswer,
    *,
    terms: Callable[[str], list[str]],
    known: Callable[[str], bool] = lambda term: True,
) -> float:
    """1.0 when a term of the question's restrictions (:func:`restriction_terms`) is in
    neither the cited passages nor their titles, through none of its concept's
    alternatives ("pemda" is found as "pemerintah daerah"); else 0.0.

    Of the questions that pass the fixed checks it flags 44 of TyDi valid's 358 near-misses
    and 7 of its 399 answerable questions (gov-id dev: 2 of 31 and 6 of 128), so it is a
    feature of the calibrated model, not a rule (docs/retrieval.md, "Refusing on the
    answer"). A question in another language than its passages is checked on the words the
    index knows only."""
    composed = _judged(composed)
    query = result.query
    if query is None:
        return 0.0
    wanted = restriction_terms(query.text, terms)
    if composed.source_language is not None:
        # A question in another language than its passages: only the words the index knows
        # can be checked against them (an English "smallest" stands in no Indonesian text).
        wanted = [t for t in wanted if known(t)]
    if not wanted:
        return 0.0
    cited = _cited_hits(result, composed)
    where = set(terms(_digits_form(" ".join(f"{h.title}\n{h.text}" for h in cited))))
    for term in wanted:
        if term in where:
            continue
        alternatives = [alt for c in query.concepts if term in c.terms for alt in c.alternatives]
        if not any(alt and set(alt) <= where for alt in alternatives):
            return 1.0
    return 0.0


def answer_probability(features: Sequence[float]) -> float:
    """The calibrated probability that the chosen answer answers the question."""
    z = REFUSAL_WEIGHTS[0] + sum(w * x for w, x in zip(REFUSAL_WEIGHTS[1:], features, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
