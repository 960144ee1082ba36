"""``sinergi demo``: the main job's first step loads the samples once, and again changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main


@pytest.fixture
def data_dir(cli_env: Path) -> Path:
    """A fresh data dir without a schema: the demo's first command has to create it."""
    return cli_env


def _demo(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(["demo", "--json"]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_demo_seeds_a_fresh_data_dir_then_is_idempotent(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _demo(capsys)
    report = first["report"]
    assert isinstance(report, dict)
    # The embedded database was created and migrated on first use, without `db upgrade`.
    assert (data_dir / "sinergi.db").is_file()
    assert report["agreements_created"] == report["agreements_total"] == 12
    assert report["documents_added"] >= 5 and report["documents_failed"] == 0
    assert report["chunks_embedded"] > 0
    assert report["health"]["stalled"] >= 1
    answer = first["answer"]
    assert isinstance(answer, dict) and answer["found"] is True
    assert any("Gampil" in c["title"] for c in answer["citations"])

    second = _demo(capsys)["report"]
    assert isinstance(second, dict)
    assert second["agreements_created"] == 0 and second["agreements_total"] == 12
    assert second["documents_added"] == 0 and second["chunks_embedded"] == 0
    assert second["documents_unchanged"] == report["documents_added"]


def test_demo_tables_for_humans(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--no-ask"]) == 0
    out = capsys.readouterr().out
    assert "Kesepakatan" in out and "Hanya di atas kertas" in out


def test_demo_with_missing_samples_folder_is_a_clear_error(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--json", "--no-ask", "--samples", str(tmp_path / "none")]) == 3
    captured = capsys.readouterr()
    assert "Folder data contoh tidak ditemukan" in captured.err and captured.out == ""
