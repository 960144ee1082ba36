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


def unread_caption(caption: str | None) -> str:
    """What of a document's caption :func:`parse_caption` did not take (a caption written as
    prose, "aplikasi Gampil", or an unknown key), so the uploader can be told."""
    rest = _CAPTION_PAIR.sub(
        lambda m: "" if m.group(1).lower() in _KEYS else m.group(0), caption or ""
    )
    return " ".join(rest.split()).strip(" ,;.")


def parse_caption(caption: str | None) -> dict[str, str]:
    """``app=Hayu.Bdg type=panduan`` (also ``aplikasi=``, ``tipe=``/``jenis=``) -> options."""
    options: dict[str, str] = {}
    for key, value in _CAPTION_PAIR.findall(caption or ""):
        name = _KEYS.get(key.lower())
        if name:
            options[name] = value.strip('"').strip()
    return options
