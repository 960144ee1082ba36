"""Keyword search: BM25 over Indonesian-normalised terms, updated per chunk, never rebuilt.

Chroma's local mode has no keyword search, so this index sits beside it. Terms are lower-cased
words with their accents folded ("Pokémon" -> "pokemon"), stemmed with Sastrawi (cached: stemming
one word costs ~0.1 ms) without Indonesian and English function words. The index lives in memory
as compact per-term posting arrays; the chunk rows in the database keep each chunk's terms, so
the index is restored from there without re-reading any document. Stored terms are tagged with
``TERMS_VERSION``; when the normalisation changes, the index re-derives them from the chunk
texts (see ``KnowledgeIndex``).
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from core.text import undotted

_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)

# Function words that carry no topic. Negations (tidak, bukan, belum, tanpa) are kept on purpose:
# they change what a question asks and the answer-coverage check needs them.
_EXTRA_WORDS = (
    "a an and are as at be by for from how in into is it its of on or that the their this to "
    "was were what when where which who whom whose why will with do does did can you your i "
    "we our dimana dimanakah manakah berapakah apakah siapakah kapankah bagaimanakah "
    "mengapakah nya pun"
)
_EXTRA_STOPWORDS = frozenset(_EXTRA_WORDS.split())
# Words Sastrawi's general-purpose list drops that carry meaning in this domain: "kerja sama
# daerah" must keep "kerja sama", "Kesepakatan Bersama" its "bersama", "pihak ketiga" its
# "pihak", "paling lama 3 hari" its figures and units; negations change what is asked.
_KEEP_WORDS = (
    "tidak bukan belum tanpa tahun bulan hari kali lama lamanya paling awal akhir berakhir "
    "terakhir kerja bekerja dikerjakan mengerjakan sama bersama bersama-sama sama-sama sesama "
    "saling satu dua tiga empat lima pertama kedua kelima setengah jumlah berjumlah pukul "
    "tempat pihak bagian harus boleh perlu wajib cara lebih kurang luar masuk keluar khusus "
    "baru besar kecil lanjut jawab orang umum"
)
_KEEP = frozenset(_KEEP_WORDS.split())
_REDUPLICATED_DIGIT = re.compile(r"^([a-z]{3,})2$")


TERMS_VERSION = "5"
"""Changes whenever :meth:`TextNormalizer.terms` would give different terms for the same text.

1: the first normalisation. 2: accents folded, only ASCII words go to Sastrawi (it turned
"pokémon" into the single term "pok mon", which the stored, space-joined terms split in two).
3: domain words kept (kerja, sama, bersama, pihak, numbers...); a short prefix joined to its
word as well ("e-RK" -> "erk", "rk"), and informal reduplication read ("bentuk2" -> "bentuk").
4: a short form written with full stops read as one word ("T.P.P." -> "tpp": :func:`undotted`).
5: a confix around a root word is stripped as one ("dikepalai" -> "kepala", not "palai";
"disepakati" -> "sepakat", not "pakat": :mod:`core.stemming`).
"""


TERMS_REMEMBERED = 4096
"""How many texts' terms a :class:`TextNormalizer` keeps (:meth:`TextNormalizer.terms`): a
question's passages, their units, titles and headings are a few hundred texts; a passage is
1-2 kB, so at most a few MB."""

TERMS_REMEMBERED_CHARS = 8192
"""A text longer than this is not kept (:meth:`TextNormalizer.terms`): answers read passages
and units far shorter, and a kept text holds its string alive, so 4,096 pasted or hostile
texts of a megabyte would hold gigabytes."""


def fold_accents(text: str) -> str:
    """``text`` without combining accents: "pokémon" -> "pokemon", "münchen" -> "munchen"."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _stopwords() -> frozenset[str]:
    from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

    words = set(StopWordRemoverFactory().get_stop_words())
    return frozenset((words | _EXTRA_STOPWORDS) - _KEEP)


class TextNormalizer:
    """Turns text into BM25 terms: words, lower-cased, Indonesian-stemmed, function words out."""

    def __init__(self, *, stem: bool = True, remembered: int = TERMS_REMEMBERED) -> None:
        self._stem_enabled = stem
        self._cache: dict[str, str] = {}
        self._remembered = remembered
        self._terms: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._terms_guard = threading.Lock()

    @cached_property
    def _stopwords(self) -> frozenset[str]:
        return _stopwords()

    @cached_property
    def _stemmer(self) -> object:
        from core.stemming import indonesian_stemmer

        return indonesian_stemmer()

    def words(self, text: str) -> list[str]:
        """Lower-cased words (hyphenated words kept whole, then also split)."""
        text = fold_accents(undotted(unicodedata.normalize("NFKC", text)).lower())
        out: list[str] = []
        for word in _WORD.findall(text):
            if "-" in word:
                parts = word.split("-")
                # Reduplication ("kota-kota") means the plural of one word.
                if len(parts) == 2 and parts[0] == parts[1]:
                    out.append(parts[0])
                    continue
                if len(parts) == 2 and len(parts[0]) <= 2 and parts[1]:
                    # "e-RK" and "eRK", "e-budgeting" and "ebudgeting" must meet.
                    out.append(parts[0] + parts[1])
                out.extend(p for p in parts if p)
                continue
            twice = _REDUPLICATED_DIGIT.match(word)
            out.append(twice.group(1) if twice else word.replace("'", ""))
        return out

    def stem(self, word: str) -> str:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        # Sastrawi knows only a-z: any other letter ("ł", "ß", Arabic, CJK) becomes a space.
        if not self._stem_enabled or not (word.isascii() and word.isalpha()) or len(word) <= 3:
            result = word
        else:
            result = self._stemmer.stem(word) or word  # type: ignore[attr-defined]
            if " " in result:  # never a term with a space: stored terms are space-joined
                result = word
        if len(self._cache) < 500_000:
            self._cache[word] = result
        return result

    def terms(self, text: str) -> list[str]:
        """The BM25 terms of ``text`` in order (repeats kept: they are the term frequencies).

        The terms of the last :data:`TERMS_REMEMBERED` texts are kept: one question's answer
        reads the terms of the same passages, units, titles and headings several times (in
        its sentence choice, then in its checks), two thirds of the calls a text already
        read (docs/benchmarks.md, fifteenth round). Each call gets its own list."""
        with self._terms_guard:
            found = self._terms.get(text)
            if found is not None:
                self._terms.move_to_end(text)
                return list(found)
        stop = self._stopwords
        out = [self.stem(w) for w in self.words(text) if w not in stop]
        if self._remembered > 0 and len(text) <= TERMS_REMEMBERED_CHARS:
            with self._terms_guard:
                self._terms[text] = tuple(out)
                while len(self._terms) > self._remembered:
                    self._terms.popitem(last=False)
        return out

    def is_stopword(self, word: str) -> bool:
        return word in self._stopwords

    @cached_property
    def root_words(self) -> frozenset[str]:
        """Sastrawi's dictionary of Indonesian root words (a real word is not a typo)."""
        from importlib import resources

        text = resources.files("Sastrawi").joinpath("Stemmer/data/kata-dasar.txt").read_text()
        return frozenset(w.strip() for w in text.split() if w.strip())

    def signature(self, text: str) -> str:
        """The distinct terms of ``text``, sorted: what logged questions are grouped by."""
        return " ".join(sorted(set(self.terms(text))))


@dataclass(frozen=True)
class KeywordHit:
    chunk_id: str
    score: float


_INITIAL_SLOTS = 1024


class KeywordIndex:
    """BM25 (Okapi) over chunk slots with incremental add/remove.

    Each term owns two growable arrays (chunk slots, term frequencies); a removed chunk only
    clears its slot's ``alive`` flag and lowers the document frequencies of its terms, and a
    term's postings are compacted once half of them are dead. Queries score whole posting
    arrays with numpy, so a query costs O(postings of its terms), not O(corpus).
    """

    def __init__(self, *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._vocab: dict[str, int] = {}
        self._post_slots: list[array[int]] = []
        self._post_tf: list[array[float]] = []
        self._df: list[int] = []
        self._dead: list[int] = []
        self._slot_of: dict[str, int] = {}
        self._chunk_ids: list[str | None] = []
        self._slot_terms: list[npt.NDArray[np.int32] | None] = []
        self._len = np.zeros(_INITIAL_SLOTS, dtype=np.float32)
        self._alive = np.zeros(_INITIAL_SLOTS, dtype=bool)
        self._total_len = 0.0
        self._live = 0
        self._buckets: dict[str, list[str]] = {}
        self._buckets_version = -1

    # ------------------------------------------------------------------ updates
    def __len__(self) -> int:
        return self._live

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self._slot_of

    @property
    def capacity(self) -> int:
        return len(self._chunk_ids)

    def slot(self, chunk_id: str) -> int | None:
        return self._slot_of.get(chunk_id)

    def chunk_id(self, slot: int) -> str | None:
        return self._chunk_ids[slot]

    def add(self, chunk_id: str, terms: Sequence[str]) -> int:
        """Index ``chunk_id`` with its terms (replacing an earlier entry); returns its slot."""
        if chunk_id in self._slot_of:
            self.remove(chunk_id)
        slot = self._new_slot()
        counts = Counter(terms)
        tids = np.empty(len(counts), dtype=np.int32)
        for i, (term, tf) in enumerate(counts.items()):
            tid = self._vocab.get(term)
            if tid is None:
                tid = len(self._post_slots)
                self._vocab[term] = tid
                self._post_slots.append(array("i"))
                self._post_tf.append(array("f"))
                self._df.append(0)
                self._dead.append(0)
            self._post_slots[tid].append(slot)
            self._post_tf[tid].append(float(tf))
            self._df[tid] += 1
            tids[i] = tid
        self._slot_of[chunk_id] = slot
        self._chunk_ids[slot] = chunk_id
        self._slot_terms[slot] = tids
        self._len[slot] = len(terms)
        self._alive[slot] = True
        self._total_len += len(terms)
        self._live += 1
        return slot

    def remove(self, chunk_id: str) -> bool:
        slot = self._slot_of.pop(chunk_id, None)
        if slot is None:
            return False
        tids = self._slot_terms[slot]
        if tids is not None:
            for tid in tids.tolist():
                self._df[tid] -= 1
                self._dead[tid] += 1
                if self._dead[tid] * 2 > len(self._post_slots[tid]) and self._dead[tid] > 8:
                    self._compact(tid)
        self._alive[slot] = False
        self._total_len -= float(self._len[slot])
        self._len[slot] = 0.0
        self._chunk_ids[slot] = None
        self._slot_terms[slot] = None
        self._live -= 1
        return True

    def _compact(self, tid: int) -> None:
        slots = np.frombuffer(self._post_slots[tid], dtype=np.int32)
        tfs = np.frombuffer(self._post_tf[tid], dtype=np.float32)
        # Slots are never reused, so an alive slot's posting is current.
        keep = self._alive[slots]
        self._post_slots[tid] = array("i", slots[keep].tobytes())
        self._post_tf[tid] = array("f", tfs[keep].tobytes())
        self._dead[tid] = 0

    def _new_slot(self) -> int:
        slot = len(self._chunk_ids)
        self._chunk_ids.append(None)
        self._slot_terms.append(None)
        if slot >= len(self._len):
            grow = max(_INITIAL_SLOTS, len(self._len))
            self._len = np.concatenate([self._len, np.zeros(grow, dtype=np.float32)])
            self._alive = np.concatenate([self._alive, np.zeros(grow, dtype=bool)])
        return slot

    # ------------------------------------------------------------------ queries
    def idf(self, term: str) -> float:
        tid = self._vocab.get(term)
        df = self._df[tid] if tid is not None else 0
        n = max(self._live, 1)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def df(self, term: str) -> int:
        """In how many live chunks ``term`` occurs."""
        tid = self._vocab.get(term)
        return self._df[tid] if tid is not None else 0

    def ceiling(self, terms: Iterable[str]) -> float:
        """The score of a passage of average length holding each query term once."""
        return sum(qtf * self.idf(t) for t, qtf in Counter(terms).items() if t in self._vocab)

    def alive_mask(self) -> npt.NDArray[np.bool_]:
        return self._alive[: self.capacity]

    def scores(self, terms: Iterable[str] | Mapping[str, float]) -> npt.NDArray[np.float32]:
        """BM25 score of every slot (dead slots score 0); a mapping weighs each term."""
        n_slots = self.capacity
        out = np.zeros(n_slots, dtype=np.float32)
        if not self._live:
            return out
        avgdl = self._total_len / self._live or 1.0
        k1, b = self.k1, self.b
        weights = dict(terms) if isinstance(terms, Mapping) else Counter(terms)
        for term, qtf in weights.items():
            tid = self._vocab.get(term)
            if tid is None or self._df[tid] <= 0:
                continue
            slots = np.frombuffer(self._post_slots[tid], dtype=np.int32)
            tfs = np.frombuffer(self._post_tf[tid], dtype=np.float32)
            dl = self._len[slots]
            idf = self.idf(term)
            contrib = tfs * (k1 + 1.0) / (tfs + k1 * (1.0 - b + b * dl / avgdl))
            out[slots] += np.float32(idf * qtf) * contrib
        out *= self._alive[:n_slots]
        return out

    def terms_like(self, first: str) -> list[str]:
        """Indexed terms starting with ``first`` (typo candidates share their first letter),
        sorted (the terms a cut word begins are one run, found by bisection)."""
        if self._buckets_version != len(self._vocab):
            buckets: dict[str, list[str]] = {}
            for term in sorted(self._vocab):
                buckets.setdefault(term[:1], []).append(term)
            self._buckets = buckets
            self._buckets_version = len(self._vocab)
        # Terms whose chunks were all removed stay until the next rebuild: a correction to
        # one of them is refused by the rewriter (its document frequency is 0), and filtering
        # here would cost a Python loop per misspelt word.
        return self._buckets.get(first, [])

    def search(
        self,
        terms: Sequence[str] | Mapping[str, float],
        k: int,
        allowed: npt.NDArray[np.bool_] | None = None,
    ) -> list[KeywordHit]:
        """The ``k`` best chunks for the query terms (or term -> weight); ``allowed`` masks
        slots (filters)."""
        scores = self.scores(terms)
        if allowed is not None:
            scores = scores * allowed[: len(scores)]
        return [KeywordHit(self._chunk_ids[s] or "", float(scores[s])) for s in top_k(scores, k)]

    def coverage(self, terms: Sequence[str], chunk_id: str) -> float:
        """IDF-weighted share of the query's distinct terms that occur in the chunk."""
        slot = self._slot_of.get(chunk_id)
        distinct = set(terms)
        if slot is None or not distinct:
            return 0.0
        tids = self._slot_terms[slot]
        have = set(tids.tolist()) if tids is not None else set()
        total = 0.0
        found = 0.0
        for term in distinct:
            weight = self.idf(term)
            total += weight
            tid = self._vocab.get(term)
            if tid is not None and tid in have:
                found += weight
        return found / total if total else 0.0

    def coverages(self, terms: Sequence[str], chunk_ids: Iterable[str]) -> dict[str, float]:
        """:meth:`coverage` for many chunks at once (one pass over the query's terms)."""
        distinct = sorted(set(terms))
        out: dict[str, float] = {}
        if not distinct:
            return dict.fromkeys(chunk_ids, 0.0)
        weights = [(self._vocab.get(t, -1), self.idf(t)) for t in distinct]
        total = sum(w for _, w in weights) or 1.0
        for cid in chunk_ids:
            slot = self._slot_of.get(cid)
            tids = self._slot_terms[slot] if slot is not None else None
            if tids is None:
                out[cid] = 0.0
                continue
            have = set(tids.tolist())
            out[cid] = sum(w for tid, w in weights if tid in have) / total
        return out

    def concept_coverages(
        self,
        concepts: Sequence[tuple[Sequence[str], Sequence[Sequence[str]]]],
        chunk_ids: Iterable[str],
    ) -> dict[str, float]:
        """IDF-weighted share of the question's concepts present in each chunk.

        A concept is ``(own terms, alternatives)``: it weighs what its own terms weigh and
        counts as present when every term of one alternative is in the chunk ("tambahan
        penghasilan pegawai" is present in a chunk that says "TPP").
        """
        prepared: list[tuple[float, list[set[int]]]] = []
        for own, alternatives in concepts:
            weight = sum(self.idf(t) for t in set(own))
            alts = []
            for alt in alternatives:
                ids = {self._vocab.get(t, -1) for t in alt}
                if -1 not in ids:
                    alts.append(ids)
            prepared.append((weight, alts))
        total = sum(w for w, _ in prepared)
        out: dict[str, float] = {}
        for cid in chunk_ids:
            slot = self._slot_of.get(cid)
            tids = self._slot_terms[slot] if slot is not None else None
            if tids is None or not total:
                out[cid] = 0.0
                continue
            have = set(tids.tolist())
            found = sum(w for w, alts in prepared if any(a <= have for a in alts))
            out[cid] = found / total
        return out

    # ------------------------------------------------------------------ snapshot
    def stats(self) -> dict[str, float]:
        return {
            "chunks": self._live,
            "terms": len(self._vocab),
            "avg_len": self._total_len / self._live if self._live else 0.0,
        }


def top_k(scores: npt.NDArray[np.floating], k: int) -> list[int]:
    """Indexes of the ``k`` highest positive scores, best first."""
    if k <= 0 or not len(scores):
        return []
    k = min(k, len(scores))
    idx = np.argpartition(-scores, k - 1)[:k]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return [int(i) for i in idx if scores[i] > 0]
