"""When a later question means the same as one a trainer answered: pure matching rules.

A trainer's reply to an official's question becomes a *curated answer*. A later question gets
it when it asks the same thing in other words. :func:`best_match` decides, over the question's
stemmed terms (chat spellings already made formal), its *keys* and, when the embedding model
gives one, its vector:

* the keys must agree: the app names and the numbers in both questions are the same, so "reset
  password e-RK" never gets the answer about Gampil, however close the sentences are;
* and either the terms overlap (shared terms at least :data:`TERM_OVERLAP` of the smaller set,
  and at least two of them), or the two questions' vectors are within :data:`DENSE_MATCH`
  cosine and share a term. The cosine threshold is a conservative setting for the bundled
  multilingual-e5 model; it has not been calibrated on a labelled set of paraphrase pairs yet.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.text import compact, find_names

TERM_OVERLAP = 0.75
DENSE_MATCH = 0.955
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class QuestionForm:
    """A question as the matching reads it."""

    terms: frozenset[str]
    keys: frozenset[str]
    vector: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Candidate:
    """A curated answer's question, read the same way."""

    curated_id: int
    form: QuestionForm


@dataclass(frozen=True)
class Match:
    curated_id: int
    score: float
    """Shared terms over all terms (Jaccard), plus the cosine when vectors decided."""
    by: str
    """``terms`` or ``meaning`` (the vectors)."""


def keys_of(text: str, apps: Sequence[str]) -> frozenset[str]:
    """What must agree between two questions: the apps named and the numbers written."""
    return frozenset({compact(a) for a in find_names(text, apps)} | set(_NUMBER.findall(text)))


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def match(question: QuestionForm, candidate: Candidate) -> Match | None:
    """How ``question`` matches one curated question (``None``: it does not)."""
    other = candidate.form
    if question.keys != other.keys or not question.terms or not other.terms:
        return None
    shared = len(question.terms & other.terms)
    jaccard = shared / len(question.terms | other.terms)
    smaller = min(len(question.terms), len(other.terms))
    if shared >= 2 and shared >= math.ceil(TERM_OVERLAP * smaller):
        return Match(candidate.curated_id, jaccard, "terms")
    if question.vector is not None and other.vector is not None and shared >= 1:
        similarity = cosine(question.vector, other.vector)
        if similarity >= DENSE_MATCH:
            return Match(candidate.curated_id, jaccard + similarity, "meaning")
    return None


def best_match(question: QuestionForm, candidates: Sequence[Candidate]) -> Match | None:
    """The closest curated question that matches (ties: the newest, i.e. highest id)."""
    found = [m for c in candidates if (m := match(question, c)) is not None]
    if not found:
        return None
    return max(found, key=lambda m: (m.score, m.curated_id))
