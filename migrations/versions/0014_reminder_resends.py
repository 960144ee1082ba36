"""reminder resends: an operator may send an unconfirmed or undeliverable reminder again;
the row keeps how often, who asked last and when

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminder_outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("resends", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("resent_by", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("resent_at", core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("reminder_outbox", schema=None) as batch_op:
        batch_op.drop_column("resent_at")
        batch_op.drop_column("resent_by")
        batch_op.drop_column("resends")
