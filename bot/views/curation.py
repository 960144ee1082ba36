"""Curated answers and knowledge gaps as the bot shows them to trainers.

A trainer's reply saved as a curated answer (with edit and retire buttons), the list of curated
answers (/kurasi) and one of them with its history; the knowledge gaps (/celah) with the
monthly answer rate, each gap's status and owner, and a gap's questions with the buttons that
take it or change its status. Pure: no ``telegram``.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot import callbacks
from bot.formatting import escape
from bot.i18n import t, t_html
from bot.views import Button, View, button
from services.curated import CuratedAnswer, CuratedVersion
from services.gaps import GAP_STATUSES, Gap, MonthlyRate
from services.wording import format_date, month_name

MAX_LISTED = 20
GAP_BUTTONS = 10
STATUS_ICONS = {"open": "🕳", "answered": "📌", "documented": "📄", "wont_answer": "🚫"}


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- curated answers ---------------------------------------------------------------------------


def curated_buttons(answer: CuratedAnswer, lang: str) -> tuple[Button, ...]:
    return (
        button(t("curated.button.edit", lang), callbacks.CURATED_EDIT, answer.id),
        button(t("curated.button.retire", lang), callbacks.CURATED_RETIRE, answer.id),
    )


def saved_from_reply(answer: CuratedAnswer, lang: str) -> View:
    """Told to the trainer whose reply was delivered and kept as a curated answer."""
    text = t_html(
        "curated.saved",
        lang,
        id=answer.id,
        review=format_date(answer.review_on, lang),
    )
    return View(text, (curated_buttons(answer, lang),))


def curated_list(answers: Sequence[CuratedAnswer], lang: str) -> View:
    """/kurasi: the active curated answers, each a button to its detail."""
    if not answers:
        return View(t_html("curated.empty", lang))
    lines = [t_html("curated.header", lang, count=len(answers))]
    rows: list[tuple[Button, ...]] = []
    for a in answers[:MAX_LISTED]:
        due = " ⏰" if a.review_due else ""
        lines.append(
            f"• #{a.id} <i>{escape(_short(a.question, 70))}</i> — {escape(a.author_name)}{due}"
        )
        rows.append((button(f"#{a.id} {_short(a.question, 40)}", callbacks.CURATED_OPEN, a.id),))
    return View("\n".join(lines), tuple(rows))


def curated_detail(answer: CuratedAnswer, versions: Sequence[CuratedVersion], lang: str) -> View:
    """One curated answer: question, answer, who and when, its history, and its actions."""
    lines = [
        t_html("curated.detail.head", lang, id=answer.id, version=answer.version),
        t_html("curated.detail.question", lang, question=answer.question),
        escape(answer.answer),
        t_html(
            "curated.detail.by",
            lang,
            author=answer.author_name,
            created=format_date(answer.created_at.date(), lang),
            editor=answer.updated_by_name,
            updated=format_date(answer.updated_at.date(), lang),
            review=format_date(answer.review_on, lang),
        ),
    ]
    if answer.review_due:
        lines.append(t_html("curated.detail.review_due", lang))
    if answer.status != "active":
        lines.append(t_html("curated.detail.retired", lang))
    earlier = [v for v in versions if v.version != answer.version]
    if earlier:
        lines.append(t_html("curated.detail.history", lang, count=len(earlier)))
        for v in earlier[-3:]:
            lines.append(
                f"  v{v.version} · {escape(v.edited_by_name)} · "
                f"{escape(format_date(v.edited_at.date(), lang))}: "
                f"<i>{escape(_short(v.answer, 80))}</i>"
            )
    rows = (curated_buttons(answer, lang),) if answer.status == "active" else ()
    return View("\n".join(lines), rows)


def retire_confirmation(answer: CuratedAnswer, lang: str) -> View:
    text = t_html("curated.retire.confirm", lang, id=answer.id, question=answer.question)
    return View(
        text,
        (
            (
                button(t("curated.retire.yes", lang), callbacks.CURATED_RETIRE_YES, answer.id),
                button(t("button.cancel", lang), callbacks.CURATED_OPEN, answer.id),
            ),
        ),
    )


# --- knowledge gaps ----------------------------------------------------------------------------


def rates_line(rates: Sequence[MonthlyRate], lang: str) -> str:
    """ "Terjawab per bulan: Sep 62% (13/21) · Okt 70% (14/20) · Nov –"."""
    parts = []
    for r in rates:
        month = month_name(int(r.month[5:7]), lang)
        value = "–" if r.rate is None else f"{r.rate:.0%} ({r.answered}/{r.asked})"
        parts.append(f"{month} {value}")
    return t_html("gaps.rates", lang, rates=" · ".join(parts))


def gaps_view(items: Sequence[Gap], rates: Sequence[MonthlyRate], lang: str) -> View:
    """/celah: the answer rate, then the gaps (open first), each a button to its detail."""
    lines = [rates_line(rates, lang)]
    if not items:
        lines.append(t_html("gaps.empty", lang))
        return View("\n".join(lines))
    lines.append(t_html("gaps.header", lang, count=len(items)))
    rows: list[tuple[Button, ...]] = []
    for gap in items:
        lines.append(_gap_line(gap, lang))
    for gap in items[:GAP_BUTTONS]:
        label = f"{STATUS_ICONS.get(gap.status, '•')} #{gap.id} {_short(gap.question, 40)}"
        rows.append((button(label, callbacks.GAP_OPEN, gap.id),))
    return View("\n".join(lines), tuple(rows))


def _gap_line(gap: Gap, lang: str) -> str:
    status = t(f"gaps.status.{gap.status}", lang)
    owner = (
        t("gaps.owner", lang, name=gap.owner_name) if gap.owner_name else t("gaps.no_owner", lang)
    )
    line = (
        f"{STATUS_ICONS.get(gap.status, '•')} #{gap.id} {escape(_short(gap.question, 70))} "
        f"(×{gap.count}) — {escape(status)}, {escape(owner)}"
    )
    if gap.since_status:
        line += " " + t_html("gaps.still_asked", lang, count=gap.since_status)
    return line


def gap_detail(gap: Gap, lang: str, *, me: str) -> View:
    """A gap: its questions, status and owner; take it, or set where it stands."""
    lines = [
        t_html("gaps.detail.head", lang, id=gap.id, count=gap.count),
        _gap_line(gap, lang),
        t_html(
            "gaps.detail.counts",
            lang,
            not_found=gap.not_found,
            unhelpful=gap.unhelpful,
            last=format_date(gap.last_asked_at.date(), lang),
        ),
    ]
    lines.extend(f"• <i>{escape(_short(q, 120))}</i>" for q in gap.examples)
    if gap.curated_id is not None:
        lines.append(t_html("gaps.detail.curated", lang, id=gap.curated_id))
    rows: list[tuple[Button, ...]] = []
    if gap.owner != me:
        rows.append((button(t("gaps.button.take", lang), callbacks.GAP_TAKE, gap.id),))
    rows.append(
        tuple(
            button(t(f"gaps.button.{status}", lang), callbacks.GAP_STATUS, gap.id, status)
            for status in GAP_STATUSES
            if status != gap.status
        )
    )
    return View("\n".join(lines), tuple(rows))
