"""Grouping unanswered questions into knowledge gaps, fast at a hundred thousand questions.

Rare terms that are typos of common ones are first read as those (:func:`respell`), so "daftr
akun" joins "daftar akun".

Two questions belong to one gap when their term sets (the question log's ``normalized``:
distinct stemmed terms) overlap enough: the terms they share are at least
:data:`SIMILARITY` of the smaller set ("cara aju izin gampil" and "aju izin gampil" do;
"cara aju izin gampil" and "cara daftar akun gampil" do not).

:func:`assign` puts new questions into existing gaps (or starts new ones) in the order they
were asked, and compares each only with the gaps that *can* be similar, found through two
inverted indexes over the gaps' first question (prefix filtering, as in Bayardo et al., "Scaling
up all pairs similarity search", WWW 2007): terms are ordered rarest first; a set of ``n``
terms keeps its first ``n - ceil(t·n) + 1`` terms as its *prefix*. If two sets A and B with
``|A| <= |B|`` share ``ceil(t·|A|)`` terms, A's prefix holds one of them. So a new question's
prefix is looked up among all the gaps' terms (the gaps at least as large), and all its terms
among the gaps' prefixes (the smaller ones); only those candidates are compared. Before, every
question was compared with every group found so far.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

SIMILARITY = 0.75
#: Spelling: a term seen this many times or fewer may be a typo of a common one ...
RARE = 2
#: ... at least this many times as frequent ...
COMMON_FACTOR = 5
#: ... and this close (0-100, rapidfuzz ``ratio``).
TYPO_SIMILARITY = 85.0


@dataclass(frozen=True)
class GapSeed:
    """An existing gap, as the grouping sees it: its id and its first question's terms."""

    gap_id: int
    terms: frozenset[str]


@dataclass(frozen=True)
class LoggedQuestion:
    """A question to place: its id and terms."""

    question_id: int
    terms: frozenset[str]


@dataclass
class Grouping:
    """What :func:`assign` decided: questions into existing gaps, and new gaps."""

    into_existing: dict[int, list[int]] = field(default_factory=dict)
    """gap id -> the question ids it gains."""
    new_groups: list[list[int]] = field(default_factory=list)
    """New gaps, each the question ids it holds (the first one started it)."""


def terms_of(normalized: str) -> frozenset[str]:
    """The term set of a logged question's ``normalized`` signature."""
    return frozenset(normalized.split())


def similar(a: frozenset[str], b: frozenset[str], threshold: float = SIMILARITY) -> bool:
    """Whether two term sets belong to one gap (empty sets never do, unless both are)."""
    if not a or not b:
        return a == b
    return len(a & b) >= math.ceil(threshold * min(len(a), len(b)))


def prefix_length(size: int, threshold: float = SIMILARITY) -> int:
    return size - math.ceil(threshold * size) + 1 if size else 0


def assign(
    seeds: Sequence[GapSeed],
    questions: Sequence[LoggedQuestion],
    *,
    threshold: float = SIMILARITY,
) -> Grouping:
    """Place ``questions`` (oldest first) into the gaps of ``seeds`` or into new gaps.

    A question joins the most similar candidate gap (ties: the oldest gap); a question like
    none starts a gap, which later questions may join.
    """
    frequency: Counter[str] = Counter()
    for seed in seeds:
        frequency.update(seed.terms)
    for q in questions:
        frequency.update(q.terms)
    spelled = respell(frequency)
    if spelled:
        seeds = [GapSeed(s.gap_id, _respelled(s.terms, spelled)) for s in seeds]
        questions = [LoggedQuestion(q.question_id, _respelled(q.terms, spelled)) for q in questions]
        frequency = Counter()
        for terms in (*(s.terms for s in seeds), *(q.terms for q in questions)):
            frequency.update(terms)

    def ordered(terms: Iterable[str]) -> list[str]:
        return sorted(terms, key=lambda t: (frequency[t], t))

    # Groups are numbered: existing gaps first (by their ids' order), then new ones.
    group_terms: list[frozenset[str]] = []
    group_key: list[int | None] = []  # gap id, or None for a new group
    by_term: dict[str, list[int]] = {}  # every term of a group -> groups
    by_prefix: dict[str, list[int]] = {}  # the prefix terms of a group -> groups
    empty_group: int | None = None

    def add_group(terms: frozenset[str], gap_id: int | None) -> int:
        nonlocal empty_group
        index = len(group_terms)
        group_terms.append(terms)
        group_key.append(gap_id)
        if not terms:
            if empty_group is None:
                empty_group = index
            return index
        order = ordered(terms)
        for term in order:
            by_term.setdefault(term, []).append(index)
        for term in order[: prefix_length(len(order), threshold)]:
            by_prefix.setdefault(term, []).append(index)
        return index

    for seed in sorted(seeds, key=lambda s: s.gap_id):
        add_group(seed.terms, seed.gap_id)

    result = Grouping()
    new_index: dict[int, int] = {}  # group index -> position in result.new_groups
    for q in questions:
        best = _best_group(q.terms, ordered, by_term, by_prefix, group_terms, threshold)
        if not q.terms:
            best = empty_group
        if best is None:
            index = add_group(q.terms, None)
            new_index[index] = len(result.new_groups)
            result.new_groups.append([q.question_id])
            continue
        gap_id = group_key[best]
        if gap_id is None:
            result.new_groups[new_index[best]].append(q.question_id)
        else:
            result.into_existing.setdefault(gap_id, []).append(q.question_id)
    return result


def respell(frequency: Counter[str]) -> dict[str, str]:
    """Rare terms read as the common term they are a typo of ("daftr" -> "daftar").

    A term seen at most :data:`RARE` times, of five letters or more, is mapped to the most
    frequent term with the same first letter that is at least :data:`COMMON_FACTOR` times as
    frequent and within :data:`TYPO_SIMILARITY` (so "daftr akun" and "daftar akun" group).
    """
    common: dict[str, list[str]] = {}
    for term, count in frequency.items():
        if count > RARE and len(term) >= 4:
            common.setdefault(term[0], []).append(term)
    mapping: dict[str, str] = {}
    for term, count in frequency.items():
        if count > RARE or len(term) < 5 or not term.isalpha():
            continue
        choices = [t for t in common.get(term[0], ()) if frequency[t] >= COMMON_FACTOR * count]
        if not choices:
            continue
        found = process.extractOne(term, choices, scorer=fuzz.ratio, score_cutoff=TYPO_SIMILARITY)
        if found is not None:
            mapping[term] = found[0]
    return mapping


def _respelled(terms: frozenset[str], mapping: dict[str, str]) -> frozenset[str]:
    return frozenset(mapping.get(t, t) for t in terms)


def _best_group(
    terms: frozenset[str],
    ordered: Callable[[Iterable[str]], list[str]],
    by_term: dict[str, list[int]],
    by_prefix: dict[str, list[int]],
    group_terms: Sequence[frozenset[str]],
    threshold: float,
) -> int | None:
    if not terms:
        return None
    order = ordered(terms)
    candidates: set[int] = set()
    for term in order[: prefix_length(len(order), threshold)]:
        candidates.update(by_term.get(term, ()))
    for term in order:
        candidates.update(by_prefix.get(term, ()))
    # The verification is the hot loop: :func:`similar` inlined, the needed overlap looked up.
    size = len(terms)
    needed = _needed(threshold)
    best_score, best_index = -1.0, -1
    for index in candidates:
        other = group_terms[index]
        shared = len(terms & other)
        other_size = len(other)
        smaller = min(size, other_size)
        need = needed[smaller] if smaller < len(needed) else math.ceil(threshold * smaller)
        if shared < need:
            continue
        score = shared / (size + other_size - shared)
        if score > best_score or (score == best_score and index < best_index):
            best_score, best_index = score, index
    return best_index if best_index >= 0 else None


@lru_cache(maxsize=8)
def _needed(threshold: float) -> tuple[int, ...]:
    """The shared terms two sets need, by the smaller set's size (0 to 63)."""
    return tuple(math.ceil(threshold * n) for n in range(64))


def group_all_pairs(
    questions: Sequence[LoggedQuestion], *, threshold: float = SIMILARITY
) -> list[list[int]]:
    """The same grouping by comparing each question with every group: the reference the
    indexed :func:`assign` is tested against (and what the benchmark compares it with)."""
    frequency: Counter[str] = Counter()
    for q in questions:
        frequency.update(q.terms)
    spelled = respell(frequency)
    questions = [LoggedQuestion(q.question_id, _respelled(q.terms, spelled)) for q in questions]
    groups: list[tuple[frozenset[str], list[int]]] = []
    for q in questions:
        best: tuple[float, int] | None = None
        for index, (terms, _) in enumerate(groups):
            if not q.terms or not terms:
                if q.terms == terms:
                    best = best or (1.0, index)
                continue
            if similar(q.terms, terms, threshold):
                score = len(q.terms & terms) / len(q.terms | terms)
                if best is None or (score, -index) > (best[0], -best[1]):
                    best = (score, index)
        if best is None:
            groups.append((q.terms, [q.question_id]))
        else:
            groups[best[1]][1].append(q.question_id)
    return [ids for _, ids in groups]
