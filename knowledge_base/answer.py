"""Extractive answers: the most relevant sentences of the best passages, with numbered citations.

No model is needed. Sentences are scored by the IDF-weighted query terms they contain (plus the
rank of their passage); the best ones are kept in document order, each followed by the number
of its source. Only sources whose sentences made it into the answer are cited, numbered in order
of first use. Passages in the question's language are preferred when they are about as relevant
as the others. Step lists are kept whole when the question asks how to do something.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from knowledge_base.language import detect_language
from knowledge_base.schemas import Citation, SearchHit

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9À-Ý])")
_LIST_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*•]|[a-z][.)])\s+")
_HOW = re.compile(
    r"\b(bagaimana|cara|langkah|prosedur|tahapan|tahap|alur|how|steps?|procedure)\b", re.I
)
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


def split_units(text: str) -> list[str]:
    """Sentences, with list items and short lines kept as their own units."""
    units: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if _LIST_ITEM.match(line):
            units.append(line)
            continue
        units.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return units


@dataclass
class _Unit:
    hit_rank: int
    index: int
    text: str
    score: float
    is_list: bool


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
) -> ComposedAnswer:
    """Compose an answer from ``hits`` (already judged relevant), best passages first.

    Args:
        terms: text -> normalised terms (the keyword index's normaliser).
        idf: term -> inverse document frequency (weights the sentence scores).
        language: the question's language; detected when ``None``.
        relative_cutoff: passages scoring below this share of the best one are not used.
    """
    lang = language or detect_language(question)
    if not hits:
        return ComposedAnswer("", (), lang, None)
    best = hits[0].score or 1e-9
    usable = usable_hits(hits, relative_cutoff)
    # Prefer passages in the question's language when they are about as relevant.
    same = [h for h in usable if (h.language or lang) == lang]
    if same and same[0].score >= best * 0.9:
        usable = same
    q_terms = set(terms(question))
    weights = {t: idf(t) for t in q_terms}
    total = sum(weights.values()) or 1.0
    steps = bool(_HOW.search(question))

    units: list[_Unit] = []
    for rank, hit in enumerate(usable):
        for i, sentence in enumerate(split_units(strip_prefix(hit))):
            found = set(terms(sentence)) & q_terms
            overlap = sum(weights[t] for t in found) / total
            # Earlier passages and earlier sentences break ties; the first passage is trusted most.
            score = overlap + 0.15 * (hit.score / best) - 0.02 * rank - 0.005 * i
            units.append(_Unit(rank, i, sentence, score, bool(_LIST_ITEM.match(sentence))))
    if not units:
        return ComposedAnswer("", (), lang, None)

    chosen: list[_Unit] = []
    length = 0
    for unit in sorted(units, key=lambda u: -u.score):
        if len(chosen) >= max_sentences or (length + len(unit.text) > max_chars and chosen):
            break
        if chosen and unit.score < chosen[0].score * 0.5:
            break
        chosen.append(unit)
        length += len(unit.text)
    if steps:
        # A how-to question gets the step list of the best-ranked passage that has one, from
        # its first step on (cut at twice the usual length for very long lists). The passage
        # ranking, not one sentence's word overlap, decides: "mendaftar akun" must get the
        # registration steps even when a sentence of the next procedure shares more words.
        with_lists = sorted({u.hit_rank for u in units if u.is_list})
        anchor_rank = with_lists[0] if with_lists else chosen[0].hit_rank
        items = [u for u in units if u.hit_rank == anchor_rank and u.is_list]
        if items:
            kept: list[_Unit] = []
            budget = max_chars * 2
            for item in items:
                if kept and budget - len(item.text) < 0:
                    break
                kept.append(item)
                budget -= len(item.text)
            lead = [u for u in chosen if u.hit_rank == anchor_rank and not u.is_list][:1]
            chosen = lead + kept
    chosen = _with_whole_tables(chosen, units, budget=max_chars * 2)
    chosen.sort(key=lambda u: (u.hit_rank, u.index))

    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    used_text: dict[int, list[str]] = {}
    parts: list[str] = []
    for unit in chosen:
        if unit.hit_rank not in numbers:
            numbers[unit.hit_rank] = len(numbers) + 1
        used_text.setdefault(unit.hit_rank, []).append(unit.text)
        parts.append(unit.text)
        # The marker follows the last sentence taken from a passage in a row.
        parts[-1] = f"{parts[-1]} [{numbers[unit.hit_rank]}]"
    # Collapse repeated markers of consecutive sentences from the same passage.
    text = _collapse_markers(parts)
    passages: list[str] = []
    for rank, number in numbers.items():
        hit = usable[rank]
        snippet = " ".join(used_text[rank])
        if len(snippet) > _SNIPPET:
            snippet = snippet[: _SNIPPET - 1].rstrip() + "…"
        citations.append(
            Citation(
                number=number,
                doc_id=hit.doc_id,
                title=hit.title,
                section=hit.section,
                page=hit.page,
                score=round(hit.score, 4),
                snippet=snippet,
                chunk_id=hit.chunk_id,
            )
        )
        passages.append(hit.text)
    languages = {lg for r in numbers if (lg := usable[r].language)}
    source_language = None
    if languages and lang not in languages:
        source_language = sorted(languages)[0]
    return ComposedAnswer(text, tuple(citations), lang, source_language, tuple(passages))


def _is_table_row(text: str) -> bool:
    return text.count(" | ") >= 1


def _with_whole_tables(chosen: list[_Unit], units: list[_Unit], *, budget: int) -> list[_Unit]:
    """A chosen table row brings its whole table (header and rows): one row means little alone."""
    picked = {(u.hit_rank, u.index) for u in chosen}
    by_key = {(u.hit_rank, u.index): u for u in units}
    out = list(chosen)
    spent = sum(len(u.text) for u in chosen)
    for unit in chosen:
        if not _is_table_row(unit.text):
            continue
        start = unit.index
        while (unit.hit_rank, start - 1) in by_key and _is_table_row(
            by_key[(unit.hit_rank, start - 1)].text
        ):
            start -= 1
        end = unit.index
        while (unit.hit_rank, end + 1) in by_key and _is_table_row(
            by_key[(unit.hit_rank, end + 1)].text
        ):
            end += 1
        for i in range(start, end + 1):
            row = by_key[(unit.hit_rank, i)]
            if (row.hit_rank, i) in picked:
                continue
            if spent + len(row.text) > budget:
                break
            picked.add((row.hit_rank, i))
            out.append(row)
            spent += len(row.text)
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
