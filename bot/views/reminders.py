"""Reminder messages: a :class:`ReminderMessage` rendered as Telegram text (HTML) and buttons.

:func:`render` turns one recipient's group of outbox entries into one :class:`OutgoingMessage`:

* a single milestone or agreement reminder (``upcoming``, ``overdue``, ``escalation``,
  ``renewal``, ``snooze``) with, when it is about a milestone, that milestone's four action
  buttons (:func:`milestone_buttons`); or an ``undeliverable`` notice to the
  admins (no buttons);
* several such reminders collapsed into one list, with an ``open`` button per milestone (at
  most ``MAX_COLLAPSED_BUTTONS``);
* a coordinator's weekly ``digest`` of their agreements, or the admins' weekly ``portfolio``
  overview (no buttons).

Texts come from the bot's message catalog (``bot/locales/reminders.*.json``) in the
recipient's language (``id`` or ``en``; anything else gets ``id``), dates as ``6 Mar 2026``
(:func:`format_date`), time zones as WIB/WITA/WIT. Everything taken from the entry's payload is
HTML-escaped, and a message is cut at a line to fit Telegram's limit of ``MAX_TEXT`` (UTF-16)
characters. Rendering reads the message only: names were resolved when the reminder was
recorded, and the delivery pass resolved each entry's time zone.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.i18n import catalog, error_text, t_html
from services import wording
from services.reminders import (
    MilestoneContext,
    OutboxView,
    ReminderEntry,
    ReminderMessage,
    ResendReport,
    SnoozeView,
)
from services.wording import health_name

__all__ = [
    "MAX_TEXT",
    "OutgoingMessage",
    "ReminderButton",
    "format_date",
    "milestone_buttons",
    "milestone_menu",
    "render",
    "snoozed",
]

ButtonAction = Literal["done", "progress", "blocked", "snooze", "open"]

#: Buttons on a single-milestone reminder, in order.
MILESTONE_ACTIONS: tuple[ButtonAction, ...] = ("done", "progress", "blocked", "snooze")
MAX_TEXT = 4096
MAX_COLLAPSED_BUTTONS = 8

_ZONE_LABELS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


@dataclass(frozen=True)
class ReminderButton:
    """A button on a reminder (``bot.callbacks.REMINDER_BUTTONS`` says what it triggers).

    ``action`` is one of ``done``, ``progress``, ``blocked``, ``snooze`` (on a single reminder)
    or ``open`` (on a collapsed message: shows that milestone's buttons).
    """

    action: ButtonAction
    agreement_id: int
    milestone_id: int
    label: str


@dataclass(frozen=True)
class OutgoingMessage:
    """One Telegram message (HTML parse mode) for one recipient."""

    telegram_id: int
    text: str
    language: str
    buttons: tuple[tuple[ReminderButton, ...], ...] = ()
    kinds: tuple[str, ...] = ()


def render(message: ReminderMessage) -> OutgoingMessage:
    """One message for one recipient: a single reminder, a collapsed list, or a digest."""
    group, now = message.entries, message.at
    first = group[0]
    lang = first.language if first.language in ("id", "en") else "id"
    assert first.telegram_id is not None
    if first.kind == "digest":
        text = _render_digest(first, lang)
        return OutgoingMessage(first.telegram_id, _fit(text), lang, (), ("digest",))
    if first.kind == "portfolio":
        text = _render_portfolio(first, lang)
        return OutgoingMessage(first.telegram_id, _fit(text), lang, (), ("portfolio",))
    kinds = tuple(dict.fromkeys(e.kind for e in group))
    if len(group) == 1:
        text = _render_one(first, lang, now, "single")
        buttons: tuple[tuple[ReminderButton, ...], ...] = ()
        if (
            first.milestone_id is not None
            and first.agreement_id is not None
            and first.kind != "undeliverable"
        ):
            buttons = milestone_buttons(first.agreement_id, first.milestone_id, lang)
        return OutgoingMessage(first.telegram_id, _fit(text), lang, buttons, kinds)
    t = catalog().t
    lines = [t("reminders.collapsed.header", lang, count=len(group))]
    ordered = sorted(group, key=lambda e: (e.due_on or date.max, e.agreement_id or 0))
    for e in ordered:
        lines.append("• " + _render_one(e, lang, now, "line"))
    milestones = list(
        dict.fromkeys(
            (e.agreement_id, e.milestone_id, e.payload.get("milestone_title") or "")
            for e in ordered
            if e.milestone_id is not None
            and e.agreement_id is not None
            and e.kind != "undeliverable"
        )
    )
    rows = tuple(
        (
            ReminderButton(
                "open",
                aid,
                mid,
                t("reminders.button.open", lang, title=_short(str(title), 28)),
            ),
        )
        for aid, mid, title in milestones[:MAX_COLLAPSED_BUTTONS]
    )
    text = _fit("\n".join(lines), more=t("reminders.collapsed.more", lang))
    return OutgoingMessage(first.telegram_id, text, lang, rows, kinds)


def milestone_buttons(
    agreement_id: int, milestone_id: int, lang: str
) -> tuple[tuple[ReminderButton, ...], ...]:
    """The four actions on a milestone, two per row."""
    t = catalog().t
    buttons = [
        ReminderButton(action, agreement_id, milestone_id, t(f"reminders.button.{action}", lang))
        for action in MILESTONE_ACTIONS
    ]
    return (tuple(buttons[:2]), tuple(buttons[2:]))


def _days(entry: ReminderEntry, now: datetime) -> int:
    today = now.astimezone(ZoneInfo(entry.timezone)).date()
    return (entry.due_on - today).days if entry.due_on else 0


def _common(entry: ReminderEntry, lang: str, now: datetime) -> dict[str, Any]:
    p = entry.payload
    tz = entry.timezone
    days = _days(entry, now)
    partners = p.get("partners") or []
    laggards = p.get("laggards") or []
    return {
        "agreement": _e(p.get("agreement_title") or ""),
        # An agreement recorded without a number shows none (not "No. -").
        "number": (
            catalog().t("reminders.number", lang, number=_e(p["agreement_number"]))
            if p.get("agreement_number")
            else ""
        ),
        "milestone": _e(p.get("milestone_title") or ""),
        "partners": _e(", ".join(partners) or "-"),
        "laggards": _e(", ".join(laggards) or "-"),
        "region": _e(p.get("region_name") or ""),
        "due": format_date(entry.due_on, lang) if entry.due_on else "-",
        "zone": _ZONE_LABELS.get(tz, tz),
        "days": abs(days),
        "days_left": days,
        "reason": catalog().t(f"reminders.reason.{p.get('reason', 'blocked')}", lang),
        "who": _e(p.get("original_recipient") or ""),
        "original": catalog().t(f"reminders.kind.{p.get('original_kind', 'upcoming')}", lang),
    }


def _render_one(
    entry: ReminderEntry, lang: str, now: datetime, form: Literal["single", "line"]
) -> str:
    """One reminder as a whole message (``single``) or as a line of a collapsed one."""
    params = _common(entry, lang, now)
    kind = "today" if entry.kind == "upcoming" and params["days_left"] <= 0 else entry.kind
    if kind == "undeliverable":
        resend_id = entry.payload.get("resend_id")
        params["resend"] = (
            catalog().t(f"reminders.{form}.resend", lang, id=int(resend_id))
            if isinstance(resend_id, int) and not isinstance(resend_id, bool)
            else ""
        )
    return catalog().t(f"reminders.{form}.{kind}", lang, **params)


def _render_digest(entry: ReminderEntry, lang: str) -> str:
    t = catalog().t
    p = entry.payload
    lines = [t("reminders.digest.header", lang, region=_e(p.get("region_name") or ""))]
    items = p.get("agreements") or []
    if not items:
        lines.append(t("reminders.digest.empty", lang))
    for item in items:
        lines.append(
            t(
                "reminders.digest.agreement",
                lang,
                title=_e(item["title"]),
                partners=_e(", ".join(item.get("partners") or []) or "-"),
                health=health_name(item["health"], lang),
            )
        )
        for key in ("overdue", "due_soon"):
            lines.extend(
                t(
                    f"reminders.digest.{key}",
                    lang,
                    milestone=_e(m["title"]),
                    due=format_date(date.fromisoformat(m["due_on"]), lang),
                )
                for m in item.get(key, [])
            )
        if item.get("renewal_due") and item.get("ends_on"):
            lines.append(
                t(
                    "reminders.digest.renewal",
                    lang,
                    due=format_date(date.fromisoformat(item["ends_on"]), lang),
                )
            )
    return "\n".join(lines)


def _render_portfolio(entry: ReminderEntry, lang: str) -> str:
    t = catalog().t
    p = entry.payload
    counts = p.get("counts") or {}
    lines = [t("reminders.portfolio.header", lang, total=p.get("total", 0))]
    lines.append(
        ", ".join(f"{health_name(h, lang)}: {n}" for h, n in sorted(counts.items())) or "-"
    )
    stalled = p.get("stalled") or []
    count = p.get("stalled_count", len(stalled))
    lines.append(t("reminders.portfolio.stalled", lang, count=count))
    for item in stalled:
        lines.append(f"• {_e(item['title'])} ({_e(', '.join(item.get('parties') or []))})")
    nearing = p.get("nearing_end") or []
    count = p.get("nearing_end_count", len(nearing))
    lines.append(t("reminders.portfolio.nearing_end", lang, count=count))
    for item in nearing:
        lines.append(
            "• "
            + t(
                "reminders.portfolio.ends",
                lang,
                title=_e(item["title"]),
                due=format_date(date.fromisoformat(item["ends_on"]), lang),
            )
        )
    return "\n".join(lines)


# --- small helpers ------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=False)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fit(text: str, *, more: str = "…") -> str:
    """Keep a message within Telegram's limit, cutting at a line and saying so."""
    if len(text.encode("utf-16-le")) // 2 <= MAX_TEXT:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    size = len(more) + 8
    for line in lines:
        cost = len(line.encode("utf-16-le")) // 2 + 1
        if size + cost > MAX_TEXT:
            break
        kept.append(line)
        size += cost
    dropped = len(lines) - len(kept)
    return "\n".join([*kept, more.format(count=dropped)])


def format_date(value: date, lang: str = "id") -> str:
    """``6 Mar 2026``: the date format of every screen (:func:`services.wording.format_date`)."""
    return wording.format_date(value, lang)


# --- the reminder buttons' answers ---------------------------------------------------------------


def snoozed(snooze: SnoozeView, lang: str) -> str:
    """The answer to "remind me in 3 days": until when, in the user's own time zone."""
    until = snooze.until_at.astimezone(ZoneInfo(snooze.timezone)).date()
    return t_html(
        "reminders.snoozed", lang, milestone=snooze.milestone_title, until=format_date(until, lang)
    )


def milestone_menu(milestone: MilestoneContext, telegram_id: int, lang: str) -> OutgoingMessage:
    """A milestone of a collapsed reminder, with its four actions."""
    text = t_html(
        "reminders.choose", lang, milestone=milestone.title, agreement=milestone.agreement_title
    )
    buttons = milestone_buttons(milestone.agreement_id, milestone.milestone_id, lang)
    return OutgoingMessage(telegram_id, text, lang, buttons)


# --- sending again (/kirimulang) ---------------------------------------------------------------


def resendable(rows: list[OutboxView], lang: str) -> str:
    """What an admin may send again, newest first, and how."""
    if not rows:
        return t_html("reminders.resend.none", lang)
    lines = [t_html("reminders.resend.header", lang)]
    for r in rows:
        lines.append(
            t_html(
                "reminders.resend.row",
                lang,
                id=r.id,
                kind=r.kind,
                status=r.status,
                recipient=r.recipient,
                agreement=r.agreement_id or "-",
                milestone=r.milestone_id or "-",
                when=r.updated_at.strftime("%Y-%m-%d %H:%M UTC"),
            )
        )
    lines.append(t_html("reminders.resend.usage", lang))
    return _fit("\n".join(lines))


def resent(report: ResendReport, lang: str) -> str:
    """Each id asked for: resent (the next pass sends it), or why not."""
    lines = [t_html("reminders.resend.done", lang, id=i) for i in report.resent]
    lines += [f"❌ {error_text(err, lang)}" for _, err in report.refused]
    return _fit("\n".join(lines))
