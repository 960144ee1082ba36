"""Errors of the reminders (messages in ``services/locales/reminders.*.json``).

:class:`TransientSendError`, :class:`UnconfirmedSendError` and :class:`UndeliverableError` are
the sender's contract: the transport raises them, the delivery pass turns them into a retry, an
``unconfirmed`` row (never re-sent) or an admin notice.
"""

from __future__ import annotations

from core.errors import AppError, InvalidInput, NotFound, PermissionDenied


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


class ReminderNotFound(NotFound):
    """No reminder in the outbox has this id. Params: ``id``."""

    code = "reminders.not_found"

    def __init__(self, reminder_id: int) -> None:
        super().__init__(f"no reminder #{reminder_id}", id=reminder_id)


class NotResendable(InvalidInput):
    """Only ``unconfirmed`` and ``undeliverable`` reminders can be sent again (a sent one
    would arrive twice, a pending one goes out anyway). Params: ``id``, ``status``."""

    code = "reminders.not_resendable"

    def __init__(self, reminder_id: int, status: str) -> None:
        super().__init__(f"reminder #{reminder_id} is {status}", id=reminder_id, status=status)


class ResendWithoutRecipient(InvalidInput):
    """The reminder was recorded for a role nobody held (``region:<code>``, ``admins``): there
    is nobody to send it to. Params: ``id``, ``recipient``."""

    code = "reminders.resend_no_recipient"

    def __init__(self, reminder_id: int, recipient: str) -> None:
        super().__init__(
            f"reminder #{reminder_id} has no recipient", id=reminder_id, recipient=recipient
        )
