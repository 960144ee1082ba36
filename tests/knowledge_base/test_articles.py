"""The passages a question's type points at: a regulation's definitions and closing lines are
added to the answer's passages when the question asks a meaning or the enactment date."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge_base.articles import (
    asked_terms,
    closes,
    defined_terms,
    definition_match,
    documents_to_open,
    entry_span,
    insert_articles,
)
from knowledge_base.index import KnowledgeIndex
from knowledge_base.keyword import TextNormalizer
from knowledge_base.lexicon import LexiconSource
from knowledge_base.question import analyse
from knowledge_base.schemas import ChunkInput, DocumentInput, SearchHit

NORMALIZER = TextNormalizer()

DEFINITIONS = (
    "Dalam Peraturan Pemerintah ini yang dimaksud dengan: 1. Urusan Pemerintahan Umum adalah "
    "Urusan Pemerintahan yang menjadi kewenangan Presiden. 2. Forum Koordinasi Pimpinan di "
    "Daerah yang selanjutnya disebut Forkopimda adalah forum yang digunakan untuk membahas "
    "penyelenggaraan Urusan Pemerintahan Umum di daerah. 3. Masuk Kerja adalah keadaan "
    "melaksanakan tugas di dalam maupun di luar kantor."
)
CLOSING = (
    "Peraturan Pemerintah ini mulai berlaku pada tanggal diundangkan. Agar setiap orang "
    "mengetahuinya, memerintahkan pengundangan Peraturan Pemerintah ini. Ditetapkan di Jakarta "
    "pada tanggal 25 Februari 2022 ttd. JOKO WIDODO"
)


def hit(cid: str, doc: str, score: float, title: str = "PP 12/2022 Forkopimda") -> SearchHit:
    return SearchHit(cid, doc, title, f"{title}\nteks {cid}", None, 1, 0, score)


def test_the_entries_of_a_definitions_article_name_their_terms_and_short_forms() -> None:
    assert defined_terms(DEFINITIONS) == [
        "Urusan Pemerintahan Umum",
        "Forum Koordinasi Pimpinan di Daerah",
        "Forkopimda",
        "Masuk Kerja",
    ]
    # An encyclopaedia's "X adalah ..." is no numbered entry.
    assert defined_terms("Jakarta adalah ibu kota Indonesia. Kota itu ramai.") == []


def test_the_longest_term_the_question_holds_whole_is_the_match() -> None:
    def asked(question: str) -> set[str]:
        return set(NORMALIZER.terms(question))

    terms = NORMALIZER.terms

    def match(question: str) -> tuple[int, int]:
        return definition_match(DEFINITIONS, asked(question), terms, terms(question))

    assert match("Apa yang dimaksud dengan Forkopimda?") == (1, 1)
    assert match("Apa pengertian Masuk Kerja bagi PNS?") == (2, 2)
    # "Pemerintahan" alone does not hold "Urusan Pemerintahan Umum" whole.
    assert match("Apa arti pemerintahan daerah?") == (0, 0)
    # A term held only through a synonym counts after one the question names.
    synonyms = asked("Apa pengertian Masuk Kerja bagi PNS?") | {"forum", "koordinasi"}
    synonyms |= set(terms("pimpinan di daerah"))
    found = definition_match(DEFINITIONS, synonyms, terms, terms("Masuk Kerja bagi PNS"))
    assert found == (2, 2)  # not (0, 5): "Forum Koordinasi Pimpinan di Daerah"


def test_of_two_terms_held_alike_the_entry_of_the_one_named_first_is_quoted() -> None:
    text = (
        "4. Disiplin PNS adalah kesanggupan PNS menaati kewajiban. 5. Masuk Kerja adalah "
        "keadaan melaksanakan tugas di dalam maupun di luar kantor."
    )
    question = "Apa pengertian Masuk Kerja dalam PP Disiplin PNS?"
    terms = NORMALIZER.terms
    found = entry_span(text, set(terms(question)), terms, terms(question))
    assert found is not None
    assert text[found[0] : found[1]].startswith("5. Masuk Kerja adalah")


def test_a_run_of_blank_lines_in_a_definitions_passage_is_read_at_once() -> None:
    # A <pre> block or a Markdown code fence keeps its blank lines in the passage. The entry
    # pattern split such a run between the spaces around a short form in every way before
    # failing: 1,500 line ends after "disebut" took 9 s, for every question asking a meaning.
    terms = NORMALIZER.terms
    question = terms("Apa yang dimaksud dengan Aplikasi Umum?")
    run = "\n" * 2000
    text = f"1. Data adalah keterangan. 2. Aplikasi Umum yang selanjutnya disebut {run}Penutup"
    # Their speed is measured, not asserted (docs/benchmarks.md): here, what they find.
    assert defined_terms(text) == ["Data"]
    assert definition_match(text, set(question), terms, question) == (0, 0)
    assert entry_span(text, set(question), terms, question) is None
    # An entry whose number a sentence splitter left after a run of spaces.
    spaced = "1. Aplikasi Umum adalah sarana." + " 2" + " \n" * 20_000 + ".x"
    assert entry_span(spaced, set(question), terms, question) == (0, len(spaced))
    # Across such a run, an entry still reads as before.
    whole = f"2. Aplikasi Umum yang selanjutnya disebut{run}AU{run}adalah sarana."
    assert defined_terms(whole) == ["Aplikasi Umum", "AU"]


def test_an_english_question_matches_a_term_through_its_translations() -> None:
    question = "What is meant by public affairs?"
    own = NORMALIZER.terms(question)
    assert definition_match(DEFINITIONS, asked_terms(own), NORMALIZER.terms, own) == (0, 0)
    concepts = [
        (("public",), (("public",), ("umum",))),
        (("affairs",), (("affairs",), ("urus",), ("perintah",))),
    ]
    asked = asked_terms(own, concepts)
    size = len(set(NORMALIZER.terms("Urusan Pemerintahan Umum")))
    assert definition_match(DEFINITIONS, asked, NORMALIZER.terms, own) == (0, size)


def test_the_enactment_line_closes_a_regulation() -> None:
    assert closes(CLOSING)
    assert not closes("Keputusan ditetapkan oleh kepala daerah pada rapat pleno.")


@pytest.mark.parametrize(
    ("question", "meaning"),
    [
        ("Apa yang dimaksud dengan Forkopimda?", True),
        ("Apa pengertian Masuk Kerja dalam PP Disiplin PNS?", True),
        ("Definisi data pribadi menurut UU PDP?", True),
        ("What is meant by personal data?", True),
        ("What is Forkopimda?", True),
        ("What does BTT stand for?", True),
        # A figure or a list, not a meaning.
        ("What is the maximum duration of a regional innovation trial under PP 38/2017?", False),
        ("Berapa lama batas waktu penyesuaian keanggotaan Forkopimda?", False),
        ("Siapa ketua Forkopimda provinsi?", False),
        # A meaning and more: the definition alone does not answer it.
        ("apa itu pelatihan dan kapan dilaksanakan?", False),
        ("Apa yang dimaksud dengan hari kerja, dan bagaimana menghitungnya?", False),
        ("Apa itu SPBE? Siapa yang menilainya?", False),
        ("What is meant by personal data and who may process it?", False),
        ("Apa pengertian kerja sama daerah dan pihak ketiga?", True),  # one term, joined
    ],
)
def test_a_question_asks_a_meaning(question: str, meaning: bool) -> None:
    assert analyse(question).asks_meaning is meaning


def test_only_a_meaning_or_an_enactment_date_opens_documents() -> None:
    hits = [hit("a", "pp-12", 0.9), hit("b", "uu-23", 0.8, "UU 23/2014"), hit("c", "pp-12", 0.7)]
    assert documents_to_open(hits, analyse("Apa yang dimaksud dengan Forkopimda?")) == [
        "pp-12",
        "uu-23",
    ]
    assert documents_to_open(hits, analyse("Siapa ketua Forkopimda provinsi?")) == []
    # The regulation the question names comes first.
    assert documents_to_open(hits, analyse("Kapan UU Nomor 23 Tahun 2014 ditetapkan?"))[0] == (
        "uu-23"
    )
    # "Sebelum PP 28/2018 berlaku" asks about a transition, not a date.
    transition = analyse("Perjanjian yang diteken sebelum PP 28/2018 berlaku, harus dibuat ulang?")
    assert transition.asks_enactment and documents_to_open(hits, transition) == []


def test_an_added_passage_follows_its_documents_best_and_scores_as_it() -> None:
    hits = [hit("a", "pp-12", 0.9), hit("b", "uu-23", 0.8), hit("c", "pp-12", 0.7)]
    added = [hit("x", "uu-23", 0.0), hit("a", "pp-12", 0.0), hit("y", "lain", 0.0)]
    out = insert_articles(hits, added)
    assert [h.chunk_id for h in out] == ["a", "b", "x", "c"]
    assert out[2].score == 0.8


def test_an_article_retrieved_out_of_reach_is_moved_up() -> None:
    hits = [hit("a", "pp-12", 0.9), hit("b", "pp-12", 0.8), hit("c", "uu-23", 0.5)]
    hits.append(hit("d", "pp-12", 0.2))
    out = insert_articles(hits, [hit("d", "pp-12", 0.0), hit("b", "pp-12", 0.0)])
    assert [(h.chunk_id, h.score) for h in out] == [
        ("a", 0.9),
        ("b", 0.9),
        ("d", 0.9),
        ("c", 0.5),
    ]
    # The document's best passage itself stays as it was.
    assert insert_articles(hits, [hit("a", "pp-12", 0.0)]) == hits


REGULATION = DocumentInput(
    "pp-12-2022", "PP 12/2022 tentang Forkopimda", doc_type="regulation", language="id"
)


def regulation_chunks() -> list[ChunkInput]:
    title = REGULATION.title
    texts = [
        ("BAB I > Pasal 1", DEFINITIONS),
        (
            "BAB II > Pasal 3",
            "Forkopimda provinsi diketuai oleh gubernur. Anggota Forkopimda provinsi terdiri atas "
            "ketua DPRD provinsi, kepala kepolisian daerah, dan kepala kejaksaan tinggi.",
        ),
        (
            "BAB II > Pasal 23",
            "Hubungan kerja Forkopimda provinsi dengan Forkopimda kabupaten bersifat koordinatif.",
        ),
        ("BAB IX > Pasal 33", CLOSING),
    ]
    return [
        ChunkInput(text=f"{title} > {section}\n{text}", section=section, page=i + 1, position=i)
        for i, (section, text) in enumerate(texts)
    ]


@pytest.fixture
def regulation(index: KnowledgeIndex) -> KnowledgeIndex:
    index.replace_document(REGULATION, regulation_chunks())
    index.replace_document(
        DocumentInput("ensiklopedia", "Jakarta", doc_type="manual", language="id"),
        [
            ChunkInput(
                text="Jakarta\nJakarta adalah ibu kota Indonesia. Jakarta ditetapkan sebagai "
                "ibu kota pada tanggal 17 Agustus 1945.",
                position=0,
            )
        ],
    )
    return index


def _with_articles(index: KnowledgeIndex, question: str, hits: list[SearchHit]) -> list[str]:
    query = index.rewrite(question)
    return [h.chunk_id for h in index.with_articles(hits, analyse(question), query)]


def _hits(index: KnowledgeIndex, doc: str) -> list[SearchHit]:
    return [h for h in index.search("Forkopimda Jakarta", k=10) if h.doc_id == doc]


def test_a_meaning_question_gets_the_definitions_that_define_its_term(
    regulation: KnowledgeIndex,
) -> None:
    body = [h for h in _hits(regulation, "pp-12-2022") if "Pasal 1\n" not in h.text]
    body = [h for h in body if "Ditetapkan" not in h.text][:1]
    ids = _with_articles(regulation, "Apa yang dimaksud dengan Forkopimda?", body)
    assert len(ids) == 2
    added = regulation.with_articles(
        body, analyse("Apa yang dimaksud dengan Forkopimda?"), regulation.rewrite("Forkopimda")
    )[1]
    assert "selanjutnya disebut Forkopimda" in added.text
    assert added.section == "BAB I > Pasal 1" and added.score == body[0].score
    # A term the definitions do not define: nothing added.
    assert _with_articles(regulation, "Apa yang dimaksud dengan hubungan kerja?", body) == [
        body[0].chunk_id
    ]


def test_an_enactment_date_question_gets_the_closing_lines(regulation: KnowledgeIndex) -> None:
    body = [h for h in _hits(regulation, "pp-12-2022") if "Ditetapkan" not in h.text][:1]
    out = regulation.with_articles(
        body,
        analyse("PP forkopimda ditetapkan tanggal berapa?"),
        regulation.rewrite("PP forkopimda ditetapkan tanggal berapa?"),
    )
    assert len(out) == 2 and "Ditetapkan di Jakarta pada tanggal 25 Februari 2022" in out[1].text


def test_a_document_without_that_structure_is_left_as_retrieved(
    regulation: KnowledgeIndex,
) -> None:
    # An encyclopaedia article has no definitions article and no closing lines (TyDi QA's
    # Wikipedia passages): the passages stay those retrieved.
    hits = _hits(regulation, "ensiklopedia")
    assert hits
    assert _with_articles(regulation, "Apa itu Jakarta?", hits) == [h.chunk_id for h in hits]
    assert _with_articles(regulation, "Kapan peraturan ibu kota Jakarta ditetapkan?", hits) == [
        h.chunk_id for h in hits
    ]


def _compose(question: str, hits: list[SearchHit]) -> str:
    from knowledge_base.answer import compose

    return compose(question, hits, terms=NORMALIZER.terms, idf=lambda t: 1.0).text


def _article(cid: str, section: str, text: str, score: float) -> SearchHit:
    title = "PP 12/2022 tentang Forkopimda"
    return SearchHit(cid, "pp-12", title, f"{title} > {section}\n{text}", section, 1, 0, score)


USING = _article(
    "u",
    "Pasal 3",
    "Forkopimda provinsi diketuai oleh gubernur. Forkopimda dibentuk di setiap provinsi.",
    0.9,
)


@pytest.mark.parametrize("lines", [True, False])
def test_a_meaning_is_answered_by_the_entry_that_defines_the_term(lines: bool) -> None:
    # One entry a line, or all of them in one run (a scanned article's lost line breaks).
    body = re.sub(r"\. (?=\d)", ".\n", DEFINITIONS) if lines else DEFINITIONS
    definitions = _article("d", "Pasal 1", body, 0.9)
    text = _compose("Apa yang dimaksud dengan Forkopimda?", [USING, definitions])
    entry = (
        "Forum Koordinasi Pimpinan di Daerah yang selanjutnya disebut Forkopimda adalah "
        "forum yang digunakan untuk membahas penyelenggaraan Urusan Pemerintahan Umum di "
        "daerah. [1]"
    )
    assert text in (entry, f"2. {entry}")
    # The entry of the longest term the question holds: "Urusan Pemerintahan Umum", not the
    # "Forkopimda" whose definition uses those words.
    text = _compose("Apa pengertian Urusan Pemerintahan Umum?", [USING, definitions])
    assert "kewenangan Presiden" in text and "forum" not in text


def test_an_enactment_date_is_answered_by_the_enactment_line() -> None:
    closing = _article("c", "Pasal 33", CLOSING, 0.9)
    # A date of the same regulation that the searches rank first.
    dated = _article(
        "t",
        "Pasal 28",
        "Laporan Forkopimda ditetapkan dan disampaikan paling lambat tanggal 10 setiap bulan.",
        0.95,
    )
    question = "PP Forkopimda ditetapkan tanggal berapa?"
    assert "25 Februari 2022" in _compose(question, [dated, USING, closing])
    assert "25 Februari 2022" not in _compose("Siapa ketua Forkopimda provinsi?", [USING, closing])


def test_only_passages_holding_a_term_of_the_question_have_their_entries_read(
    index: KnowledgeIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A long regulation: every passage a run of definitions entries. Reading each entry's
    # terms took 3 to 4 s for 5,000 such passages; only those whose stored terms hold one of
    # the question's are read now, and the one that defines it is still found.
    words = ["Kanal", "Sandi", "Gerai", "Lumbung", "Palka", "Dermaga", "Jembatan", "Menara"]
    kinds = "Utama Cadangan Darurat Induk Cabang Pusat Pantai Hulu Hilir Timur Barat Selatan"
    kinds += " Utara Tengah Bawah Atas Dalam Luar Besar Kecil Lama Baru Tinggi Rendah"
    chunks = []
    for p, first in enumerate(words):
        entries = " ".join(
            f"{3 * p + e + 1}. {first} {kind} adalah sarana nomor {e}."
            for e, kind in enumerate(kinds.split()[3 * p : 3 * p + 3])
        )
        text = f"Perda 7/2020 > Pasal 1\nDalam Peraturan Daerah ini yang dimaksud dengan: {entries}"
        chunks.append(ChunkInput(text=text, section="Pasal 1", page=1, position=p))
    index.replace_document(
        DocumentInput("perda-7-2020", "Perda 7/2020", doc_type="regulation", language="id"),
        chunks,
    )
    read: list[str] = []
    original = definition_match

    def counted(text: str, *args: object, **kwargs: object) -> tuple[int, int]:
        read.append(text)
        return original(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("knowledge_base.index.definition_match", counted)
    hits = [h for h in index.search("Kanal Utama sarana", k=10) if "Kanal Utama" in h.text]
    question = "Apa yang dimaksud dengan Lumbung Barat?"
    out = index.with_articles(hits[:1], analyse(question), index.rewrite(question))
    assert any("Lumbung Barat adalah" in h.text for h in out[1:])
    assert len(read) == 1 and "Lumbung Barat adalah" in read[0]
    # While an upgrade rewrites the stored terms, they cannot be trusted: all are read.
    read.clear()
    monkeypatch.setattr(index, "_terms_current", False)
    again = index.with_articles(hits[:1], analyse(question), index.rewrite(question))
    assert [h.chunk_id for h in again] == [h.chunk_id for h in out]
    assert len(read) == len(words)


def test_a_meaning_question_of_many_synonyms_is_still_read(
    index: KnowledgeIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Trainers' groups may hold 20 expressions each: a question naming a few such concepts
    # asks well over a thousand terms. One LIKE a term, joined by OR, made a statement
    # SQLite refuses ("Expression tree is too large (maximum depth 1000)"): the question
    # failed with an unexpected error.
    monkeypatch.setattr(index, "lexicon", LexiconSource(tmp_path / "synonyms.txt"))
    letters = "bcdfghjklmnprstv"

    def word(*digits: int) -> str:
        return "".join(letters[d % 16] + "a" for d in digits)

    named = []
    for g in range(8):
        group = [" ".join(word(g, e, w, 3) for w in range(8)) for e in range(19)]
        group.append(f"{word(g, 9, 9, 1)} {word(g, 9, 9, 2)}")
        index.lexicon.add_group(group)
        named.append(group[-1])
    defined = named[3]
    text = (
        "Perda 7/2020 > Pasal 1\nDalam Peraturan Daerah ini yang dimaksud dengan: "
        f"1. {defined.title()} adalah sarana nomor satu. 2. Kanal Utama adalah sarana lain."
    )
    index.replace_document(
        DocumentInput("perda-7-2020", "Perda 7/2020", doc_type="regulation", language="id"),
        [ChunkInput(text=text, section="Pasal 1", page=1, position=0)],
    )
    question = "Apa yang dimaksud dengan " + " dan ".join(named) + "?"
    assert len(question) <= 500
    query = index.rewrite(question)
    assert len({t for _, alts in query.concept_pairs for a in alts for t in a}) > 1000
    hits = [h for h in index.search("Kanal Utama sarana", k=10)]
    out = index.with_articles(hits[:1], analyse(question), query)
    assert any(f"{defined.title()} adalah" in h.text for h in out)
