"""Health of a deployment: each part probed, failures reported rather than raised.

Used by the bot's ``/status`` (admins) and by ``sinergi status`` (operators, monitoring: it
exits with status 6 when a part is down, so it can serve as a container health check).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from accounts.schemas import Operator
from core.errors import AppError
from knowledge_base.translation import load_english_dictionary
from services.messages import catalog

if TYPE_CHECKING:
    from services.container import Services


@dataclass(frozen=True)
class Check:
    """One probed part: ``detail`` is a short figure when ``ok``, else the error's code.

    ``figures`` are the detail's numbers, worded in the reader's language by :func:`describe`
    (``health.detail.<key>``; ``key`` is the name's unless the probe chose another wording).
    """

    name: str
    ok: bool
    detail: str
    figures: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    degraded: bool = False
    """Working, with a feature off (the English dictionary not installed): said, never a
    reason to call the deployment down."""


def describe(check: Check, lang: str) -> tuple[str, str]:
    """A check's part and detail in ``lang`` (a failed part's detail stays its error code)."""
    cat = catalog()
    name_key = check.name.replace(" ", "_")
    part_key = f"health.part.{name_key}"
    part = cat.t(part_key, lang) if cat.has(part_key) else check.name
    detail_key = f"health.detail.{check.key or name_key}"
    if not check.ok or not cat.has(detail_key):
        return part, check.detail
    figures = dict(check.figures)
    if "keywords" in figures:
        figures["keywords"] = cat.t(f"health.keywords.{figures['keywords']}", lang)
    return part, cat.t(detail_key, lang, **figures)


def health_checks(services: Services) -> list[Check]:
    """Database, access requests, knowledge base (database and vector store), tracker, reminders,
    the bot's update inbox, the English-Indonesian dictionary."""
    checks: list[Check] = []

    def check(name: str, probe: Callable[[], Any]) -> None:
        try:
            found = probe()
            if isinstance(found, Check):
                checks.append(replace(found, name=name))
            else:
                checks.append(Check(name, True, str(found)))
        except AppError as err:
            checks.append(Check(name, False, err.code))
        except Exception as err:  # an operator page must show every failure, whatever it is
            checks.append(Check(name, False, type(err).__name__))

    check("database", lambda: _counted(len(services.access.list_users()), "users"))
    check("pending", lambda: _counted(len(services.access.pending()), "count", text="{}"))
    check("knowledge", lambda: _knowledge_health(services))
    check("vector store", lambda: _counted(services.index.store.count(), "vectors"))
    # The probe acts as the operator: /status is for admins, `sinergi status` for operators.
    operator = Operator("status")
    check("tracker", lambda: _counted(services.tracker.count_agreements(operator), "agreements"))
    check("reminders", lambda: _reminders_health(services))
    check("inbox", lambda: _inbox_health(services))
    check("english dictionary", lambda: _english_health(services))
    return checks


def _counted(count: int, what: str, *, text: str = "") -> Check:
    """A part whose detail is one count (``text``: its plain form, e.g. "3 users")."""
    detail = text.format(count) if text else f"{count} {what}"
    return Check("", True, detail, {what: count})


def _knowledge_health(services: Services) -> Check:
    """Documents, where the keyword search runs, and the passages whose stored sentence
    vectors cannot be used (damaged, another model's: ``kb check``'s count). Those passages
    still answer, their sentences embedded again while an official waits: working, limited,
    until ``sinergi kb check --repair``."""
    documents = len(services.knowledge.list_documents())
    kind = services.index.keywords.kind
    damaged = services.index.damaged_unit_count()
    detail = f"{documents} documents, keyword search in {kind}"
    figures: dict[str, Any] = {"documents": documents, "keywords": kind}
    if not damaged:
        return Check("", True, detail, figures)
    detail += f", {damaged} damaged sentence-vector rows (sinergi kb check --repair)"
    figures["damaged"] = damaged
    return Check("", True, detail, figures, key="knowledge_damaged", degraded=True)


def _inbox_health(services: Services) -> Check:
    """The bot's update inbox: what waits, for how long, and what a worker had begun."""
    inbox = services.conversations.inbox()
    if not inbox.pending or inbox.oldest_pending_at is None:
        return Check("", True, "0 pending", key="inbox_idle")
    waited = (services.clock.now() - inbox.oldest_pending_at).total_seconds()
    detail = f"{inbox.pending} pending (oldest {waited:.0f} s), {inbox.retried} begun before"
    figures = {"pending": inbox.pending, "oldest": f"{waited:.0f}", "retried": inbox.retried}
    return Check("", True, detail, figures)


def _reminders_health(services: Services) -> Check:
    """When the reminder job last delivered, what it could not deliver and what Telegram never
    confirmed (every row counted: reading at most 100 of each said "failed 100" for 150)."""
    reminders = services.reminders
    sent = reminders.log(limit=1, status="sent")
    last = sent[0].sent_at.strftime("%Y-%m-%d %H:%M UTC") if sent and sent[0].sent_at else "-"
    counts = reminders.counts()
    failed = counts.get("failed", 0)
    undeliverable = counts.get("undeliverable", 0)
    # Sent, Telegram's answer never recorded, and never sent again: someone should ask.
    unconfirmed = counts.get("unconfirmed", 0)
    detail = (
        f"last sent {last}, failed {failed}, undeliverable {undeliverable}, "
        f"unconfirmed {unconfirmed}"
    )
    figures = {
        "last": last,
        "failed": failed,
        "undeliverable": undeliverable,
        "unconfirmed": unconfirmed,
    }
    return Check("", True, detail, figures)


def _english_health(services: Services) -> Check:
    """Whether English questions are also searched through their words' Indonesian
    translations (FreeDict's dictionary, ``SINERGI_ENGLISH_DICTIONARY``)."""
    # Read from the setting, as the index does, not through the index: the vector store
    # being down says nothing of the dictionary. Parsed once per process and file version.
    dictionary = load_english_dictionary(services.settings.english_dictionary)
    if dictionary:
        headwords = len(dictionary.entries)
        detail = f"present: {headwords} headwords ({dictionary.source})"
        figures = {"headwords": headwords, "path": dictionary.source}
        return Check("", True, detail, figures, key="english_present")
    path = str(services.settings.english_dictionary or "-")
    detail = f"absent ({path}): English questions are searched without translations"
    return Check("", True, detail, {"path": path}, key="english_absent", degraded=True)
