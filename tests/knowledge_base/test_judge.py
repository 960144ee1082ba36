"""Refusing on the answer: another year, another number, an unknown name, the wrong type."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from knowledge_base.answer import compose
from knowledge_base.judge import (
    DEFAULT_JUDGE,
    MISSING_COSINE,
    REFUSAL_FEATURES,
    REFUSAL_WEIGHTS,
    answer_probability,
    judge_answer,
    neighbourhood_cosine,
    refusal_features,
    restriction_missing,
    restriction_terms,
    spelled_in,
)
from knowledge_base.keyword import TextNormalizer
from knowledge_base.query import Concept, Query
from knowledge_base.question import analyse
from knowledge_base.schemas import SearchHit, SearchResult

THRESHOLDS = replace(DEFAULT_JUDGE, calibrated=False)
"""The judge without the calibrated model: coverage and cosine thresholds."""

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
    decided = judge_answer(
        SearchResult((hit,), True), composed, info, terms=NORMALIZER.terms, config=THRESHOLDS
    )
    assert not decided.answer and decided.reason == "type"


def test_a_name_never_seen_is_refused_with_the_question_read_as_the_service_reads_it() -> None:
    # The service's result carries the question; its own "TNI" is no spelling-out of "TNI".
    question = "Kapan tunjangan hari raya anggota TNI dibayarkan?"
    query = Query(question, question, tuple(NORMALIZER.terms(question)))
    result = SearchResult((THR,), True, query=query)
    info = analyse(question)
    composed = compose(question, [THR], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
    decided = judge_answer(result, composed, info, terms=NORMALIZER.terms, known=KNOWN.__contains__)
    assert not decided.answer and decided.reason == "name"


def test_a_weak_retrieval_stays_refused() -> None:
    far = replace(THR, dense_score=0.7)  # e5: unrelated texts sit near 0.75-0.8
    result = SearchResult((far,), False, False)
    info = analyse("Kapan tunjangan hari raya dibayarkan?")
    composed = compose("Kapan", [far], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
    decided = judge_answer(result, composed, info, terms=NORMALIZER.terms, config=THRESHOLDS)
    assert not decided.answer and decided.reason == "retrieval"
    # The cosine floor stands before the calibrated model too.
    calibrated = judge_answer(result, composed, info, terms=NORMALIZER.terms)
    assert not calibrated.answer and calibrated.reason == "retrieval"


# --- the calibrated model ---------------------------------------------------------------


def test_the_calibrated_model_reads_every_feature() -> None:
    assert len(REFUSAL_WEIGHTS) == len(REFUSAL_FEATURES) + 1
    assert any(REFUSAL_WEIGHTS[1:]), "the refusal model is fitted, not left at zero"


def test_the_asked_fact_gets_a_calibrated_probability() -> None:
    decided = verdict("Kapan tunjangan hari raya dibayarkan?")
    assert decided.answer
    assert decided.probability is not None
    assert decided.probability >= DEFAULT_JUDGE.answer_probability


def near_miss(question: str, hit: SearchHit) -> tuple[float, float]:
    """The calibrated probability of the answer to ``question`` over ``hit``, next to that
    of the question the passage does answer (same passage, same retrieval)."""
    out = []
    for asked in ("Kapan tunjangan hari raya dibayarkan?", question):
        info = analyse(asked)
        query = Query(asked, asked, tuple(NORMALIZER.terms(asked)))
        result = SearchResult((hit,), True, query=query)
        composed = compose(asked, [hit], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
        out.append(
            answer_probability(refusal_features(result, composed, info, terms=NORMALIZER.terms))
        )
    return out[0], out[1]


def test_a_near_miss_question_scores_below_the_question_the_passage_answers() -> None:
    # Written from the very passage, but asking what it does not say: who pays, not when.
    answered, missed = near_miss("Berapa besar pajak tunjangan hari raya pensiunan?", THR)
    assert missed < answered


@pytest.mark.parametrize(
    "question",
    [
        "Berapa jumlah penerima tunjangan hari raya di Kabupaten Bogor tahun lalu?",
        "Berapa besar pajak tunjangan hari raya pensiunan?",
        "Siapa yang menandatangani peraturan tunjangan hari raya?",
    ],
)
def test_a_calibrated_near_miss_is_refused(question: str) -> None:
    # A middling retrieval (cosine 0.84, a third of the terms; the passage has no unit
    # vectors, so its cosine stands for every sentence's): the question the passage answers
    # is answered, questions written from it that it does not answer are refused.
    middling = replace(THR, dense_score=0.84, score=0.3, coverage=0.3)

    def decide(asked: str):  # type: ignore[no-untyped-def]
        info = analyse(asked)
        composed = compose(asked, [middling], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
        # As the index gives it: the question as the searches read it comes with the hits.
        query = Query(asked, asked, tuple(NORMALIZER.terms(asked)))
        result = SearchResult((middling,), False, True, query=query)
        return judge_answer(result, composed, info, terms=NORMALIZER.terms)

    assert decide("Kapan tunjangan hari raya dibayarkan?").answer
    decided = decide(question)
    assert not decided.answer
    assert decided.reason == "calibrated"
    assert decided.probability is not None
    assert decided.probability < DEFAULT_JUDGE.answer_probability


TRIAL = SearchHit(
    "trial",
    "pp-38-2017",
    "PP 38/2017 tentang Inovasi Daerah",
    "PP 38/2017 tentang Inovasi Daerah > Pasal 16\n\n(2) Uji coba Inovasi Daerah sebagaimana "
    "dimaksud pada ayat (1) dilakukan pada Perangkat Daerah yang ditugaskan sebagai "
    "laboratorium uji coba.",
    "Pasal 16",
    None,
    0,
    0.9,
    dense_score=0.9,
    coverage=0.9,
)


def trial_verdict(question: str, hit: SearchHit = TRIAL):  # type: ignore[no-untyped-def]
    info = analyse(question)
    query = Query(question, question, tuple(NORMALIZER.terms(question)))
    result = SearchResult((hit,), True, query=query)
    composed = compose(question, [hit], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
    return judge_answer(result, composed, info, terms=NORMALIZER.terms)


@pytest.mark.parametrize(
    "question",
    [
        "Berapa lama maksimal uji coba inovasi daerah dilakukan?",
        "What is the maximum duration of a regional innovation trial (uji coba)?",
        "Berapa jumlah perangkat daerah yang menjadi laboratorium uji coba?",
    ],
)
def test_an_amount_asked_of_a_sentence_that_states_none_is_refused(question: str) -> None:
    # The sentence is about the very trial, its "ayat (1)" and "(2)" number the text: no
    # amount is stated, whatever the model makes of the rest.
    decided = trial_verdict(question)
    assert not decided.answer and decided.reason == "amount"


def test_an_amount_the_sentence_states_passes_the_amount_check() -> None:
    stated = replace(
        TRIAL,
        text=TRIAL.text.replace("dilakukan pada", "dilakukan paling lama 1 (satu) tahun pada"),
    )
    decided = trial_verdict("Berapa lama maksimal uji coba inovasi daerah dilakukan?", stated)
    assert decided.reason != "amount"
    # A list question with a bound asks for the items, not for an amount.
    listed = trial_verdict("Apa saja yang minimal harus ada dalam uji coba inovasi daerah?")
    assert listed.reason != "amount"


def test_a_topic_the_passage_does_not_touch_is_refused_before_the_model() -> None:
    # No concept of the question the index knows is in the passage (an English question
    # whose words the Indonesian documents never use): refused whatever the cosine.
    info = analyse("How do I renew my passport?")
    composed = compose(
        "How do I renew my passport?",
        [THR],
        terms=NORMALIZER.terms,
        idf=lambda t: 1.0,
        info=info,
        concepts=[],
    )
    decided = judge_answer(SearchResult((THR,), True), composed, info, terms=NORMALIZER.terms)
    assert not decided.answer and decided.reason == "coverage"


def judged_with_query(question: str, hit: SearchHit = THR):  # type: ignore[no-untyped-def]
    """As the service judges: the question as the searches read it comes with the hits, and
    only the concepts the index knows are weighed in the answer (``known_concepts``)."""
    info = analyse(question)
    asked = NORMALIZER.terms(question)
    concepts = tuple(Concept((t,), ((t,),)) for t in dict.fromkeys(asked))
    query = Query(question, question, tuple(asked), concepts=concepts)
    known = [((t,), ((t,),)) for t in dict.fromkeys(asked) if t in KNOWN]
    composed = compose(
        question, [hit], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info, concepts=known
    )
    result = SearchResult((hit,), True, query=query)
    return judge_answer(result, composed, info, terms=NORMALIZER.terms, known=KNOWN.__contains__)


@pytest.mark.parametrize(
    "question", ["Besok hujan deras tidak hari ini?", "Siapa juara piala dunia hari ini?"]
)
def test_a_question_mostly_of_words_no_document_holds_is_refused(question: str) -> None:
    # "hari" is in the passage (hari raya, hari kerja); the rest is in no document, and
    # without this check the one common word made the answer look fully covered.
    decided = judged_with_query(question)
    assert not decided.answer and decided.reason == "unknown"


def test_one_unknown_word_among_known_ones_is_not_refused_for_it() -> None:
    decided = judged_with_query("Kapan tunjangan hari raya dibayarkan, kira-kira?")
    assert decided.reason != "unknown"
    # Half unknown is not enough ("Lampu di gang saya mati, mau komplain?" is answerable).
    assert judged_with_query("Cuaca hari ini bagaimana?").reason != "unknown"


def test_a_word_known_through_a_synonym_is_known() -> None:
    asked = ["juara", "piala", "dunia"]
    spelled = Concept(("piala",), (("piala",), ("tunjang",)))  # "tunjang" is in the passage
    concepts = (Concept(("juara",), (("juara",),)), spelled, Concept(("dunia",), (("dunia",),)))
    info = analyse("Juara piala dunia?")
    composed = compose("tunjangan hari raya", [THR], terms=NORMALIZER.terms, idf=lambda t: 1.0)
    query = Query("q", "q", tuple(asked), concepts=concepts)
    result = SearchResult((THR,), True, query=query)
    decided = judge_answer(result, composed, info, terms=NORMALIZER.terms, known=KNOWN.__contains__)
    assert decided.reason == "unknown"  # two of three unknown
    with_both = (concepts[0], spelled, Concept(("dunia",), (("dunia",), ("hari",))))
    result = SearchResult((THR,), True, query=Query("q", "q", tuple(asked), concepts=with_both))
    decided = judge_answer(result, composed, info, terms=NORMALIZER.terms, known=KNOWN.__contains__)
    assert decided.reason != "unknown"  # one of three
    # An acronym is a name: the name check decides on it (spelled out or not), not this one.
    assert judged_with_query("Kapan THR dibayarkan?").reason != "unknown"


def test_unknown_words_of_another_language_than_the_passages_are_not_counted() -> None:
    english = replace(THR, language="id")
    info = analyse("When is the holiday allowance paid?")
    asked = NORMALIZER.terms("When is the holiday allowance paid?")
    composed = compose(
        "When is the holiday allowance paid?",
        [english],
        terms=NORMALIZER.terms,
        idf=lambda t: 1.0,
        info=info,
        language="en",
    )
    assert composed.source_language == "id"
    concepts = tuple(Concept((t,), ((t,),)) for t in asked)
    result = SearchResult((english,), True, query=Query("q", "q", tuple(asked), concepts=concepts))
    decided = judge_answer(result, composed, info, terms=NORMALIZER.terms, known=KNOWN.__contains__)
    assert decided.reason != "unknown"


def test_an_acronym_of_a_question_in_another_language_is_no_unknown_name() -> None:
    # "NGO" is LSM in the Indonesian passages: unknown to the index, it proves nothing. A
    # mixed-case name ("OpenSID") is written alike in both and is still refused.
    passage = replace(THR, language="id")

    def judged(question: str) -> str:
        info = analyse(question)
        query = Query(question, question, tuple(NORMALIZER.terms(question)))
        composed = compose(question, [passage], terms=NORMALIZER.terms, idf=lambda t: 1.0,
                           info=info, language="en")  # fmt: skip
        assert composed.source_language == "id"
        result = SearchResult((passage,), True, query=query)
        return judge_answer(
            result, composed, info, terms=NORMALIZER.terms, known=KNOWN.__contains__
        ).reason

    assert judged("When is the holiday allowance of NGO staff paid?") != "name"
    assert judged("When is the holiday allowance paid in OpenSID?") == "name"
    # the question writes it in capitals, whatever its first mention ("ngo" was searched in
    # the question's text again and found in lower case first)
    assert judged("When is the ngo holiday allowance of NGO staff paid?") != "name"
    assert analyse("Is NGO like OpenSID, P3K or e-RK?").acronyms == ("ngo", "p3k", "rk")


def test_a_missing_cosine_reads_as_neutral_with_its_own_feature() -> None:
    question = "Kapan tunjangan hari raya dibayarkan?"
    info = analyse(question)
    query = Query(question, question, tuple(NORMALIZER.terms(question)))
    composed = compose(question, [THR], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
    unknown = replace(THR, dense_score=None)
    features = dict(
        zip(
            REFUSAL_FEATURES,
            refusal_features(
                SearchResult((unknown,), True, query=query), composed, info, terms=NORMALIZER.terms
            ),
            strict=True,
        )
    )
    # Not 0.0, which read as a cosine far below any real one ((0 - 0.8) * 10 = -8).
    assert features["dense"] == 0.0
    assert features["cosine_missing"] == 1.0
    present = refusal_features(
        SearchResult((THR,), True, query=query), composed, info, terms=NORMALIZER.terms
    )
    assert present[REFUSAL_FEATURES.index("cosine_missing")] == 0.0
    assert present[REFUSAL_FEATURES.index("dense")] > 0.0


def test_the_unknown_words_rule_can_be_left_to_the_model() -> None:
    question = "Siapa juara piala dunia hari ini?"
    assert judged_with_query(question).reason == "unknown"
    info = analyse(question)
    query = Query(question, question, tuple(NORMALIZER.terms(question)))
    composed = compose(question, [THR], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
    decided = judge_answer(
        SearchResult((THR,), True, query=query),
        composed,
        info,
        terms=NORMALIZER.terms,
        known=KNOWN.__contains__,
        config=replace(DEFAULT_JUDGE, unknown_rule=False),
    )
    assert decided.reason != "unknown"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("btt", "Belanja Tidak Terduga digunakan untuk keadaan darurat."),
        ("cpns", "THR diberikan juga kepada Calon PNS."),
        ("ppas", "Prioritas dan Plafon Anggaran Sementara dibahas bersama DPRD."),
        ("sp", "tanggapan atas rancangan SP (standar pelayanan) diberikan"),
    ],
)
def test_an_acronym_spelled_out_by_initials_is_recognised(name: str, text: str) -> None:
    assert spelled_in(name, text)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("sp", "Surat perintah ditandatangani kepala dinas."),  # two letters: too easy a match
        ("tni", "Tunjangan hari raya dibayarkan paling cepat sepuluh hari kerja."),
        ("btt", "Belanja tidak dianggarkan."),
        ("tni", "Kapan THR anggota TNI dibayarkan?"),  # the acronym itself spells nothing out
    ],
)
def test_initials_that_do_not_spell_the_acronym_are_not_taken_for_it(name: str, text: str) -> None:
    assert not spelled_in(name, text)


def test_a_name_the_passage_spells_out_is_not_refused_as_unknown() -> None:
    hit = replace(
        THR,
        text=THR.text + " Tunjangan hari raya juga diberikan kepada Calon Pegawai Negeri Sipil.",
    )
    question = "Apakah CPNS mendapat tunjangan hari raya?"
    info = analyse(question)
    composed = compose(question, [hit], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
    known = set(NORMALIZER.terms(hit.title + " " + hit.text))
    decided = judge_answer(
        SearchResult((hit,), True), composed, info, terms=NORMALIZER.terms, known=known.__contains__
    )
    assert decided.reason != "name"
    # The same acronym over the passage that does not spell it out is refused.
    assert verdict(question).reason == "name"


def features_of(question: str, *, known=KNOWN.__contains__, concepts=()):  # type: ignore[no-untyped-def]
    info = analyse(question)
    query = Query(question, question, tuple(NORMALIZER.terms(question)), concepts=concepts)
    composed = compose(question, [THR], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
    values = refusal_features(
        SearchResult((THR,), True, query=query), composed, info, terms=NORMALIZER.terms, known=known
    )
    return dict(zip(REFUSAL_FEATURES, values, strict=True))


def test_the_restrictions_a_question_puts_are_read_in_both_languages() -> None:
    assert "buruk" in restriction_terms("Siapa pemimpin terburuk Majapahit?", NORMALIZER.terms)
    assert "wikipedia" in restriction_terms(
        "Apa definisi sains menurut Wikipedia?", NORMALIZER.terms
    )
    assert "kuat" in restriction_terms("Siapa komandan yang paling kuat?", NORMALIZER.terms)
    assert "majemuk" in restriction_terms("Apa itu kalimat non-majemuk?", NORMALIZER.terms)
    assert "smallest" in restriction_terms("Which is the smallest shark?", NORMALIZER.terms)
    assert "wikipedia" in restriction_terms(
        "What is science according to Wikipedia?", NORMALIZER.terms
    )
    # An -est word that restricts nothing, and a question without a restriction.
    assert restriction_terms("What is the interest rate?", NORMALIZER.terms) == []
    assert restriction_terms("Kapan tunjangan hari raya dibayarkan?", NORMALIZER.terms) == []


def test_a_restriction_the_passage_lacks_is_counted_and_lowers_the_probability() -> None:
    # The passage says "paling cepat": "paling lambat" turns the question to what it lacks.
    turned = features_of("Kapan tunjangan hari raya paling lambat dibayarkan?")
    kept = features_of("Kapan tunjangan hari raya paling cepat dibayarkan?")
    assert turned["restriction_missing"] == 1.0
    assert kept["restriction_missing"] == 0.0
    weight = REFUSAL_WEIGHTS[1 + REFUSAL_FEATURES.index("restriction_missing")]
    assert weight < 0.0, "a missing restriction makes the answer less likely to answer"
    with_it = answer_probability(list(turned.values()))
    without_it = answer_probability(list({**turned, "restriction_missing": 0.0}.values()))
    assert with_it < without_it


def test_a_restriction_is_found_through_its_concepts_alternatives() -> None:
    question = "Kapan THR dibayarkan menurut pemda?"
    alone = features_of(question)
    assert alone["restriction_missing"] == 1.0
    concept = Concept(("pemda",), (("pemda",), tuple(NORMALIZER.terms("pajak penghasilan"))))
    spelled = features_of(question, concepts=(concept,))
    assert spelled["restriction_missing"] == 0.0


def test_word_pairs_are_read_over_the_words_the_index_knows() -> None:
    # "bonus" stands in no document: the pairs it would make can stand in no passage, so they
    # are not counted against the answer (an English or mistyped word would read as a
    # near-miss otherwise).
    question = "Kapan tunjangan bonus hari raya dibayarkan?"
    values = features_of(question, known=lambda t: t != "bonus")
    assert values["passage_bigrams"] == 1.0
    assert features_of(question, known=lambda t: True)["passage_bigrams"] < 1.0


def test_at_least_and_more_than_restrict_nothing() -> None:
    assert restriction_terms("Surat itu paling tidak berisi apa?", NORMALIZER.terms) == []
    assert restriction_terms("Who earns more than 5 million?", NORMALIZER.terms) == []


def test_a_question_in_another_language_is_checked_on_known_words_only() -> None:
    # "smallest" stands in no Indonesian passage: unknown to the index, it cannot be checked
    # when the answer is read from passages in another language than the question.
    question = "When is the smallest holiday allowance paid?"
    info = analyse(question)
    query = Query(question, question, tuple(NORMALIZER.terms(question)))
    composed = compose(question, [THR], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
    result = SearchResult((THR,), True, query=query)
    known = KNOWN.__contains__
    across = replace(composed, source_language="id")
    same = replace(composed, source_language=None)
    assert restriction_missing(result, across, terms=NORMALIZER.terms, known=known) == 0.0
    assert restriction_missing(result, same, terms=NORMALIZER.terms, known=known) == 1.0


OTHER = replace(THR, chunk_id="other", doc_id="pp-other", dense_score=0.85, score=0.8)


def test_the_neighbourhood_cosine_is_the_mean_over_the_retrieved_passages_units() -> None:
    result = SearchResult((THR, OTHER), True)
    similarity = {
        "thr": {b"a" * 8: 0.90, b"b" * 8: 0.80},
        "other": {b"c" * 8: 0.76},
        "not-retrieved": {b"d" * 8: 0.10},  # a unit of a passage that is not a hit
    }
    assert neighbourhood_cosine(result, similarity, default=0.5) == pytest.approx(0.82)
    # Nothing to read: the neutral cosine of the other features, not the passage's own.
    assert neighbourhood_cosine(result, {}) == MISSING_COSINE
    assert neighbourhood_cosine(result, None) == MISSING_COSINE


def test_the_neighbourhood_cosine_reads_the_vectors_the_search_already_read() -> None:
    question = np.array([1.0, 0.0], dtype=np.float32)
    close = np.array([1.0, 0.0], dtype=np.float32)
    far = np.array([0.6, 0.8], dtype=np.float32)
    result = SearchResult(
        (THR, OTHER),
        True,
        query_vector=question,
        unit_vectors={
            "thr": {b"a" * 8: close, b"b" * 8: far},
            "other": {b"c" * 8: far},
            "deeper": {b"d" * 8: -close},  # read by the ranking, not among the hits
        },
    )
    assert neighbourhood_cosine(result, default=0.0) == pytest.approx((1.0 + 0.6 + 0.6) / 3)


def test_a_question_far_from_the_rest_of_what_was_retrieved_is_less_likely_answered() -> None:
    question = "Kapan tunjangan hari raya dibayarkan?"
    info = analyse(question)
    query = Query(question, question, tuple(NORMALIZER.terms(question)))
    composed = compose(question, [THR], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
    result = SearchResult((THR,), True, query=query)

    def probability(typical: float) -> float:
        similarity = {"thr": {b"a" * 8: 0.9, b"b" * 8: typical, b"c" * 8: typical}}
        features = refusal_features(
            result, composed, info, terms=NORMALIZER.terms, similarity=similarity
        )
        named = dict(zip(REFUSAL_FEATURES, features, strict=True))
        assert named["neighbourhood_cosine"] == pytest.approx(((0.9 + 2 * typical) / 3 - 0.8) * 10)
        return answer_probability(features)

    assert probability(0.86) > probability(0.78) + 0.05
    # The judge reads the same cosines the answer was composed with.
    close = judge_answer(
        result,
        composed,
        info,
        terms=NORMALIZER.terms,
        similarity={"thr": {b"a" * 8: 0.9, b"b" * 8: 0.86}},
    )
    far = judge_answer(
        result,
        composed,
        info,
        terms=NORMALIZER.terms,
        similarity={"thr": {b"a" * 8: 0.9, b"b" * 8: 0.70}},
    )
    assert close.probability is not None and far.probability is not None
    assert close.probability > far.probability


def test_an_answer_from_passages_in_another_language_is_flagged_and_not_held_against() -> None:
    # e5 reads every cosine of an English question about Indonesian passages lower: the
    # flag lets the model take that back rather than refuse English questions for it.
    question = "When is the holiday allowance paid?"
    info = analyse(question)
    query = Query(question, question, tuple(NORMALIZER.terms(question)))
    indonesian = replace(THR, language="id")
    composed = compose(
        question, [indonesian], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info, language="en"
    )
    assert composed.source_language == "id"
    result = SearchResult((indonesian,), True, query=query)
    across = refusal_features(result, composed, info, terms=NORMALIZER.terms)
    same = refusal_features(
        result, replace(composed, source_language=None), info, terms=NORMALIZER.terms
    )
    flag = REFUSAL_FEATURES.index("cross_language")
    assert across[flag] == 1.0
    assert same[flag] == 0.0
    assert [v for i, v in enumerate(across) if i != flag] == [
        v for i, v in enumerate(same) if i != flag
    ]
    assert answer_probability(across) > answer_probability(same)


RELEASE = SearchHit(
    "rilis",
    "opensid-catatan-rilis-v22-09",
    "Opensid catatan rilis v22.09",
    "Opensid catatan rilis v22.09 > Penambahan Fitur\n\n1. Laporan statistik kehamilan.\n"
    "2. Modul bumindes arsip desa.",
    "Penambahan Fitur",
    None,
    0,
    0.9,
    dense_score=0.9,
    coverage=0.9,
)


@pytest.mark.parametrize(
    ("question", "refused"),
    [
        ("Modul apa yang ditambahkan di OpenSID 22.10?", True),  # the release after
        ("Modul apa yang ditambahkan di OpenSID v22.1?", True),
        ("Modul apa yang ditambahkan di OpenSID 22.09?", False),
        ("Modul apa yang ditambahkan di OpenSID 22.09.0?", False),  # the same release
        ("Modul apa yang ditambahkan di OpenSID 22.9?", True),
        ("Modul apa yang ditambahkan di OpenSID?", False),
    ],
)
def test_a_release_no_cited_passage_names_is_refused(question: str, refused: bool) -> None:
    # Release notes of 22.09 read like those of 22.10: the passage matched, and the answer
    # listed 22.09's features for a question about 22.10.
    info = analyse(question)
    composed = compose(question, [RELEASE], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
    decided = judge_answer(
        SearchResult((RELEASE,), True), composed, info, terms=NORMALIZER.terms, config=THRESHOLDS
    )
    assert (decided.reason == "number") is refused
