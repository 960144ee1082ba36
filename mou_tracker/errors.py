"""Errors of the tracker: regions, dates, agreements, milestones and imports.

Every error has a stable ``code``; its message lives in ``services/locales/tracker.*.json`` and
``services/locales/regions.*.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.errors import AppError, InvalidInput, NotFound


class RegionNotFound(NotFound):
    """No region matches a code or name; ``suggestions`` holds close names (maybe empty)."""

    code = "region.not_found"

    def __init__(self, query: str, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(
            f"region not found: {query!r}",
            query=query,
            suggestions=", ".join(suggestions),
            suggestion_list=list(suggestions),
        )

    def message_variant(self) -> str | None:
        return None if self.params.get("suggestion_list") else "no_suggestions"


class RegionAmbiguous(InvalidInput):
    """A name matches more than one region (e.g. "Tasikmalaya": the regency and the city)."""

    code = "region.ambiguous"

    def __init__(self, query: str, candidates: tuple[str, ...]) -> None:
        super().__init__(
            f"ambiguous region: {query!r}",
            query=query,
            candidates=", ".join(candidates),
            candidate_list=list(candidates),
        )


class InvalidDate(InvalidInput):
    """Text that is not a real calendar date (e.g. "31 Februari 2019")."""

    code = "date.invalid"

    def __init__(self, value: str) -> None:
        super().__init__(f"invalid date: {value!r}", value=value)


class TwoDigitYear(InvalidDate):
    """A date written with a two-digit year ("15/06/99"): 1999 or 2099 cannot be told apart.

    Params: ``value``, and both readings as ``earlier``/``later`` (``15/06/1999``,
    ``15/06/2099``) for the message.
    """

    code = "date.two_digit_year"

    def __init__(self, value: str, *, day: int, month: int, year: int) -> None:
        super().__init__(value)
        self.params.update(
            earlier=f"{day:02d}/{month:02d}/{1900 + year}",
            later=f"{day:02d}/{month:02d}/{2000 + year}",
        )


class AgreementNotFound(NotFound):
    code = "agreement.not_found"

    def __init__(self, agreement_id: int) -> None:
        super().__init__(f"agreement {agreement_id} not found", agreement_id=agreement_id)


class InvalidAgreementId(InvalidInput):
    """What was typed as an agreement's number is not one (``-1``, ``1e5``, a word)."""

    code = "agreement.bad_id"

    def __init__(self, value: str) -> None:
        super().__init__("not an agreement number", value=value)


class MilestoneNotFound(NotFound):
    code = "milestone.not_found"

    def __init__(self, milestone_id: int) -> None:
        super().__init__(f"milestone {milestone_id} not found", milestone_id=milestone_id)


class TemplateNotFound(NotFound):
    code = "template.not_found"

    def __init__(self, name: str, available: tuple[str, ...] = ()) -> None:
        super().__init__(
            f"template not found: {name!r}", name=name, available=", ".join(available) or "-"
        )


class InvalidTemplate(InvalidInput):
    """A template file that cannot be used (bad JSON, missing fields, unknown side)."""

    code = "template.invalid"

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"invalid template {name!r}: {detail}", name=name, detail=detail)


class InvalidAgreement(InvalidInput):
    """An agreement that cannot be stored as given; ``reason`` is a catalog sub-code."""

    code = "agreement.invalid"

    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(f"invalid agreement: {reason}", reason=reason, **params)
        # A more specific code so each reason has its own message.
        self.code = f"agreement.{reason}"

    def __reduce__(self) -> tuple[Any, ...]:
        params = {k: v for k, v in self.params.items() if k != "reason"}
        return (_rebuild_with_reason, (type(self), self.params["reason"], params))


class InvalidMilestoneChange(InvalidInput):
    """A milestone change that is not allowed (unknown status, missing evidence or reason)."""

    code = "milestone.invalid"

    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(f"invalid milestone change: {reason}", reason=reason, **params)
        self.code = f"milestone.{reason}"

    def __reduce__(self) -> tuple[Any, ...]:
        params = {k: v for k, v in self.params.items() if k != "reason"}
        return (_rebuild_with_reason, (type(self), self.params["reason"], params))


class MilestoneChanged(InvalidInput):
    """A change asked from a view of the milestone that no longer holds (a button of an earlier
    message, pressed after someone else recorded it): nothing is changed. Params:
    ``milestone_id``, ``status`` (as it is now)."""

    code = "milestone.changed"


def _rebuild_with_reason(
    cls: type[InvalidAgreement | InvalidMilestoneChange], reason: str, params: dict[str, Any]
) -> AppError:
    return cls(reason, **params)


class UnsupportedImportFile(InvalidInput):
    """A file the import cannot read: not CSV/XLSX, or not decodable."""

    code = "import.unsupported_type"

    def __init__(self, path: str, detail: str = "") -> None:
        super().__init__(f"unsupported import file: {path}", path=path, detail=detail)


class ImportFileNotFound(NotFound):
    """The file to import does not exist."""

    code = "import.file_not_found"

    def __init__(self, path: str) -> None:
        super().__init__(f"import file not found: {path}", path=path)


class ImportPathNotFile(InvalidInput):
    """The path to import is a folder (or a device, a pipe), not a file."""

    code = "import.not_a_file"

    def __init__(self, path: str) -> None:
        super().__init__(f"not a file: {path}", path=path)


class ImportFileTooLarge(InvalidInput):
    """The file to import is larger than any agreement register (``max_mb``)."""

    code = "import.too_large"

    def __init__(self, path: str, *, size_mb: float, max_mb: float) -> None:
        super().__init__(
            f"import file too large: {path}", path=path, size_mb=size_mb, max_mb=max_mb
        )


class ExportFolderMissing(NotFound):
    """The folder to export into does not exist (it is not created: a typo is likelier)."""

    code = "export.folder_missing"

    def __init__(self, path: str, folder: str) -> None:
        super().__init__(f"export folder missing: {folder}", path=path, folder=folder)


class UnsupportedExportFile(UnsupportedImportFile):
    """An export to a format the tracker does not write (``.csv``, ``.xlsx``, ``.ics`` only)."""

    code = "export.unsupported_type"


class UnreadableImportFile(InvalidInput):
    """A CSV/XLSX file whose content cannot be decoded or parsed."""

    code = "import.unreadable"

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"unreadable import file: {path}: {detail}", path=path, detail=detail)


class ImportRejected(InvalidInput):
    """The import found bad rows; nothing was written. ``problems`` lists every one."""

    code = "import.rejected"

    def __init__(self, path: str, problems: tuple[Any, ...], changes: Sequence[Any] = ()) -> None:
        super().__init__(
            f"import rejected: {len(problems)} problem(s)", path=path, count=len(problems)
        )
        self.problems = problems
        #: What the file would change in stored agreements (``AgreementChanges``), so a
        #: refusal for want of ``--update`` can show the differences.
        self.changes = tuple(changes)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.params["path"], self.problems, self.changes))


class TrackerError(AppError):
    """Any other failure of the tracker."""

    code = "tracker.error"


class AgreementFileNotFound(NotFound):
    """A kept file (source document or evidence) that does not exist, or whose bytes are gone."""

    code = "file.not_found"

    def __init__(self, file_id: int) -> None:
        super().__init__(f"file {file_id} not found", file_id=file_id)


class IntakeIncomplete(InvalidInput):
    """A draft that cannot be saved yet: ``missing`` names the fields still to fill in."""

    code = "intake.incomplete"

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"draft incomplete: {missing}", missing=", ".join(missing))


class IntakeSourceMissing(NotFound):
    """The draft's file is no longer in the store (it must be sent again)."""

    code = "intake.source_missing"

    def __init__(self, filename: str) -> None:
        super().__init__(f"intake source missing: {filename}", file=filename)
