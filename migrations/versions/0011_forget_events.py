"""forget events: when someone was forgotten (never who), so that writes the bot queued
before it cannot bring the person back

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forget_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("forgotten_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forget_events")),
    )
    with op.batch_alter_table("forget_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_forget_events_forgotten_at"), ["forgotten_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("forget_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forget_events_forgotten_at"))
    op.drop_table("forget_events")
