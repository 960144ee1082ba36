"""Refusing on the answer: another year, another number, an unknown name, the wrong type."""

from __future__ import annotations

from knowledge_base.answer import compose
from knowledge_base.judge import judge_answer
from knowledge_base.keyword import TextNormalizer
from knowledge_base.question import analyse
from knowledge_base.schemas import SearchHit, SearchResult

NORMALIZER = TextNormalizer()
THR = SearchHit(
    "thr",
    "pp-19-2018",
    "PP 19/2018 tentang Tunjangan Hari Raya Tahun Anggaran 2018",
    "PP 19/2018 tentang Tunjangan Hari Raya > Pasal 3\n\nTunjangan hari raya dibayarkan paling "
    "cepat 10 (sepuluh) hari kerja sebelum hari raya. Pajak penghasilan atas tunjangan hari "
    "raya ditanggung pemerintah.",
    "Pasal 3",
    None,
    0,
    0.9,
    dense_score=0.9,
    coverage=0.9,
)


KNOWN = set(NORMALIZER.terms(THR.title + " " + THR.text)) | {"pns"}


def verdict(question: str, *, confident: bool = True):  # type: ignore[no-untyped-def]
    result = SearchResult((THR,), confident, not confident)
    info = analyse(question)
    composed = compose(question, [THR], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
    return judge_answer(result, composed, info, terms=NORMALIZER.terms, known=KNOWN.__contains__)


def test_the_asked_fact_is_answered() -> None:
    decided = verdict("Kapan tunjangan hari raya dibayarkan?")
    assert decided.answer and decided.confident


def test_another_year_is_refused() -> None:
    decided = verdict("Kapan tunjangan hari raya tahun 2019 dibayarkan?")
    assert not decided.answer and decided.reason == "year"


def test_another_regulation_number_is_refused() -> None:
    decided = verdict("Kapan tunjangan hari raya dibayarkan menurut PP 33/2018?")
    assert not decided.answer and decided.reason == "number"


def test_a_name_the_knowledge_base_never_saw_is_refused() -> None:
    decided = verdict("Kapan tunjangan hari raya anggota TNI dibayarkan?")
    assert not decided.answer and decided.reason == "name"


def test_a_sentence_without_the_asked_figure_is_no_answer() -> None:
    hit = SearchHit(
        "lapor",
        "doc",
        "Panduan",
        "Panduan > Laporan\n\nLaporan kegiatan disampaikan kepada gubernur.",
        None,
        None,
        0,
        0.9,
        coverage=0.9,
    )
    info = analyse("Berapa kali laporan kegiatan disampaikan kepada gubernur?")
    composed = compose(info_text := "laporan kegiatan", [hit], terms=NORMALIZER.terms,
                       idf=lambda t: 1.0, info=info)  # fmt: skip
    assert info_text
    decided = judge_answer(SearchResult((hit,), True), composed, info, terms=NORMALIZER.terms)
    assert not decided.answer and decided.reason == "type"


def test_a_weak_retrieval_stays_refused() -> None:
    from dataclasses import replace

    far = replace(THR, dense_score=0.7)  # e5: unrelated texts sit near 0.75-0.8
    result = SearchResult((far,), False, False)
    info = analyse("Kapan tunjangan hari raya dibayarkan?")
    composed = compose("Kapan", [far], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
    decided = judge_answer(result, composed, info, terms=NORMALIZER.terms)
    assert not decided.answer and decided.reason == "retrieval"
