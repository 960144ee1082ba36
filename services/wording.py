"""The words every screen shares: one date format and one vocabulary for health and status.

Dates read "30 Nov 2026" (Indonesian month abbreviations: Jan, Feb, Mar, Apr, Mei, Jun, Jul,
Agu, Sep, Okt, Nov, Des) on every screen: the bot's messages, reminders, digests, charts, the
terminal chat. An agreement's health has one name per language wherever it is shown
("hanya di atas kertas" / "paper only" for ``stalled``, never "macet" or "mandek"), and so does
a milestone's status. The words live in ``services/locales/wording.*.json``.
"""

from __future__ import annotations

from datetime import date

from services.messages import catalog


def format_date(value: date | None, lang: str = "id") -> str:
    """``30 Nov 2026`` (``30 Nov 2026`` in English too, with English month names); a dash
    when there is no date."""
    cat = catalog()
    if value is None:
        return cat.t("date.none", lang)
    return f"{value.day} {cat.t(f'date.month.{value.month}', lang)} {value.year}"


def month_name(month: int, lang: str = "id") -> str:
    """The abbreviation of ``month`` (1-12): "Mei", "Okt"."""
    return catalog().t(f"date.month.{month}", lang)


def health_name(health: str, lang: str = "id") -> str:
    """An agreement's health in words, lower case ("berisiko", "paper only")."""
    return catalog().t(f"health.{health}", lang)


def health_title(health: str, lang: str = "id") -> str:
    """The same words capitalised, for headings and legends ("Berisiko")."""
    name = health_name(health, lang)
    return name[:1].upper() + name[1:]


def status_name(status: str, lang: str = "id") -> str:
    """A milestone's status in words ("sedang berjalan", "blocked")."""
    return catalog().t(f"milestone.status.{status}", lang)


def status_title(status: str, lang: str = "id") -> str:
    """The same words capitalised ("Sedang berjalan")."""
    name = status_name(status, lang)
    return name[:1].upper() + name[1:]
