"""Documents as the bot shows them: an upload's report, the sources, removal."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from bot import callbacks
from bot.formatting import escape
from bot.i18n import catalog, t, t_html
from bot.views import View, button
from core.text import echo
from services.ingest import IngestReport
from services.knowledge import DocumentInfo

MAX_CHOICES = 40


def doc_token(doc_id: str) -> str:
    """A short, stable stand-in for a document id in callback data (ids may be long)."""
    return hashlib.sha256(doc_id.encode()).hexdigest()[:12]


def ingest_report(report: IngestReport, lang: str, *, unread_caption: str = "") -> str:
    """What an upload (or a folder) did: counts, then each failed file with its reason, and
    the part of the caption that was not read as ``app=``/``type=``."""
    lines = [
        t_html(
            "upload.report",
            lang,
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
            chunks=report.chunks_embedded,
        )
    ]
    for note in report.notes:  # e.g. which document got which id; in the uploader's language
        lines.append(f"ℹ️ {escape(note.message)}")
    for failure in report.failed:
        message = failure.message  # already in the uploader's language
        lines.append(f"⚠️ <b>{escape(failure.file)}</b>: {escape(message)}")
    if unread_caption:
        lines.append(t_html("upload.caption_unread", lang, text=echo(unread_caption)))
    return "\n".join(lines)


def sources_list(documents: Sequence[DocumentInfo], lang: str) -> str:
    """``/sumber``: each document with its app, its type in the reader's words, and its id."""
    if not documents:
        return t_html("sources.empty", lang)
    lines = [t_html("sources.header", lang, count=len(documents))]
    for doc in documents:
        kind = doc_type_name(doc.doc_type, lang)
        details = [escape(x) for x in (doc.app, kind, doc.version) if x]
        line = f"• <b>{escape(doc.title)}</b>"
        if details:
            line += f" ({', '.join(details)})"
        line += f" — <code>{escape(doc.doc_id)}</code>"
        lines.append(line)
    return "\n".join(lines)


def doc_type_name(doc_type: str | None, lang: str) -> str | None:
    """A document type in the reader's words (a type without a name is shown as stored)."""
    if not doc_type:
        return None
    key = f"sources.doc_type.{doc_type}"
    return t(key, lang) if catalog().has(key) else doc_type


def removal_choice(documents: Sequence[DocumentInfo], lang: str) -> View:
    """Which document to remove (the first few, by title)."""
    if not documents:
        return View(t_html("sources.empty", lang))
    rows = tuple(
        (button(d.title[:60], callbacks.DOCUMENT_CHOOSE, doc_token(d.doc_id)),)
        for d in documents[:MAX_CHOICES]
    )
    return View(t_html("remove.choose", lang), rows)


def removal_confirmation(doc: DocumentInfo, lang: str) -> View:
    text = t_html("remove.confirm", lang, title=doc.title, doc_id=doc.doc_id)
    return View(
        text,
        (
            (
                button(t("remove.yes", lang), callbacks.DOCUMENT_REMOVE, doc_token(doc.doc_id)),
                button(t("button.cancel", lang), callbacks.DOCUMENT_KEEP),
            ),
        ),
    )
