"""How a message reads to the knowledge base: small talk, how-to, definitions, domain words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge_base.intent import read_question, small_talk

ROOT = Path(__file__).resolve().parents[2]

APPS = ("Hayu.Bdg", "Gampil", "e-RK")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("halo", "greeting"),
        ("Selamat pagi, Pak", "greeting"),
        ("makasih ya min", "thanks"),
        ("Thank you so much", "thanks"),
        ("ok siap", "ack"),
        ("wkwkwk", "ack"),
        ("Siapa kamu?", "identity"),
        ("kamu bisa apa aja?", "abilities"),
        ("What can you do?", "abilities"),
        ("tes", "test"),
        ("bot aktif ga?", "test"),
        ("Apa kabar?", "how_are_you"),
        ("pa kabar min", "how_are_you"),
        ("gmn kabarnya?", "how_are_you"),
        ("selamat pagi, apa kabar?", "how_are_you"),
        ("selamat pagi, apa kabar semuanya?", "how_are_you"),
        ("apa kabar hari ini?", "how_are_you"),
        ("how are you", "how_are_you"),
        ("Hi, how are you today?", "how_are_you"),
        ("Cuaca hari ini bagaimana?", "out_of_scope"),
        ("Besok hujan tidak ya?", "out_of_scope"),
        ("how is the weather", "out_of_scope"),
        ("Jam berapa sekarang?", "out_of_scope"),
        ("skrg jam brp?", "out_of_scope"),
        ("What time is it now?", "out_of_scope"),
        ("Can you tell me a joke?", "out_of_scope"),
        ("ceritakan lelucon dong", "out_of_scope"),
        ("Kamu bisa menyanyi?", "out_of_scope"),
        ("What is your favourite colour?", "out_of_scope"),
    ],
)
def test_small_talk(text: str, kind: str) -> None:
    assert small_talk(text) == kind


@pytest.mark.parametrize(
    "text",
    ["Halo, bagaimana cara daftar Gampil?", "terima kasih, lalu syarat hibah apa?", "status mou"],
)
def test_a_question_after_a_greeting_is_no_small_talk(text: str) -> None:
    assert small_talk(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "Berapa lama waktu verifikasi berkas?",
        "Kapan batas waktu laporan e-RK?",
        "jam operasional layanan Gampil",
        "Jam berapa layanan Gampil buka?",
        "Hari apa kantor DPMPTSP buka?",
        "cuaca ekstrem dan penanggulangan bencana daerah",
        "apa kabar kerja sama dengan Kerinci?",
        "Bagaimana kabar perjanjian dengan Mojokerto?",
        "how is it going with the Kerinci agreement?",
        "How are the grant reports verified?",
    ],
)
def test_questions_that_share_words_with_small_talk_are_no_small_talk(text: str) -> None:
    # weather, hours and "kabar" words inside a real question leave it to the other rules
    assert small_talk(text) is None


def test_no_question_of_the_evaluation_set_is_small_talk() -> None:
    lines = (ROOT / "bench" / "data" / "gov-id" / "dev.jsonl").read_text(encoding="utf-8")
    questions = [json.loads(line)["question"] for line in lines.splitlines() if line.strip()]
    assert len(questions) > 100
    assert [q for q in questions if small_talk(q) is not None] == []


def test_how_to_and_domain() -> None:
    q = read_question("Bagaimana cara mengajukan izin lewat Gampil?", apps=APPS)
    assert q.how_to and q.domain >= 2 and q.apps == ("Gampil",) and q.on_topic
    q = read_question("gmn cara isi kinerja harian", apps=APPS)
    assert q.how_to and q.domain >= 1
    q = read_question("Apa perbedaan Kesepakatan Bersama dan Perjanjian Kerja Sama?", apps=APPS)
    assert q.definition


def test_progress_is_no_how_to() -> None:
    # "bagaimana perkembangan …" asks how far it is, "kerinci gmn?" how it is going
    assert not read_question("Bagaimana perkembangan kerja sama dengan Mojokerto?").how_to
    assert not read_question("kerinci gmn ya?").how_to
    assert read_question("Bagaimana Serdang Bedagai melatih petugas Gampil?", apps=APPS).how_to


@pytest.mark.parametrize(
    "text",
    [
        "resep rendang yg enak gmn",
        "What is the capital of France?",
        "Bagaimana cara membuat kopi susu?",
    ],
)
def test_off_topic_has_no_domain_words(text: str) -> None:
    assert not read_question(text, apps=APPS).on_topic
