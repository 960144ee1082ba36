"""Reminder messages: outbox entries rendered as Telegram text (HTML parse mode) and buttons.

:class:`ReminderRenderer` turns one recipient's group of outbox entries into one
:class:`OutgoingMessage`:

* a single milestone or agreement reminder (``upcoming``, ``overdue``, ``escalation``,
  ``renewal``, ``snooze``) with, when it is about a milestone, that milestone's four action
  buttons (:meth:`ReminderRenderer.milestone_buttons`); or an ``undeliverable`` notice to the
  admins (no buttons);
* several such reminders collapsed into one list, with an ``open`` button per milestone (at
  most ``MAX_COLLAPSED_BUTTONS``);
* a coordinator's weekly ``digest`` of their agreements, or the admins' weekly ``portfolio``
  overview (no buttons).

Texts come from the message catalog (:mod:`services.messages`) in the recipient's language
(``id`` or ``en``; anything else gets ``id``), dates as ``6 Maret 2026`` (:func:`format_date`),
time zones as WIB/WITA/WIT. Everything taken from the entry's payload is HTML-escaped, and a
message is cut at a line to fit Telegram's limit of ``MAX_TEXT`` (UTF-16) characters.
Rendering reads the entry only: names were resolved when :mod:`services.reminders` recorded it
in the outbox, and only an entry recorded without a time zone asks ``timezone_of``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

from mou_tracker.reminders.rules import ReminderPolicy, zone
from services.messages import catalog

__all__ = [
    "MAX_TEXT",
    "OutgoingMessage",
    "ReminderButton",
    "ReminderEntry",
    "ReminderRenderer",
    "format_date",
]

#: Buttons on a single-milestone reminder, in order.
MILESTONE_ACTIONS = ("done", "progress", "blocked", "snooze")
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
    """An inline button: the transport encodes ``action`` and ``milestone_id`` itself.

    ``action`` is one of ``done``, ``progress``, ``blocked``, ``snooze`` (on a single reminder)
    or ``open`` (on a collapsed message: shows that milestone's buttons).
    """

    action: str
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


class ReminderEntry(Protocol):
    """What rendering reads from an outbox entry (``services.reminders`` passes its snapshots)."""

    @property
    def kind(self) -> str: ...
    @property
    def agreement_id(self) -> int | None: ...
    @property
    def milestone_id(self) -> int | None: ...
    @property
    def telegram_id(self) -> int | None: ...
    @property
    def region_code(self) -> str | None: ...
    @property
    def language(self) -> str: ...
    @property
    def due_on(self) -> date | None: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...


class ReminderRenderer:
    """Outbox entries -> Telegram messages.

    Args:
        policy: the reminder policy (its default time zone is the admins' and the fallback).
        timezone_of: region code (or ``None``) -> IANA time zone, for entries recorded without
            one (``ReminderService.timezone_of``).
    """

    def __init__(self, policy: ReminderPolicy, timezone_of: Callable[[str | None], str]) -> None:
        self._policy = policy
        self._timezone_of = timezone_of

    def render(self, group: Sequence[ReminderEntry], *, now: datetime) -> OutgoingMessage:
        """One message for one recipient: a single reminder, a collapsed list, or a digest."""
        first = group[0]
        lang = first.language if first.language in ("id", "en") else "id"
        assert first.telegram_id is not None
        if first.kind == "digest":
            text = self._render_digest(first, lang)
            return OutgoingMessage(first.telegram_id, _fit(text), lang, (), ("digest",))
        if first.kind == "portfolio":
            text = self._render_portfolio(first, lang)
            return OutgoingMessage(first.telegram_id, _fit(text), lang, (), ("portfolio",))
        kinds = tuple(dict.fromkeys(e.kind for e in group))
        if len(group) == 1:
            text = self._render_one(first, lang, now, "single")
            buttons: tuple[tuple[ReminderButton, ...], ...] = ()
            if (
                first.milestone_id is not None
                and first.agreement_id is not None
                and first.kind != "undeliverable"
            ):
                buttons = self.milestone_buttons(first.agreement_id, first.milestone_id, lang)
            return OutgoingMessage(first.telegram_id, _fit(text), lang, buttons, kinds)
        t = catalog().t
        lines = [t("reminders.collapsed.header", lang, count=len(group))]
        ordered = sorted(group, key=lambda e: (e.due_on or date.max, e.agreement_id or 0))
        for e in ordered:
            lines.append("• " + self._render_one(e, lang, now, "line"))
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
        self, agreement_id: int, milestone_id: int, lang: str
    ) -> tuple[tuple[ReminderButton, ...], ...]:
        """The four actions on a milestone, two per row."""
        t = catalog().t
        buttons = [
            ReminderButton(
                action, agreement_id, milestone_id, t(f"reminders.button.{action}", lang)
            )
            for action in MILESTONE_ACTIONS
        ]
        return (tuple(buttons[:2]), tuple(buttons[2:]))

    def _days(self, entry: ReminderEntry, now: datetime) -> int:
        tz = entry.payload.get("timezone") or self._timezone_of(entry.region_code)
        today = now.astimezone(zone(str(tz))).date()
        return (entry.due_on - today).days if entry.due_on else 0

    def _common(self, entry: ReminderEntry, lang: str, now: datetime) -> dict[str, Any]:
        p = entry.payload
        tz = str(p.get("timezone") or self._policy.default_timezone)
        days = self._days(entry, now)
        partners = p.get("partners") or []
        laggards = p.get("laggards") or []
        return {
            "agreement": _e(p.get("agreement_title") or ""),
            "number": _e(p.get("agreement_number") or "-"),
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
        self, entry: ReminderEntry, lang: str, now: datetime, form: Literal["single", "line"]
    ) -> str:
        """One reminder as a whole message (``single``) or as a line of a collapsed one."""
        params = self._common(entry, lang, now)
        kind = "today" if entry.kind == "upcoming" and params["days_left"] <= 0 else entry.kind
        return catalog().t(f"reminders.{form}.{kind}", lang, **params)

    def _render_digest(self, entry: ReminderEntry, lang: str) -> str:
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
                    health=t(f"reminders.health.{item['health']}", lang),
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

    def _render_portfolio(self, entry: ReminderEntry, lang: str) -> str:
        t = catalog().t
        p = entry.payload
        counts = p.get("counts") or {}
        lines = [t("reminders.portfolio.header", lang, total=p.get("total", 0))]
        lines.append(
            ", ".join(f"{t(f'reminders.health.{h}', lang)}: {n}" for h, n in sorted(counts.items()))
            or "-"
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


_MONTHS = {
    "id": (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni",
        "Juli", "Agustus", "September", "Oktober", "November", "Desember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


def format_date(value: date, lang: str = "id") -> str:
    """``6 Maret 2026`` / ``6 March 2026``."""
    months = _MONTHS.get(lang, _MONTHS["id"])
    return f"{value.day} {months[value.month - 1]} {value.year}"
