"""Files kept for agreements (source documents, milestone evidence): views and search (pure).

The queries are :class:`mou_tracker.repository.TrackerRepository`'s.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mou_tracker.models import AgreementFile

ROLES = ("source", "evidence")


@dataclass(frozen=True)
class AgreementFileView:
    id: int
    agreement_id: int
    milestone_id: int | None
    role: str
    sha256: str
    path: str
    filename: str
    media_type: str
    size: int
    pages: int | None
    has_text: bool
    kb_doc_id: str | None
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True)
class FileHit:
    """A passage of an agreement's file that matches a search."""

    file: AgreementFileView
    snippet: str


def view(row: AgreementFile) -> AgreementFileView:
    return AgreementFileView(
        id=row.id,
        agreement_id=row.agreement_id,
        milestone_id=row.milestone_id,
        role=row.role,
        sha256=row.sha256,
        path=row.path,
        filename=row.filename,
        media_type=row.media_type,
        size=row.size,
        pages=row.pages,
        has_text=bool(row.text and row.text.strip()),
        kb_doc_id=row.kb_doc_id,
        uploaded_by=row.uploaded_by,
        uploaded_at=row.uploaded_at,
    )


def fold(text: str) -> str:
    """Lower case without accents, single spaces: how searches compare text."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^\w/.\-]+", " ", text).split())


def search_text(rows: Sequence[AgreementFile], query: str, *, width: int = 90) -> list[FileHit]:
    """Files whose text holds every word of ``query``, with a snippet around the first word."""
    words = fold(query).split()
    hits: list[FileHit] = []
    if not words:
        return hits
    for row in rows:
        text = " ".join((row.text or "").split())
        folded = fold(text)
        if not all(word in folded for word in words):
            continue
        # fold() keeps lengths close enough for a snippet: find the word in the folded text
        at = folded.find(words[0])
        start = max(0, at - width)
        snippet = folded[start : at + len(words[0]) + width].strip()
        hits.append(FileHit(view(row), ("…" if start else "") + snippet + "…"))
    return hits
