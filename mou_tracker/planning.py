"""Plans the tracker writes: a new agreement's rows, a milestone's place, an import's order.

Pure functions over checked inputs (see :mod:`mou_tracker.validation`): the service loads the
facts, asks for the plan and hands it to the repository, so a row travels down once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from core.text import clean_line
from mou_tracker.importer import ParsedImport, ParsedRow, normalize_number
from mou_tracker.schemas import ImportProblem, NewAgreement
from mou_tracker.templates import Template
from mou_tracker.validation import CheckedAgreement, clean, slug

# --- a new agreement ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedPartyRow:
    position: int
    region_code: str
    document_number: str | None
    signatory: str | None
    coordinator_name: str | None
    coordinator_contact: str | None


@dataclass(frozen=True)
class PlannedMilestoneRow:
    key: str
    title: str
    position: int
    due_on: date | None
    responsible_region_code: str | None
    status: str
    completed_on: date | None
    updated_by: str | None
    updated_at: datetime | None


@dataclass(frozen=True)
class AgreementPlan:
    """Everything to store for a new agreement (the repository turns it into rows)."""

    kind: str
    title: str
    objective: str | None
    status: str
    signed_on: date | None
    ends_on: date | None
    parent_id: int | None
    owner_region_code: str
    template: str | None
    import_key: str | None
    parties: tuple[PlannedPartyRow, ...]
    apps: tuple[str, ...]
    milestones: tuple[PlannedMilestoneRow, ...]


def plan_agreement(
    data: NewAgreement,
    checked: CheckedAgreement,
    *,
    template: Template | None,
    actor: str,
    now: datetime,
    language: str,
    parent_id: int | None = None,
) -> AgreementPlan:
    """The rows of a checked agreement: template milestones first, then the given ones.

    Template steps named in ``data.done_keys`` start out done (an import of an agreement that is
    under way); milestones given by hand keep their own status. ``parent_id`` (an import's
    resolved parent) wins over ``data.parent_id``.
    """
    milestones: list[PlannedMilestoneRow] = []
    done_keys = set(data.done_keys)
    if template is not None:
        for planned in template.plan(
            data.signed_on, checked.owner_region_code, checked.party_codes, lang=language
        ):
            done = planned.key in done_keys
            milestones.append(
                PlannedMilestoneRow(
                    key=planned.key,
                    title=planned.title,
                    position=planned.position,
                    due_on=planned.due_on,
                    responsible_region_code=planned.responsible_region_code,
                    status="done" if done else "planned",
                    completed_on=None,
                    updated_by=actor if done else None,
                    updated_at=now if done else None,
                )
            )
    for extra in data.milestones:
        milestones.append(
            PlannedMilestoneRow(
                key=extra.key or slug(extra.title),
                title=extra.title.strip(),
                position=len(milestones) + 1,
                due_on=extra.due_on,
                responsible_region_code=extra.responsible_region_code,
                status=extra.status,
                completed_on=extra.completed_on,
                updated_by=actor,
                updated_at=now,
            )
        )
    return AgreementPlan(
        kind=data.kind,
        title=" ".join(data.title.split()),
        objective=clean(data.objective),
        status=checked.status,
        signed_on=data.signed_on,
        ends_on=data.ends_on,
        parent_id=parent_id if parent_id is not None else data.parent_id,
        owner_region_code=checked.owner_region_code,
        template=template.name if template else None,
        import_key=data.import_key,
        parties=tuple(
            PlannedPartyRow(
                position=i,
                region_code=p.region_code,
                document_number=clean(p.document_number),
                signatory=clean(p.signatory),
                coordinator_name=clean(p.coordinator_name),
                coordinator_contact=clean(p.coordinator_contact),
            )
            for i, p in enumerate(data.parties, start=1)
        ),
        apps=tuple(clean_line(name) for name in data.apps if clean_line(name)),
        milestones=tuple(milestones),
    )


# --- a milestone among others ------------------------------------------------------------------


@dataclass(frozen=True)
class Insertion:
    """Where a new milestone goes: its position and key, and the positions that move down."""

    position: int
    key: str
    shifted: tuple[int, ...]
    """Positions (of the existing milestones) that each move one down."""


def plan_insertion(
    title: str,
    *,
    key: str | None,
    position: int | None,
    existing: Sequence[tuple[int, str]],
) -> Insertion:
    """Place a new milestone among ``existing`` ``(position, key)`` pairs.

    After the others unless ``position`` says where (at least 1); a key already used gets the
    new last position as a suffix, so keys stay unique within the agreement.
    """
    last = max((p for p, _ in existing), default=0)
    if position is None or position > last:
        position = last + 1
    position = max(position, 1)
    new_key = key or slug(title)
    if any(k == new_key for _, k in existing):
        new_key = f"{new_key}_{last + 1}"
    return Insertion(position, new_key, tuple(p for p, _ in existing if p >= position))


# --- an import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportStep:
    """One agreement to create, and its parent: a row created earlier, or a stored agreement."""

    row: ParsedRow
    parent_row: int | None = None
    """The file row (created earlier in the same import) whose new agreement is the parent."""
    parent_id: int | None = None
    """A stored agreement that is the parent."""


@dataclass(frozen=True)
class ImportPlan:
    """What an import will do; nothing may be written while ``problems`` is not empty."""

    new_rows: tuple[ParsedRow, ...]
    unchanged: int
    problems: tuple[ImportProblem, ...]
    """Every bad cell and parent reference, by row and column."""
    steps: tuple[ImportStep, ...]
    """The new rows in the order they can be created: parents first."""
    cycle: tuple[ImportProblem, ...] = ()
    """Rows whose parents point at each other: none of them can be created."""


def plan_import(
    parsed: ParsedImport, *, matched: Mapping[int, int], stored_numbers: Mapping[str, int]
) -> ImportPlan:
    """Which rows are new, whether their parents can be found, and the order to create them.

    Args:
        matched: file rows that are stored agreements already -> agreement id
            (see :mod:`mou_tracker.reconcile`); the others are created.
        stored_numbers: normalised document numbers already stored -> agreement id.

    A PKS may name its KB by the KB's number; the KB may come later in the same file, be
    stored already, or both (the row created now wins, then the stored number, then the stored
    agreement that row is).
    """
    problems = list(parsed.problems)
    new_rows = [r for r in parsed.rows if r.row not in matched]
    in_file = {
        normalize_number(p.document_number): r.row
        for r in parsed.rows
        for p in r.agreement.parties
        if p.document_number
    }
    for r in new_rows:
        if not r.parent_number:
            continue
        key = normalize_number(r.parent_number)
        if key not in stored_numbers and key not in in_file:
            problems.append(
                ImportProblem(
                    r.row, "parent", "import.parent_not_found", {"number": r.parent_number}
                )
            )
        elif in_file.get(key) == r.row:
            problems.append(ImportProblem(r.row, "parent", "import.parent_is_self", {}))
    problems.sort(key=lambda p: (p.row, p.column))
    steps: list[ImportStep] = []
    created: set[int] = set()
    pending = list(new_rows)
    cycle: tuple[ImportProblem, ...] = ()
    # Sweeps over the rows still waiting, in file order: a row waits while its parent does.
    while pending:
        progressed = False
        for r in list(pending):
            step = ImportStep(r)
            if r.parent_number:
                key = normalize_number(r.parent_number)
                if key in in_file and in_file[key] in {p.row for p in pending if p is not r}:
                    continue
                parent_row = in_file.get(key)
                if parent_row is not None and parent_row in created:
                    step = ImportStep(r, parent_row=parent_row)
                elif key in stored_numbers:
                    step = ImportStep(r, parent_id=stored_numbers[key])
                elif parent_row is not None:
                    step = ImportStep(r, parent_id=matched.get(parent_row))
            steps.append(step)
            created.add(r.row)
            pending.remove(r)
            progressed = True
        if not progressed:  # parents pointing at each other
            cycle = tuple(
                ImportProblem(r.row, "parent", "import.parent_cycle", {}) for r in pending
            )
            break
    return ImportPlan(
        new_rows=tuple(new_rows),
        unchanged=len(parsed.rows) - len(new_rows),
        problems=tuple(problems),
        steps=tuple(steps),
        cycle=cycle,
    )
