"""``sinergi regions``."""

from __future__ import annotations

import json

import pytest

from cli.errors import ExitStatus
from cli.main import main

pytestmark = pytest.mark.usefixtures("cli_env")


def test_find_resolves_officials_spelling(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regions", "find", "Tanjungpinang"]) == 0
    assert "Kota Tanjung Pinang (21.72)" in capsys.readouterr().out
    assert main(["regions", "find", "Kab. Kerinic", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["match"]["code"] == "15.01"
    assert payload["match"]["timezone"] == "Asia/Jakarta"


@pytest.mark.parametrize("name", ["Tasikmalaya", "Mojokerto", "Bandung"])
def test_find_ambiguous_lists_candidates(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regions", "find", name]) == ExitStatus.INVALID_INPUT
    captured = capsys.readouterr()
    assert f"Kabupaten {name}" in captured.err and f"Kota {name}" in captured.err
    assert f"Kota {name}" in captured.out  # the candidates table

    assert main(["regions", "find", name, "--json"]) == ExitStatus.INVALID_INPUT
    payload = json.loads(capsys.readouterr().out)
    assert payload["match"] is None and payload["error"] == "region.ambiguous"
    assert {c["name"] for c in payload["candidates"][:2]} == {f"Kabupaten {name}", f"Kota {name}"}


def test_find_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regions", "find", "Gotham"]) == ExitStatus.NOT_FOUND
    captured = capsys.readouterr()
    assert "tidak ditemukan" in captured.err
    # Nothing is near: no table of unrelated "matching" regions under the refusal.
    assert captured.out == ""
    assert main(["regions", "find", "qwxz", "--json"]) == ExitStatus.NOT_FOUND
    assert json.loads(capsys.readouterr().out)["candidates"] == []


def test_find_unknown_lists_only_the_near_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regions", "find", "Kota Kerinci", "--json"]) == ExitStatus.NOT_FOUND
    payload = json.loads(capsys.readouterr().out)
    names = [c["name"] for c in payload["candidates"]]
    assert "Kabupaten Kerinci" in names
    assert all(name in payload["message"] for name in names)


def test_find_in_english(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SINERGI_LANGUAGE", "en")
    assert main(["regions", "find", "Mojokerto"]) == ExitStatus.INVALID_INPUT
    assert "more than one region" in capsys.readouterr().err


def test_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regions", "list", "--province", "Jambi", "--json"]) == 0
    regions = json.loads(capsys.readouterr().out)
    assert len(regions) == 12  # the province, 9 regencies, 2 cities
    assert main(["regions", "list", "--level", "province", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 38
    assert main(["regions", "show", "32.73"]) == 0
    assert "Kota Bandung" in capsys.readouterr().out
    assert main(["regions", "show", "99.99"]) == ExitStatus.NOT_FOUND


def test_a_huge_name_is_not_echoed_whole(capsys: pytest.CaptureFixture[str]) -> None:
    name = "Kabupaten " + "x" * 100_000
    assert main(["regions", "find", name]) == ExitStatus.NOT_FOUND
    captured = capsys.readouterr()
    assert "tidak ditemukan" in captured.err
    assert "Kabupaten xxx" in captured.err and "…" in captured.err
    assert len(captured.err) + len(captured.out) < 500
    assert main(["regions", "find", name, "--json"]) == ExitStatus.NOT_FOUND
    message = json.loads(capsys.readouterr().out)["message"]
    assert len(message) < 300
