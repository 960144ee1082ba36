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


# Configuration first: an error that is also invalid input for one file (OCR not installed,
# ``ingest.ocr_unavailable``) is the operator's to fix.
_BY_TYPE: tuple[tuple[type[AppError], ExitStatus], ...] = (
    (ConfigurationError, ExitStatus.CONFIGURATION),
    (NotFound, ExitStatus.NOT_FOUND),
    (PermissionDenied, ExitStatus.PERMISSION),
    (InvalidInput, ExitStatus.INVALID_INPUT),
    (ServiceUnavailable, ExitStatus.UNAVAILABLE),
)


def exit_status_for(error: AppError) -> ExitStatus:
    for kind, status in _BY_TYPE:
        if isinstance(error, kind):
            return status
    return ExitStatus.FAILED
