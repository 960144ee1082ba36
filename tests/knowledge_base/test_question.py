"""What a question asks for, and finding it in a long message."""

from __future__ import annotations

import pytest

from knowledge_base.question import (
    analyse,
    asks_amount,
    clean_message,
    find_question,
    question_type,
    states,
    states_amount,
)


@pytest.mark.parametrize(
    ("question", "qtype"),
    [
        ("Berapa lama DPRD menilai rancangan perjanjian?", "berapa"),
        ("How many days does the Minister have to verify the plan?", "berapa"),
        ("Kapan PP Nomor 38 Tahun 2017 ditetapkan?", "kapan"),
        ("tanggal berapa PP itu ditetapkan?", "kapan"),
        ("How often must the reports be submitted?", "kapan"),
        ("Siapa yang menunjuk PPID?", "siapa"),
        ("To whom can citizens complain?", "siapa"),
        ("Di mana aduan dapat disampaikan?", "dimana"),
        ("Bagaimana cara mendaftar akun?", "bagaimana"),
        ("How do I register an account?", "bagaimana"),
        ("Apa syarat kerja sama dengan daerah di luar negeri?", "syarat"),
        ("What are the server requirements?", "syarat"),
        ("Mengapa laporan ditolak?", "mengapa"),
        ("Bolehkah pemda bekerja sama dengan partai politik asing?", "yesno"),
        ("camat diangkatnya lewat seleksi gak?", "yesno"),
        ("Is the THR taxed?", "yesno"),
        ("Apakah pegawai kontrak daerah boleh menerima TPP?", "yesno"),
        ("Apakah bantuan sosial dapat diberikan dua kali?", "yesno"),
        ("Apakah dokumen yang harus dilampirkan pada permohonan izin?", "apa"),
        ("Apa yang dimaksud dengan Forkopimda?", "apa"),
    ],
)
def test_question_types_in_both_languages(question: str, qtype: str) -> None:
    assert question_type(question) == qtype


def test_specifics_of_a_question() -> None:
    info = analyse("Apa saja isi PP 45/2017 tentang THR tahun 2019 bagi PNS?")
    assert info.years == ("2017", "2019")
    assert info.numbers == ("45",)
    assert {"pp", "thr", "pns"} <= set(info.names)
    assert info.wants_list


def test_what_an_answer_states() -> None:
    assert states("berapa", "paling lama 3 (tiga) hari kerja")
    assert states("berapa", "paling lama tiga hari kerja")
    assert not states("berapa", "Laporan disampaikan kepada gubernur.")
    assert states("kapan", "ditetapkan pada tanggal 14 September 2017")
    assert not states("kapan", "Laporan disampaikan kepada gubernur.")
    assert states("apa", "apa pun")


@pytest.mark.parametrize(
    "text",
    [
        # The numbers of a regulation's paragraphs, articles and citations count nothing.
        "(3) Dalam melaksanakan manajemen pelayanan publik sebagaimana dimaksud pada ayat (2), "
        "Pemerintah Daerah dapat membentuk forum komunikasi. [1]",
        "Uji coba Inovasi Daerah berdasarkan keputusan sebagaimana dimaksud dalam Pasal 14.",
        # OCR'd regulations: a stray mark before the number ("Pasal ^14", "ayat {21").
        "Uji coba sebagaimana dimaksud dalam Pasal ^14 dan ayat {21 dilakukan di daerah.",
        "Kewajiban diatur dalam Undang-Undang Nomor 23 Tahun 2014 tentang Pemerintahan Daerah "
        "dan PP 38/2017.",
        "Forum dibentuk di salah satu kabupaten.",
        "Members are appointed as referred to in Article 5 paragraph (2).",
    ],
)
def test_a_sentence_that_only_numbers_itself_states_no_amount(text: str) -> None:
    assert not states_amount(text, "Berapa jumlah maksimal anggota forum?")


@pytest.mark.parametrize(
    "text",
    [
        "Forum beranggotakan paling banyak 9 (sembilan) orang.",
        "Forum beranggotakan paling banyak sembilan orang.",
        "nilai capaian kinerja paling tinggi pada angka 120 (seratus dua puluh). [1]",
        "Tunjangan Hari Raya diberikan sebesar penghasilan pada bulan Mei.",
        "Layanan ini diberikan secara gratis.",
        "The trial lasts at most one year.",
        "Dana pendamping paling sedikit 10% dari nilai bantuan.",
    ],
)
def test_an_amount_in_figures_words_or_a_measure_word_is_stated(text: str) -> None:
    assert states_amount(text, "Berapa jumlah maksimal anggota forum?")


def test_an_amount_the_question_itself_holds_is_not_a_stated_one() -> None:
    question = "Apakah 9 orang anggota forum cukup, berapa jumlah maksimalnya?"
    assert not states_amount("Forum terdiri atas 9 orang anggota.", question)
    assert states_amount("Forum terdiri atas 9 orang anggota.", "Berapa anggota forum?")


@pytest.mark.parametrize(
    ("text", "question"),
    [
        (
            "Jangka waktu kerja sama paling lama 5 tahun.",
            "Berapa lama kerja sama menurut PP 50/2007?",
        ),
        ("THR diberikan 1 kali gaji.", "Berapa THR PNS tahun 2018?"),
        ("Masa jabatan kepala desa 6 tahun.", "Berapa lama masa jabatan menurut UU 6/2014 ini?"),
    ],
)
def test_a_figure_inside_one_of_the_question_is_still_a_stated_amount(
    text: str, question: str
) -> None:
    assert states_amount(text, question)


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Berapa persen dana pendamping yang wajib disediakan?", True),
        ("What is the maximum duration of a regional innovation trial?", True),
        ("tahun berapakah AC Milan didirikan?", True),
        # A list with a bound asks for the items; "paling lama" alone asks which one.
        ("Komponen apa saja yang minimal harus ada dalam rancangan?", False),
        ("negara manakah yang paling lama menjajah Indonesia?", False),
        ("Siapa yang menandatangani perjanjian?", False),
    ],
)
def test_which_questions_ask_for_an_amount(question: str, asked: bool) -> None:
    assert asks_amount(analyse(question), question) is asked


@pytest.mark.parametrize(
    ("question", "text"),
    [
        # A year answers "in which year" and "how long" ("1945-1967").
        ("tahun berapakah AC Milan didirikan?", "AC Milan didirikan pada tahun 1899."),
        ("berapa lamakah Soekarno menjabat?", "Soekarno menjabat presiden 1945-1967."),
        ("abad berapakah agama Kristen muncul?", "Kristen muncul pada abad pertama Masehi."),
    ],
)
def test_a_year_or_an_ordinal_is_a_stated_amount(question: str, text: str) -> None:
    assert states_amount(text, question)


def test_the_question_is_found_in_a_long_paste() -> None:
    story = "Kami sudah rapat dengan dinas. Hasilnya dicatat di notulen. " * 10
    assert find_question(story + "Berapa lama verifikasi berkas?") == (
        "Berapa lama verifikasi berkas?"
    )
    assert find_question(story + "Bagaimana cara mendaftar akun Gampil") == (
        "Bagaimana cara mendaftar akun Gampil"
    )
    assert find_question(story) is None
    assert find_question("Apa " + "sangat " * 200 + "panjang?") is None
    # A question needs words: the pieces of a numbering between its full stops ask nothing.
    assert find_question("1." * 300 + "1\u2026?") is None
    assert find_question(story + "Kapan laporan e-RK dikirim? Lihat butir 1.1.2? :)?") == (
        "Kapan laporan e-RK dikirim?"
    )


def test_the_question_is_found_at_the_end_of_a_paste_without_full_stops() -> None:
    paste = "we met the regional office and wrote the minutes " * 40
    assert find_question(paste + "When is the deadline?") == "When is the deadline?"
    informal = "kami sudah rapat dengan dinas dan hasilnya dicatat " * 30
    assert find_question(informal + "kapan batas waktu laporan e-RK?") == (
        "kapan batas waktu laporan e-RK?"
    )
    # No question at its end: still none (the asker is asked to shorten it).
    assert find_question(paste + "thanks") is None


def test_markup_is_not_part_of_the_question() -> None:
    assert clean_message("<b>Bagaimana</b> cara **daftar** akun?") == "Bagaimana cara daftar akun?"
    assert clean_message("<i></i> __ ") == ""


def test_invisible_characters_inside_words_do_not_split_them() -> None:
    # Pasted from a web page or typed on a phone keyboard: a soft hyphen, zero-width
    # joiners, direction marks, a word joiner inside the words.
    typed = "lapo\u00adran ba\u200dtas\u200c waktu \u202ebe\u2060rapa\u202c \u200ehari\u200f?"
    assert clean_message(typed) == "laporan batas waktu berapa hari?"
    # A zero-width space (or a BOM) separates words, as ingestion reads it in documents.
    assert clean_message("\ufeffizin\u200breklame?") == "izin reklame?"
    assert clean_message("\u200d\u200c\u00ad") == ""


@pytest.mark.parametrize(
    ("question", "versions"),
    [
        ("fitur apa aja yg baru di opensid 22.10?", ("22.10",)),
        ("Apa beda versi 2.3.1 dan v4.2?", ("2.3.1", "4.2")),
        ("What changed in release 2410.0.0?", ("2410.0.0",)),
        ("Berapa denda Rp 10.000 per hari?", ()),  # thousands
        ("Apakah layanan buka sampai pukul 22.10?", ()),  # a time
        ("Is a grant of 1.5 million allowed?", ()),  # a decimal before its magnitude
        ("Apakah 2.5 persen cukup?", ()),
        ("Berapa nilai 2,5 dan PP 12/2019?", ()),
    ],
)
def test_a_release_named_by_a_dotted_number_is_read(
    question: str, versions: tuple[str, ...]
) -> None:
    assert analyse(question).versions == versions


@pytest.mark.parametrize(
    ("text", "stated"),
    [
        ("Di rilis ini, versi 2410.0.0 berisi kode isian.", False),  # a release, no year
        ("THR dibayarkan tahun 2018.", True),
        ("Rilis 2410 terbit bulan Oktober.", True),
    ],
)
def test_four_digits_of_a_dotted_release_are_no_year(text: str, stated: bool) -> None:
    assert states("kapan", text) is stated
