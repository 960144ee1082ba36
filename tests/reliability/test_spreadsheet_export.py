"""What people type comes out of `mou export` as inert text: no formula runs when the file is
opened, no control character breaks the XLSX, and a re-import reads back what was stored.

Also: two-digit years are refused with both readings shown, in imports and on the command line.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from cli.errors import ExitStatus
from cli.main import main
from core.db import make_engine

#: OWASP's formula triggers, as titles, numbers and evidence.
FORMULAS = (
    '=HYPERLINK("http://evil.example","klik")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\uff1d1+1",  # full-width "=", accepted as a formula by some spreadsheet programs
)
PARTIES = "Kota Bandung; Kabupaten Kerinci"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["jenis", "nomor", "judul", "para_pihak", "tanggal_ttd", "tujuan"])
        writer.writerows(rows)
    return path


@pytest.fixture
def hostile_register(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    """Agreements whose titles and numbers are formulas, one with a BEL, and evidence typed
    with a formula and control characters; returns the titles as they must be stored."""
    rows = [
        ["KB", f"{formula}/{n}", formula, PARTIES, "2026-01-05", f"{formula} tujuan"]
        for n, formula in enumerate(FORMULAS)
    ]
    rows.append(["KB", "", "Judul\x07dengan bel\x1b[31m", PARTIES, "2026-01-05", "a\x01b\x0bc"])
    status, _out, err = run(capsys, "mou", "import", str(write_csv(tmp_path / "in.csv", rows)))
    assert status == 0, err
    status, out, _err = run(capsys, "mou", "show", "1", "--json")
    milestone = json.loads(out)["milestones"][0]["id"]
    status, _out, err = run(
        capsys, "mou", "milestone", str(milestone), "--status", "done",
        "--evidence", "=1+1\x07bukti", "--link", "@SUM(1)",
    )  # fmt: skip
    assert status == 0, err
    return [*FORMULAS, "Judul dengan bel [31m"]


def test_stored_text_is_the_text_given_without_controls(
    hostile_register: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    listed = json.loads(run(capsys, "mou", "list", "--json")[1])
    assert [a["title"] for a in listed] == hostile_register
    assert json.loads(run(capsys, "mou", "show", "6", "--json")[1])["objective"] == "a b\nc"
    milestone = json.loads(run(capsys, "mou", "show", "1", "--json")[1])["milestones"][0]
    assert milestone["evidence_note"] == "=1+1 bukti"
    assert milestone["evidence_link"] == "@SUM(1)"


def test_csv_export_neutralises_every_formula(
    hostile_register: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "out.csv"
    status, _out, err = run(capsys, "mou", "export", str(path))
    assert status == 0, err
    with path.open(encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\uff1d")) or cell == "-", cell
        assert not any(ord(ch) < 32 and ch not in "\t\n\r" for ch in cell), cell
    titles = {c[1:] if c.startswith("'") else c for c in cells}
    assert set(hostile_register) <= titles
    # Imported again, the quotes are not part of the text: nothing is new, nothing is changed.
    status, out, err = run(capsys, "mou", "import", str(path), "--json")
    assert status == 0, err
    result = json.loads(out)["result"]
    assert result["created"] == 0 and result["unchanged"] == len(hostile_register)


def test_xlsx_export_has_no_formula_on_either_sheet(
    hostile_register: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "out.xlsx"
    status, _out, err = run(capsys, "mou", "export", str(path))
    assert status == 0, err
    workbook = load_workbook(path)  # formulas included: nothing may be one
    agreements, milestones = workbook["Perjanjian"], workbook["Tonggak"]
    for sheet in (agreements, milestones):
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "@", "\uff1d")):
                    assert cell.quotePrefix, (sheet.title, cell.coordinate)
    titles = [agreements.cell(row=r, column=4).value for r in range(2, agreements.max_row + 1)]
    assert titles == hostile_register  # the exact text, no added quote
    evidence = {c.value for row in milestones.iter_rows() for c in row}
    assert {"=1+1 bukti", "@SUM(1)"} <= evidence


def test_xlsx_export_survives_controls_stored_before_they_were_cleaned(
    hostile_register: list[str], data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(f"sqlite:///{data_dir / 'sinergi.db'}")
    with engine.begin() as conn:  # as an older version could have stored it
        conn.execute(text("UPDATE agreements SET title = 'Lama\x07judul\x01' WHERE id = 1"))
        conn.execute(text("UPDATE milestones SET evidence_note = 'bukti\x08lama' WHERE id = 1"))
    engine.dispose()
    for name in ("lama.xlsx", "lama.csv"):
        status, _out, err = run(capsys, "mou", "export", str(tmp_path / name))
        assert status == 0, err
    sheet = load_workbook(tmp_path / "lama.xlsx")["Perjanjian"]
    assert sheet.cell(row=2, column=4).value == "Lamajudul"


def test_two_digit_years_are_refused_in_imports_and_options(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "yy.csv", [["KB", "1/X/2099", "Judul", PARTIES, "15/06/99", ""]])
    status, _out, err = run(capsys, "mou", "import", str(path))
    assert status == ExitStatus.INVALID_INPUT
    assert "15/06/1999" in err and "15/06/2099" in err and "Baris 2" in err
    status, _out, err = run(
        capsys, "mou", "add", "--title", "Judul", "--party", "Kota Bandung",
        "--party", "Kabupaten Kerinci", "--signed-on", "15/06/99",
    )  # fmt: skip
    assert status == ExitStatus.INVALID_INPUT
    assert "15/06/1999" in err and "15/06/2099" in err
    assert json.loads(run(capsys, "mou", "list", "--json")[1]) == []
