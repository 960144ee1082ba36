"""The base of every domain error.

Each package defines its own family (``RegionError``, ``IngestError``...) under :class:`AppError`.
An error carries a stable ``code`` and structured ``params``; the transports (bot, CLI) translate
the code into a message in the user's language from their message catalogs, so domain code never
formats user-facing text.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from typing import Any


class AppError(Exception):
    """A failure the user can understand and act on.

    Attributes:
        code: stable, dotted identifier used to look up the message, e.g. ``"region.ambiguous"``.
        params: values the message template may use.
    """

    code: str = "app.error"

    def __init__(self, message: str = "", /, **params: Any) -> None:
        self.params: dict[str, Any] = params
        super().__init__(message or self.code)

    def message_variant(self) -> str | None:
        """A more specific wording of the same error (``error.CODE.VARIANT`` in the catalogs),
        read from ``params`` so it survives pickling; the code itself stays what it is."""
        return None

    def __reduce__(self) -> tuple[Any, ...]:  # keep errors picklable across processes
        return (_rebuild, (type(self), str(self), self.params))


def _rebuild(cls: type[AppError], message: str, params: dict[str, Any]) -> AppError:
    err = cls.__new__(cls)
    err.params = params
    Exception.__init__(err, message)
    return err


class NotFound(AppError):
    """A thing asked for by id or name does not exist."""

    code = "app.not_found"


class PermissionDenied(AppError):
    """The acting user's role does not allow the action."""

    code = "app.permission_denied"


class InvalidInput(AppError):
    """Input that cannot be accepted as given (a date, a number, a choice)."""

    code = "app.invalid_input"


class InvalidChoice(InvalidInput):
    """A value outside a fixed set (a status, a health); the message lists the choices.

    Params: ``name`` (what was chosen), ``value``, ``choices`` (comma-separated).
    """

    code = "app.invalid_choice"

    def __init__(self, name: str, value: str, choices: Iterable[str]) -> None:
        super().__init__(
            f"invalid {name}: {value!r}", name=name, value=value, choices=", ".join(choices)
        )
        # "choice.health", "choice.status": a message that names the thing in each language.
        self.code = f"choice.{name}"


class ConfigurationError(AppError):
    """The settings are incomplete or contradict each other."""

    code = "app.configuration"


class ServiceUnavailable(AppError):
    """A backing service (database, vector store, LLM, Telegram) cannot be reached now."""

    code = "app.unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    """The database is locked by another writer or cannot be reached; nothing was changed.

    Params: ``service`` ("database"), ``reason`` ("locked", "busy" or "unreachable"), ``detail``.
    """

    code = "db.unavailable"


class LockWaitExpired(DatabaseUnavailable):
    """Another process has held the lock on the same thing (a document being written) for
    longer than the wait allows: it may be stuck. Nothing was changed; trying again later, or
    ending the stuck process, lets the write through.

    Params: ``service`` ("database"), ``reason`` ("locked"), ``name`` (what is locked: a
    document's id), ``seconds`` (how long was waited), ``detail``.
    """

    code = "db.lock_wait"

    def __init__(self, name: str, seconds: float) -> None:
        detail = f"lock on {name!r} still held after {seconds:g} s"
        super().__init__(
            detail,
            service="database",
            reason="locked",
            name=name,
            seconds=f"{seconds:g}",
            detail=detail,
        )


class DatabaseFull(DatabaseUnavailable):
    """The disk holding the database is full; nothing was changed."""

    code = "db.full"


class ValueOutOfRange(InvalidInput):
    """A number or text too large for the database (an id of 2**63 or more, a text longer
    than its column); nothing was changed.

    Params: ``max_integer`` (the largest id a database can hold).
    """

    code = "db.out_of_range"


class StorageFull(ServiceUnavailable):
    """No space left on the disk (or quota) where a file was being written; the file was not
    written. Params: ``path``."""

    code = "storage.full"


class StorageUnwritable(ServiceUnavailable):
    """A file could not be written for another reason (permissions, read-only file system).
    Params: ``path``, ``reason``."""

    code = "storage.unwritable"


class StorageLinkLoop(StorageUnwritable):
    """The file, or a folder on its way, is a symbolic link that leads back to itself (a
    loop of links): it can be neither read nor written until the link is mended.
    Params: ``path``."""

    code = "storage.link_loop"


def storage_error(exc: OSError, path: str) -> StorageFull | StorageUnwritable:
    """The domain error for an ``OSError`` raised while writing (or reading) ``path``.

    A loop of symbolic links is named as such whatever the call reported: opening the file
    says "Too many levels of symbolic links", creating its folder "File exists", in English
    only.
    """
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFull(path, path=path)
    if exc.errno == errno.ELOOP or _loops(path):
        return StorageLinkLoop(path, path=path)
    return StorageUnwritable(path, path=path, reason=exc.strerror or type(exc).__name__)


def _loops(path: str) -> bool:
    """Whether ``path`` is, or lies under, a loop of symbolic links."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    except ValueError:  # a NUL in the path: no loop to speak of
        return False
    return False
