"""keyword search in PostgreSQL: chunk terms as a tsvector under a GIN index, term statistics

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:00:00

On PostgreSQL, ``kb_chunks`` gains ``tsv`` (generated from the stored terms, lexemes taken as
they are) with a GIN index, and ``kb_term_stats`` is filled from the existing rows, so keyword
search runs in the database from the first question after the upgrade. On SQLite the table is
created but stays empty: keyword search there runs in the process.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of knowledge_base/models.py's statements as of this revision.
TSVECTOR_FUNCTION = """
CREATE OR REPLACE FUNCTION kb_terms_tsvector(terms text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT array_to_tsvector(ARRAY(
    SELECT DISTINCT t FROM unnest(string_to_array(terms, ' ')) AS t
    WHERE t <> '' AND octet_length(t) < 2047))
$$
"""
STATS = """
INSERT INTO kb_term_stats (term, df)
SELECT lexeme, count(*) FROM kb_chunks, unnest(tsv) AS u(lexeme, positions, weights)
GROUP BY lexeme
"""
COUNTERS = """
INSERT INTO kb_index_meta (key, value)
SELECT 'keyword_chunks', CAST(count(*) AS VARCHAR) FROM kb_chunks
UNION ALL
SELECT 'keyword_length', CAST(coalesce(sum(cardinality(
    array_remove(string_to_array(terms, ' '), ''))), 0) AS VARCHAR) FROM kb_chunks
UNION ALL
SELECT 'keyword_distinct', CAST(coalesce(sum(df), 0) AS VARCHAR) FROM kb_term_stats
UNION ALL
SELECT 'keyword_stats', '1'
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
"""


def upgrade() -> None:
    op.create_table(
        "kb_term_stats",
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_kb_term_stats")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(TSVECTOR_FUNCTION)
    op.execute(
        "ALTER TABLE kb_chunks ADD COLUMN tsv tsvector "
        "GENERATED ALWAYS AS (kb_terms_tsvector(terms)) STORED"
    )
    op.execute("CREATE INDEX ix_kb_chunks_tsv ON kb_chunks USING gin (tsv)")
    op.execute(STATS)
    op.execute(COUNTERS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_kb_chunks_tsv")
        op.execute("ALTER TABLE kb_chunks DROP COLUMN IF EXISTS tsv")
        op.execute("DROP FUNCTION IF EXISTS kb_terms_tsvector(text)")
        op.execute(
            "DELETE FROM kb_index_meta"
            " WHERE key IN ('keyword_chunks', 'keyword_length', 'keyword_distinct',"
            " 'keyword_stats')"
        )
    op.drop_table("kb_term_stats")
