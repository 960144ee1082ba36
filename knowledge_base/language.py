"""Which language a question or passage is in: Indonesian or English (the two Sinergi speaks)."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z]+")
_ID_WORDS = (
    "yang dan di ke dari untuk dengan ini itu adalah apa apakah bagaimana siapa kapan dimana "
    "mengapa kenapa berapa tidak bisa dapat cara saya kami kita ada akan pada dalam atau juga "
    "sudah belum harus oleh sebagai bagi tersebut jika agar mohon tolong aplikasi daerah"
)
_EN_WORDS = (
    "the and of to in is are what how who when where why which can could does do not with "
    "for from this that be by on an a it or should i we you my our please app region"
)
_ID = frozenset(_ID_WORDS.split())
_EN = frozenset(_EN_WORDS.split())


def detect_language(text: str, default: str = "id") -> str:
    """``"id"`` or ``"en"`` by counting function words; ``default`` when undecided."""
    words = _WORD.findall(text.lower())
    id_votes = sum(w in _ID for w in words)
    en_votes = sum(w in _EN for w in words)
    # One stray word ("I", "a") in a two-word message is no reason to answer in another
    # language than the asker's.
    if abs(id_votes - en_votes) < 2 and len(words) < 3:
        return default
    if id_votes > en_votes:
        return "id"
    if en_votes > id_votes:
        return "en"
    return default
