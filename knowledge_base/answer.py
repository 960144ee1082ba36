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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from knowledge_base.language import detect_language
from knowledge_base.question import TYPE_WORDS, QuestionInfo, analyse, states
from knowledge_base.schemas import Citation, SearchHit

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9À-Ý])")
_LIST_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*•]|[a-z][.)])\s+")
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


RELATIVE_CUTOFF = 0.75
"""Passages scoring below this share of the best one are not used in an answer."""


def usable_hits(
    hits: Sequence[SearchHit], relative_cutoff: float = RELATIVE_CUTOFF
) -> list[SearchHit]:
    """The passages close enough to the best one to answer from (at least the best one)."""
    if not hits:
        return []
    best = hits[0].score or 1e-9
    return [h for h in hits if h.score >= best * relative_cutoff] or [hits[0]]


def strip_prefix(hit: SearchHit) -> str:
    """The passage without the "title > section" heading the chunker put in front of it."""
    text = hit.text.strip()
    first, sep, rest = text.partition("\n")
    if sep and ((hit.title and first.strip().startswith(hit.title.strip())) or " > " in first):
        return rest.strip()
    if hit.title and text.startswith(hit.title):
        # One-line form "Title > Section: text" or "Title > Section text".
        head = text[len(hit.title) :]
        if hit.section and head.lstrip(" >").startswith(hit.section):
            head = head.lstrip(" >")[len(hit.section) :]
        return head.lstrip(" >:\n").strip() or text
    return text


@dataclass(frozen=True)
class Span:
    """A unit of a passage (sentence, list item, table row) and where it stands in the text."""

    start: int
    end: int
    text: str
    is_list: bool = False


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
        if _LIST_ITEM.match(stripped) or _is_table_row(stripped):
            spans.append(Span(offset + lead, offset + lead + len(stripped), stripped, True))
            continue
        cursor = 0
        body = line[lead - line_start :].rstrip()
        pieces = _SENTENCE_END.split(body)
        for piece in pieces:
            found = body.find(piece, cursor)
            cursor = found + len(piece)
            if piece.strip():
                start = offset + lead + found
                spans.append(Span(start, start + len(piece), piece.strip()))
    return spans


def split_units(text: str) -> list[str]:
    """Sentences, with list items and short lines kept as their own units."""
    return [s.text for s in split_spans(text)]


def _body_offset(hit: SearchHit) -> int:
    """Where the passage proper starts in ``hit.text`` (after the "title > section" line)."""
    body = strip_prefix(hit)
    found = hit.text.find(body)
    return found if found >= 0 else 0


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

    @property
    def text(self) -> str:
        return self.span.text

    @property
    def is_list(self) -> bool:
        return self.span.is_list


Concepts = Sequence[tuple[Sequence[str], Sequence[Sequence[str]]]]


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


_DEFINES = re.compile(
    r"\b(adalah|merupakan|ialah|yaitu|yakni|selanjutnya disebut|selanjutnya disingkat|"
    r"dimaksud dengan|is|are|means|refers to)\b",
    re.I,
)
FEATURES = (
    "coverage",
    "framed",
    "focus",
    "states",
    "defines",
    "bigrams",
    "rank",
    "relative",
    "position",
    "first",
    "length",
    "list",
)
UNIT_WEIGHTS: tuple[float, ...] = (
    1.267, 0.960, 1.289, 2.945, 1.597, 0.242, -0.726, 0.819, -0.604, -0.301, 0.913, -0.657
)  # fmt: skip
"""Weights of :data:`FEATURES` in a unit's score, fitted by ``python -m bench.answer_model``
on TyDi QA valid and the gov-id dev questions (listwise softmax; docs/retrieval.md): the unit
holding the gold span is chosen for 62% (TyDi, 5-fold cross-validated) and 43% (gov-id)
of the questions, where some unit of the retrieved passages holds it for 91% and 87%."""


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
) -> list[float]:
    """What the unit scorer reads of one unit (names in :data:`FEATURES`)."""
    own = set(terms(span.text))
    total = sum(w for w, _ in weighted) or 1.0
    direct = framed = focus = focus_total = 0.0
    for weight, alternatives in weighted:
        in_unit = any(a <= own for a in alternatives)
        in_context = any(a <= context for a in alternatives)
        if in_unit:
            direct += weight
        if in_unit or in_context:
            framed += weight
        if not in_context:
            focus_total += weight
            if in_unit:
                focus += weight
    pairs = set(itertools.pairwise(terms(span.text)))
    wanted = list(itertools.pairwise(question_terms))
    bigrams = sum(1 for p in wanted if p in pairs) / len(wanted) if wanted else 0.0
    defines = 1.0 if info.asks_definition and _DEFINES.search(span.text) else 0.0
    return [
        direct / total,
        (framed - direct) / total,
        focus / focus_total if focus_total else 0.0,
        1.0 if states(info.qtype, span.text) else 0.0,
        defines,
        bigrams,
        float(rank),
        relative,
        math.log1p(index),
        1.0 if index == 0 else 0.0,
        math.log1p(len(span.text)) / 6.0,
        1.0 if span.is_list else 0.0,
    ]


def weigh(
    concepts: Concepts, idf: Callable[[str], float]
) -> list[tuple[float, list[frozenset[str]]]]:
    """Each concept's weight (the IDF of its own terms) and its alternatives as term sets."""
    return [
        (sum(idf(t) for t in set(own)) or 0.0, [frozenset(a) for a in alternatives if a])
        for own, alternatives in concepts
    ]


def candidate_units(
    hits: Sequence[SearchHit],
    info: QuestionInfo,
    weighted: Sequence[tuple[float, Sequence[frozenset[str]]]],
    terms: Callable[[str], list[str]],
    question_terms: Sequence[str],
) -> list[tuple[int, int, Span, list[float]]]:
    """Every unit of ``hits`` with its features: ``(hit rank, index, span, features)``."""
    if not hits:
        return []
    best = hits[0].score or 1e-9
    out: list[tuple[int, int, Span, list[float]]] = []
    for rank, hit in enumerate(hits):
        context = set(terms(f"{hit.title} {hit.section or ''}"))
        offset = _body_offset(hit)
        header: Span | None = None
        header_index = 0
        for i, span in enumerate(split_spans(hit.text[offset:], offset)):
            read = span
            if _is_table_row(span.text):
                if header is None:
                    header = span  # scored as is, never chosen alone (see compose)
                # A row says what its header names: "Izin reklame | 3 hari kerja" under
                # "Jenis izin | Waktu penyelesaian" is the time of the billboard permit.
                read = replace(span, text=f"{header.text} {span.text}")
            else:
                header = None
            # Rows of one table stand at the table's place: no row is "later" than another.
            place = header_index if header is not None and read is not span else i
            if header is span:
                header_index = i
            features = unit_features(
                read, place, rank, hit.score / best, context, info, weighted, terms, question_terms
            )
            out.append((rank, i, span, features))
    return out


ANSWER_CHARS = 360
"""A best sentence shorter than this gets its passage's runner-up beside it, if both fit."""
RUNNER_UP_MARGIN = 3.0
"""How far below the best a runner-up may score (the scores are a softmax's logits). With 360
characters and 3.0 the answers' median length stays under 250 characters on both dev sets
while the gold span is in the answer more often (TyDi valid 0.57 -> 0.64 against the best
unit alone under 300 characters within 1.0)."""
MAX_CHARS = 320
"""A sentence longer than this is cut to its clauses that carry the question's terms."""


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
    concepts: Concepts | None = None,
    info: QuestionInfo | None = None,
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
    """
    lang = language or detect_language(question)
    info = info or analyse(question)
    if not hits:
        return ComposedAnswer("", (), lang, None)
    best = hits[0].score or 1e-9
    usable = usable_hits(hits, relative_cutoff)
    # Prefer passages in the question's language when they are about as relevant.
    same = [h for h in usable if (h.language or lang) == lang]
    if same and same[0].score >= best * 0.9:
        usable = same
    if concepts is None:
        concepts = [((t,), ((t,),)) for t in dict.fromkeys(terms(question))]
    type_terms = set(terms(TYPE_WORDS.get(info.qtype, "")))
    concepts = [c for c in concepts if not set(c[0]) <= type_terms] or list(concepts)
    weighted = weigh(concepts, idf)
    total = sum(w for w, _ in weighted) or 1.0

    def coverage_of(found: set[str]) -> float:
        return sum(w for w, alts in weighted if any(a <= found for a in alts)) / total

    units: list[_Unit] = []
    contexts: list[set[str]] = []
    for rank, index, span, features in candidate_units(
        usable, info, weighted, terms, [t for own, _ in concepts for t in own]
    ):
        if index == 0:
            hit = usable[rank]
            contexts.append(set(terms(f"{hit.title} {hit.section or ''}")))
        score = sum(w * x for w, x in zip(UNIT_WEIGHTS, features, strict=True))
        units.append(_Unit(rank, index, span, score, features[1] + features[0], features[3] > 0))
    while len(contexts) < len(usable):
        hit = usable[len(contexts)]
        contexts.append(set(terms(f"{hit.title} {hit.section or ''}")))
    if not units:
        return ComposedAnswer("", (), lang, None)

    by_key = {(u.hit_rank, u.index): u for u in units}

    def is_header(unit: _Unit) -> bool:
        before = by_key.get((unit.hit_rank, unit.index - 1))
        return _is_table_row(unit.text) and (before is None or not _is_table_row(before.text))

    candidates = [u for u in units if not is_header(u)] or units
    top = max(candidates, key=lambda u: (u.score, -u.hit_rank, -u.index))
    chosen = [top]
    steps = info.qtype in ("bagaimana", "syarat") or info.wants_list
    with_lists = sorted({u.hit_rank for u in units if u.is_list and u.coverage > 0})
    if info.qtype != "bagaimana":
        # Conditions and "apa saja" lists: a list of a passage ranked below the best unit's is
        # not the answer ("server requirements" are a sentence, not the handover steps).
        with_lists = [rank for rank in with_lists if rank <= top.hit_rank]
    if steps and with_lists:
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
    elif steps or top.text.endswith(":"):
        chosen = _with_list(top, units, by_key, budget=max_chars)
    else:
        following = by_key.get((top.hit_rank, top.index + 1))
        if not top.states and following is not None and following.states:
            # The asked figure often stands in the next sentence ("The server must be
            # ready... A typical minimum is four cores, 8 GB...").
            chosen.append(following)
        elif len(top.text) < ANSWER_CHARS:
            # A short best sentence leaves room for the runner-up of the same passage: the
            # scorer's second choice holds the fact often enough to be worth the space.
            second = max(
                (u for u in units if u.hit_rank == top.hit_rank and u is not top and not u.is_list),
                key=lambda u: u.score,
                default=None,
            )
            if (
                second is not None
                and second.coverage > 0
                and second.score >= top.score - RUNNER_UP_MARGIN
                and len(top.text) + len(second.text) <= ANSWER_CHARS
            ):
                chosen.append(second)
    chosen = _with_whole_tables(chosen, units, budget=max_chars)
    chosen.sort(key=lambda u: (u.hit_rank, u.index))
    anchor_hit = usable[top.hit_rank]
    passage_terms = set(terms(strip_prefix(anchor_hit))) | contexts[top.hit_rank]
    own_terms = {t for own, _ in concepts for t in own}
    evidence = Evidence(
        coverage=coverage_of(
            set().union(*(terms(u.text) for u in chosen)) | contexts[top.hit_rank]
        ),
        passage_coverage=coverage_of(passage_terms),
        states=any(u.states for u in chosen),
        missing=tuple(sorted(t for t in own_terms if t not in passage_terms)),
    )
    return _render(chosen, usable, lang, evidence, info, coverage_of, terms)


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
            following = by_key.get((rank, start))
            if top.text.endswith(":") and following is not None:
                return [top, following]
            return [top]
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
    bounds = [0] + [m.end() for m in re.finditer(r"[;,]\s+|\s(?=\(\d+\)|[a-z]\.\s)", text)]
    bounds.append(len(text))
    best = (0.0, 0, len(text))
    for i in range(len(bounds) - 1):
        for j in range(i + 1, len(bounds)):
            if bounds[j] - bounds[i] > MAX_CHARS:
                break
            score = found(text[bounds[i] : bounds[j]]) - 0.0001 * (bounds[j] - bounds[i])
            if score > best[0]:
                best = (score, bounds[i], bounds[j])
    return best[1], best[2]


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
            cut_start, cut_end = _clip(text, lambda piece: coverage_of(set(terms(piece))))
            piece = text[cut_start:cut_end].strip(" ,;")
            lead = text[cut_start:cut_end].find(piece)
            start, end = (
                start + cut_start + max(lead, 0),
                start + cut_start + max(lead, 0) + len(piece),
            )
            text = (
                ("…" if cut_start > 0 else "") + piece + ("…" if cut_end < len(unit.text) else "")
            )
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


def _is_table_row(text: str) -> bool:
    return text.count(" | ") >= 1


def _with_whole_tables(chosen: list[_Unit], units: list[_Unit], *, budget: int) -> list[_Unit]:
    """A chosen table row brings its table's header: one row means little alone."""
    by_key = {(u.hit_rank, u.index): u for u in units}
    out = list(chosen)
    picked = {(u.hit_rank, u.index) for u in chosen}
    for unit in chosen:
        if not _is_table_row(unit.text):
            continue
        start = unit.index
        while (unit.hit_rank, start - 1) in by_key and _is_table_row(
            by_key[(unit.hit_rank, start - 1)].text
        ):
            start -= 1
        header = by_key[(unit.hit_rank, start)]
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
            or _is_table_row(part)
            or (previous and (_LIST_ITEM.match(previous) or _is_table_row(previous)))
        ):
            lines.append("\n" + part)
        else:
            lines.append((" " if lines else "") + part)
    return "".join(lines).strip()
