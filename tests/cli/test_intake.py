"""``sinergi mou intake|evidence|files|search`` on the dev set's text documents (no OCR needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.errors import ExitStatus
from cli.main import main

DEV_SET = Path(__file__).resolve().parents[1] / "data" / "agreements"


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    capsys.readouterr()
    assert main([*args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert isinstance(result, dict)
    return result


def test_intake_prints_the_draft_with_where_each_field_was_found(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    draft = run_json(capsys, "mou", "intake", str(DEV_SET / "kb-01-kerinci.pdf"))
    assert {k: draft[k] for k in ("kind", "numbers", "signed_on", "ends_on", "region_codes")} == {
        "kind": "kb",
        "numbers": ["119/HK.01/Bag.Huk/2025", "180/45/HK/2025"],
        "signed_on": "2025-03-17",
        "ends_on": "2030-03-17",
        "region_codes": ["32.73", "15.01"],
    }
    assert draft["apps"] == ["Hayu.Bdg", "e-RK"] and draft["parent_numbers"] == []
    assert draft["title"] == "Kesepakatan Bersama tentang Replikasi Aplikasi Hayu.Bdg dan e-RK"
    [where] = draft["found"]["signed_on"]
    # the 10th printed line of page 1 (blank lines are not counted)
    assert (where["page"], where["line"]) == (1, 10) and 0.9 <= where["confidence"] <= 1
    assert "Pada hari ini Senin" in where["text"]
    capsys.readouterr()
    assert main(["mou", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # nothing saved


def test_save_creates_then_recognises_the_duplicate_and_an_addendum_amends(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = run_json(capsys, "mou", "intake", str(DEV_SET / "pks-06-sergai.pdf"), "--save")
    agreement_id = saved["saved"]["agreement_id"]
    assert saved["saved"]["outcome"] == "created" and saved["saved"]["milestones"] == 11
    again = run_json(capsys, "mou", "intake", str(DEV_SET / "pks-06-sergai.pdf"))
    assert again["duplicate_of"] == agreement_id

    amended = run_json(
        capsys, "mou", "intake", str(DEV_SET / "add-08-sergai.pdf"), "--save", "--by", "rina"
    )
    assert amended["parent_id"] == agreement_id
    assert amended["saved"]["outcome"] == "amended"
    detail = run_json(capsys, "mou", "show", str(agreement_id), "--audit")
    assert detail["ends_on"] == "2027-12-31"
    [change] = [e for e in detail["audit"] if e["action"] == "agreement.amended"]
    assert change["actor"] == "rina"
    assert change["details"]["ends_on"] == {"from": "2026-11-05", "to": "2027-12-31"}
    assert [f["role"] for f in detail["files"]] == ["source"]
    hits = main(["mou", "search", str(agreement_id), "kode sumber"])
    assert hits == 0 and "pks-06-sergai.pdf" in capsys.readouterr().out


def test_an_ambiguous_party_must_be_chosen_before_saving(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(DEV_SET / "kb-19-tasik-ambiguous.pdf")
    draft = run_json(capsys, "mou", "intake", path)
    [question] = draft["questions"]
    assert {c["code"] for c in question["candidates"]} == {"32.06", "32.78"}
    capsys.readouterr()
    assert main(["mou", "intake", path, "--save"]) == ExitStatus.INVALID_INPUT
    assert "region_codes" in capsys.readouterr().err
    assert main(["mou", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    chosen = run_json(
        capsys,
        "mou",
        "intake",
        path,
        "--set",
        "region_codes=Kota Bandung; Kabupaten Tasikmalaya",
        "--save",
    )
    assert chosen["region_codes"] == ["32.73", "32.06"]
    assert chosen["saved"]["outcome"] == "created"


def test_evidence_is_kept_listed_and_audited(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    saved = run_json(capsys, "mou", "intake", str(DEV_SET / "kb-01-kerinci.pdf"), "--save")
    detail = run_json(capsys, "mou", "show", str(saved["saved"]["agreement_id"]))
    milestone = detail["milestones"][0]
    note = tmp_path / "berita-acara.txt"
    note.write_text("Berita acara penunjukan koordinator Kota Bandung dan Kerinci.\n")
    kept = run_json(capsys, "mou", "evidence", str(milestone["id"]), str(note), "--by", "sari")
    assert kept["milestone"]["status"] == "done"
    digest = kept["file"]["sha256"]
    assert (data_dir / kept["file"]["path"]).read_bytes() == note.read_bytes()
    assert kept["file"]["path"] == f"evidence/{digest[:2]}/{digest}.txt"
    detail = run_json(capsys, "mou", "show", str(detail["id"]), "--audit")
    assert {f["role"] for f in detail["files"]} == {"source", "evidence"}
    assert any(e["action"] == "file.evidence" for e in detail["audit"])
    capsys.readouterr()
    assert main(["mou", "search", str(detail["id"]), "penunjukan koordinator"]) == 0
    assert "berita-acara.txt" in capsys.readouterr().out


def test_intake_of_a_missing_file_and_without_ocr(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the ingest family's "file not found" (invalid input, as for ``kb ingest``)
    assert main(["mou", "intake", str(data_dir / "tidak-ada.pdf")]) == ExitStatus.INVALID_INPUT
    assert "tidak ditemukan" in capsys.readouterr().err
    monkeypatch.setenv("SINERGI_TESSERACT_CMD", "tidak-ada-tesseract")
    capsys.readouterr()
    scan = str(DEV_SET / "kb-03-tanjungpinang-scan.pdf")
    assert main(["mou", "intake", scan]) == ExitStatus.CONFIGURATION
    assert "tesseract-ocr-ind" in capsys.readouterr().err
