"""Property tests of the agreement import: whatever the rows, only our errors, never a half-write.

Rows mix valid and invalid kinds, numbers, party names, dates and app lists with unicode,
quotes, delimiters and empty fields; files are written with either delimiter, proper CSV
quoting or raw joined text, and sometimes as arbitrary bytes. For every file:
- ``import_file`` returns or raises an ``AppError`` (``ImportRejected``, unreadable file...),
- a dry run writes nothing, and a real import right after it agrees with the dry run,
- a rejected import writes nothing (agreements, parties, milestones, audit rows counted).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.errors import AppError
from mou_tracker.errors import ImportRejected
from mou_tracker.models import Agreement, AgreementParty, AuditEntry, Milestone
from services import Services
from tests.fakes.tracker import OPERATOR

HEADER = ["jenis", "nomor", "judul", "para_pihak", "tanggal_ttd", "tanggal_berakhir", "aplikasi"]

noise = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]),
    max_size=24,
)
tricky = st.sampled_from(['"', '""', ",", ";", "\t", "\n", "\r\n", "\x00", "\ufeff", " ", "é", "—"])


def field(valid: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(valid),
        noise,
        st.tuples(st.sampled_from(valid), tricky).map("".join),
    )


KINDS = field(["KB", "PKS", "pks", "Addendum", "MoU", "", "Perjanjian"])
NUMBERS = field(["119/HK/2018; 180/45/HK/2018", "415.4/021/2024", "027/PKS/2025", "", "-"])
TITLES = field(["KB Replikasi Hayu.Bdg", "PKS e-RK", "Kerja sama “SPBE”", "", "x" * 300])
PARTIES = field(
    [
        "Kota Bandung; Kab. Kerinci",
        "Pemkot Bandung; Serdang Bedagai",
        "Kota Bandung; Kota Tanjungpinang",
        "Kota Bandung",
        "Kabupaten Sarolangun; Kota Bandung; Kab. Mempawah",
        "Atlantis; Kota Bandung",
        "Bandung",
        "",
    ]
)
DATES = field(
    [
        "30 Oktober 2023",
        "12 Agt 2024",
        "12/08/2029",
        "2025-06-20",
        "Selasa (30/10/2018)",
        "31/02/2024",
        "2024-13-01",
        "0000-00-00",
        "99999-01-01",
        "kemarin",
        "",
    ]
)
APPS = field(["Hayu.Bdg; e-RK", "Gampil", "", ";;", "Sabilulungan, e-budgeting"])

GOOD = [
    (
        "KB",
        "119/HK/2018; 180/45/HK/2018",
        "KB Replikasi Hayu.Bdg",
        "Kota Bandung; Kab. Kerinci",
        "Selasa (30/10/2018)",
        "30 Oktober 2023",
        "Hayu.Bdg; e-RK",
    ),
    ("KB", "415.4/021/2024", "KB SPBE", "Pemkot Bandung; Serdang Bedagai", "12 Agt 2024", "", ""),
    (
        "PKS",
        "027/PKS/2025",
        "PKS e-RK",
        "Kota Bandung; Kota Tanjungpinang",
        "2025-06-20",
        "",
        "e-RK",
    ),
]
ANY_ROW = st.tuples(KINDS, NUMBERS, TITLES, PARTIES, DATES, DATES, APPS)


@st.composite
def nearly_good_row(draw: st.DrawFn) -> tuple[str, ...]:
    """A valid row with at most one field replaced by anything, so some files are accepted."""
    row = list(draw(st.sampled_from(GOOD)))
    row[1] = f"{row[1]}-{draw(st.integers(0, 10**6))}"  # distinct numbers: new agreements
    if draw(st.booleans()):
        column = draw(st.integers(0, len(row) - 1))
        row[column] = draw([KINDS, NUMBERS, TITLES, PARTIES, DATES, DATES, APPS][column])
    return tuple(row)


ROWS = st.lists(st.one_of(ANY_ROW, nearly_good_row(), nearly_good_row()), max_size=5)


def csv_text(rows: list[tuple[str, ...]], delimiter: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def raw_text(rows: list[tuple[str, ...]], delimiter: str) -> str:
    """Fields joined without quoting: broken quotes and shifted columns on purpose."""
    return "\n".join(delimiter.join(r) for r in [tuple(HEADER), *rows]) + "\n"


CSV_FILES = st.builds(
    lambda rows, d, quoted: (csv_text if quoted else raw_text)(rows, d).encode("utf-8"),
    ROWS,
    st.sampled_from([",", ";"]),
    st.sampled_from([True, True, True, False]),
)
FILES = st.one_of(
    CSV_FILES,
    CSV_FILES,
    CSV_FILES,
    st.binary(max_size=200),
    st.builds(lambda rows: csv_text(rows, ",").encode("cp1252", "replace"), ROWS),
)

COUNTED = (Agreement, AgreementParty, Milestone, AuditEntry)


def counts(services: Services) -> tuple[int, ...]:
    with services.session_factory() as s:
        return tuple(int(s.scalar(select(func.count()).select_from(m)) or 0) for m in COUNTED)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=FILES)
def test_import_raises_only_app_errors_and_never_half_writes(
    services: Services, tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "perjanjian.csv"
    path.write_bytes(data)
    before = counts(services)

    try:
        planned = services.tracker.import_file(OPERATOR, path, dry_run=True)
    except AppError as dry_error:
        event(f"refused: {dry_error.code}")
        assert counts(services) == before
        # The real import refuses the same file the same way, and writes nothing either.
        with pytest.raises(AppError) as real_error:
            services.tracker.import_file(OPERATOR, path)
        assert type(real_error.value) is type(dry_error)
        if isinstance(dry_error, ImportRejected):
            assert real_error.value.problems == dry_error.problems  # type: ignore[attr-defined]
        assert counts(services) == before
        return

    assert counts(services) == before, "a dry run wrote something"
    event(f"accepted, {planned.created} new")
    result = services.tracker.import_file(OPERATOR, path)
    assert (result.created, result.unchanged) == (planned.created, planned.unchanged)
    after = counts(services)
    assert after[0] == before[0] + result.created
    if result.created:
        assert after[3] > before[3], "an import that created agreements is audited"
    else:
        assert after[:3] == before[:3]
