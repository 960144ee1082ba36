"""Importing agreements: every bad row reported, all or nothing, idempotent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from mou_tracker.errors import ImportRejected, UnreadableImportFile, UnsupportedImportFile
from mou_tracker.models import Agreement, AuditEntry, Milestone
from services import Services
from services.access import Operator
from services.tracker import describe_problem
from tests.fakes.tracker import OPERATOR

HEADER = "jenis,nomor,judul,para_pihak,tanggal_ttd,tanggal_berakhir,aplikasi"
GOOD_ROWS = [
    "KB,119/HK/2018; 180/45/HK/2018,KB Replikasi Hayu.Bdg,Kota Bandung; Kab. Kerinci,"
    '"Selasa (30/10/2018)",30 Oktober 2023,Hayu.Bdg; e-RK',
    "KB,415.4/021/2024,KB SPBE,Pemkot Bandung; Serdang Bedagai,12 Agt 2024,12/08/2029,Gampil",
    "PKS,027/PKS/2025,PKS e-RK,Kota Bandung; Kota Tanjungpinang,2025-06-20,,e-RK",
]
AT = date(2026, 11, 23)


def write_csv(path: Path, rows: list[str], header: str = HEADER, encoding: str = "utf-8") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding=encoding)
    return path


def count(services: Services, model: type) -> int:
    with services.session_factory() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def rejected(services: Services, path: Path) -> list[tuple[int, str, str]]:
    with pytest.raises(ImportRejected) as info:
        services.tracker.import_file(OPERATOR, path)
    return [(p.row, p.column, p.code) for p in info.value.problems]


def test_imports_every_row_with_officials_formats(services: Services, tmp_path: Path) -> None:
    result = services.tracker.import_file(OPERATOR, write_csv(tmp_path / "a.csv", GOOD_ROWS))
    assert (result.rows, result.created, result.unchanged) == (3, 3, 0)
    items = services.tracker.list_agreements(OPERATOR, at=AT)
    first = services.tracker.get_agreement(OPERATOR, items[0].id)
    assert first.signed_on == date(2018, 10, 30)
    assert first.ends_on == date(2023, 10, 30)
    assert [p.document_number for p in first.parties] == ["119/HK/2018", "180/45/HK/2018"]
    assert [p.code for p in first.parties] == ["32.73", "15.01"]
    assert first.apps == ("Hayu.Bdg", "e-RK")
    assert first.template == "app-replication"
    assert len(first.milestones) == 11
    assert items[1].signed_on == date(2024, 8, 12)
    assert items[2].kind == "pks" and items[2].parties[1].name == "Kota Tanjung Pinang"
    assert count(services, AuditEntry) == 4  # three created + the import itself


def test_reimport_creates_no_duplicates(services: Services, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", GOOD_ROWS)
    services.tracker.import_file(OPERATOR, path)
    again = services.tracker.import_file(OPERATOR, path)
    assert (again.created, again.unchanged) == (0, 3)
    assert count(services, Agreement) == 3
    # A file with one more row adds only that row.
    extra = "KB,800/2026,KB Baru,Kota Bandung; Kab. Aceh Tengah,20 Mei 2026,,e-RK"
    grown = services.tracker.import_file(
        OPERATOR, write_csv(tmp_path / "b.csv", [*GOOD_ROWS, extra])
    )
    assert (grown.created, grown.unchanged) == (1, 3)
    assert count(services, Agreement) == 4


def test_dry_run_writes_nothing(services: Services, tmp_path: Path) -> None:
    result = services.tracker.import_file(
        OPERATOR, write_csv(tmp_path / "a.csv", GOOD_ROWS), dry_run=True
    )
    assert result.dry_run and result.created == 3
    assert count(services, Agreement) == 0
    assert count(services, AuditEntry) == 0


def test_one_bad_row_rejects_the_whole_file(services: Services, tmp_path: Path) -> None:
    bad = "KB,9/2026,KB Rusak,Kota Bandung; Kab. Kerinci,31 Februari 2019,,e-RK"
    problems = rejected(services, write_csv(tmp_path / "a.csv", [*GOOD_ROWS, bad]))
    assert problems == [(5, "signed_on", "date.invalid")]
    assert count(services, Agreement) == 0
    assert count(services, Milestone) == 0
    assert count(services, AuditEntry) == 0


def test_every_bad_row_is_reported_with_row_column_and_reason(
    services: Services, tmp_path: Path
) -> None:
    rows = [
        GOOD_ROWS[0],
        "KB,1/2026,Satu,Kota Bandung; Tasikmalaya,1 Januari 2026,,",  # ambiguous
        "KB,2/2026,Dua,Kota Bandung; Kabupaten Atlantis,1 Januari 2026,,",  # unknown
        "KB,3/2026,Tiga,Kota Bandung; Kab. Kerinci,10/10/2026,01/01/2026,",  # ends before
        "Perda,4/2026,Empat,Kota Bandung; Kab. Kerinci,1 Januari 2026,,",  # bad type
        "KB,5/2026,,Kota Bandung,1 Januari 2026,,",  # no title, one party
        "KB,6/2026,Enam,Kota Bandung; Kab. Kerinci,kemarin,,",  # not a date
        "KB,7/2026; 8/2026; 9/2026,Tujuh,Kota Bandung; Kab. Kerinci,1 Januari 2026,,",
        "KB,10/2026,Sepuluh,Kota Bandung; Kota Bandung,1 Januari 2026,,",
    ]
    problems = rejected(services, write_csv(tmp_path / "a.csv", rows))
    assert problems == [
        (3, "parties", "region.ambiguous"),
        (4, "parties", "region.not_found"),
        (5, "ends_on", "import.ends_before_signed"),
        (6, "type", "import.bad_type"),
        (7, "parties", "import.too_few_parties"),
        (7, "title", "import.required"),
        (8, "signed_on", "date.invalid"),
        (9, "number", "import.numbers_mismatch"),
        (10, "parties", "import.repeated_party"),
    ]
    assert count(services, Agreement) == 0


def test_problem_messages_are_in_the_users_language(services: Services, tmp_path: Path) -> None:
    rows = ["KB,1/2026,Satu,Kota Bandung; Tasikmalaya,1 Januari 2026,,"]
    with pytest.raises(ImportRejected) as info:
        services.tracker.import_file(OPERATOR, write_csv(tmp_path / "a.csv", rows))
    (problem,) = info.value.problems
    indonesian = describe_problem(problem, "id")
    english = describe_problem(problem, "en")
    assert indonesian.startswith("Baris 2, kolom para_pihak:")
    assert "Kabupaten Tasikmalaya, Kota Tasikmalaya" in indonesian
    assert english.startswith("Row 2, column parties:")
    assert "more than one region" in english


def test_empty_rows_are_skipped_and_duplicate_rows_reported(
    services: Services, tmp_path: Path
) -> None:
    with_blanks = [GOOD_ROWS[0], ",,,,,,", "", GOOD_ROWS[1]]
    result = services.tracker.import_file(OPERATOR, write_csv(tmp_path / "a.csv", with_blanks))
    assert (result.rows, result.created) == (2, 2)

    problems = rejected(services, write_csv(tmp_path / "b.csv", [GOOD_ROWS[2], GOOD_ROWS[2]]))
    assert problems == [(3, "number", "import.duplicate_row")]


def test_header_only_or_empty_file(services: Services, tmp_path: Path) -> None:
    assert rejected(services, write_csv(tmp_path / "a.csv", [])) == [(1, "-", "import.empty")]
    (tmp_path / "b.csv").write_text("", encoding="utf-8")
    assert rejected(services, tmp_path / "b.csv") == [(1, "-", "import.no_header")]


def test_missing_required_columns(services: Services, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ["KB,Judul"], header="jenis,judul")
    assert rejected(services, path) == [(1, "parties", "import.missing_column")]


def test_english_headers_and_semicolon_delimited_files(services: Services, tmp_path: Path) -> None:
    english = write_csv(
        tmp_path / "en.csv",
        ['MoU,1/2026,Title,"Kota Bandung; Kab. Kerinci",30 October 2025,,e-RK'],
        header="type,number,title,parties,signed_on,ends_on,apps",
    )
    assert services.tracker.import_file(OPERATOR, english).created == 1
    semicolons = tmp_path / "excel.csv"
    semicolons.write_text(
        "jenis;nomor;judul;para_pihak;tanggal_ttd\n"
        'KB;2/2026;Judul;"Kota Bandung; Kab. Aceh Tengah";1/2/2026\n',
        encoding="utf-8",
    )
    assert services.tracker.import_file(OPERATOR, semicolons).created == 1


def test_windows_1252_csv_is_read_with_a_note(services: Services, tmp_path: Path) -> None:
    row = "KB,1/2026,Kerja sama e-RK – tahap I,Kota Bandung; Kab. Kerinci,1 Januari 2026,,e-RK"
    path = write_csv(tmp_path / "ansi.csv", [row], encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    result = services.tracker.import_file(OPERATOR, path)
    assert result.notes == ("import.note.cp1252",)
    assert services.tracker.list_agreements(OPERATOR, at=AT)[0].title == "Kerja sama e-RK – tahap I"


def test_utf8_bom_is_accepted(services: Services, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bom.csv", GOOD_ROWS[:1], encoding="utf-8-sig")
    result = services.tracker.import_file(OPERATOR, path)
    assert result.created == 1 and result.notes == ()


def test_undecodable_and_binary_files_are_rejected(services: Services, tmp_path: Path) -> None:
    binary = tmp_path / "image.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(UnreadableImportFile):
        services.tracker.import_file(OPERATOR, binary)
    undefined = tmp_path / "odd.csv"
    undefined.write_bytes(HEADER.encode() + b"\nKB,1,\x81\x8d,Kota Bandung; Kab. Kerinci,,\n")
    with pytest.raises(UnreadableImportFile) as info:
        services.tracker.import_file(OPERATOR, undefined)
    assert info.value.code == "import.unreadable"


@pytest.mark.parametrize("name", ["agreements.pdf", "agreements.xls", "agreements", "a.txt"])
def test_wrong_file_types_are_rejected(services: Services, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(HEADER + "\n", encoding="utf-8")
    with pytest.raises(UnsupportedImportFile) as info:
        services.tracker.import_file(OPERATOR, path)
    assert info.value.code == "import.unsupported_type"


def test_csv_renamed_to_xlsx_is_rejected(services: Services, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fake.xlsx", GOOD_ROWS)
    with pytest.raises(UnsupportedImportFile):
        services.tracker.import_file(OPERATOR, path)


def test_xlsx_with_date_cells(services: Services, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        ["Jenis", "Nomor", "Judul", "Para Pihak", "Tanggal TTD", "Tanggal Berakhir", "Aplikasi"]
    )
    sheet.append(
        [
            "KB",
            "119/2018",
            "KB Hayu",
            "Kota Bandung; Kab. Kerinci",
            date(2018, 10, 30),
            "30 Oktober 2023",
            "Hayu.Bdg",
        ]
    )
    sheet.append([None] * 7)
    sheet.append(
        [
            "PKS",
            27,
            "PKS Gampil",
            "Kota Bandung; Kab. Mempawah",
            "Selasa (30/10/2018)",
            None,
            "Gampil",
        ]
    )
    path = tmp_path / "kb.xlsx"
    book.save(path)
    result = services.tracker.import_file(OPERATOR, path)
    assert (result.rows, result.created) == (2, 2)
    items = services.tracker.list_agreements(OPERATOR, at=AT)
    assert items[0].signed_on == date(2018, 10, 30)
    assert items[1].number == "27"


def test_done_steps_parent_and_template_columns(services: Services, tmp_path: Path) -> None:
    header = HEADER + ",template,tahap_selesai,induk"
    rows = [
        "PKS,027/PKS/2024,PKS Gampil,Kota Bandung; Kab. Serdang Bedagai,2024-11-05,,Gampil,"
        "app-replication,coordinators; work_plan,415/KB/2024",
        "KB,415/KB/2024,KB SPBE,Kota Bandung; Kab. Serdang Bedagai,12 Agt 2024,,Gampil,-,,",
    ]
    result = services.tracker.import_file(OPERATOR, write_csv(tmp_path / "a.csv", rows, header))
    assert result.created == 2
    kb, pks = (services.tracker.get_agreement(OPERATOR, i) for i in sorted(result.agreement_ids))
    assert kb.title == "KB SPBE" and kb.milestones == ()  # parent created first
    assert pks.parent_id == kb.id
    assert [m.status for m in pks.milestones[:3]] == ["done", "done", "planned"]


def test_unknown_parent_template_and_steps(services: Services, tmp_path: Path) -> None:
    header = HEADER + ",template,tahap_selesai,induk"
    rows = [
        "PKS,1/2026,A,Kota Bandung; Kab. Kerinci,2026-01-05,,,,,999/TIDAK-ADA",
        "KB,2/2026,B,Kota Bandung; Kab. Kerinci,2026-01-05,,,replikasi-x,,",
        "KB,3/2026,C,Kota Bandung; Kab. Kerinci,2026-01-05,,,,go_live; launch,",
    ]
    problems = rejected(services, write_csv(tmp_path / "a.csv", rows, header))
    assert problems == [
        (2, "parent", "import.parent_not_found"),
        (3, "template", "template.not_found"),
        (4, "done", "import.unknown_step"),
    ]


def test_sample_file_imports_cleanly(services: Services) -> None:
    sample = Path(__file__).resolve().parents[2] / "samples" / "agreements.csv"
    result = services.tracker.import_file(Operator("demo"), sample)
    assert result.created == 12
    report = services.tracker.report(OPERATOR, at=AT)
    assert report.by_health["stalled"] >= 2
    assert report.by_health["overdue"] >= 2
    assert report.overdue and report.stalled and report.renewal_due
