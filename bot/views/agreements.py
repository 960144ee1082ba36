"""Agreements and milestones as the bot shows them: lists, details, milestone menus, reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot import callbacks
from bot.formatting import MAX_CAPTION, escape, fit_plain
from bot.i18n import t, t_html
from bot.views import Button, Rows, View, button
from services.evidence import AgreementFileView
from services.tracker import (
    AgreementDetail,
    AgreementSummary,
    MilestoneDetail,
    MilestoneView,
    attention_rank,
    seen_mark,
)
from services.wording import format_date, health_name, status_name

HEALTH_ICONS = {
    "on_track": "🟢",
    "at_risk": "🟡",
    "overdue": "🔴",
    "stalled": "🟠",
    "completed": "✅",
    "expired": "⚫",
    "draft": "📝",
}
STATUS_ICONS = {
    "planned": "⬜",
    "in_progress": "🔄",
    "done": "✅",
    "blocked": "⛔",
    "skipped": "➖",
}
MAX_LISTED = 30
PAGE_SIZE = 10
MILESTONE_BUTTONS = 25
"""Milestone buttons on one page of an agreement's detail: far below Telegram's
:data:`~bot.views.MAX_BUTTONS`, and a long agreement stays easy to scroll."""


def fmt_date(value: date | None, lang: str) -> str:
    """One date format on every screen: ``30 Nov 2026``."""
    return format_date(value, lang)


def health_label(health: str, lang: str) -> str:
    return f"{HEALTH_ICONS.get(health, '•')} {health_name(health, lang)}"


def party_names(summary: AgreementSummary) -> str:
    return " – ".join(p.name for p in summary.parties)


def most_worrying_first(agreements: Sequence[AgreementSummary]) -> list[AgreementSummary]:
    return sorted(agreements, key=lambda a: (attention_rank(a.health), a.title))


def agreement_list(agreements: Sequence[AgreementSummary], page: int, lang: str) -> View:
    """One page of agreements, the most worrying first, each a button to its detail."""
    if not agreements:
        return View(t_html("mou.empty", lang))
    ordered = most_worrying_first(agreements)
    pages = (len(ordered) + PAGE_SIZE - 1) // PAGE_SIZE
    page = max(0, min(page, pages - 1))
    lines = [t_html("mou.header", lang, count=len(ordered))]
    if pages > 1:
        lines.append(t_html("mou.page", lang, page=page + 1, pages=pages))
    rows: list[tuple[Button, ...]] = []
    for agreement in ordered[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        icon = HEALTH_ICONS.get(agreement.health, "•")
        lines.append(
            f"{icon} <b>{escape(agreement.title)}</b> — {escape(party_names(agreement))}"
            f" ({escape(health_name(agreement.health, lang))})"
        )
        rows.append(
            (button(f"{icon} {agreement.title[:50]}", callbacks.AGREEMENT_OPEN, agreement.id),)
        )
    nav = []
    if page > 0:
        nav.append(button("⬅️", callbacks.AGREEMENT_PAGE, page - 1))
    if page < pages - 1:
        nav.append(button("➡️", callbacks.AGREEMENT_PAGE, page + 1))
    rows.append(tuple(nav))
    return View("\n".join(lines), tuple(rows))


def agreement_text(detail: AgreementDetail, lang: str) -> str:
    """An agreement with its parties, health, period, apps and milestones (Telegram HTML)."""
    lines = [
        f"<b>{escape(detail.title)}</b>",
        escape(party_names(detail)),
        t_html("mou.health", lang, health=health_label(detail.health, lang)),
        t_html(
            "mou.period",
            lang,
            signed=fmt_date(detail.signed_on, lang),
            ends=fmt_date(detail.ends_on, lang),
        ),
    ]
    if detail.apps:
        lines.append(t_html("mou.apps", lang, apps=", ".join(detail.apps)))
    if detail.renewal_due:
        lines.append(t_html("mou.renewal_due", lang))
    lines.append("")
    lines.append(t_html("mou.milestones", lang))
    for m in detail.milestones:
        lines.append(milestone_line(m, lang))
    return "\n".join(lines)


def milestone_line(m: MilestoneView, lang: str) -> str:
    overdue = " ⚠️" if m.overdue else ""
    return (
        f"{STATUS_ICONS.get(m.status, '•')} {escape(m.title)} — "
        f"{escape(fmt_date(m.due_on, lang))}{overdue}"
    )


def agreement_detail(detail: AgreementDetail, lang: str, page: int = 0) -> View:
    """An agreement, a button per milestone, back to the list and its timeline chart.

    The text lists every milestone; their buttons come :data:`MILESTONE_BUTTONS` to a page,
    with ⬅️/➡️ between pages (a page past the end shows the last one), so an agreement of a
    hundred milestones stays within Telegram's :data:`~bot.views.MAX_BUTTONS`.
    """
    open_ones = [m for m in detail.milestones if m.status != "skipped"]
    pages = max(1, (len(open_ones) + MILESTONE_BUTTONS - 1) // MILESTONE_BUTTONS)
    page = max(0, min(page, pages - 1))
    shown = open_ones[page * MILESTONE_BUTTONS : (page + 1) * MILESTONE_BUTTONS]
    rows: list[tuple[Button, ...]] = [
        (
            button(
                f"{STATUS_ICONS.get(m.status, '•')} {m.title[:50]}",
                callbacks.MILESTONE_OPEN,
                detail.id,
                m.id,
            ),
        )
        for m in shown
    ]
    text = agreement_text(detail, lang)
    if pages > 1:
        first = page * MILESTONE_BUTTONS + 1
        text += "\n\n" + t_html(
            "mou.milestone_buttons",
            lang,
            first=first,
            last=first + len(shown) - 1,
            total=len(open_ones),
        )
        nav: list[Button] = []
        if page > 0:
            nav.append(button("⬅️", callbacks.AGREEMENT_MILESTONES, detail.id, page - 1))
        if page < pages - 1:
            nav.append(button("➡️", callbacks.AGREEMENT_MILESTONES, detail.id, page + 1))
        rows.append(tuple(nav))
    rows.append(
        (
            button(t("button.back", lang), callbacks.AGREEMENT_PAGE, 0),
            button(t("button.report", lang), callbacks.TIMELINE, detail.id),
        )
    )
    return View(text, tuple(rows))


def milestone_text(found: MilestoneDetail, lang: str) -> str:
    m = found.milestone
    lines = [
        f"<b>{escape(m.title)}</b>",
        escape(found.agreement.title),
        t_html(
            "milestone.status",
            lang,
            status=f"{STATUS_ICONS.get(m.status, '')} {status_name(m.status, lang)}",
        ),
        t_html("milestone.due", lang, due=fmt_date(m.due_on, lang)),
    ]
    if m.overdue:
        lines.append(t_html("milestone.overdue", lang))
    if m.completed_on:
        lines.append(t_html("milestone.completed", lang, on=fmt_date(m.completed_on, lang)))
    if m.evidence_note:
        lines.append(t_html("milestone.evidence", lang, note=m.evidence_note))
    if m.blocked_reason:
        lines.append(t_html("milestone.blocked", lang, reason=m.blocked_reason))
    return "\n".join(lines)


def milestone_detail(
    found: MilestoneDetail,
    lang: str,
    *,
    may_update: bool,
    notice: str = "",
    evidence: Sequence[AgreementFileView] = (),
) -> View:
    """A milestone; its status buttons when the user may update it and it is not done yet, and
    its evidence files (named, with a button that sends them back)."""
    agreement_id, m = found.agreement.id, found.milestone
    rows: list[tuple[Button, ...]] = []
    if may_update and m.status != "done":
        # Each button carries the milestone as shown (its status and a stamp of its evidence
        # and reason), so a press after the milestone changed, even to the same status, shows
        # it as it is now (``bot.handlers.agreements``) instead of acting on what it was.
        seen = seen_mark(m)
        rows.append(
            (
                button(
                    t("milestone.mark_progress", lang),
                    callbacks.MILESTONE_IN_PROGRESS,
                    agreement_id,
                    m.id,
                    seen,
                ),
                button(
                    t("milestone.mark_done", lang),
                    callbacks.MILESTONE_DONE,
                    agreement_id,
                    m.id,
                    seen,
                ),
            )
        )
        rows.append(
            (
                button(
                    t("milestone.mark_blocked", lang),
                    callbacks.MILESTONE_BLOCKED,
                    agreement_id,
                    m.id,
                    seen,
                ),
            )
        )
    if evidence:
        label = t("evidence.button", lang, count=len(evidence))
        rows.append((button(label, callbacks.EVIDENCE_SEND, agreement_id, m.id),))
    rows.append((button(t("button.back", lang), callbacks.AGREEMENT_OPEN, agreement_id),))
    text = milestone_text(found, lang)
    if evidence:
        names = ", ".join(f.filename for f in evidence)
        text += "\n" + t_html("evidence.files", lang, files=names)
    if notice:
        text = f"{notice}\n\n{text}"
    return View(text, tuple(rows))


def evidence_caption(kept: AgreementFileView) -> str:
    """A file sent back: its name, who sent it and when."""
    return fit_plain(
        f"{kept.filename} · {kept.uploaded_by} · {format_date(kept.uploaded_at.date())}",
        MAX_CAPTION,
    )


def timeline_choice(agreements: Sequence[AgreementSummary], lang: str) -> View:
    """Which agreement's timeline chart to draw."""
    rows: Rows = tuple(
        (button(a.title[:55], callbacks.TIMELINE, a.id),) for a in agreements[:MAX_LISTED]
    )
    return View(t_html("report.choose", lang), rows)


def caption(text: str) -> str:
    """A chart's text version as a photo caption (plain text, within Telegram's 1024)."""
    return fit_plain(text, MAX_CAPTION)
