"""Where a unit stands in a regulation's structure: the preamble and general elucidation, the
definitions, a sentence that refers to another article and the article it refers to."""

from __future__ import annotations

from knowledge_base.answer import (
    FEATURES,
    LANGUAGE_FEATURES,
    PART_FEATURES,
    STRUCTURE_FEATURES,
    UNIT_WEIGHTS,
    _Unit,
    article_of,
    candidate_units,
    compose,
    prepared_concepts,
    provision_first,
    references,
)
from knowledge_base.keyword import TextNormalizer
from knowledge_base.question import analyse
from knowledge_base.schemas import SearchHit
from knowledge_base.units import Span

NORMALIZER = TextNormalizer()


def hit(cid: str, text: str, section: str, *, doc: str = "pp-59-2019") -> SearchHit:
    title = "PP 59/2019 tentang Perlindungan Anak"
    return SearchHit(cid, doc, title, f"{title} > {section}\n{text}", section, 1, 0, 1.0)


def part(question: str, hits: list[SearchHit], name: str) -> list[float]:
    """``name``'s value for every candidate unit of ``hits``, in reading order."""
    info = analyse(question)
    concepts = [((t,), ((t,),)) for t in dict.fromkeys(NORMALIZER.terms(question))]
    kept, weighted = prepared_concepts(concepts, info, NORMALIZER.terms, lambda t: 1.0)
    units = candidate_units(
        hits, info, weighted, NORMALIZER.terms, [t for own, _ in kept for t in own]
    )
    return [u.features[FEATURES.index(name)] for u in units]


def test_the_part_structure_and_language_features_close_the_feature_list() -> None:
    tail = (*PART_FEATURES, *STRUCTURE_FEATURES, *LANGUAGE_FEATURES)
    assert FEATURES[-len(tail) :] == tail
    assert len(UNIT_WEIGHTS) == len(FEATURES)


def test_the_general_elucidation_and_the_preamble_are_general_parts() -> None:
    question = "Berapa besaran tunjangan tahun ini?"
    general = hit("u", "Tunjangan diberikan untuk meringankan biaya hidup.", "Penjelasan")
    preamble = hit("p", "Menimbang: bahwa tunjangan perlu diberikan.", "Pembukaan")
    article = hit("a", "Tunjangan sebesar penghasilan satu bulan.", "BAB II > Pasal 3")
    elucidated = hit("e", "Cukup jelas.", "Penjelasan > Pasal 3")
    assert part(question, [general, preamble, article, elucidated], "general_part") == [
        1.0,
        1.0,
        0.0,
        0.0,
    ]


def test_a_definition_counts_against_a_unit_only_when_none_is_asked() -> None:
    definition = hit(
        "d",
        "1. Koordinasi adalah tindakan untuk menyinergikan penyelenggaraan perlindungan anak.",
        "BAB I > Pasal 1",
    )
    asked_activities = "Melalui kegiatan apa saja koordinasi perlindungan anak dilakukan?"
    assert part(asked_activities, [definition], "defines_unasked") == [1.0]
    assert part("Apa yang dimaksud dengan koordinasi?", [definition], "defines_unasked") == [0.0]
    named = hit("n", "Pegawai ASN yang selanjutnya disebut pegawai bekerja penuh.", "Pasal 1")
    assert part("Pegawai bekerja berapa jam?", [named], "defines_unasked") == [1.0]
    rule = hit("r", "Koordinasi dilakukan melalui pemantauan dan evaluasi.", "Pasal 4")
    assert part(asked_activities, [rule], "defines_unasked") == [0.0]
    # A plain "X adalah ..." outside a definitions list answers who or what X is.
    prose = hit("p", "Soekarno adalah presiden pertama Indonesia.", "Sejarah")
    assert part("Siapa presiden pertama Indonesia?", [prose], "defines_unasked") == [0.0]


def test_references_name_other_articles_not_the_same_articles_paragraphs() -> None:
    assert references("Laporan sebagaimana dimaksud dalam Pasal 16 disampaikan.") == {"16"}
    assert references("Persetujuan sebagaimana dimaksud pada ayat (1) diberikan.") == set()
    assert references("as referred to in Article 5") == set()
    assert references("the report referred to in Pasal 5a") == {"5A"}
    assert article_of("Pasal 12 ayat (2)") == "12"
    assert article_of("Penjelasan Pasal 4 ayat (3)") == "4"
    assert article_of("Penjelasan") is None
    assert article_of(None) is None


def test_a_sentence_pointing_at_another_article_is_marked() -> None:
    question = "Laporan tahunan perlindungan anak dilaporkan ke mana?"
    pointing = hit(
        "17",
        "Laporan sebagaimana dimaksud dalam Pasal 16 menjadi pertimbangan bagi Menteri.",
        "BAB IV > Pasal 17",
    )
    pointed = hit(
        "16", "Menteri menyampaikan laporan perlindungan anak kepada Presiden.", "Pasal 16"
    )
    assert part(question, [pointing, pointed], "refers_other") == [1.0, 0.0]
    # An article referring to itself points nowhere else.
    itself = hit("s", "Laporan sebagaimana dimaksud dalam Pasal 16 memuat data.", "Pasal 16")
    assert part(question, [itself], "refers_other") == [0.0]


def test_an_articles_elucidation_is_marked_and_whether_the_question_asks_one() -> None:
    elucidation = hit(
        "e",
        'Yang dimaksud dengan "pelayanan publik" antara lain pengelolaan air bersih.',
        "Penjelasan > Pasal 4",
    )
    article = hit("a", "Kerja sama daerah meliputi pelayanan publik.", "BAB II > Pasal 4")
    asked = "Contoh pelayanan publik apa saja yang dapat dikerjasamakan?"
    plain = "Pelayanan publik apa saja yang dapat dikerjasamakan?"
    assert part(asked, [elucidation, article], "elucidation") == [1.0, 0.0]
    assert part(asked, [elucidation, article], "elucidation_asked") == [1.0, 0.0]
    assert part(plain, [elucidation, article], "elucidation") == [1.0, 0.0]
    assert part(plain, [elucidation, article], "elucidation_asked") == [0.0, 0.0]
    # The general elucidation is not an article's.
    general = hit("g", "Kerja sama daerah dimaksudkan untuk kesejahteraan.", "Penjelasan")
    assert part(asked, [general], "elucidation") == [0.0]


def test_the_fitted_scorer_counts_each_part_against_a_unit() -> None:
    for name in ("general_part", "defines_unasked", "refers_other", "elucidation"):
        assert UNIT_WEIGHTS[FEATURES.index(name)] < 0, name
    # An elucidation is what a question asking for one wants.
    assert UNIT_WEIGHTS[FEATURES.index("elucidation_asked")] > 0


def test_the_article_beats_the_general_elucidation_repeating_the_question() -> None:
    question = "Berapa besaran tunjangan hari raya tahun 2018 bagi PNS?"
    general = hit(
        "u",
        "Dalam rangka meningkatkan kesejahteraan PNS, pada hari raya tahun 2018 perlu "
        "diberikan tunjangan hari raya bagi PNS.",
        "Penjelasan",
    )
    article = hit(
        "a", "Tunjangan hari raya bagi PNS sebesar 1 (satu) kali penghasilan bulan Mei.", "Pasal 3"
    )
    composed = compose(question, [general, article], terms=NORMALIZER.terms, idf=lambda t: 1.0)
    assert "bulan Mei" in composed.text
    assert composed.citations[0].chunk_id == "a"
    # Without the part's weight, the summary repeating the question's words wins.
    blind = list(UNIT_WEIGHTS)
    blind[FEATURES.index("general_part")] = 0.0
    composed = compose(
        question, [general, article], terms=NORMALIZER.terms, idf=lambda t: 1.0, weights=blind
    )
    assert composed.citations[0].chunk_id == "u"


def _quoted(rank: int, text: str, label: str) -> _Unit:
    return _Unit(rank, 0, Span(0, len(text), text), 1.0, 1.0, True, label=label)


def test_an_article_is_cited_before_its_elucidation_quoted_beside_it() -> None:
    elucidation = _quoted(
        0, "Yang dimaksud dengan potongan lain adalah ...", "Penjelasan Pasal 3 ayat (5)"
    )
    provision = _quoted(
        1, "Penghasilan dikenakan pajak dan ditanggung pemerintah.", "Pasal 3 ayat (3)"
    )
    hits = [
        hit("e", elucidation.text, "Penjelasan > Pasal 3", doc="pp-19-2018"),
        hit("b", provision.text, "BAB II > Pasal 3", doc="pp-19-2018"),
    ]
    assert provision_first([elucidation, provision], hits) == [provision, elucidation]
    # Another article, another regulation's Pasal 3, or the body first: nothing moves.
    other = _quoted(1, provision.text, "Pasal 4")
    assert provision_first([elucidation, other], hits) == [elucidation, other]
    elsewhere = [hits[0], hit("b", provision.text, "Pasal 3", doc="pp-2-2012")]
    assert provision_first([elucidation, provision], elsewhere) == [elucidation, provision]
    assert provision_first([provision, elucidation], hits) == [provision, elucidation]
