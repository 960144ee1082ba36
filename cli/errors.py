"""Domain errors -> exit statuses. Scripts rely on these numbers; keep them stable."""

from __future__ import annotations

from enum import IntEnum

from core.errors import (
    AppError,
    ConfigurationError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
)


class ExitStatus(IntEnum):
    OK = 0
    FAILED = 1  # the command ran but some of its work failed (bad rows, failed files)
    USAGE = 2  # typer/click's own status for bad options
    NOT_FOUND = 3
    PERMISSION = 4
    INVALID_INPUT = 5
    UNAVAILABLE = 6
    CONFIGURATION = 7


_BY_TYPE: tuple[tuple[type[AppError], ExitStatus], ...] = (
    (NotFound, ExitStatus.NOT_FOUND),
    (PermissionDenied, ExitStatus.PERMISSION),
    (InvalidInput, ExitStatus.INVALID_INPUT),
    (ServiceUnavailable, ExitStatus.UNAVAILABLE),
    (ConfigurationError, ExitStatus.CONFIGURATION),
)


def exit_status_for(error: AppError) -> ExitStatus:
    for kind, status in _BY_TYPE:
        if isinstance(error, kind):
            return status
    return ExitStatus.FAILED
