"""Importing a file again: which stored agreement each row is, and what an update changes.

Pure functions over what the service loaded (:class:`StoredAgreement` facts): the service asks
:func:`lookups` what to load, loads it, and asks :func:`reconcile` for the answer.

How a row finds its agreement (the first rule that applies):

1. Its ``id`` cell (every export has the column): that agreement. It must exist and have the
   same parties, which also catches an id copied from another installation's export.
2. Its import key: the agreement an earlier import of the same row created (the kind and the
   first document number; for an unnumbered agreement the kind, title, parties and signing date).
3. One of its document numbers, stored on a party of an agreement of the same kind (agreements
   recorded in the bot, with ``sinergi mou add`` or from a scan have no import key).

A row that finds none is new. In a file without an ``id`` column, a new unnumbered row with the
kind, parties and signing date of a stored unnumbered agreement that no other row claims is
refused: its title was most likely edited, and adding it would duplicate the agreement (an
export, which carries the ids, updates it).

A found agreement is compared field by field over the file's columns only: a column the file
lacks is left alone, and the computed ``kesehatan`` and ``perlu_perpanjangan`` are never read.
A blank cell clears an optional field (end date, numbers, apps, objective, signatories,
coordinators); a blank status, template or parent leaves it as it is. Parties, template and
parent cannot be changed by an import (they decide the milestones and who must act), and an
import never undoes a milestone: ``tahap_selesai`` can only add steps done.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from core.text import clean_line, clean_optional_block, clean_optional_line
from mou_tracker.importer import ParsedImport, ParsedRow, normalize_number
from mou_tracker.schemas import AgreementChanges, FieldChange, ImportProblem

#: How a kind is written in a file (the export's spelling).
KIND_LABELS = {"kb": "KB", "pks": "PKS", "addendum": "Addendum"}


@dataclass(frozen=True)
class StoredParty:
    code: str
    name: str
    document_number: str | None = None
    signatory: str | None = None
    coordinator_name: str | None = None


@dataclass(frozen=True)
class StoredAgreement:
    """What an import compares a row with."""

    id: int
    kind: str
    title: str
    status: str
    parties: tuple[StoredParty, ...]
    signed_on: date | None = None
    ends_on: date | None = None
    objective: str | None = None
    apps: tuple[str, ...] = ()
    template: str | None = None
    parent_id: int | None = None
    import_key: str | None = None
    #: Milestone keys in order, and those done.
    milestone_keys: tuple[str, ...] = ()
    done_keys: frozenset[str] = frozenset()

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.parties)

    @property
    def numbered(self) -> bool:
        return any(p.document_number for p in self.parties)


@dataclass(frozen=True)
class RowUpdate:
    """A row whose stored agreement differs from it: the changes, in column order."""

    row: ParsedRow
    agreement_id: int
    title: str
    changes: tuple[FieldChange, ...]
    #: Template steps the file marks done that are not done yet.
    done_keys: tuple[str, ...] = ()
    #: The import key to store (``None``: keep the stored one).
    import_key: str | None = None

    @property
    def summary(self) -> AgreementChanges:
        return AgreementChanges(self.row.row, self.agreement_id, self.title, self.changes)

    @property
    def fields(self) -> tuple[str, ...]:
        """The agreement's own fields that change (``done`` is its milestones')."""
        return tuple(c.field for c in self.changes if c.field != "done")


@dataclass(frozen=True)
class Lookups:
    """What the service must load before :func:`reconcile` can decide."""

    ids: frozenset[int]
    keys: frozenset[str]
    numbers: frozenset[str]
    """Normalised document numbers of the rows (and of their parents)."""
    kind_dates: frozenset[tuple[str, date | None]]
    """(kind, signing date) of unnumbered rows of a file without ``id`` column: the stored
    agreements that share them are the candidates a row with an edited title may be."""


@dataclass(frozen=True)
class Reconciliation:
    matched: dict[int, int] = field(default_factory=dict)
    """File row -> the stored agreement it is."""
    updates: tuple[RowUpdate, ...] = ()
    """The matched rows that differ from their agreement."""
    problems: tuple[ImportProblem, ...] = ()

    @property
    def unchanged(self) -> int:
        return len(self.matched) - len(self.updates)


def _numbers(row: ParsedRow) -> list[str]:
    return [normalize_number(p.document_number) for p in row.agreement.parties if p.document_number]


def lookups(parsed: ParsedImport) -> Lookups:
    with_ids = "id" in parsed.columns
    numbers = {n for r in parsed.rows for n in _numbers(r)}
    numbers |= {normalize_number(r.parent_number) for r in parsed.rows if r.parent_number}
    return Lookups(
        ids=frozenset(r.agreement_id for r in parsed.rows if r.agreement_id is not None),
        keys=frozenset(r.agreement.import_key for r in parsed.rows if r.agreement.import_key),
        numbers=frozenset(numbers),
        kind_dates=frozenset(
            (r.agreement.kind, r.agreement.signed_on)
            for r in parsed.rows
            if not with_ids and not _numbers(r)
        ),
    )


def reconcile(
    parsed: ParsedImport,
    *,
    stored: Mapping[int, StoredAgreement],
    by_key: Mapping[str, int],
    by_number: Mapping[tuple[str, str], Collection[int]],
    parents: Mapping[str, int],
) -> Reconciliation:
    """Match every row of ``parsed`` to a stored agreement (or none) and diff the matched ones.

    Args:
        stored: the agreements the rows may be (those :func:`lookups` asked for).
        by_key: stored import keys -> agreement id.
        by_number: (kind, normalised document number) -> the agreements holding it.
        parents: normalised document number -> agreement id (to check a parent column).
    """
    problems: list[ImportProblem] = []
    matched: dict[int, int] = {}
    claimed: dict[int, int] = {}  # agreement id -> first row
    for row in parsed.rows:
        target, problem = _find(row, stored, by_key, by_number)
        if problem is not None:
            problems.append(problem)
            continue
        if target is None:
            continue
        if target in claimed:
            problems.append(
                ImportProblem(row.row, "id", "import.duplicate_row", {"first": claimed[target]})
            )
            continue
        claimed[target] = row.row
        matched[row.row] = target

    updates: list[RowUpdate] = []
    for row in parsed.rows:
        target = matched.get(row.row)
        if target is None:
            if "id" not in parsed.columns and not problems_of(problems, row.row):
                problems.extend(_lookalike(row, stored, claimed))
            continue
        found, update = _diff(row, stored[target], parsed.columns, parents, by_key, by_number)
        problems.extend(found)
        if update is not None:
            updates.append(update)
    problems.sort(key=lambda p: (p.row, p.column))
    return Reconciliation(matched=matched, updates=tuple(updates), problems=tuple(problems))


def problems_of(problems: Sequence[ImportProblem], row: int) -> bool:
    return any(p.row == row for p in problems)


def _find(
    row: ParsedRow,
    stored: Mapping[int, StoredAgreement],
    by_key: Mapping[str, int],
    by_number: Mapping[tuple[str, str], Collection[int]],
) -> tuple[int | None, ImportProblem | None]:
    """The agreement ``row`` is, by id, import key or document number (``None``: new)."""
    if row.agreement_id is not None:
        if row.agreement_id not in stored:
            return None, ImportProblem(row.row, "id", "import.unknown_id", {"id": row.agreement_id})
        return row.agreement_id, None
    kind = row.agreement.kind
    holders = {i for n in _numbers(row) for i in by_number.get((kind, n), ())}
    key_holder = by_key.get(row.agreement.import_key or "")
    if key_holder is not None:
        return key_holder, None
    if len(holders) > 1:
        listed = ", ".join(f"#{i}" for i in sorted(holders))
        return None, ImportProblem(row.row, "number", "import.number_ambiguous", {"ids": listed})
    if holders:
        return holders.pop(), None
    return None, None


def _lookalike(
    row: ParsedRow, stored: Mapping[int, StoredAgreement], claimed: Mapping[int, int]
) -> list[ImportProblem]:
    """A refusal when a new unnumbered row looks like a stored unnumbered agreement."""
    if _numbers(row):
        return []
    data = row.agreement
    codes = tuple(p.region_code for p in data.parties)
    for agreement in sorted(stored.values(), key=lambda a: a.id):
        if (
            agreement.id not in claimed
            and not agreement.numbered
            and agreement.kind == data.kind
            and agreement.signed_on == data.signed_on
            and agreement.codes == codes
        ):
            return [
                ImportProblem(
                    row.row,
                    "title",
                    "import.looks_like",
                    {"id": agreement.id, "title": agreement.title},
                )
            ]
    return []


def _joined(values: Sequence[str | None]) -> str | None:
    """Per-party values as a file writes them (``"; 42"``), ``None`` when all are blank."""
    if not any(values):
        return None
    return "; ".join(v or "" for v in values).rstrip("; ")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _diff(
    row: ParsedRow,
    stored: StoredAgreement,
    columns: frozenset[str],
    parents: Mapping[str, int],
    by_key: Mapping[str, int],
    by_number: Mapping[tuple[str, str], Collection[int]],
) -> tuple[list[ImportProblem], RowUpdate | None]:
    """The problems of updating ``stored`` from ``row``, and the update (``None``: same)."""
    data = row.agreement
    problems: list[ImportProblem] = []
    ref = {"id": stored.id}
    codes = tuple(p.region_code for p in data.parties)
    if codes != stored.codes:
        names = "; ".join(p.name for p in stored.parties)
        problems.append(
            ImportProblem(row.row, "parties", "import.parties_changed", {**ref, "parties": names})
        )
        return problems, None

    changes: list[FieldChange] = []

    def compare(column: str, before: str | None, after: str | None) -> None:
        if before != after:
            changes.append(FieldChange(column, before, after))

    compare("type", KIND_LABELS.get(stored.kind, stored.kind), KIND_LABELS.get(data.kind))
    if "number" in columns:
        compare(
            "number",
            _joined([p.document_number for p in stored.parties]),
            _joined([clean_optional_line(p.document_number) for p in data.parties]),
        )
    compare("title", stored.title, clean_line(data.title))
    signed_on = data.signed_on if "signed_on" in columns else stored.signed_on
    ends_on = data.ends_on if "ends_on" in columns else stored.ends_on
    compare("signed_on", _iso(stored.signed_on), _iso(signed_on))
    compare("ends_on", _iso(stored.ends_on), _iso(ends_on))
    status = data.status if data.status is not None else stored.status
    compare("status", stored.status, status)
    if "apps" in columns:
        apps = tuple(name for name in (clean_line(a) for a in data.apps) if name)
        compare("apps", "; ".join(stored.apps) or None, "; ".join(apps) or None)
    if "objective" in columns:
        compare("objective", stored.objective, clean_optional_block(data.objective))
    if "signatory" in columns:
        compare(
            "signatory",
            _joined([p.signatory for p in stored.parties]),
            _joined([clean_optional_line(p.signatory) for p in data.parties]),
        )
    if "coordinator" in columns:
        compare(
            "coordinator",
            _joined([p.coordinator_name for p in stored.parties]),
            _joined([clean_optional_line(p.coordinator_name) for p in data.parties]),
        )

    done: list[str] = []
    if "done" in columns:
        unknown = [k for k in data.done_keys if k not in stored.milestone_keys]
        if unknown:
            problems.append(
                ImportProblem(
                    row.row,
                    "done",
                    "import.unknown_step",
                    {"keys": ", ".join(unknown), "known": ", ".join(stored.milestone_keys) or "-"},
                )
            )
        done = [k for k in data.done_keys if k in stored.milestone_keys]
        done = [k for k in done if k not in stored.done_keys]
        if done:
            before = [k for k in stored.milestone_keys if k in stored.done_keys]
            after = [k for k in stored.milestone_keys if k in stored.done_keys or k in done]
            compare("done", "; ".join(before) or None, "; ".join(after))

    if row.given("template") and data.template != stored.template:
        problems.append(
            ImportProblem(
                row.row,
                "template",
                "import.template_changed",
                {**ref, "template": stored.template or "-"},
            )
        )
    if row.parent_number and parents.get(normalize_number(row.parent_number)) != stored.parent_id:
        problems.append(ImportProblem(row.row, "parent", "import.parent_changed", ref))
    if signed_on and ends_on and ends_on < signed_on:
        problems.append(
            ImportProblem(
                row.row,
                "ends_on",
                "import.ends_before_signed",
                {"ends_on": ends_on.isoformat(), "signed_on": signed_on.isoformat()},
            )
        )
    if status != "draft" and signed_on is None:
        problems.append(ImportProblem(row.row, "signed_on", "import.required", {}))

    if not changes:
        return problems, None
    changed = {c.field for c in changes}
    if changed & {"type", "number"}:
        holders = {i for n in _numbers(row) for i in by_number.get((data.kind, n), ())}
        if holders - {stored.id}:
            # The edited number is another agreement's: saving it would make two agreements
            # of one.
            other = min(holders - {stored.id})
            problems.append(
                ImportProblem(row.row, "number", "import.same_as_other", {**ref, "other": other})
            )
    key = data.import_key if data.import_key != stored.import_key else None
    holder = by_key.get(key or "")
    if holder is not None and holder != stored.id and not problems:
        column = "number" if _numbers(row) else "title"
        problems.append(
            ImportProblem(row.row, column, "import.same_as_other", {**ref, "other": holder})
        )
    if problems:
        return problems, None
    return problems, RowUpdate(
        row=row,
        agreement_id=stored.id,
        title=stored.title,
        changes=tuple(changes),
        done_keys=tuple(done),
        import_key=key,
    )
