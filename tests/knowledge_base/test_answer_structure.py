"""A regulation's closing lines: what they answer and what they only repeat the words of."""

from __future__ import annotations

import pytest

from knowledge_base.question import analyse, asks_enactment
from tests.knowledge_base.test_answer_parts import hit
from tests.knowledge_base.test_answer_parts import part as feature

RULE = hit("k", "Koordinasi dilakukan melalui pemantauan dan evaluasi.", "BAB II > Pasal 4")


CLOSING = hit(
    "c",
    "Peraturan Pemerintah ini mulai berlaku pada tanggal diundangkan. Ditetapkan di Jakarta "
    "pada tanggal 14 September 2017.",
    "BAB VIII > Pasal 36",
)


def test_the_closing_lines_count_against_a_unit_unless_the_enactment_is_asked() -> None:
    asked = "Kapan PP Nomor 38 Tahun 2017 tentang Inovasi Daerah ditetapkan?"
    assert feature(asked, [CLOSING, RULE], "closing_unasked") == [0.0, 0.0, 0.0]
    unasked = "Kapan pemantauan koordinasi dilakukan?"
    assert feature(unasked, [CLOSING, RULE], "closing_unasked") == [1.0, 1.0, 0.0]


def test_a_transitional_provision_counts_against_a_unit_unless_the_enactment_is_asked() -> None:
    transitional = hit(
        "t",
        "Perjanjian kerja sama yang telah ditandatangani sebelum berlakunya Peraturan "
        "Pemerintah ini tetap berlaku sampai dengan berakhirnya kerja sama.",
        "BAB VII > Pasal 48",
    )
    unasked = "Kapan persetujuan DPRD diperlukan sebelum perjanjian kerja sama ditandatangani?"
    assert feature(unasked, [transitional], "closing_unasked") == [1.0]
    asked = "Perjanjian yang diteken sebelum PP 28/2018 berlaku, apakah harus dibuat ulang?"
    assert feature(asked, [transitional], "closing_unasked") == [0.0]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Kapan PP Nomor 38 Tahun 2017 tentang Inovasi Daerah ditetapkan?", True),
        ("PP forkopimda yang baru itu ditetapkan tanggal berapa?", True),
        ("Sejak kapan UU Pemda berlaku?", True),
        ("When did the regulation take effect?", True),
        ("Perjanjian yang diteken sebelum PP 28/2018 berlaku, apakah harus dibuat ulang?", True),
        # A decision, not a regulation; a time asked of something else.
        ("Kapan keputusan PPK ditetapkan?", False),
        ("Kapan premi bagi pelapor dibayarkan?", False),
        ("PP 38/2017 mengatur apa?", False),
    ],
)
def test_a_question_asks_the_enactment_when_it_names_a_regulation_its_enactment_and_a_time(
    question: str, expected: bool
) -> None:
    assert asks_enactment(question) is expected
    assert analyse(question).asks_enactment is expected
