"""a trainers' thread outlives the official who asked: forgetting them empties its asker
columns instead of deleting it, so a trainer's reply still becomes a curated answer

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bot_trainer_threads", schema=None) as batch_op:
        batch_op.alter_column("asker_chat_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.alter_column("asker_user_id", existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    # Threads of forgotten officials cannot get their asker back: they go.
    op.execute("DELETE FROM bot_trainer_threads WHERE asker_user_id IS NULL OR asker_chat_id IS NULL")
    with op.batch_alter_table("bot_trainer_threads", schema=None) as batch_op:
        batch_op.alter_column("asker_chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("asker_user_id", existing_type=sa.BigInteger(), nullable=False)
