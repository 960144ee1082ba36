"""A question as typed -> what the searches and the answer checks use.

Officials type on phones: "batas wktu atasn memeriksa laporan e-RK?", "brp lama izin
reklame?", "kerjasama" for "kerja sama", "TPP" for "tambahan penghasilan pegawai". The
rewrite, in order:

1. informal spellings -> formal words (IndoCollex), for words the index does not know;
2. terms, as the keyword index makes them (stems, domain stop words);
3. a term the index does not know and Indonesian does not know either is a typo: corrected
   to the closest term of the index's own vocabulary (one edit for short words, two for long
   ones, same first letter, the most frequent wins); a run-together compound is split
   ("kerjasama" -> "kerja sama"); a word cut short reads as the commonest term it begins
   ("masy" -> "masyarakat"). The corrections are searched and checked; the embedding
   model reads the typos as typed (``Query.embedding_text``);
4. synonym groups: a question naming one expression also searches the others, and counts
   as covered by a passage that uses any of them;
5. English questions: their words are also searched as their Indonesian translations
   (:mod:`knowledge_base.translation`), restricted to terms the index holds, at a lower weight
   the more translations a word has; a translation counts as covering the word. English
   questions are not typo-corrected: the index's vocabulary is mostly Indonesian, and its
   nearest terms are other words ("must" -> "muat", "maximum" -> "minimum").
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from knowledge_base.keyword import TextNormalizer
from knowledge_base.lexicon import Lexicon
from knowledge_base.translation import FUNCTION_WORDS

_WORD = re.compile(r"[^\W_]+(?:[-'.][^\W_]+)*", re.UNICODE)
EXPANSION_WEIGHT = 0.5
"""BM25 weight of a synonym's terms the question did not use itself."""
RARE_SPELLING = 10
"""An informal spelling the index knows is still read as formal when its formal spelling is
used in at least this many times more passages (see ``QueryRewriter._formal``)."""
CHAT_PARTICLES = frozenset(
    {"sih", "dong", "deh", "kok", "lho", "loh", "nih", "tuh", "doang", "aja"}
)
"""Chat particles that say nothing of the topic ("opensid itu aplikasi apa sih?"). IndoCollex
lists them as forms of each other, with no formal word; they are dropped from a question's
terms (documents never use them, so they would only lower its coverage)."""
MAX_COMPOUND = 40
"""Longer terms are not read as two run-together words: two real words rarely reach it
("pemberdayaanmasyarakat" is 22), and each cut of a term is a lookup (a 500-letter word
made about 490 of them, one round trip each, on a keyword index in PostgreSQL)."""
TRANSLATION_WEIGHT = 0.5
"""BM25 weight of an English word's Indonesian translation, when the word has one; a word
with ``n`` translations gives each ``TRANSLATION_WEIGHT / sqrt(n)`` (ambiguous words, such as
"light": ringan, cahaya, nyala, terang, weigh less per sense)."""
AMBIGUITY_POWER = 0.5
COVERING_SENSES = 2
"""An English word's translations count as covering it (coverage, the answer's concept checks)
only when the dictionary gives it at most this many distinct translations; a word of more
senses is still searched in all of them."""


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
    """The question with informal words and typos replaced (what the answer checks read)."""
    terms: tuple[str, ...]
    """The question's own terms, corrected (the answer checks use these)."""
    weights: dict[str, float] = field(default_factory=dict)
    """BM25 query: term -> weight, synonyms' terms included at a lower weight."""
    concepts: tuple[Concept, ...] = ()
    corrections: tuple[tuple[str, str], ...] = ()
    """``(typed, corrected)`` pairs, for logs and tests."""
    embedded: str = ""
    """What the embedding model reads: the question with informal words replaced, its typos
    as typed (``""``: :attr:`text`). A correction is the closest term of the index's
    vocabulary, and for a name the index does not hold that is another word ("Belgium" ->
    "belum", "Galenus" -> "genus"); the keyword search loses little by it (the typed term
    matched nothing), the embedding model loses the name, while its word pieces read a typo
    well enough (docs/benchmarks.md, thirteenth round)."""

    @property
    def embedding_text(self) -> str:
        return self.embedded or self.text

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
        prefetch: Callable[[Iterable[str]], None] | None = None,
    ) -> Query:
        """Args:
        language: the question's; IndoCollex is read for Indonesian only ("my" is an
            informal Indonesian spelling too).
        known: whether the index holds a term.
        candidates: the index's terms that may be what a misspelt term meant (same first
            letter), sorted; one whose ``frequency`` is 0 (its passages were removed) is
            never read as meant.
        frequency: a term's document frequency (the commonest correction wins).
        prefetch: about to ask ``known`` / ``frequency`` of these terms (a keyword index in
            the database answers them in one round trip).
        """
        norm = self.normalizer
        english = language == "en"
        if prefetch is not None:
            prefetch(self._candidate_terms(question, lexicon, english))
        text = self._formal(question, lexicon, known, frequency) if not english else question
        raw_terms = norm.terms(text)
        if not english:
            raw_terms = [t for t in raw_terms if t not in CHAT_PARTICLES] or raw_terms
        # Not typos: the lexicon's own expressions ("pemda" is one edit from "perda") and
        # acronyms typed in capitals ("PPAS" is two from "puas").
        fixed_terms = _group_terms(norm, lexicon.synonyms).single | _acronyms(question, norm)
        terms: list[str] = []
        corrections: list[tuple[str, str]] = []
        replaced: dict[str, str] = {}
        for term in raw_terms:
            fixed = (
                None
                if english or term in fixed_terms
                else self._correct(term, known, candidates, frequency, prefetch)
            )
            if fixed is None:
                terms.append(term)
                continue
            corrections.append((term, " ".join(fixed)))
            replaced[term] = " ".join(fixed)
            terms.extend(fixed)
        embedded = text
        if replaced:
            text = _replace_words(text, replaced, norm)
        translated = self._translations(text, lexicon, known) if english else {}
        concepts, expansions = self._synonyms(terms, lexicon, translated)
        weights: dict[str, float] = {}
        for term in terms:
            weights[term] = weights.get(term, 0.0) + 1.0
        own = set(terms)
        for term, weight in expansions:
            if term not in own:
                weights[term] = max(weights.get(term, 0.0), weight)
        return Query(
            original=question,
            text=text,
            terms=tuple(terms),
            weights=weights,
            concepts=tuple(concepts),
            corrections=tuple(corrections),
            embedded=embedded,
        )

    # ------------------------------------------------------------------ steps
    def _candidate_terms(self, question: str, lexicon: Lexicon, english: bool) -> set[str]:
        """The terms the rewrite may look up beyond the question's own: formal spellings and
        chat verbs' stems, or an English question's translations."""
        norm = self.normalizer
        out: set[str] = set()
        for word in _WORD.findall(question.lower()):
            if english:
                for phrase in lexicon.english.lookup(word.removesuffix("'s")):
                    out.update(norm.terms(phrase))
                continue
            formal = lexicon.informal.get(word)
            if formal is not None:
                out.update(norm.terms(formal))
            if word not in norm.root_words:
                out.update(norm.stem(c) for c in _affix_forms(word))
        return out

    def _formal(
        self,
        question: str,
        lexicon: Lexicon,
        known: Callable[[str], bool],
        frequency: Callable[[str], int],
    ) -> str:
        """Informal words replaced by their formal spelling (IndoCollex).

        A word the index does not know is read as formal when IndoCollex lists it ("udah"),
        also before "-nya" ("nggaknya"), or through IndoCollex's commonest affix changes
        ("ditetapin" -> "ditetapkan", "nunjuk" -> "menunjuk") when that gives a word the index
        knows. A word the index knows is kept, unless it is typed in lower case, is no
        Indonesian root word and the documents use it far less than its formal spelling ("yg"
        and "tgl" in an OCR'd passage or two, against "tanggal" in dozens).
        """
        norm = self.normalizer
        informal = lexicon.informal
        roots = norm.root_words

        def rarely_used(lower: str, formal: str) -> bool:
            if lower in roots:
                return False
            wanted = norm.terms(formal)
            if not wanted:  # a function word ("yg" -> "yang"): nothing to search either way
                return True
            return frequency(norm.stem(lower)) * RARE_SPELLING < max(map(frequency, wanted))

        def swap(match: re.Match[str]) -> str:
            word = match.group(0)
            lower = word.lower()
            if norm.is_stopword(lower):  # "ya": IndoCollex's "iya" would make it a term
                return word
            formal = informal.get(lower)
            if formal is None and lower.endswith("nya") and len(lower) > 5:
                formal = informal.get(lower[:-3])
            is_known = known(norm.stem(lower))
            if formal is None:
                if is_known or lower in roots:
                    return word
                return self._affixed(lower, known) or word
            # Only a word typed in lower case: "Dr." (dr: dari), "SBY" (surabaya) and "Tu"
            # (itu) of a name are the documents' own words.
            if is_known and not (word.islower() and rarely_used(lower, formal)):
                return word
            return formal

        return _WORD.sub(swap, question)

    def _affixed(self, word: str, known: Callable[[str], bool]) -> str | None:
        """The formal form of a chat verb, by IndoCollex's commonest affix changes: "-in" for
        "-kan" or "-i" (122 of its 332 affixation pairs) and a bare nasal for "me(N)-" (179:
        "nunjuk" -> "menunjuk", "ngecek" -> "mengecek"), when its stem is a term the index
        holds."""
        candidates = _affix_forms(word)
        own = self.normalizer.stem(word)
        for candidate in candidates:
            stem = self.normalizer.stem(candidate)
            if stem != own and stem != candidate and known(stem):
                return candidate
        return None

    def _correct(
        self,
        term: str,
        known: Callable[[str], bool],
        candidates: Callable[[str], Sequence[str]],
        frequency: Callable[[str], int],
        prefetch: Callable[[Iterable[str]], None] | None = None,
    ) -> tuple[str, ...] | None:
        """What a term the index does not know stands for, if it looks like a typo."""
        if known(term) or len(term) < 4 or not term.isalpha() or not term.isascii():
            return None
        norm = self.normalizer
        if term in norm.root_words:
            return None  # a real word the documents just do not use
        if 7 <= len(term) <= MAX_COMPOUND:
            cuts = range(3, len(term) - 2)
            if prefetch is not None:  # every head and tail in one round trip
                prefetch([part for cut in cuts for part in (term[:cut], term[cut:])])
            for cut in cuts:
                head, tail = term[:cut], term[cut:]
                if known(head) and known(tail) and not norm.is_stopword(head):
                    return head, tail
        limit = 1 if len(term) <= 5 else 2
        bucket = candidates(term[:1])
        # One C loop over the bucket (tens of thousands of terms at 100k chunks).
        found = process.extract(
            term, bucket, scorer=Levenshtein.distance, score_cutoff=limit, limit=None
        )
        # A term whose passages were all removed stays in the bucket until a rebuild: it is
        # no longer what any passage says.
        ranked = [(hit[1], -df, hit[0]) for hit in found if (df := frequency(hit[0])) > 0]
        near = min(ranked)[2] if ranked else None
        whole = _completion(term, bucket, frequency)
        if whole is not None and (near is None or frequency(whole) > frequency(near)):
            return (whole,)
        return None if near is None else (near,)

    def _translations(
        self, text: str, lexicon: Lexicon, known: Callable[[str], bool]
    ) -> dict[tuple[str, ...], tuple[tuple[tuple[str, ...], ...], bool]]:
        """An English question's words (their terms) -> the Indonesian translations the index
        holds, as term sequences, and whether they cover the word (it has at most
        :data:`COVERING_SENSES` translations); a two-word headword ("working day") before its
        words."""
        english = lexicon.english
        if not english:
            return {}
        norm = self.normalizer
        words = [w.lower().removesuffix("'s") for w in _WORD.findall(text)]
        out: dict[tuple[str, ...], tuple[tuple[tuple[str, ...], ...], bool]] = {}
        i = 0
        while i < len(words):
            for length in (2, 1):
                phrase = " ".join(words[i : i + length])
                if length == 2 and (i + 1 >= len(words) or not english.lookup(phrase)):
                    continue
                own = tuple(norm.terms(phrase))
                found = english.lookup(phrase) if own and phrase not in FUNCTION_WORDS else ()
                senses = {t for t in (tuple(norm.terms(tr)) for tr in found) if t}
                alternatives: list[tuple[str, ...]] = []
                for translation in found:
                    alt = tuple(norm.terms(translation))
                    if alt and alt != own and alt not in alternatives and all(map(known, alt)):
                        alternatives.append(alt)
                if alternatives and own not in out:
                    out[own] = (tuple(alternatives), len(senses) <= COVERING_SENSES)
                if length == 1 or alternatives:
                    i += length
                    break
        return out

    def _synonyms(
        self,
        terms: Sequence[str],
        lexicon: Lexicon,
        translated: dict[tuple[str, ...], tuple[tuple[tuple[str, ...], ...], bool]] | None = None,
    ) -> tuple[list[Concept], list[tuple[str, float]]]:
        """Concepts of the question (synonym groups, then translations, matched as term
        sequences) and the terms they add to the search, with their BM25 weights."""
        table = _group_terms(self.normalizer, lexicon.synonyms)
        translated = translated or {}
        concepts: list[Concept] = []
        expansions: list[tuple[str, float]] = []
        i = 0
        while i < len(terms):
            # (length, alternatives, their BM25 weight, whether they cover the concept)
            match: tuple[int, tuple[tuple[str, ...], ...], float, bool] | None = None
            for length in range(min(6, len(terms) - i), 0, -1):
                group = table.by_terms.get(tuple(terms[i : i + length]))
                if group is not None:
                    match = (length, table.groups[group], EXPANSION_WEIGHT, True)
                    break
            if match is None:
                for length in (2, 1):
                    entry = translated.get(tuple(terms[i : i + length]))
                    if entry is not None and i + length <= len(terms):
                        found, covering = entry
                        weight = TRANSLATION_WEIGHT / len(found) ** AMBIGUITY_POWER
                        match = (length, (tuple(terms[i : i + length]), *found), weight, covering)
                        break
            if match is None:
                concepts.append(Concept((terms[i],), ((terms[i],),)))
                i += 1
                continue
            length, alternatives, weight, covering = match
            own = tuple(terms[i : i + length])
            # A word of many senses is searched in all of them, but cannot vouch that a
            # passage speaks of it ("leave": cuti, berangkat, izin, tinggal).
            concepts.append(Concept(own, alternatives if covering else (own,)))
            for alternative in alternatives:
                expansions.extend((t, weight) for t in alternative if t not in own)
            i += length
        return concepts, expansions


@dataclass(frozen=True)
class _GroupTable:
    groups: tuple[tuple[tuple[str, ...], ...], ...]
    by_terms: dict[tuple[str, ...], int]

    @property
    def single(self) -> frozenset[str]:
        """The terms that are a whole expression of some group ("pemda", "tpp")."""
        return frozenset(alt[0] for alt in self.by_terms if len(alt) == 1)


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


TRUNCATED_TAIL = 3
"""A word cut short lacks at least this many letters of the word it stands for ("masy" for
"masyarakat"); a shorter tail is within a typo's edits and found as one."""


def _completion(term: str, bucket: Sequence[str], frequency: Callable[[str], int]) -> str | None:
    """The commonest indexed term that ``term`` is the beginning of, as a word cut short in
    notes and chats ("masy" for "masyarakat", "pemb" for "pembangunan"); ``None`` if none.
    ``bucket`` is sorted; a term of frequency 0 (its passages removed) is none.

    Cutting a word after its first syllables and a full stop is how Indonesian abbreviates
    words in writing ("masy.", "pemb.", "kab."); typed in a chat, the full stop goes. A typo
    correction alone reads such a cut as the nearest short word ("masy" -> "mas")."""
    if len(term) < 4:
        return None
    # ``bucket`` is sorted: the terms ``term`` begins are the run from where it would stand.
    best: tuple[int, str] | None = None
    at = bisect_left(bucket, term)
    while at < len(bucket) and bucket[at].startswith(term):
        t = bucket[at]
        at += 1
        if len(t) >= len(term) + TRUNCATED_TAIL and (df := frequency(t)) > 0:
            best = min(best, (-df, t)) if best is not None else (-df, t)
    return None if best is None else best[1]


def _affix_forms(word: str) -> list[str]:
    """The formal forms a chat verb may stand for (see ``QueryRewriter._affixed``)."""
    if len(word) < 5 or not word.isalpha():
        return []
    forms = [word]
    if word.endswith("in") and len(word) >= 6:
        forms += [word[:-2] + "kan", word[:-2] + "i"]
    candidates = forms[1:]
    for form in forms:
        if form.startswith("nge"):
            candidates.append("menge" + form[3:])
        if form[:1] in ("n", "m") and not form.startswith("me"):
            candidates.append("me" + form)
    return candidates


def _acronyms(question: str, norm: TextNormalizer) -> frozenset[str]:
    """Terms of the words typed in capitals ("PPAS", "KUA"), unless the whole question is."""
    words = _WORD.findall(question)
    capitals = [w for w in words if len(w) >= 2 and w.isupper()]
    if len(capitals) * 2 > len(words):
        return frozenset()
    return frozenset(t for w in capitals for t in norm.terms(w))


def _replace_words(text: str, replaced: dict[str, str], norm: TextNormalizer) -> str:
    """``text`` with the words whose term was corrected replaced by the correction."""

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        stem = norm.stem(word.lower())
        return replaced.get(stem, replaced.get(word.lower(), word))

    return _WORD.sub(swap, text)
