"""Document metadata inferred from names and text: id, title, app, document type, version."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import PurePath

DOC_TYPES = ("manual", "best_practice", "sop", "regulation", "faq", "agreement", "evidence")

# Canonical app names and the spellings people use in titles and file names.
KNOWN_APPS: dict[str, tuple[str, ...]] = {
    "Gampil": ("gampil",),
    "Hayu.Bdg": ("hayu.bdg", "hayu bdg", "hayubdg", "hayu-bdg", "hayu_bdg", "hayu"),
    "e-RK": ("e-rk", "erk", "e rk", "e_rk"),
    "Sabilulungan": ("sabilulungan",),
    "e-budgeting": ("e-budgeting", "ebudgeting", "e budgeting", "e_budgeting"),
}

_DOC_TYPE_HINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("faq", re.compile(r"\b(faq|tanya[ -]jawab|pertanyaan yang sering|frequently asked)", re.I)),
    ("sop", re.compile(r"\b(sop|standar operasional|standard operating)", re.I)),
    (
        "regulation",
        re.compile(
            r"\b(peraturan|perwal|perda|perbup|permen\w*|undang|keputusan|regulation|"
            r"pergub|surat edaran)\b",
            re.I,
        ),
    ),
    (
        "best_practice",
        re.compile(r"(best[ _-]?practice|praktik baik|praktik terbaik|replikasi|replicat)", re.I),
    ),
)
_VERSION = re.compile(r"(?:^|[\s_\-(])(?:v|ver|versi|version|rev)[\s._-]?(\d+(?:\.\d+)*)", re.I)


def slugify(text: str, *, max_length: int = 80) -> str:
    """A stable, readable id: ASCII, lowercase, words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "dokumen"


def doc_id_for(filename: str) -> str:
    """The document id of a file: its slugified stem, so a new upload replaces the old one."""
    return slugify(PurePath(filename).stem)


def document_key(filename: str) -> str:
    """What makes two file names the same document: the stem, case and separators aside.

    "Panduan Gampil.pdf", "panduan_gampil.docx" and "PANDUAN-GAMPIL.md" are one document (a new
    version or format replaces the old); "… Bagian 1" and "… Bagian 2", or "文档一" and "文档二",
    are two, even though their slugs agree.
    """
    stem = unicodedata.normalize("NFKC", PurePath(filename).stem).casefold()
    return " ".join(re.sub(r"[\s_\-.]+", " ", stem).split())


def distinct_doc_id(filename: str) -> str:
    """The id of a document whose plain id (:func:`doc_id_for`) belongs to another document:
    the slug (shortened) and a hash of :func:`document_key`, stable for the same name."""
    digest = hashlib.sha256(document_key(filename).encode("utf-8")).hexdigest()[:10]
    return f"{doc_id_for(filename)[:69].rstrip('-')}-{digest}"


def title_from_filename(filename: str) -> str:
    stem = PurePath(filename).stem
    words = re.sub(r"[_\-]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else "Dokumen"


def normalize_app(value: str | None) -> str | None:
    """The canonical name of a known app (``"gampil"`` -> ``"Gampil"``); others as given."""
    if value is None or not value.strip():
        return None
    lowered = value.strip().lower()
    for canonical, spellings in KNOWN_APPS.items():
        if lowered == canonical.lower() or lowered in spellings:
            return canonical
    return value.strip()


def guess_app(*texts: str) -> str | None:
    """The known app a title or file name is about, if exactly one is mentioned."""
    found: set[str] = set()
    for text in texts:
        lowered = f" {text.lower()} "
        for canonical, spellings in KNOWN_APPS.items():
            if any(re.search(rf"(?<![a-z]){re.escape(s)}(?![a-z])", lowered) for s in spellings):
                found.add(canonical)
    return found.pop() if len(found) == 1 else None


def normalize_doc_type(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    aliases = {
        "bestpractice": "best_practice",
        "praktik_baik": "best_practice",
        "panduan": "manual",
        "regulasi": "regulation",
        "peraturan": "regulation",
        "perjanjian": "agreement",
        "kesepakatan": "agreement",
        "bukti": "evidence",
    }
    return aliases.get(key, key)


def guess_doc_type(*texts: str) -> str:
    for doc_type, pattern in _DOC_TYPE_HINTS:
        if any(pattern.search(text) for text in texts):
            return doc_type
    return "manual"


def guess_version(*texts: str) -> str | None:
    for text in texts:
        match = _VERSION.search(text)
        if match:
            return match.group(1)
    return None
