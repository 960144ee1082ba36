"""How a message reads to the knowledge base: small talk, how-to, definitions, domain words."""

from __future__ import annotations

import pytest

from knowledge_base.intent import read_question, small_talk

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
