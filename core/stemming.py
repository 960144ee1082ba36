"""The Indonesian stemmer: Sastrawi's confix stripping, with its prefix-first trial corrected.

Sastrawi follows Nazief & Adriani and the (enhanced) confix-stripping stemmer (Asian 2007;
Arifin et al. 2009): a word with the confix "di-...-i", "me-...-i", "pe-...-i", "ter-...-i",
"be-...-an" or "be-...-lah" is stripped of its prefixes before its suffix. That trial strips up
to three prefixes and stops at the first dictionary word, so a second "ke-" is taken for a
prefix before the confix's own suffix is tried: "dikepalai" became "palai" (a root word:
"kepalai" is not, so "ke-" went next) and "diketuai" "tuai", "dikenali" "nali", although the
word is the confix around a root word ("di-" + "kepala" + "-i"). Here the trial, after each
prefix, first tries the word without its suffix, the confix's other half, before it strips one
more prefix: "dikepalai" -> "kepalai" -> "kepala". A word whose second prefix is one
("diketahui": "ketahu" is no root word; "dikehendaki") goes on as before ("tahu", "hendak").
"""

from __future__ import annotations

from functools import cache
from typing import Any

from Sastrawi.Stemmer.ConfixStripping.PrecedenceAdjustmentSpecification import (
    PrecedenceAdjustmentSpecification,
)
from Sastrawi.Stemmer.Context.Context import Context
from Sastrawi.Stemmer.Stemmer import Stemmer
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

_CONFIX = PrecedenceAdjustmentSpecification()


class _ConfixContext(Context):  # type: ignore[misc]
    """Sastrawi's stemming context whose prefix-first trial tries the suffix at each prefix."""

    def remove_prefixes(self) -> None:
        # Only the confix trial: it runs on the whole word, before any suffix came off. The
        # ordinary order (suffixes first) and ECS's suffix restoring keep Sastrawi's walk.
        trial = _CONFIX.is_satisfied_by(self.original_word) and not any(
            self.is_suffix_removal(r) for r in self.removals
        )
        for _ in range(3):
            self.accept_prefix_visitors(self.prefix_visitors)
            if self.dictionary.contains(self.current_word):
                return
            if trial and self._root_without_suffix():
                return

    def _root_without_suffix(self) -> bool:
        """Whether the word, its suffixes off, is a root word (kept then; else put back)."""
        context: Any = self  # Sastrawi has no type hints
        word, removals = context.current_word, list(context.removals)
        context.remove_suffixes()
        if context.current_word != word and context.dictionary.contains(context.current_word):
            return True
        context.current_word, context.removals = word, removals
        return False


class _ConfixStemmer(Stemmer):  # type: ignore[misc]
    def stem_singular_word(self, word: str) -> str:
        context = _ConfixContext(word, self.dictionary, self.visitor_provider)
        context.execute()
        return str(context.result)


@cache
def indonesian_stemmer() -> Any:
    """The shared stemmer (``.stem(text)`` -> the space-joined stems of the text's words)."""
    sastrawi = StemmerFactory().create_stemmer()
    # The factory's cached stemmer around the corrected one: the same dictionary and cache.
    sastrawi.delegatedStemmer = _ConfixStemmer(sastrawi.delegatedStemmer.get_dictionary())
    return sastrawi
