"""When a later question means the same as one a trainer answered: pure matching rules.

A trainer's reply to an official's question becomes a *curated answer*. A later question gets
it when it asks the same thing in other words. :func:`best_match` decides, over the question's
stemmed terms (chat spellings already made formal), its *keys* and, when the embedding model
gives one, its vector:

* the keys must agree: the app names, the numbers and the kind of fact asked (when, how much,
  who, where) in both questions are the same, so "reset password e-RK" never gets the answer
  about Gampil, nor "Kapan premi dibayarkan?" the one about its amount, however close the
  sentences are;
* and either the terms overlap (shared terms at least :data:`TERM_OVERLAP` of the smaller set,
  and at least two of them), or the two questions' vectors are within :data:`DENSE_MATCH`
  cosine and share a term.

Measured by ``python -m bench.curated_match`` (docs/retrieval.md, "Curated answers"): with the
168 gov-id dev questions as curated answers, none is matched by an unrelated question (34,736
pairs) and none of 40 paraphrases is missed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.text import compact, find_names, words
from knowledge_base.question import analyse

TERM_OVERLAP = 0.75
DENSE_MATCH = 0.955
"""Just above the closest unrelated pair of gov-id questions the vectors would decide (0.948,
with the bundled multilingual-e5-small); paraphrases reach as low as 0.93, but the term rule
already matches all of those but one (at 0.98)."""
ASKED_KINDS = frozenset({"kapan", "berapa", "siapa", "dimana"})
"""Question types that are a key: "Kapan premi dibayarkan?" and "Berapa besaran premi?" share
their terms but never an answer. The other types (apa, yesno, bagaimana...) the question
analysis tells apart less surely ("Apakah ..." reads as either), so they are not keys."""
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
    """What must agree between two questions: the apps named, the numbers written and the
    kind of fact asked when it is one of :data:`ASKED_KINDS` (read after chat spellings are
    made formal: "brp" asks "berapa")."""
    asked = analyse(" ".join(words(text))).qtype
    kind = {f"?{asked}"} if asked in ASKED_KINDS else set()
    return frozenset(
        {compact(a) for a in find_names(text, apps)} | set(_NUMBER.findall(text)) | kind
    )


def form_of(
    text: str,
    apps: Sequence[str],
    terms: Callable[[str], list[str]],
    vector: tuple[float, ...] | None = None,
) -> QuestionForm:
    """``text`` as the matching reads it: its stemmed terms (chat spellings made formal first,
    ``terms`` is the keyword index's normaliser), its keys and its vector."""
    formal = " ".join(words(text))
    return QuestionForm(frozenset(terms(formal)), keys_of(text, apps), vector)


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
