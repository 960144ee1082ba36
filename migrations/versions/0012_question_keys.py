"""question log keys: an entry written later (the database was write-locked) carries the name
its buttons were given, so any worker finds it, after a restart too

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kb_questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_kb_questions_key"), ["key"])


def downgrade() -> None:
    with op.batch_alter_table("kb_questions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_kb_questions_key"), type_="unique")
        batch_op.drop_column("key")
