"""reminders about a date name the date in their dedup key: moving a milestone's due date (or
an agreement's end) re-arms the reminder steps already sent for the old date

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 21:00:00
"""

from collections.abc import Sequence

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


def _dated(key: str, kind: str) -> bool:
    """Whether the row's key must name its date: a dated reminder, or the admins' notice that
    one could not be delivered (its step reads ``upcoming.7``)."""
    if kind in DATED_KINDS:
        return True
    parts = key.split(":", 4)
    return kind == "undeliverable" and len(parts) == 5 and parts[3].split(".")[0] in DATED_KINDS


def _rewrite(add: bool) -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_outbox.c.id, _outbox.c.dedup_key, _outbox.c.kind, _outbox.c.due_on).where(
            _outbox.c.due_on.is_not(None)
        )
    ).all()
    for row_id, key, kind, due_on in rows:
        parts = key.split(":", 4)  # kind, agreement, milestone, step, recipient (may hold ":")
        if len(parts) != 5 or not _dated(key, kind):
            continue
        step = parts[3].split("@")[0]
        if add:
            step = f"{step}@{due_on.isoformat()}"
        new = ":".join([*parts[:3], step, parts[4]])
        if new != key:
            conn.execute(sa.update(_outbox).where(_outbox.c.id == row_id).values(dedup_key=new))


def upgrade() -> None:
    _rewrite(add=True)


def downgrade() -> None:
    # Two rows for one step of two dates would collide in the old form: keep the newest.
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_outbox.c.id, _outbox.c.dedup_key, _outbox.c.kind)
        .where(_outbox.c.due_on.is_not(None))
        .order_by(_outbox.c.id.desc())
    ).all()
    seen: set[str] = set()
    for row_id, key, kind in rows:
        parts = key.split(":", 4)
        if len(parts) != 5 or not _dated(key, kind):
            continue
        old = ":".join([*parts[:3], parts[3].split("@")[0], parts[4]])
        if old in seen:
            conn.execute(sa.delete(_outbox).where(_outbox.c.id == row_id))
        seen.add(old)
    _rewrite(add=False)
