"""A question as typed -> what the searches and the answer checks use.

Officials type on phones: "batas wktu atasn memeriksa laporan e-RK?", "brp lama izin
reklame?", "kerjasama" for "kerja sama", "TPP" for "tambahan penghasilan pegawai". The
rewrite, in order:

1. informal spellings -> formal words (IndoCollex), for words the index does not know;
2. terms, as the keyword index makes them (stems, domain stop words);
3. a term the index does not know and Indonesian does not know either is a typo: corrected
   to the closest term of the index's own vocabulary (one edit for short words, two for long
   ones, same first letter, the most frequent wins); a run-together compound is split
   ("kerjasama" -> "kerja sama");
4. synonym groups: a question naming one expression also searches the others, and counts
   as covered by a passage that uses any of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from knowledge_base.keyword import TextNormalizer
from knowledge_base.lexicon import Lexicon

_WORD = re.compile(r"[^\W_]+(?:[-'.][^\W_]+)*", re.UNICODE)
EXPANSION_WEIGHT = 0.5
"""BM25 weight of a synonym's terms the question did not use itself."""


@dataclass(frozen=True)
class Concept:
    """One thing the question names: its own terms, and alternatives any of which covers it."""

    terms: tuple[str, ...]
    alternatives: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Query:
    """A rewritten question."""

    original: str
    text: str
    """The question with informal words and typos replaced (what the embedding model reads)."""
    terms: tuple[str, ...]
    """The question's own terms, corrected (the answer checks use these)."""
    weights: dict[str, float] = field(default_factory=dict)
    """BM25 query: term -> weight, synonyms' terms included at a lower weight."""
    concepts: tuple[Concept, ...] = ()
    corrections: tuple[tuple[str, str], ...] = ()
    """``(typed, corrected)`` pairs, for logs and tests."""

    @property
    def concept_pairs(self) -> list[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]:
        return [(c.terms, c.alternatives) for c in self.concepts]


class QueryRewriter:
    """Rewrites questions against one index's vocabulary and the lexicon in force."""

    def __init__(self, normalizer: TextNormalizer) -> None:
        self.normalizer = normalizer

    def rewrite(
        self,
        question: str,
        lexicon: Lexicon,
        *,
        known: Callable[[str], bool],
        candidates: Callable[[str], Sequence[str]],
        frequency: Callable[[str], int],
        language: str | None = None,
    ) -> Query:
        """Args:
        language: the question's; IndoCollex is read for Indonesian only ("my" is an
            informal Indonesian spelling too).
        known: whether the index holds a term.
        candidates: the index's terms that may be what a misspelt term meant (same first
            letter).
        frequency: a term's document frequency (the commonest correction wins).
        """
        norm = self.normalizer
        text = self._formal(question, lexicon, known) if language != "en" else question
        raw_terms = norm.terms(text)
        terms: list[str] = []
        corrections: list[tuple[str, str]] = []
        replaced: dict[str, str] = {}
        for term in raw_terms:
            fixed = self._correct(term, known, candidates, frequency)
            if fixed is None:
                terms.append(term)
                continue
            corrections.append((term, " ".join(fixed)))
            replaced[term] = " ".join(fixed)
            terms.extend(fixed)
        if replaced:
            text = _replace_words(text, replaced, norm)
        concepts, expansions = self._synonyms(terms, lexicon)
        weights: dict[str, float] = {}
        for term in terms:
            weights[term] = weights.get(term, 0.0) + 1.0
        for term in expansions:
            if term not in weights:
                weights[term] = EXPANSION_WEIGHT
        return Query(
            original=question,
            text=text,
            terms=tuple(terms),
            weights=weights,
            concepts=tuple(concepts),
            corrections=tuple(corrections),
        )

    # ------------------------------------------------------------------ steps
    def _formal(self, question: str, lexicon: Lexicon, known: Callable[[str], bool]) -> str:
        """Informal words replaced by their formal spelling, where the index does not know the
        word as typed (a word the documents use is never "corrected")."""
        norm = self.normalizer
        informal = lexicon.informal

        def swap(match: re.Match[str]) -> str:
            word = match.group(0)
            lower = word.lower()
            formal = informal.get(lower)
            if formal is None or lower.isupper() or known(norm.stem(lower)):
                return word
            return formal

        return _WORD.sub(swap, question)

    def _correct(
        self,
        term: str,
        known: Callable[[str], bool],
        candidates: Callable[[str], Sequence[str]],
        frequency: Callable[[str], int],
    ) -> tuple[str, ...] | None:
        """What a term the index does not know stands for, if it looks like a typo."""
        if known(term) or len(term) < 4 or not term.isalpha() or not term.isascii():
            return None
        norm = self.normalizer
        if term in norm.root_words:
            return None  # a real word the documents just do not use
        if len(term) >= 7:
            for cut in range(3, len(term) - 2):
                head, tail = term[:cut], term[cut:]
                if known(head) and known(tail) and not norm.is_stopword(head):
                    return head, tail
        limit = 1 if len(term) <= 5 else 2
        # One C loop over the bucket (tens of thousands of terms at 100k chunks).
        found = process.extract(
            term,
            candidates(term[:1]),
            scorer=Levenshtein.distance,
            score_cutoff=limit,
            limit=None,
        )
        if not found:
            return None
        best = min(found, key=lambda hit: (hit[1], -frequency(hit[0]), hit[0]))
        return (best[0],)

    def _synonyms(self, terms: Sequence[str], lexicon: Lexicon) -> tuple[list[Concept], list[str]]:
        """Concepts of the question (synonym groups matched as term sequences) and the terms
        the matched groups add to the search."""
        table = _group_terms(self.normalizer, lexicon.synonyms)
        concepts: list[Concept] = []
        expansions: list[str] = []
        i = 0
        while i < len(terms):
            match: tuple[int, int] | None = None  # (length, group)
            for length in range(min(6, len(terms) - i), 0, -1):
                group = table.by_terms.get(tuple(terms[i : i + length]))
                if group is not None:
                    match = (length, group)
                    break
            if match is None:
                concepts.append(Concept((terms[i],), ((terms[i],),)))
                i += 1
                continue
            length, group = match
            own = tuple(terms[i : i + length])
            alternatives = table.groups[group]
            concepts.append(Concept(own, alternatives))
            for alternative in alternatives:
                expansions.extend(t for t in alternative if t not in own)
            i += length
        return concepts, expansions


@dataclass(frozen=True)
class _GroupTable:
    groups: tuple[tuple[tuple[str, ...], ...], ...]
    by_terms: dict[tuple[str, ...], int]


@lru_cache(maxsize=8)
def _group_table(normalizer: TextNormalizer, groups: tuple[tuple[str, ...], ...]) -> _GroupTable:
    prepared: list[tuple[tuple[str, ...], ...]] = []
    by_terms: dict[tuple[str, ...], int] = {}
    for group in groups:
        alternatives = tuple(dict.fromkeys(t for e in group if (t := tuple(normalizer.terms(e)))))
        if len(alternatives) < 2:
            continue
        index = len(prepared)
        prepared.append(alternatives)
        for alternative in alternatives:
            by_terms.setdefault(alternative, index)
    return _GroupTable(tuple(prepared), by_terms)


def _group_terms(normalizer: TextNormalizer, groups: tuple[tuple[str, ...], ...]) -> _GroupTable:
    return _group_table(normalizer, groups)


def _replace_words(text: str, replaced: dict[str, str], norm: TextNormalizer) -> str:
    """``text`` with the words whose term was corrected replaced by the correction."""

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        stem = norm.stem(word.lower())
        return replaced.get(stem, replaced.get(word.lower(), word))

    return _WORD.sub(swap, text)
