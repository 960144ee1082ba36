"""``sinergi ask`` (the same assistant as the bot), ``kb curated`` and ``kb gap``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from core.config import Settings
from services import build_services
from services.access import Operator
from services.tracker import NewMilestone
from tests.fakes.tracker import BANDUNG, KERINCI, MOJOKERTO_CITY, new_agreement

COORDINATOR, OFFICIAL, TRAINER = 3003, 4004, 2002


@pytest.fixture
def seeded(data_dir: Path) -> dict[str, int]:
    services = build_services(Settings())
    try:
        tracker = services.tracker
        kerinci = tracker.add_agreement(
            Operator("test"),
            new_agreement(
                title="PKS Gampil Kerinci",
                parties=(BANDUNG, KERINCI),
                apps=("Gampil",),
                template=None,
                milestones=(NewMilestone("Pelatihan petugas"),),
            ),
        )
        mojokerto = tracker.add_agreement(
            Operator("test"),
            new_agreement(
                title="KB e-RK Mojokerto", parties=(BANDUNG, MOJOKERTO_CITY), template=None
            ),
        )
        services.access.add_user(COORDINATOR, "coordinator", KERINCI, name="Eka")
        services.access.add_user(OFFICIAL, "official", name="Dedi")
        services.access.add_user(TRAINER, "trainer", name="Rina")
        return {"kerinci": kerinci.id, "mojokerto": mojokerto.id}
    finally:
        services.close()


def ask_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["ask", *args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict)
    return data


def test_ask_routes_and_answers_as_the_operator(
    seeded: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    data = ask_json(capsys, "Perjanjian dengan Kerinci sudah sampai mana?")
    assert data["route"] == "tracker" and data["found"] is True
    assert data["agreements"] == [seeded["kerinci"]] and data["citations"] == []
    assert "PKS Gampil Kerinci" in str(data["answer"])
    assert data["tracker"]["items"][0]["next_milestone"]["title"] == "Pelatihan petugas"  # type: ignore[index]
    everything = ask_json(capsys, "Daftar semua perjanjian")
    assert set(everything["agreements"]) == set(seeded.values())  # type: ignore[arg-type]
    knowledge = ask_json(capsys, "Bagaimana cara mengajukan izin lewat Gampil?")
    assert knowledge["route"] == "knowledge" and knowledge["found"] is False
    assert knowledge["question_id"] is not None
    chit = ask_json(capsys, "terima kasih")
    assert (chit["route"], chit["small_talk"]) == ("none", "thanks")


def test_ask_as_a_user_applies_their_role(
    seeded: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    mine = ask_json(capsys, "Daftar semua perjanjian", "--as", str(COORDINATOR))
    assert mine["agreements"] == [seeded["kerinci"]]
    hidden = ask_json(
        capsys, "Kapan perjanjian dengan Kota Mojokerto berakhir?", "--as", str(COORDINATOR)
    )
    assert hidden["agreements"] == [] and hidden["found"] is False
    denied = ask_json(capsys, "Perjanjian dengan Kerinci sudah sampai mana?", "--as", str(OFFICIAL))
    assert denied["tracker"]["denied"] is True and denied["agreements"] == []  # type: ignore[index]
    assert main(["ask", "halo", "--as", "999"]) == 4  # nobody: refused
    assert main(["ask", "Perjanjian dengan Kerinci sudah sampai mana?"]) == 0
    out = capsys.readouterr().out
    assert "PKS Gampil Kerinci" in out and f"/mou {seeded['kerinci']}" in out


def test_curated_answers_from_the_server(
    seeded: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    services = build_services(Settings())
    trainer = services.access.get_user(TRAINER)
    assert trainer is not None
    made = services.curated.add_from_reply(
        trainer, question="Berapa lama OTP berlaku?", answer="Lima menit."
    )
    services.close()
    assert main(["kb", "curated", "list", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["id"], listed["author_name"], listed["version"]) == (made.id, "Rina", 1)
    assert (
        main(["kb", "curated", "edit", str(made.id), "--answer", "Sepuluh menit.", "--json"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["version"] == 2
    assert main(["kb", "curated", "show", str(made.id), "--json"]) == 0
    versions = json.loads(capsys.readouterr().out)["versions"]
    assert [v["answer"] for v in versions] == ["Lima menit.", "Sepuluh menit."]
    assert main(["kb", "curated", "retire", str(made.id)]) == 0
    assert f"#{made.id}" in capsys.readouterr().out
    assert main(["kb", "curated", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["kb", "curated", "edit", str(made.id), "--answer", "x y"]) == 5  # retired
    assert main(["kb", "curated", "retire", "999"]) == 3


def test_a_gap_gets_an_owner_and_a_status(
    seeded: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "ask", "Berapa tarif retribusi pasar?", "--json"]) == 0
    capsys.readouterr()
    assert main(["kb", "gaps", "--json"]) == 0
    [gap] = json.loads(capsys.readouterr().out)["gaps"]
    args = ["kb", "gap", str(gap["id"]), "--status", "documented", "--owner", str(TRAINER)]
    assert main([*args, "--json"]) == 0
    changed = json.loads(capsys.readouterr().out)
    assert (changed["status"], changed["owner_name"]) == ("documented", "Rina")
    assert main(["kb", "gap", str(gap["id"]), "--status", "closed"]) == 5
    assert main(["kb", "gap", str(gap["id"]), "--owner", str(OFFICIAL)]) == 4  # not a trainer
    assert main(["kb", "gap", "999", "--status", "open"]) == 3
