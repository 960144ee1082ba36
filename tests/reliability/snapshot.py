"""Every row of every table, to show that a command wrote nothing (or only what it should)."""

from __future__ import annotations

from sqlalchemy import MetaData, create_engine, select

Snapshot = dict[str, list[tuple[object, ...]]]


def snapshot(url: str, *, skip: tuple[str, ...] = ("alembic_version",)) -> Snapshot:
    """The rows of each table of the database at ``url``, in a stable order.

    Values are kept as ``repr`` so rows of any column types sort and compare.
    """
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        result: Snapshot = {}
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                if table.name in skip:
                    continue
                rows = conn.execute(select(table)).all()
                result[table.name] = sorted(tuple(repr(v) for v in row) for row in rows)
        return result
    finally:
        engine.dispose()


def changed_tables(before: Snapshot, after: Snapshot) -> dict[str, tuple[int, int]]:
    """Tables whose rows differ: name -> (rows before, rows after)."""
    names = set(before) | set(after)
    return {
        name: (len(before.get(name, [])), len(after.get(name, [])))
        for name in sorted(names)
        if before.get(name, []) != after.get(name, [])
    }


def lost_rows(before: Snapshot, after: Snapshot) -> dict[str, list[tuple[object, ...]]]:
    """Rows present before and gone (or changed) after, by table."""
    lost: dict[str, list[tuple[object, ...]]] = {}
    for name, rows in before.items():
        remaining = set(after.get(name, []))
        gone = [row for row in rows if row not in remaining]
        if gone:
            lost[name] = gone
    return lost
