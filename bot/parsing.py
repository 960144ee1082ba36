"""What users type that the bot (and the terminal chat) must understand beyond commands."""

from __future__ import annotations

import re

_CAPTION_PAIR = re.compile(r"(\w+)\s*=\s*(\"[^\"]*\"|\S+)")
_KEYS = {
    "app": "app",
    "aplikasi": "app",
    "type": "doc_type",
    "tipe": "doc_type",
    "jenis": "doc_type",
}


def parse_caption(caption: str | None) -> dict[str, str]:
    """``app=Hayu.Bdg type=panduan`` (also ``aplikasi=``, ``tipe=``/``jenis=``) -> options."""
    options: dict[str, str] = {}
    for key, value in _CAPTION_PAIR.findall(caption or ""):
        name = _KEYS.get(key.lower())
        if name:
            options[name] = value.strip('"').strip()
    return options
