"""Errors of the reminders (messages in ``services/locales/reminders.*.json``).

:class:`TransientSendError`, :class:`UnconfirmedSendError` and :class:`UndeliverableError` are
the sender's contract: the transport raises them, the delivery pass turns them into a retry, an
``unconfirmed`` row (never re-sent) or an admin notice.
"""

from __future__ import annotations

from core.errors import AppError, InvalidInput, PermissionDenied


class ReminderError(AppError):
    """Base of the reminder errors."""

    code = "reminders.error"


class TransientSendError(ReminderError):
    """The sender could not deliver now but may later (rate limit, timeout, server error).

    Args:
        retry_after: seconds the transport asked us to wait, if it said.
    """

    code = "reminders.transient"

    def __init__(self, detail: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(detail or self.code, detail=detail, retry_after=retry_after)
        self.retry_after = retry_after


class UnconfirmedSendError(ReminderError):
    """The request reached Telegram but no answer came back (a read timeout): it may have been
    delivered. Never sent again (at most once, as for a pass that died while sending)."""

    code = "reminders.unconfirmed"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.code, detail=detail)


class UndeliverableError(ReminderError):
    """Nobody will ever receive this message there (blocked the bot, chat gone, bad request)."""

    code = "reminders.undeliverable"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.code, detail=detail)


class ReminderActionDenied(PermissionDenied):
    """The user may not act on this milestone from a reminder (not a party, not bound)."""

    code = "reminders.action_denied"


class InvalidSnooze(InvalidInput):
    code = "reminders.invalid_snooze"


class MilestoneSettled(InvalidInput):
    """A snooze of a milestone done or skipped: no reminder would come of it."""

    code = "reminders.milestone_settled"


class InvalidInstant(InvalidInput):
    code = "reminders.invalid_instant"
