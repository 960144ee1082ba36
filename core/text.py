"""Text from users and files made safe to store and show: no control characters.

A BEL in a title breaks the XLSX export (the format forbids C0 controls), an ANSI escape in a
name rewrites a terminal, a right-to-left override makes "fdp.exe" read "exe.pdf", and a lone
surrogate (an undecodable file name) makes every later ``encode()`` fail. Such characters never
carry meaning in an agreement register, so they are removed on input.
"""

from __future__ import annotations

import os
import re

# C0 controls but tab, line feed and carriage return; DEL; C1 controls; the bidirectional
# embedding, override and isolate controls; the non-characters U+FFFE and U+FFFF.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]"
)
_SURROGATES = re.compile("[\ud800-\udfff]")
_LINE_BREAKS = re.compile("[\r\x0b\x0c]")
_WHITESPACE = re.compile(r"\s+")


def clean_line(value: str) -> str:
    """One line of text: controls become spaces, runs of whitespace one space, ends trimmed."""
    text = _SURROGATES.sub("\ufffd", value)
    return _WHITESPACE.sub(" ", _CONTROLS.sub(" ", text)).strip()


def clean_block(value: str) -> str:
    """Text that may span lines (a note): line ends (and vertical tab, form feed) become
    ``\\n``, other controls a space, as :func:`clean_line` does within a line."""
    text = _SURROGATES.sub("\ufffd", value).replace("\r\n", "\n")
    text = _LINE_BREAKS.sub("\n", text)
    return _CONTROLS.sub(" ", text).strip()


def clean_optional_line(value: str | None) -> str | None:
    """:func:`clean_line` for an optional field: blank becomes ``None``."""
    if value is None:
        return None
    return clean_line(value) or None


def clean_optional_block(value: str | None) -> str | None:
    """:func:`clean_block` for an optional field: blank becomes ``None``."""
    if value is None:
        return None
    return clean_block(value) or None


def has_controls(value: str) -> bool:
    """Whether :func:`clean_block` would remove something other than line ends."""
    return bool(_CONTROLS.search(value) or _SURROGATES.search(value))


def display_name(name: str) -> str:
    """A file name as a person can read it, whatever bytes the file system holds.

    Names that are not UTF-8 arrive from ``os`` as lone surrogates (``surrogateescape``); they
    are decoded again as Windows-1252, the legacy encoding of Indonesian office machines
    ("caf\\xe9" -> "café"), and controls are replaced, so the name can be stored and printed.
    """
    if _SURROGATES.search(name):
        try:
            raw = os.fsencode(name)
        except UnicodeEncodeError:  # surrogates that did not come from the file system
            raw = _SURROGATES.sub("\ufffd", name).encode("utf-8")
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            name = raw.decode("cp1252", errors="replace")
    return _CONTROLS.sub("\ufffd", _SURROGATES.sub("\ufffd", name))
