"""agreement files: signed source documents and milestone evidence, content-addressed

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreement_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("kb_doc_id", sa.String(length=200), nullable=True),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_files")),
    )
    with op.batch_alter_table("agreement_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_files_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_agreement_files_milestone_id"), ["milestone_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_agreement_files_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agreement_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_files_sha256"))
        batch_op.drop_index(batch_op.f("ix_agreement_files_milestone_id"))
        batch_op.drop_index(batch_op.f("ix_agreement_files_agreement_id"))
    op.drop_table("agreement_files")
