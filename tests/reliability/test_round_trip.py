"""Export, edit in a spreadsheet, import again: an agreement is updated (``--update``, every
change shown and audited) or the import is refused with the reason; never a duplicate, never a
silent "already there", never half of a file.

The whole loop runs through ``sinergi`` in CSV and in XLSX, on a register with a numbered and
an unnumbered KB, a PKS whose number belongs to its second party only, and titles that are
formulas (neutralised by the export).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cli.errors import ExitStatus
from cli.main import main
from tests.reliability.snapshot import changed_tables, snapshot

PARTIES_KERINCI = "Kota Bandung; Kabupaten Kerinci"
FORMULA_TITLE = '=HYPERLINK("http://evil.example","klik")'
REGISTER = [
    ["jenis", "nomor", "judul", "para_pihak", "tanggal_ttd", "tanggal_berakhir", "aplikasi"],
    ["KB", "119/HK/2018; 180/45/HK/2018", "KB Replikasi Hayu.Bdg", PARTIES_KERINCI,
     "2018-10-30", "2023-10-30", "Hayu.Bdg; e-RK"],
    ["KB", "", "KB Smart City", "Kota Bandung; Kab. Sarolangun", "2025-03-03", "", "e-RK"],
    ["PKS", "; 555/211/2024", FORMULA_TITLE, "Kota Bandung; Kabupaten Serdang Bedagai",
     "2024-11-05", "2029-08-12", "Gampil"],
    ["KB", "", "-2+3 peserta", "Kota Bandung; Kota Tanjungpinang", "2025-06-20", "", ""],
]  # fmt: skip
#: Agreement ids in the order of REGISTER's rows.
NUMBERED, UNNUMBERED, PKS, MINUS = 1, 2, 3, 4


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, err
    return status, out, err


def show(capsys: pytest.CaptureFixture[str], agreement_id: int) -> dict[str, object]:
    status, out, err = run(capsys, "mou", "show", str(agreement_id), "--json")
    assert status == 0, err
    data: dict[str, object] = json.loads(out)
    return data


def audit(capsys: pytest.CaptureFixture[str], agreement_id: int) -> list[dict[str, object]]:
    status, out, err = run(capsys, "mou", "audit", str(agreement_id), "--json")
    assert status == 0, err
    entries: list[dict[str, object]] = json.loads(out)
    return entries


# --- editing an export as a person would ---------------------------------------------------------


def edit_csv(path: Path, edits: dict[int, dict[str, str]]) -> None:
    """Change cells of the agreements ``edits`` names (by id), header by header."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    for row in rows[1:]:
        for column, value in edits.get(int(row[0]), {}).items():
            row[header.index(column)] = value
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)


def edit_xlsx(path: Path, edits: dict[int, dict[str, str]]) -> None:
    """The same in the workbook's first sheet; text typed as text (Excel's quote prefix)."""
    book = load_workbook(path)
    sheet = book["Perjanjian"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        for column, value in edits.get(int(str(row[0].value)), {}).items():
            cell = row[header.index(column)]
            cell.value = value
            cell.data_type = "s"
    book.save(path)


Editor = Callable[[Path, dict[int, dict[str, str]]], None]
FORMATS: dict[str, Editor] = {"csv": edit_csv, "xlsx": edit_xlsx}


@pytest.fixture
def register(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The register imported, one milestone of the numbered KB done; the database's URL."""
    source = tmp_path / "register.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(REGISTER)
    status, _out, err = run(capsys, "mou", "import", str(source))
    assert status == 0, err
    first = show(capsys, NUMBERED)["milestones"][0]["id"]  # type: ignore[index]
    status, _out, err = run(
        capsys, "mou", "milestone", str(first), "--status", "done", "--evidence", "BA rapat"
    )
    assert status == 0, err
    return f"sqlite:///{data_dir / 'sinergi.db'}"


def exported(capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str) -> Path:
    path = tmp_path / f"export.{fmt}"
    status, _out, err = run(capsys, "mou", "export", str(path))
    assert status == 0, err
    return path


def imported(capsys: pytest.CaptureFixture[str], path: Path, *flags: str) -> dict[str, object]:
    status, out, err = run(capsys, "mou", "import", str(path), "--json", *flags)
    assert status == 0, err
    result: dict[str, object] = json.loads(out)["result"]
    return result


# --- the loop ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unedited_export_imports_as_unchanged(
    register: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    path = exported(capsys, tmp_path, fmt)
    before = snapshot(register)
    result = imported(capsys, path, "--dry-run")
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 4)
    assert snapshot(register) == before
    # Numbers that belong to the second party only, formula titles and done steps come back
    # exactly: not even --update finds anything to change.
    result = imported(capsys, path, "--update")
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 4)
    assert set(changed_tables(before, snapshot(register))) == {"audit_log"}  # the import's entry
    assert show(capsys, PKS)["parties"][1]["document_number"] == "555/211/2024"  # type: ignore[index]
    assert show(capsys, PKS)["title"] == FORMULA_TITLE


@pytest.mark.parametrize("fmt", FORMATS)
def test_edits_are_refused_without_update_shown_by_dry_run_and_applied_with_update(
    register: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    path = exported(capsys, tmp_path, fmt)
    FORMATS[fmt](
        path,
        {
            NUMBERED: {
                "judul": "KB Replikasi Hayu.Bdg dan e-RK",
                "tanggal_berakhir": "30/10/2028",
                "tahap_selesai": "coordinators; work_plan",
            },
            UNNUMBERED: {"judul": "KB Pengembangan Smart City"},
            # The formula cell edited: in CSV with the export's apostrophe, in XLSX as text.
            PKS: {"nomor": "; 555/211/2024-rev", "judul": "'+SUM(1) revisi"},
            MINUS: {"aplikasi": "Sabilulungan"},
        },
    )
    before = snapshot(register)

    # 1. Without --update: refused, the agreements and fields named, nothing written.
    status, _out, err = run(capsys, "mou", "import", str(path))
    assert status == ExitStatus.INVALID_INPUT
    assert "--update" in err
    for agreement_id in (NUMBERED, UNNUMBERED, PKS, MINUS):
        assert f"#{agreement_id}" in err
    assert 'judul: "KB Replikasi Hayu.Bdg" → "KB Replikasi Hayu.Bdg dan e-RK"' in err
    assert snapshot(register) == before

    # 2. --dry-run --update: every change field by field, nothing written.
    status, out, err = run(capsys, "mou", "import", str(path), "--dry-run", "--update")
    assert status == 0, err
    assert 'tanggal_berakhir: "2023-10-30" → "2028-10-30"' in out
    assert 'tahap_selesai: "coordinators" → "coordinators; work_plan"' in out
    assert 'judul: "KB Smart City" → "KB Pengembangan Smart City"' in out
    assert 'nomor: "; 555/211/2024" → "; 555/211/2024-rev"' in out
    assert 'aplikasi: (kosong) → "Sabilulungan"' in out
    assert "4 diperbarui" in out
    assert snapshot(register) == before

    # 3. --update: applied, no agreement added, each change audited.
    result = imported(capsys, path, "--update")
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 4, 0)
    numbered = show(capsys, NUMBERED)
    assert numbered["title"] == "KB Replikasi Hayu.Bdg dan e-RK"
    assert numbered["ends_on"] == "2028-10-30"
    done = [m["key"] for m in numbered["milestones"] if m["status"] == "done"]  # type: ignore[attr-defined]
    assert done == ["coordinators", "work_plan"]
    assert show(capsys, UNNUMBERED)["title"] == "KB Pengembangan Smart City"
    pks = show(capsys, PKS)
    assert pks["title"] == "+SUM(1) revisi"  # the apostrophe is not part of the text
    assert [p["document_number"] for p in pks["parties"]] == [None, "555/211/2024-rev"]  # type: ignore[attr-defined]
    assert show(capsys, MINUS)["apps"] == ["Sabilulungan"]
    status, out, _err = run(capsys, "mou", "list", "--json")
    assert len(json.loads(out)) == 4
    updates = [
        (e["details"]["field"], e["details"]["from"], e["details"]["to"])  # type: ignore[index]
        for e in audit(capsys, NUMBERED)
        if e["action"] == "agreement.updated"
    ]
    assert updates == [
        ("title", "KB Replikasi Hayu.Bdg", "KB Replikasi Hayu.Bdg dan e-RK"),
        ("ends_on", "2023-10-30", "2028-10-30"),
    ]
    assert [e["actor"] for e in audit(capsys, NUMBERED)][-3:] == ["cli", "cli", "cli"]
    milestone_entries = [e for e in audit(capsys, NUMBERED) if e["action"] == "milestone.status"]
    assert milestone_entries[-1]["details"]["to"] == "done"  # type: ignore[index]

    # 4. The same file again: nothing left to change.
    result = imported(capsys, path, "--update")
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 4)


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_invalid_row_refuses_the_file_and_writes_none_of_it(
    register: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    path = exported(capsys, tmp_path, fmt)
    FORMATS[fmt](
        path,
        {
            UNNUMBERED: {"judul": "KB Pengembangan Smart City"},  # fine on its own
            NUMBERED: {"tanggal_berakhir": "2017-01-01"},  # before it was signed
            PKS: {"tanggal_ttd": "31/02/2024"},  # no such date
        },
    )
    before = snapshot(register)
    status, _out, err = run(capsys, "mou", "import", str(path), "--update")
    assert status == ExitStatus.INVALID_INPUT
    assert "Baris 2, kolom tanggal_berakhir" in err
    assert "Baris 4, kolom tanggal_ttd" in err
    assert snapshot(register) == before
    assert show(capsys, UNNUMBERED)["title"] == "KB Smart City"


@pytest.mark.parametrize("fmt", FORMATS)
def test_ids_that_are_not_this_agreement_are_refused(
    register: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    path = exported(capsys, tmp_path, fmt)
    # Row of agreement 2 given an id nobody has, and the row of agreement 4 given the id of
    # agreement 2 (another installation's export, or ids pasted over a sorted sheet).
    FORMATS[fmt](path, {UNNUMBERED: {"id": "999"}, MINUS: {"id": str(UNNUMBERED)}})
    before = snapshot(register)
    status, _out, err = run(capsys, "mou", "import", str(path), "--update")
    assert status == ExitStatus.INVALID_INPUT
    assert "Perjanjian #999 tidak ada di sini" in err
    assert "impor tidak dapat mengubah para pihak" in err
    assert snapshot(register) == before


def test_a_row_added_to_an_export_without_an_id_is_a_new_agreement(
    register: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = exported(capsys, tmp_path, "csv")
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(
            ["", "PKS", "", "PKS Sabilulungan", "Kota Bandung; Kab. Sarolangun", "2025-04-01"]
        )
    result = imported(capsys, path)
    assert (result["created"], result["updated"], result["unchanged"]) == (1, 0, 4)
    assert imported(capsys, path)["created"] == 0  # and once only


# --- files without the id column ---------------------------------------------------------------


def hand_made(tmp_path: Path, edit: Callable[[list[list[str]]], None]) -> Path:
    rows = [list(r) for r in REGISTER]
    edit(rows)
    path = tmp_path / "hand.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_an_unnumbered_agreement_with_an_edited_title_is_not_duplicated(
    register: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = hand_made(tmp_path, lambda rows: rows[2].__setitem__(2, "KB Pengembangan Smart City"))
    before = snapshot(register)
    for flags in ((), ("--update",), ("--dry-run",)):
        status, _out, err = run(capsys, "mou", "import", str(path), *flags)
        assert status == ExitStatus.INVALID_INPUT
        assert 'Mirip perjanjian #2 "KB Smart City"' in err
        assert snapshot(register) == before


def test_a_numbered_agreement_is_found_by_its_number(
    register: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = hand_made(tmp_path, lambda rows: rows[1].__setitem__(5, "2028-10-30"))
    before = snapshot(register)
    status, _out, err = run(capsys, "mou", "import", str(path))
    assert status == ExitStatus.INVALID_INPUT
    assert "Perjanjian #1 sudah tercatat dan berbeda pada: tanggal_berakhir" in err
    assert snapshot(register) == before
    result = imported(capsys, path, "--update")
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 1, 3)
    assert show(capsys, NUMBERED)["ends_on"] == "2028-10-30"


def test_an_agreement_recorded_by_hand_is_found_by_its_number(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Recorded with `mou add` (no import key): a register listing it adds no second one."""
    status, _out, err = run(
        capsys, "mou", "add", "--type", "pks", "--title", "PKS Gampil",
        "--party", "Kota Bandung", "--party", "Kabupaten Kerinci",
        "--number", "027/PKS/2025", "--signed-on", "2025-06-20",
    )  # fmt: skip
    assert status == 0, err
    path = tmp_path / "register.csv"
    path.write_text(
        "jenis,nomor,judul,para_pihak,tanggal_ttd\n"
        f"PKS,027/PKS/2025,PKS Replikasi Gampil,{PARTIES_KERINCI},2025-06-20\n",
        encoding="utf-8",
    )
    status, _out, err = run(capsys, "mou", "import", str(path))
    assert status == ExitStatus.INVALID_INPUT and "berbeda pada: judul" in err
    result = imported(capsys, path, "--update")
    assert (result["created"], result["updated"]) == (0, 1)
    status, out, _err = run(capsys, "mou", "list", "--json")
    assert [a["title"] for a in json.loads(out)] == ["PKS Replikasi Gampil"]


def test_parties_template_and_done_steps_cannot_be_undone_by_an_import(
    register: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = exported(capsys, tmp_path, "csv")
    edit_csv(
        path,
        {
            NUMBERED: {"para_pihak": "Kabupaten Kerinci; Kota Bandung"},  # order is ownership
            UNNUMBERED: {"template": "-"},
            # A done step left out of the list stays done (progress is recorded with
            # evidence, not by a spreadsheet), so this row is simply unchanged.
            PKS: {"tahap_selesai": ""},
        },
    )
    status, _out, err = run(capsys, "mou", "import", str(path), "--update")
    assert status == ExitStatus.INVALID_INPUT
    assert "Baris 2, kolom para_pihak" in err
    assert "Baris 3, kolom template" in err
    assert "Baris 4" not in err
