"""text stored before names, titles and notes lost their zero-width spaces, word joiners and
byte-order marks is cleaned as it is now, and the import keys made from it are made again: a
file imported before, imported again, adds nothing (not a second agreement)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 15:30:00
"""

import hashlib
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies (a migration must not change when the code does): see ``core.text`` (the
# invisible characters, ``clean_line``, ``clean_block``) and ``mou_tracker.importer``
# (``make_import_key``, ``normalize_number``). Evidence links and file references are left as
# stored: they name files and pages that exist under those names.
_INVISIBLE = ("\u200b", "\u2060", "\ufeff")

#: (table, column, one line) of the text the models clean on the way in.
_COLUMNS = (
    ("agreements", "objective", False),
    ("agreement_parties", "document_number", True),
    ("agreement_parties", "signatory", True),
    ("agreement_parties", "coordinator_name", True),
    ("agreement_parties", "coordinator_contact", True),
    ("agreement_apps", "name", True),
    ("milestones", "title", True),
    ("milestones", "evidence_note", False),
    ("milestones", "blocked_reason", False),
    ("users", "name", True),
)


def _visible(text: str) -> str:
    return re.sub("[\u2060\ufeff]", "", text.replace("\u200b", " "))


def _line(text: str) -> str:
    return re.sub(r"\s+", " ", _visible(text)).strip()


def _block(text: str) -> str:
    return _visible(text).strip()


def _has_invisible(column: Any) -> Any:
    return sa.or_(*(column.contains(c, autoescape=True) for c in _INVISIBLE))


def _number(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def _import_key(
    kind: str, numbers: Sequence[str | None], title: str, codes: Sequence[str], signed_on: Any
) -> str:
    first = next((n for n in numbers if n and n.strip()), None)
    if first:
        return f"{kind}:{_number(first)}"[:200]
    basis = "|".join([kind, " ".join(title.lower().split()), *sorted(codes), str(signed_on)])
    return f"{kind}:sha1:{hashlib.sha1(basis.encode()).hexdigest()}"


def upgrade() -> None:
    conn = op.get_bind()
    agreements = sa.table(
        "agreements",
        sa.column("id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("title", sa.String()),
        sa.column("signed_on", sa.Date()),
        sa.column("import_key", sa.String()),
    )
    parties = sa.table(
        "agreement_parties",
        sa.column("agreement_id", sa.Integer()),
        sa.column("position", sa.Integer()),
        sa.column("region_code", sa.String()),
        sa.column("document_number", sa.String()),
    )
    touched = sa.select(parties.c.agreement_id).where(_has_invisible(parties.c.document_number))
    rows = conn.execute(
        sa.select(agreements).where(
            sa.or_(_has_invisible(agreements.c.title), agreements.c.id.in_(touched))
        )
    ).all()
    for row in rows:
        party_rows = conn.execute(
            sa.select(parties.c.region_code, parties.c.document_number)
            .where(parties.c.agreement_id == row.id)
            .order_by(parties.c.position)
        ).all()
        codes = [p.region_code for p in party_rows]
        numbers = [p.document_number for p in party_rows]
        title = _line(row.title)
        key = row.import_key
        # Only a key made from the stored text is made again (a key the agreement kept
        # through a rename names the title it was imported with), and never onto another's.
        if key is not None and key == _import_key(
            row.kind, numbers, row.title, codes, row.signed_on
        ):
            cleaned = [_line(n) if n else n for n in numbers]
            new_key = _import_key(row.kind, cleaned, title, codes, row.signed_on)
            taken = conn.execute(
                sa.select(agreements.c.id).where(
                    agreements.c.import_key == new_key, agreements.c.id != row.id
                )
            ).first()
            if taken is None:
                key = new_key
        conn.execute(
            agreements.update().where(agreements.c.id == row.id).values(title=title, import_key=key)
        )
    for table_name, column_name, one_line in _COLUMNS:
        table = sa.table(table_name, sa.column("id", sa.Integer()), sa.column(column_name))
        column = table.c[column_name]
        clean = _line if one_line else _block
        for row_id, value in conn.execute(
            sa.select(table.c.id, column).where(_has_invisible(column))
        ).all():
            cleaned = clean(value) or None
            if cleaned is None and (table_name, column_name) in _REQUIRED:
                cleaned = ""
            conn.execute(table.update().where(table.c.id == row_id).values({column_name: cleaned}))


#: Columns that hold "" rather than nothing when their text was only invisible characters.
_REQUIRED = frozenset({("agreement_apps", "name"), ("milestones", "title"), ("users", "name")})


def downgrade() -> None:
    """Nothing to undo: the cleaned text is text the earlier schema holds as well."""
