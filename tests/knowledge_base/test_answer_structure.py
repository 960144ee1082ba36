"""A regulation's definitions article and closing lines: what they answer and what they only
repeat the words of."""

from __future__ import annotations

import re

import pytest

from knowledge_base.answer import FEATURES, candidate_units, prepared_concepts
from knowledge_base.keyword import TextNormalizer
from knowledge_base.question import analyse, asks_enactment
from knowledge_base.schemas import SearchHit

NORMALIZER = TextNormalizer()
LEAD = "Dalam Peraturan Pemerintah ini yang dimaksud dengan:"


def hit(cid: str, text: str, section: str, *, doc: str = "pp-59-2019") -> SearchHit:
    title = "PP 59/2019 tentang Koordinasi Perlindungan Anak"
    full = f"{title} > {section}\n{text}"
    # Each paragraph anchored where it stands, as the chunker anchors "Pasal 17 ayat (2)".
    article = section.split(" > ")[-1]
    anchors = tuple(
        (m.start(), 1, f"{article} ayat ({m.group(1)})")
        for m in re.finditer(r"^\((\d+)\)", full, re.M)
    )
    return SearchHit(cid, doc, title, full, section, 1, 0, 1.0, anchors=anchors)


def feature(question: str, hits: list[SearchHit], name: str) -> list[float]:
    """``name``'s value for every candidate unit of ``hits``, in reading order."""
    info = analyse(question)
    concepts = [((t,), ((t,),)) for t in dict.fromkeys(NORMALIZER.terms(question))]
    kept, weighted = prepared_concepts(concepts, info, NORMALIZER.terms, lambda t: 1.0)
    units = candidate_units(
        hits, info, weighted, NORMALIZER.terms, [t for own, _ in kept for t in own]
    )
    return [u.features[FEATURES.index(name)] for u in units]


DEFINITIONS = hit(
    "d",
    f"{LEAD}\n1. Koordinasi adalah tindakan menyinergikan perlindungan anak.\n"
    "2. Pemantauan adalah kegiatan mengamati pelaksanaan koordinasi.",
    "BAB I > Pasal 1",
)
# The same article's next passage: no lead of its own, an entry whose OCR lost "adalah".
DEFINITIONS_REST = hit("r", "6. Pemantauan Menetapkan kebijakan koordinasi.", "BAB I > Pasal 1")
RULE = hit("k", "Koordinasi dilakukan melalui pemantauan dan evaluasi.", "BAB II > Pasal 4")


def test_every_unit_of_the_definitions_article_counts_when_no_definition_is_asked() -> None:
    question = "Melalui kegiatan apa saja koordinasi perlindungan anak dilakukan?"
    values = feature(question, [DEFINITIONS, DEFINITIONS_REST, RULE], "definitions_unasked")
    # The lead, both entries, the next passage of the same article; not the rule of Pasal 4.
    assert values == [1.0, 1.0, 1.0, 1.0, 0.0]


def test_the_definitions_article_is_not_held_against_a_question_that_asks_a_meaning() -> None:
    question = "Apa yang dimaksud dengan pemantauan?"
    assert feature(question, [DEFINITIONS, RULE], "definitions_unasked") == [0.0] * 4


def test_an_article_of_another_regulation_is_not_taken_for_the_definitions_article() -> None:
    other = hit("o", "Pemantauan dilakukan setiap tahun.", "BAB I > Pasal 1", doc="pp-12-2022")
    values = feature("Kapan pemantauan dilakukan?", [DEFINITIONS, other], "definitions_unasked")
    assert values[-1] == 0.0


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
