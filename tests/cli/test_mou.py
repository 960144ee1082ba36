"""``sinergi mou``: the commands scripts rely on, end to end on an SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from cli.errors import ExitStatus
from cli.main import main
from core.db import make_engine

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "agreements.csv"
AT = "2026-11-23"


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    capsys.readouterr()
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_import_list_show_report(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mou", "import", str(SAMPLE)]) == 0
    assert "12" in capsys.readouterr().out

    items = run_json(capsys, "mou", "list", "--at", AT)
    assert isinstance(items, list) and len(items) == 12
    first = items[0]
    for key in ("id", "type", "number", "title", "parties", "signed_on", "ends_on", "health"):
        assert key in first
    assert first["parties"][0] == {**first["parties"][0], "code": "32.73", "name": "Kota Bandung"}
    assert first["signed_on"] == "2018-10-30"
    assert {i["health"] for i in items} >= {"stalled", "overdue", "on_track", "completed"}

    detail = run_json(capsys, "mou", "show", str(first["id"]), "--at", AT)
    assert isinstance(detail, dict) and len(detail["milestones"]) == 11

    report = run_json(capsys, "mou", "report", "--at", AT)
    assert isinstance(report, dict)
    assert report["total"] == 12
    assert sum(report["by_health"].values()) == 12
    assert report["stalled"][0]["must_act_names"]
    assert all(o["must_act"] for o in report["overdue"])
    assert 0 <= report["follow_through_rate"] <= 1


def test_human_tables(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # rich wraps table cells to the terminal width
    main(["mou", "import", str(SAMPLE)])
    capsys.readouterr()
    assert main(["mou", "list", "--at", AT]) == 0
    out = capsys.readouterr().out
    assert "Kesepakatan Bersama" in out and "Hanya di atas kertas" in out
    assert main(["mou", "report", "--at", AT]) == 0
    out = capsys.readouterr().out
    assert "Tingkat tindak lanjut" in out and "Harus bertindak" in out
    assert main(["mou", "show", "1", "--at", AT, "--audit"]) == 0
    assert "agreement.created" in capsys.readouterr().out


def test_reimport_adds_nothing(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mou", "import", str(SAMPLE)]) == 0
    result = run_json(capsys, "mou", "import", str(SAMPLE))
    assert isinstance(result, dict)
    assert result["result"]["created"] == 0 and result["result"]["unchanged"] == 12
    assert len(run_json(capsys, "mou", "list", "--at", AT)) == 12  # type: ignore[arg-type]


def test_dry_run(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mou", "import", str(SAMPLE), "--dry-run"]) == 0
    assert "Uji coba" in capsys.readouterr().out
    assert run_json(capsys, "mou", "list") == []


def test_bad_import_exits_non_zero_and_lists_every_problem(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "jenis,nomor,judul,para_pihak,tanggal_ttd\n"
        "KB,1/2026,Satu,Kota Bandung; Tasikmalaya,1 Januari 2026\n"
        "KB,2/2026,Dua,Kota Bandung; Kab. Kerinci,31 Februari 2019\n",
        encoding="utf-8",
    )
    assert main(["mou", "import", str(bad)]) == ExitStatus.INVALID_INPUT
    err = capsys.readouterr().err
    assert "Baris 2, kolom para_pihak" in err and "Kota Tasikmalaya" in err
    assert "Baris 3, kolom tanggal_ttd" in err and "31 Februari 2019" in err
    assert run_json(capsys, "mou", "list") == []

    capsys.readouterr()
    assert main(["mou", "import", str(bad), "--json"]) == ExitStatus.INVALID_INPUT
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False
    assert [(p["row"], p["column"]) for p in payload["problems"]] == [
        (2, "parties"),
        (3, "signed_on"),
    ]


def test_problems_in_english(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SINERGI_LANGUAGE", "en")
    bad = tmp_path / "bad.csv"
    bad.write_text("jenis,judul,para_pihak\nKB,Satu,Kota Bandung; Mojokerto\n", encoding="utf-8")
    assert main(["mou", "import", str(bad)]) == ExitStatus.INVALID_INPUT
    assert "Row 2, column parties" in capsys.readouterr().err


def test_wrong_file_type(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kb.pdf"
    path.write_bytes(b"%PDF-1.4")
    assert main(["mou", "import", str(path)]) == ExitStatus.INVALID_INPUT
    assert "CSV" in capsys.readouterr().err


def test_add_and_milestone(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    created = run_json(
        capsys,
        "mou", "add",
        "--title", "KB Replikasi Gampil",
        "--party", "Pemkot Bandung",
        "--party", "Kab. Sarolangun",
        "--number", "415/2026",
        "--number", "100/2026",
        "--signed-on", "1 Oktober 2026",
        "--ends-on", "1 Oktober 2031",
        "--app", "Gampil",
        "--signatory", "Wali Kota Bandung",
        "--signatory", "Bupati Sarolangun",
        "--coordinator", "Kepala Diskominfo",
    )  # fmt: skip
    assert isinstance(created, dict)
    assert [p["signatory"] for p in created["parties"]] == [
        "Wali Kota Bandung",
        "Bupati Sarolangun",
    ]
    assert [p["coordinator_name"] for p in created["parties"]] == ["Kepala Diskominfo", None]
    assert [p["code"] for p in created["parties"]] == ["32.73", "15.03"]
    first = created["milestones"][0]

    capsys.readouterr()
    assert main(["mou", "milestone", str(first["id"]), "--status", "done"]) == (
        ExitStatus.INVALID_INPUT
    )
    assert "bukti" in capsys.readouterr().err
    # An unknown milestone is named as such, not as missing its evidence.
    assert main(["mou", "milestone", "9999", "--status", "done"]) == ExitStatus.NOT_FOUND
    err = capsys.readouterr().err
    assert "9999" in err and "tidak ditemukan" in err and "bukti" not in err
    # A completion day that has not come is refused, and nothing changes.
    late = ["--status", "done", "--evidence", "SK", "--on", "01/01/2099"]
    assert main(["mou", "milestone", str(first["id"]), *late]) == ExitStatus.INVALID_INPUT
    err = capsys.readouterr().err
    assert "2099-01-01" in err and "belum tiba" in err
    unchanged = run_json(capsys, "mou", "show", str(created["id"]))
    assert isinstance(unchanged, dict) and unchanged["milestones"][0]["status"] == "planned"

    view = run_json(
        capsys,
        "mou", "milestone", str(first["id"]),
        "--status", "done",
        "--evidence", "SK Koordinator No. 12",
        "--on", "10/10/2026",
        "--by", "tg:99",
    )  # fmt: skip
    assert isinstance(view, dict)
    assert view["status"] == "done" and view["completed_on"] == "2026-10-10"
    assert view["updated_by"] == "tg:99"

    added = run_json(
        capsys, "mou", "milestone-add", str(created["id"]), "--title", "Integrasi SIPD",
        "--due-on", "2026-12-01", "--responsible", "Sarolangun",
    )  # fmt: skip
    assert isinstance(added, dict) and added["responsible_region_code"] == "15.03"
    moved = run_json(capsys, "mou", "milestone-move", str(added["id"]), "--due-on", "2027-01-05")
    assert isinstance(moved, dict) and moved["due_on"] == "2027-01-05"
    assert main(["mou", "milestone-drop", str(added["id"]), "--reason", "Batal"]) == 0

    ended = run_json(capsys, "mou", "set-status", str(created["id"]), "terminated")
    assert isinstance(ended, dict) and ended["health"] == "expired"

    audit = run_json(capsys, "mou", "audit", str(created["id"]))
    assert isinstance(audit, list)
    assert [e["action"] for e in audit] == [
        "agreement.created",
        "milestone.status",
        "milestone.added",
        "milestone.moved",
        "milestone.dropped",
        "agreement.status",
    ]


def test_add_refuses_an_agreement_already_recorded(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["mou", "add", "--title", "KB Replikasi Gampil", "--party", "Kota Bandung"]
    args += ["--party", "Kab. Sarolangun", "--number", "415/2026", "--signed-on", "2026-10-01"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == ExitStatus.INVALID_INPUT
    assert "sudah tercatat (#1)" in capsys.readouterr().err
    listed = run_json(capsys, "mou", "list")
    assert isinstance(listed, list) and len(listed) == 1


def test_add_with_ambiguous_party(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["mou", "add", "--title", "X", "--party", "Kota Bandung", "--party", "Tasikmalaya"])
    assert code == ExitStatus.INVALID_INPUT
    err = capsys.readouterr().err
    assert "Kabupaten Tasikmalaya" in err and "Kota Tasikmalaya" in err


def test_show_unknown_and_bad_date(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mou", "show", "77"]) == ExitStatus.NOT_FOUND
    assert "#77" in capsys.readouterr().err
    assert main(["mou", "list", "--at", "31 Februari 2026"]) == ExitStatus.INVALID_INPUT
    assert "31 Februari 2026" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".ics"])
def test_export(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    main(["mou", "import", str(SAMPLE)])
    out = tmp_path / f"export{suffix}"
    result = run_json(capsys, "mou", "export", str(out), "--at", AT)
    assert isinstance(result, dict) and result["agreements"] == 12
    assert out.stat().st_size > 0


def test_list_filters(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["mou", "import", str(SAMPLE)])
    mojokerto = run_json(capsys, "mou", "list", "--at", AT, "--region", "Kota Mojokerto")
    assert isinstance(mojokerto, list) and len(mojokerto) == 2
    stalled = run_json(capsys, "mou", "list", "--at", AT, "--health", "stalled")
    assert isinstance(stalled, list) and {i["health"] for i in stalled} == {"stalled"}


def test_show_prints_no_terminal_controls_stored_before_cleaning(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The title was shown cleaned; the objective, a party's signatory and an application
    # name an older version stored with an escape that retitles the terminal were printed
    # as stored.
    monkeypatch.setenv("COLUMNS", "300")
    args = ["mou", "add", "--title", "Replikasi Gampil", "--party", "Kota Bandung"]
    args += ["--party", "Kabupaten Bandung", "--app", "Gampil", "--objective", "Layanan izin"]
    assert main(args) == 0
    engine = make_engine(f"sqlite:///{data_dir / 'sinergi.db'}")
    hostile = "'x\x1b]0;PWNED\x07\x1b[31my\u202ez'"
    with engine.begin() as conn:  # as an older version could have stored it
        conn.execute(text(f"UPDATE agreements SET objective = {hostile}"))
        conn.execute(text(f"UPDATE agreement_parties SET signatory = {hostile}"))
        conn.execute(text(f"UPDATE agreement_apps SET name = {hostile}"))
    engine.dispose()
    capsys.readouterr()
    assert main(["mou", "show", "1", "--audit"]) == 0
    out = capsys.readouterr().out
    assert out.count("]0;PWNED") == 4, out  # objective, two parties, the app: their text
    assert not any(c in out for c in "\x1b\x07\u202e"), ascii(out)
