"""Which unit an answer quotes: enumerations kept whole enough to hold the asked item, the
term an elucidation explains, the neighbours' share of the question, the fold's own weights."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge_base import answer as answer_module
from knowledge_base.answer import (
    FEATURES,
    UNIT_WEIGHTS,
    candidate_units,
    capitals,
    compose,
    enumerates,
    explains,
    opens_list,
    prepared_concepts,
    unit_features,
)
from knowledge_base.keyword import TextNormalizer
from knowledge_base.question import analyse, bounds_of
from knowledge_base.schemas import SearchHit
from knowledge_base.units import Span, passage_units, unit_key


@pytest.fixture(scope="module")
def normalizer() -> TextNormalizer:
    return TextNormalizer()


def hit(cid: str, text: str, score: float, *, title: str = "PP 1/2020") -> SearchHit:
    return SearchHit(cid, f"doc-{cid}", title, text, "Pasal 2", 1, 0, score, language="id")


def features_of(normalizer: TextNormalizer, question: str, text: str) -> dict[str, float]:
    info = analyse(question)
    concepts = [((t,), ((t,),)) for t in dict.fromkeys(normalizer.terms(question))]
    kept, weighted = prepared_concepts(concepts, info, normalizer.terms, lambda t: 1.0)
    values = unit_features(
        Span(0, len(text), text),
        0,
        0,
        1.0,
        set(),
        info,
        weighted,
        normalizer.terms,
        [t for own, _ in kept for t in own],
    )
    return dict(zip(FEATURES[: len(values)], values, strict=True))


def test_weights_match_the_features() -> None:
    assert len(UNIT_WEIGHTS) == len(FEATURES)


def test_enumerations_are_recognised_inline_as_well_as_by_line() -> None:
    assert enumerates("Undang-Undang ini berasaskan: a. kepastian hukum; b. kepentingan umum.")
    assert enumerates("Persyaratan dasar meliputi:")
    assert enumerates("b. luas wilayah minimal;")
    assert not enumerates("Pendanaan dibebankan pada anggaran daerah masing-masing.")
    assert not enumerates("Lihat huruf a. untuk rinciannya.")


def test_a_list_cut_by_a_line_break_is_recognised_as_going_on() -> None:
    assert opens_list("Surat penetapan paling sedikit memuat: a. jenis; b. identitas; c.")
    assert opens_list("Persyaratan dasar meliputi:")
    assert not opens_list("Verifikasi berkas paling lama 3 hari kerja.")
    assert not opens_list("Skor akhir dibagi 2.")


def test_the_enumeration_feature_needs_a_list_question(normalizer: TextNormalizer) -> None:
    listed = "Undang-Undang ini berasaskan: a. kepastian hukum; b. kepentingan umum."
    assert features_of(normalizer, "Apa saja asas undang-undang ini?", listed)["enumeration"] == 1
    assert features_of(normalizer, "Apa asas undang-undang ini?", listed)["enumeration"] == 0
    plain = "Asas undang-undang ini ditetapkan dalam Pasal 3."
    assert features_of(normalizer, "Apa saja asas undang-undang ini?", plain)["enumeration"] == 0


def test_the_explained_term_is_matched_with_the_question(normalizer: TextNormalizer) -> None:
    text = 'Yang dimaksud dengan "kondisi darurat" adalah kondisi di luar kemampuan manusia.'
    asked = set(normalizer.terms("kondisi darurat itu seperti apa"))
    assert explains(text, asked, normalizer.terms) == 1.0
    assert explains(text, set(normalizer.terms("kondisi jalan")), normalizer.terms) == 0.5
    assert explains("Kondisi darurat ditetapkan oleh bupati.", asked, normalizer.terms) == 0.0
    got = features_of(normalizer, "Kondisi darurat yang dimaksud itu seperti apa?", text)
    assert got["explains"] == 1.0


def test_neighbours_carry_their_share_of_the_question(normalizer: TextNormalizer) -> None:
    question = "Berapa premi untuk pelapor kasus suap?"
    info = analyse(question)
    concepts = [((t,), ((t,),)) for t in dict.fromkeys(normalizer.terms(question))]
    kept, weighted = prepared_concepts(concepts, info, normalizer.terms, lambda t: 1.0)
    passage = hit(
        "premi",
        "PP 1/2020 > Pasal 2\nDalam hal kasus suap, pelapor diberi premi. "
        "Besarnya paling banyak Rp10.000.000,00. Ketentuan lain diatur Menteri.",
        1.0,
    )
    units = candidate_units(
        [passage], info, weighted, normalizer.terms, [t for own, _ in kept for t in own]
    )
    assert len(units) == 3
    previous, following = FEATURES.index("previous"), FEATURES.index("next")
    assert all(len(u.features) == len(FEATURES) for u in units)
    middle = units[1].features
    assert middle[previous] == pytest.approx(units[0].features[0]) and middle[previous] > 0
    assert middle[following] == pytest.approx(units[2].features[0])
    assert units[0].features[previous] == 0.0
    assert units[2].features[following] == 0.0


def test_a_clipped_enumeration_keeps_its_items(normalizer: TextNormalizer) -> None:
    items = "; ".join(
        f"{letter}. {item}"
        for letter, item in zip(
            "abcdefghij",
            (
                "kepentingan umum",
                "kepastian hukum",
                "kesamaan hak",
                "keseimbangan hak dan kewajiban",
                "keprofesionalan",
                "partisipatif",
                "persamaan perlakuan atau tidak diskriminatif",
                "keterbukaan",
                "akuntabilitas",
                "fasilitas dan perlakuan khusus bagi kelompok rentan",
            ),
            strict=True,
        )
    )
    text = f"(2) Pelayanan publik diselenggarakan berdasarkan pada asas: {items}."
    assert len(text) > 320
    answer = compose(
        "Apa saja asas penyelenggaraan pelayanan publik?",
        [hit("asas", f"PP 1/2020 > Pasal 2\n{text}", 1.0)],
        terms=normalizer.terms,
        idf=lambda t: 1.0,
    )
    assert "a. kepentingan umum" in answer.text
    assert "b. kepastian hukum" in answer.text
    assert "asas:…" not in answer.text


def test_a_list_cut_by_line_breaks_goes_on_into_the_next_units(
    normalizer: TextNormalizer,
) -> None:
    passage = hit(
        "surat",
        "PP 1/2020 > Pasal 2\n(2) Surat penetapan klasifikasi paling sedikit memuat: "
        "a. jenis klasifikasi; b. identitas pejabat; c.\n"
        "Jangka Waktu Pengecualian; d.\nalasan pengecualian; dan e. tempat penetapan.\n"
        "(3) Surat penetapan ditandatangani pejabat.",
        1.0,
    )
    answer = compose(
        "Apa saja isi surat penetapan klasifikasi?",
        [passage],
        terms=normalizer.terms,
        idf=lambda t: 1.0,
    )
    assert "Jangka Waktu Pengecualian" in answer.text
    assert "alasan pengecualian" in answer.text
    assert "ditandatangani" not in answer.text


def test_the_best_unit_that_is_the_list_asked_is_not_replaced_by_another_list(
    normalizer: TextNormalizer,
) -> None:
    definitions = hit(
        "definisi",
        "UU 27/2022 > Pasal 1\nDalam Undang-Undang ini yang dimaksud dengan:\n"
        "1. Data Pribadi adalah data tentang orang perseorangan yang teridentifikasi.\n"
        "2. Pelindungan Data Pribadi adalah upaya melindungi Data Pribadi.",
        1.0,
        title="UU 27/2022",
    )
    principles = hit(
        "asas",
        "UU 27/2022 > Pasal 3\nPelindungan Data Pribadi berasaskan: a. pelindungan; "
        "b. kepastian hukum; c. kepentingan umum; d. kehati-hatian; dan e. kerahasiaan.",
        0.95,
        title="UU 27/2022",
    )
    # The question's cosine with each unit, as the index gives it (e5 reads "asas" in
    # "berasaskan"; the definitions are about the same subject, not the asked principles).
    similarity = {
        passage.chunk_id: {
            unit_key(u.read): 0.90 if passage is principles else 0.84
            for u in passage_units(passage.text, passage.title, passage.section)
        }
        for passage in (definitions, principles)
    }
    answer = compose(
        "Apa saja asas pelindungan data pribadi?",
        [definitions, principles],
        terms=normalizer.terms,
        idf=lambda t: 1.0,
        similarity=similarity,
    )
    assert "kepastian hukum" in answer.text
    assert "teridentifikasi" not in answer.text
    assert [c.doc_id for c in answer.citations] == ["doc-asas"]


def test_compose_scores_with_the_weights_it_is_given(normalizer: TextNormalizer) -> None:
    passage = hit(
        "izin",
        "PP 1/2020 > Pasal 2\nIzin usaha diajukan pemohon dalam 2 rangkap. "
        "Izin usaha diterbitkan paling lama 3 hari kerja setelah berkas lengkap diterima.",
        1.0,
    )
    question = "Berapa lama izin usaha diterbitkan?"
    default = compose(question, [passage], terms=normalizer.terms, idf=lambda t: 1.0)
    assert "3 hari kerja" in default.text
    # Weights that only reward being the passage's first unit choose the first sentence.
    first_only = [0.0] * len(FEATURES)
    first_only[FEATURES.index("first")] = 5.0
    first_only[FEATURES.index("length")] = -5.0
    chosen = compose(
        question, [passage], terms=normalizer.terms, idf=lambda t: 1.0, weights=first_only
    )
    assert chosen.text.startswith("Izin usaha diajukan pemohon dalam 2 rangkap.")
    assert "3 hari kerja" not in chosen.text


def test_a_question_in_the_text_and_a_capitalised_title_are_marked(
    normalizer: TextNormalizer,
) -> None:
    question = "Bagaimana memulai membangun SID di desa?"
    asks = FEATURES.index("asks")
    assert (
        features_of(normalizer, question, "Bagaimana memulai membangun SID di desa kita?")["asks"]
        == 1.0
    )
    assert features_of(normalizer, question, "Pasang SID di komputer kantor desa.")["asks"] == 0
    assert asks < len(UNIT_WEIGHTS) and UNIT_WEIGHTS[asks] < 0
    assert capitals("PERATURAN PEMERINTAH NOMOR 38 TAHUN 2017 TENTANG INOVASI DAERAH") == 1.0
    assert capitals("Ditetapkan di Jakarta pada tanggal 14 September 2017.") < 0.1
    assert capitals("2017") == 0.0
    assert UNIT_WEIGHTS[FEATURES.index("capitals")] < 0


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_the_share_of_capitals_counts_letters_only(text: str) -> None:
    # A capital that is no letter ("Ⓐ", a circled letter) counts neither way.
    letters = [c for c in text if c.isalpha()]
    expected = sum(c.isupper() for c in letters) / len(letters) if letters else 0.0
    assert capitals(text) == expected


def test_a_units_features_are_extended_keeping_everything_else() -> None:
    # Each context adds its features to a copy of the unit built field by field: a field
    # added to Candidate (or Span, read as its table row) must be carried over there too.
    from dataclasses import fields, replace

    from knowledge_base.answer import Candidate

    assert [f.name for f in fields(Span)] == ["start", "end", "text", "is_list"]
    unit = Candidate(2, 5, Span(3, 9, "abcdef", True), [0.5], 0.83, True, "Pasal 4")
    assert [f.name for f in fields(Candidate)] == [
        "rank", "index", "span", "features", "cosine", "header", "label"
    ]  # fmt: skip
    assert unit.extended(1.0, 2.0) == replace(unit, features=[0.5, 1.0, 2.0])
    assert unit.features == [0.5]


def test_the_asked_bound_is_matched_in_the_units_words(
    normalizer: TextNormalizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert analyse("premi buat pelapor suap maksimal berapa rupiah?").bounds == ("max",)
    assert analyse("Luas wilayah paling sedikit berapa?").bounds == ("min",)
    assert analyse("Berapa lama verifikasi berkas?").bounds == ()
    question = "Premi untuk pelapor maksimal berapa?"
    most = "Besaran premi paling banyak Rp10.000.000,00 (sepuluh juta rupiah)."
    least = "Besaran premi paling sedikit Rp1.000.000,00 (satu juta rupiah)."
    assert features_of(normalizer, question, most)["bound"] == 1.0
    assert features_of(normalizer, question, least)["bound"] == 0.0
    assert features_of(normalizer, "Berapa premi untuk pelapor?", most)["bound"] == 0.0
    assert UNIT_WEIGHTS[FEATURES.index("bound")] > 0
    passage = hit(
        "premi",
        "PP 1/2020 > Pasal 2\n(1) Premi untuk pelapor paling sedikit Rp1.000.000,00 dan diberikan "
        "setelah putusan berkekuatan hukum tetap, sebagaimana dinilai oleh penegak hukum.\n"
        "(2) Premi untuk pelapor paling banyak Rp10.000.000,00 dan dibayar dari anggaran "
        "kejaksaan, sebagaimana diatur dalam peraturan menteri yang membidangi keuangan.",
        1.0,
    )
    answer = compose(question, [passage], terms=normalizer.terms, idf=lambda t: 1.0)
    assert "(2) Premi untuk pelapor paling banyak" in answer.text
    # The best unit alone (no room for a runner-up beside it) is the one with the bound.
    monkeypatch.setattr(answer_module, "ANSWER_CHARS", 100)
    alone = compose(question, [passage], terms=normalizer.terms, idf=lambda t: 1.0)
    assert alone.text.startswith("(2) Premi untuk pelapor paling banyak")


def test_a_number_with_atau_lebih_states_a_lower_bound(normalizer: TextNormalizer) -> None:
    assert bounds_of("dilaksanakan oleh 2 (dua) atau lebih daerah yang berbatasan") == {"min"}
    assert bounds_of("a joint body of three or more regions") == {"min"}
    assert bounds_of("diselesaikan dalam 5 (lima) hari atau kurang") == {"max"}
    assert bounds_of("lebih dari satu daerah") == frozenset()
    question = "Kerja sama wajib minimal berapa daerah?"
    stated = "Kerja sama wajib dilaksanakan oleh 2 (dua) atau lebih daerah yang berbatasan."
    assert features_of(normalizer, question, stated)["bound"] == 1.0


def explained_share(question: str, text: str, idf: dict[str, float]) -> float:
    normalizer = TextNormalizer()
    info = analyse(question)
    concepts = [((t,), ((t,),)) for t in dict.fromkeys(normalizer.terms(question))]
    kept, weighted = prepared_concepts(concepts, info, normalizer.terms, lambda t: idf.get(t, 1.0))
    units = candidate_units(
        [hit("c", text, 1.0)], info, weighted, normalizer.terms, [t for o, _ in kept for t in o]
    )
    return units[0].features[FEATURES.index("explained_concepts")]


def test_the_explained_term_counts_by_the_weight_of_the_question_words_it_names(
    normalizer: TextNormalizer,
) -> None:
    question = "Kerja sama untuk memelihara aset daerah bentuknya apa?"
    common = 'Yang dimaksud dengan "membebani daerah" adalah biaya dari APBD.'
    # The word share reads a half match on the common word alone; weighted, it is small.
    asked = set(normalizer.terms(question))
    assert explains(common, asked, normalizer.terms) == 0.5
    idf = {t: 0.1 for t in normalizer.terms("daerah")}
    assert explained_share(question, common, idf) < 0.05
    rare = "Objek kerja sama boleh di luar perencanaan bila darurat. Darurat itu seperti apa?"
    elucidation = 'Yang dimaksud dengan "kondisi darurat" adalah kondisi di luar kemampuan manusia.'
    assert explained_share(rare, elucidation, idf) > 0.1
    assert explained_share(rare, "Kondisi darurat ditetapkan oleh bupati.", idf) == 0.0
    assert UNIT_WEIGHTS[FEATURES.index("explained_concepts")] > 0
