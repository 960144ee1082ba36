"""keep where each part of a chunk stands (page, section or article)

A citation names the page and the article ("Pasal 12 ayat (2)") of the sentence it quotes,
not the chunk's first page. Chunks indexed before this column have no anchors and are cited
by their own page and section until `sinergi kb reindex` re-derives them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kb_chunks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anchors", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kb_chunks", schema=None) as batch_op:
        batch_op.drop_column("anchors")
