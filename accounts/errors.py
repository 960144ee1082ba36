"""Errors of the accounts area (messages in ``services/locales/access.*.json``)."""

from __future__ import annotations

from core.errors import InvalidInput, NotFound, PermissionDenied


class AccessDenied(PermissionDenied):
    """The user is unknown, not active, or their role does not allow the action."""

    code = "access.denied"


class NotYourRegion(AccessDenied):
    """A coordinator records only agreements their own region is a party to."""

    code = "access.not_your_region"


class UserNotFound(NotFound):
    code = "access.user_not_found"


class InvalidTelegramId(InvalidInput):
    """Not a Telegram user's ID: those are positive, with at most 52 significant bits."""

    code = "access.invalid_telegram_id"


class InvalidRole(InvalidInput):
    code = "access.invalid_role"


class InvalidLanguage(InvalidInput):
    code = "access.invalid_language"


class RegionRequired(InvalidInput):
    """Coordinators are bound to a region."""

    code = "access.region_required"


class InviteInvalid(InvalidInput):
    """The invite code does not exist, was used already or has expired."""

    code = "access.invite_invalid"


class InvalidInviteDays(InvalidInput):
    """An invite validity outside 0 (no expiry) .. ``max`` days."""

    code = "access.invalid_invite_days"


class NotACoordinator(InvalidInput):
    """Only a coordinator is made responsible for an agreement: an admin sees every agreement
    already, and an official or a trainer does not work on agreements."""

    code = "access.bind_needs_coordinator"


class LastAdmin(InvalidInput):
    """Removing or demoting the only active admin would lock everyone out."""

    code = "access.last_admin"


class RequestDecided(InvalidInput):
    """An access request another admin (or another press of the button) decided first:
    it is ``pending`` no longer (``status``)."""

    code = "access.request_decided"
