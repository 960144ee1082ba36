"""reminders about a date name the date in their dedup key: moving a milestone's due date (or
an agreement's end) re-arms the reminder steps already sent for the old date

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 21:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies (a migration must not change when the code does): see
# ``mou_tracker.reminders.planning.dedup_key`` and ``DATED_KINDS``.
DATED_KINDS = ("upcoming", "overdue", "escalation", "renewal")

_outbox = sa.table(
    "reminder_outbox",
    sa.column("id", sa.Integer()),
    sa.column("dedup_key", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("due_on", sa.Date()),
)
"""The rewrite is set-based (one UPDATE each way, one DELETE of the collisions a downgrade
would make), so its time does not grow with round trips per row."""


class _Key:
    """A key's parts as SQL expressions over one row of ``table`` (SQLite and PostgreSQL).

    A key reads ``kind:agreement:milestone:step:recipient``; the recipient may hold ":" and
    "@", so the step is what lies between the third and the fourth ":".
    """

    def __init__(self, table: Any, dialect: str) -> None:
        self.table = table
        self.dialect = dialect
        key = table.c.dedup_key
        p1 = self._pos(key, ":")
        r1 = sa.func.substr(key, p1 + 1)
        p2 = self._pos(r1, ":")
        r2 = sa.func.substr(r1, p2 + 1)
        p3 = self._pos(r2, ":")
        rest = sa.func.substr(r2, p3 + 1)  # step:recipient
        p4 = self._pos(rest, ":")
        self.five_parts = sa.and_(p1 > 0, p2 > 0, p3 > 0, p4 > 0)
        self.head = sa.func.substr(key, 1, sa.func.length(key) - sa.func.length(rest))
        self.step = sa.func.substr(rest, 1, p4 - 1)
        self.tail = sa.func.substr(rest, p4)  # ":recipient"
        at = self._pos(self.step, "@")
        self.bare_step = sa.case((at > 0, sa.func.substr(self.step, 1, at - 1)), else_=self.step)
        # The admins' notice names the reminder's step (``upcoming.7``); read without the date,
        # so a downgrade recognises what the upgrade rewrote.
        dot = self._pos(_cat(self.bare_step, sa.literal(".")), ".")
        step_kind = sa.func.substr(self.bare_step, 1, dot - 1)
        kind = table.c.kind
        self.dated = sa.and_(
            table.c.due_on.is_not(None),
            self.five_parts,
            sa.or_(
                kind.in_(DATED_KINDS),
                sa.and_(kind == "undeliverable", step_kind.in_(DATED_KINDS)),
            ),
        )

    def _pos(self, text: Any, needle: str) -> Any:
        if self.dialect == "sqlite":
            return sa.func.instr(text, needle)
        return sa.func.strpos(text, needle)

    def new_key(self, add: bool) -> Any:
        step = self.bare_step
        if add:
            due = self.table.c.due_on
            if self.dialect != "sqlite":  # SQLite keeps a date as its ISO text already
                due = sa.func.to_char(due, "YYYY-MM-DD")
            step = _cat(step, sa.literal("@"), due)
        return _cat(self.head, step, self.tail)


def _cat(*parts: Any) -> Any:
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.op("||")(part)
    return joined


def _rewrite(add: bool) -> None:
    """One UPDATE: the keys of dated reminders gain (``add``) or lose their date."""
    conn = op.get_bind()
    row = _Key(_outbox, conn.dialect.name)
    new = row.new_key(add)
    conn.execute(
        sa.update(_outbox).where(row.dated, _outbox.c.dedup_key != new).values(dedup_key=new)
    )


def upgrade() -> None:
    _rewrite(add=True)


def downgrade() -> None:
    # Two rows for one step of two dates would collide in the old form: keep the newest.
    conn = op.get_bind()
    older, newer = _outbox.alias("older"), _outbox.alias("newer")
    old, new = _Key(older, conn.dialect.name), _Key(newer, conn.dialect.name)
    superseded = (
        sa.select(older.c.id)
        .where(
            old.dated,
            sa.exists().where(
                newer.c.id > older.c.id, new.dated, new.new_key(False) == old.new_key(False)
            ),
        )
        .scalar_subquery()
    )
    conn.execute(sa.delete(_outbox).where(_outbox.c.id.in_(superseded)))
    _rewrite(add=False)
