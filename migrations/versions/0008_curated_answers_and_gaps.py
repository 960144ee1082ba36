"""curated answers (trainers' replies, versioned) and knowledge gaps with owner and status;
a trainers' thread keeps the logged question it forwards (the reply becomes its curated answer)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_curated_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("normalized", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_by_name", sa.String(length=200), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("retired_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retired_by", sa.String(length=100), nullable=True),
        sa.Column("source_question_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_curated_answers")),
    )
    with op.batch_alter_table("kb_curated_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_curated_answers_status"), ["status"], unique=False)
    op.create_table(
        "kb_curated_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("curated_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("edited_by", sa.String(length=100), nullable=False),
        sa.Column("edited_by_name", sa.String(length=200), nullable=False),
        sa.Column("edited_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["curated_id"],
            ["kb_curated_answers.id"],
            name=op.f("fk_kb_curated_versions_curated_id_kb_curated_answers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_curated_versions")),
        sa.UniqueConstraint(
            "curated_id", "version", name=op.f("uq_kb_curated_versions_curated_id_version")
        ),
    )
    with op.batch_alter_table("kb_curated_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kb_curated_versions_curated_id"), ["curated_id"], unique=False
        )
    op.create_table(
        "kb_gaps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("normalized", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("owner_name", sa.String(length=200), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("curated_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_gaps")),
    )
    with op.batch_alter_table("kb_gaps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_gaps_status"), ["status"], unique=False)
    with op.batch_alter_table("kb_questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gap_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("curated_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_kb_questions_gap_id"), ["gap_id"], unique=False)
    with op.batch_alter_table("bot_trainer_threads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("question_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bot_trainer_threads", schema=None) as batch_op:
        batch_op.drop_column("question_id")
    with op.batch_alter_table("kb_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_questions_gap_id"))
        batch_op.drop_column("curated_id")
        batch_op.drop_column("gap_id")
    with op.batch_alter_table("kb_gaps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_gaps_status"))
    op.drop_table("kb_gaps")
    with op.batch_alter_table("kb_curated_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_curated_versions_curated_id"))
    op.drop_table("kb_curated_versions")
    with op.batch_alter_table("kb_curated_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_curated_answers_status"))
    op.drop_table("kb_curated_answers")
