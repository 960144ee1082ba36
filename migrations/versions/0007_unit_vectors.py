"""keep the vectors of each chunk's sentences, list items and table rows

The answer chooses the sentence that states the asked fact partly by how close it is to the
question in the embedding space. The sentences are embedded when a chunk is written; chunks
indexed before this table get theirs from `sinergi kb reindex`, or when an answer first reads
them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_unit_vectors",
        sa.Column("chunk_id", sa.String(length=64), nullable=False),
        sa.Column("vectors", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chunk_id"],
            ["kb_chunks.chunk_id"],
            name=op.f("fk_kb_unit_vectors_chunk_id_kb_chunks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chunk_id", name=op.f("pk_kb_unit_vectors")),
    )


def downgrade() -> None:
    op.drop_table("kb_unit_vectors")
