"""Health of a deployment: each part probed, failures reported rather than raised.

Used by the bot's ``/status`` (admins) and by ``sinergi status`` (operators, monitoring: it
exits with status 6 when a part is down, so it can serve as a container health check).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accounts.schemas import Operator
from core.errors import AppError

if TYPE_CHECKING:
    from services.container import Services


@dataclass(frozen=True)
class Check:
    """One probed part: ``detail`` is a short figure when ``ok``, else the error's code."""

    name: str
    ok: bool
    detail: str


def health_checks(services: Services) -> list[Check]:
    """Database, access requests, knowledge base (database and vector store), tracker, reminders,
    the bot's update inbox."""
    checks: list[Check] = []

    def check(name: str, probe: Callable[[], Any]) -> None:
        try:
            checks.append(Check(name, True, str(probe())))
        except AppError as err:
            checks.append(Check(name, False, err.code))
        except Exception as err:  # an operator page must show every failure, whatever it is
            checks.append(Check(name, False, type(err).__name__))

    check("database", lambda: f"{len(services.access.list_users())} users")
    check("pending", lambda: len(services.access.pending()))
    check(
        "knowledge",
        lambda: (
            f"{len(services.knowledge.list_documents())} documents, keyword search in "
            f"{services.index.keywords.kind}"
        ),
    )
    check("vector store", lambda: f"{services.index.store.count()} vectors")
    # The probe acts as the operator: /status is for admins, `sinergi status` for operators.
    operator = Operator("status")
    check("tracker", lambda: f"{services.tracker.count_agreements(operator)} agreements")
    check("reminders", lambda: _reminders_health(services))
    check("inbox", lambda: _inbox_health(services))
    return checks


def _inbox_health(services: Services) -> str:
    """The bot's update inbox: what waits, for how long, and what a worker had begun."""
    inbox = services.conversations.inbox()
    if not inbox.pending or inbox.oldest_pending_at is None:
        return "0 pending"
    waited = (services.clock.now() - inbox.oldest_pending_at).total_seconds()
    return f"{inbox.pending} pending (oldest {waited:.0f} s), {inbox.retried} begun before"


def _reminders_health(services: Services) -> str:
    """When the reminder job last delivered, and what it could not deliver (last 100 rows)."""
    reminders = services.reminders
    sent = reminders.log(limit=1, status="sent")
    last = sent[0].sent_at.strftime("%Y-%m-%d %H:%M UTC") if sent and sent[0].sent_at else "-"
    failed = len(reminders.log(limit=100, status="failed"))
    undeliverable = len(reminders.log(limit=100, status="undeliverable"))
    return f"last sent {last}, failed {failed}, undeliverable {undeliverable}"
