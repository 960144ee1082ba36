"""Questions however typed: informal words, typos, compounds and synonyms."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from knowledge_base.errors import InvalidSynonyms
from knowledge_base.keyword import TextNormalizer
from knowledge_base.lexicon import LexiconSource, load_informal, parse_synonyms
from knowledge_base.query import EXPANSION_WEIGHT, Query, QueryRewriter

VOCABULARY = {
    "batas": 5, "waktu": 30, "atas": 20, "periksa": 10, "lapor": 40, "erk": 8, "rk": 8,
    "kerja": 50, "sama": 50, "daerah": 60, "tpp": 5, "tambah": 9, "hasil": 9, "pegawai": 20,
    "verifikasi": 4, "berkas": 6, "lama": 7, "adu": 3,
}  # fmt: skip


@pytest.fixture(scope="module")
def normalizer() -> TextNormalizer:
    return TextNormalizer()


@pytest.fixture(scope="module")
def source() -> LexiconSource:
    return LexiconSource()


def rewrite(
    normalizer: TextNormalizer,
    source: LexiconSource,
    question: str,
    vocabulary: Mapping[str, int] = VOCABULARY,
) -> Query:
    """``question`` rewritten over an index whose terms and their counts are ``vocabulary``."""
    return QueryRewriter(normalizer).rewrite(
        question,
        source.current(),
        known=lambda t: vocabulary.get(t, 0) > 0,
        candidates=lambda first: sorted(t for t in vocabulary if t.startswith(first)),
        frequency=lambda t: vocabulary.get(t, 0),
    )


def test_typos_are_corrected_against_the_index_vocabulary(
    normalizer: TextNormalizer, source: LexiconSource
) -> None:
    query = rewrite(normalizer, source, "batas wktu atasn memeriksa laporan e-RK?")
    assert {"batas", "waktu", "atas", "periksa", "lapor", "erk"} <= set(query.terms)
    assert ("atasn", "atas") in query.corrections
    assert "atasn" not in query.text


def test_the_embedding_model_reads_typos_as_typed_and_informal_words_formal(
    normalizer: TextNormalizer, source: LexiconSource
) -> None:
    # The correction is the closest term of the index, which for a name the index does not
    # hold is another word: the keyword side searches it, the embedding model reads the name.
    query = rewrite(normalizer, source, "brp lama verifkasi berkas?")
    assert query.corrections == (("verifkasi", "verifikasi"),)
    assert query.text == "berapa lama verifikasi berkas?"
    assert query.embedding_text == "berapa lama verifkasi berkas?"
    assert Query("q", "q", ("q",)).embedding_text == "q"  # built by hand: its text


def test_a_word_cut_short_reads_as_the_word_it_begins(
    normalizer: TextNormalizer, source: LexiconSource
) -> None:
    # "masy." abbreviates "masyarakat"; one edit away lies "mas", which a typo correction
    # alone would choose. A near spelling commoner than the cut word's completion still wins.
    vocabulary = {"masyarakat": 40, "mas": 2, "bentuk": 9, "pembangunan": 12, "pemb": 0}
    vocabulary |= {"partisipasi": 5, "pembagian": 1, "surat": 30, "surabaya": 3}

    def rewritten(question: str) -> Query:
        return rewrite(normalizer, source, question, vocabulary)

    assert rewritten("bentuk partisipasi masy").corrections == (("masy", "masyarakat"),)
    assert rewritten("rencana pemb daerah").corrections == (("pemb", "pembangunan"),)
    # "sura" is one edit from "surat" (30 passages), commoner than "surabaya" (3): a typo.
    assert rewritten("sura edaran").corrections == (("sura", "surat"),)


def test_a_term_whose_passages_were_removed_is_no_correction(
    normalizer: TextNormalizer, source: LexiconSource
) -> None:
    # An index keeps a removed passage's terms in its buckets until a rebuild, at frequency 0:
    # a cut word is not completed to one, nor a typo corrected to one (it says nothing now).
    vocabulary = {"masyarakat": 0, "mas": 0, "bentuk": 9, "partisipasi": 5, "masjid": 3}
    query = rewrite(normalizer, source, "bentuk partisipasi masy", vocabulary)
    assert not query.corrections
    vocabulary["masyarakat"] = 4
    query = rewrite(normalizer, source, "bentuk partisipasi masy", vocabulary)
    assert query.corrections == (("masy", "masyarakat"),)


def test_a_cut_word_is_completed_from_a_large_vocabulary(
    normalizer: TextNormalizer, source: LexiconSource
) -> None:
    # 200,000 terms, thousands of them beginning with "p": the completion is the commonest
    # term the cut word begins, wherever it stands in the (sorted) bucket.
    vocabulary = {f"p{n:06d}x": 1 for n in range(200_000)}
    vocabulary |= {"pemba": 2, "pembangunan": 12, "pembagian": 3, "pembz": 1, "rencana": 4}
    vocabulary |= {"daerah": 8, "pemberantasan": 12, "pemc": 0}
    query = rewrite(normalizer, source, "rencana pemb daerah", vocabulary)
    assert query.corrections == (("pemb", "pembangunan"),)  # of equals, the first in order


def test_real_words_are_not_corrected(normalizer: TextNormalizer, source: LexiconSource) -> None:
    # "panas" is Indonesian (Sastrawi's dictionary) even though the index never uses it.
    query = rewrite(normalizer, source, "kenapa daerah panas")
    assert "panas" in query.terms and not query.corrections


def test_informal_words_read_as_formal(normalizer: TextNormalizer, source: LexiconSource) -> None:
    query = rewrite(normalizer, source, "brp lama verifikasi berkas gak?")
    assert query.text.startswith("berapa lama")
    assert "tidak" in query.terms  # "gak" is a negation, kept as one


def test_compounds_split_and_hyphens_joined(
    normalizer: TextNormalizer, source: LexiconSource
) -> None:
    query = rewrite(normalizer, source, "kerjasama daerah")
    assert query.terms[:3] == ("kerja", "sama", "daerah")
    assert normalizer.terms("eRK") == ["erk"] and "erk" in normalizer.terms("e-RK")
    assert normalizer.terms("bentuk2 partisipasi") == normalizer.terms("bentuk partisipasi")


def test_domain_words_are_not_stop_words(normalizer: TextNormalizer) -> None:
    assert normalizer.terms("kerja sama daerah") == ["kerja", "sama", "daerah"]
    assert "sama" in normalizer.terms("Kesepakatan Bersama")


def test_synonyms_expand_the_search_and_cover_the_concept(
    normalizer: TextNormalizer, source: LexiconSource
) -> None:
    query = rewrite(normalizer, source, "kapan TPP dibayar")
    assert query.weights["tpp"] == 1.0
    assert query.weights["tambah"] == EXPANSION_WEIGHT  # tambahan penghasilan pegawai
    concept = next(c for c in query.concepts if c.terms == ("tpp",))
    assert ("tambah", "hasil", "pegawai") in concept.alternatives


def test_trainers_synonyms_apply_without_a_restart(
    tmp_path: Path, normalizer: TextNormalizer
) -> None:
    source = LexiconSource(tmp_path / "synonyms.txt", informal=False)
    before = rewrite(normalizer, source, "berkas SIUP")
    assert all(len(c.alternatives) == 1 for c in before.concepts if c.terms == ("siup",))
    source.add_group(["SIUP", "surat izin usaha perdagangan"])
    after = rewrite(normalizer, source, "berkas SIUP")
    concept = next(c for c in after.concepts if c.terms == ("siup",))
    assert ("surat", "izin", "usaha", "dagang") in concept.alternatives
    assert source.user_groups() == [("SIUP", "surat izin usaha perdagangan")]
    with pytest.raises(InvalidSynonyms):
        source.add_group(["hanya satu"])


def test_synonym_file_format() -> None:
    groups = parse_synonyms("# komentar\nTPP | tunjangan kinerja  # catatan\n\nsendiri\n")
    assert groups == [("TPP", "tunjangan kinerja")]


def rewrite_with(normalizer: TextNormalizer, question: str, vocabulary: dict[str, int]) -> Query:
    return QueryRewriter(normalizer).rewrite(
        question,
        LexiconSource().current(),
        known=lambda t: vocabulary.get(t, 0) > 0,
        candidates=lambda first: sorted(t for t in vocabulary if t.startswith(first)),
        frequency=lambda t: vocabulary.get(t, 0),
    )


def test_indocollex_transformations_complete_its_dictionary(normalizer: TextNormalizer) -> None:
    informal = load_informal()
    assert informal["kalo"] == "kalau"  # only in the annotated transformations
    assert informal["klo"] == "kalau"  # klo -> kalo -> kalau
    query = rewrite_with(normalizer, "kalo bupati menolak", {"bupati": 3, "tolak": 2})
    assert query.text.startswith("kalau bupati") and "kalo" not in query.terms


def test_an_informal_spelling_a_passage_or_two_use_is_still_informal(
    normalizer: TextNormalizer,
) -> None:
    # An OCR'd passage holds "tgl" once; "tanggal" stands in dozens.
    vocabulary = {"tgl": 1, "tanggal": 36, "tetap": 20, "yg": 2}
    query = rewrite_with(normalizer, "ditetapkan tgl brp yg baru", vocabulary)
    assert "tanggal" in query.terms and "tgl" not in query.terms
    assert "yg" not in query.terms  # "yang": a stop word
    # Used about as often as its formal spelling: the documents' own word, kept.
    query = rewrite_with(normalizer, "ditetapkan tgl brp", {"tgl": 30, "tanggal": 36})
    assert "tgl" in query.terms
    # "ya" is a stop word; IndoCollex's "iya" would turn it into a term.
    assert "iya" not in rewrite_with(normalizer, "kapan ya", {"kapan": 1}).terms


def test_chat_affixes_read_as_formal_verbs(normalizer: TextNormalizer) -> None:
    vocabulary = {"tetap": 20, "tunjuk": 5, "admin": 3}
    query = rewrite_with(normalizer, "SKP ditetapin bulan apa? admin yg nunjuk siapa", vocabulary)
    assert "ditetapkan" in query.text and "menunjuk" in query.text
    assert "tetap" in query.terms
    # Nothing the index knows behind it: left as typed.
    assert "ngopiin" in rewrite_with(normalizer, "ngopiin dokumen", {"dokumen": 3}).text


def test_chat_particles_are_not_searched(normalizer: TextNormalizer) -> None:
    query = rewrite_with(normalizer, "opensid itu aplikasi apa sih? apa aja", {"opensid": 2})
    assert "sih" not in query.terms and "aja" not in query.terms
    assert "opensid" in query.terms


def test_abbreviations_and_acronyms_are_not_typos(normalizer: TextNormalizer) -> None:
    vocabulary = {"perda": 30, "sakit": 10, "data": 5, "partisipasi": 6}
    # "pemda" is one edit from "perda", but it is an expression of the synonym groups.
    query = rewrite_with(normalizer, "partisipasi di UU pemda", vocabulary)
    assert "perda" not in query.terms and "pemda" in query.terms
    # "SAKIP" typed in capitals is an acronym, not "sakit" mistyped.
    query = rewrite_with(normalizer, "data SAKIP", vocabulary)
    assert "sakip" in query.terms and not query.corrections
    # Typed in lower case, or in a question all in capitals, it is corrected as before.
    assert rewrite_with(normalizer, "data sakip", vocabulary).corrections == (("sakip", "sakit"),)
    assert rewrite_with(normalizer, "DATA SAKIP", vocabulary).corrections


class _CountingIndex:
    """A keyword index in a database, as the rewrite sees it: a term not fetched yet costs a
    round trip; ``prefetch`` fetches many in one."""

    def __init__(self, vocabulary: dict[str, int]) -> None:
        self.vocabulary = vocabulary
        self.fetched: set[str] = set()
        self.round_trips = 0

    def prefetch(self, terms: Iterable[str]) -> None:
        new = set(terms) - self.fetched
        if new:
            self.round_trips += 1
            self.fetched |= new

    def df(self, term: str) -> int:
        self.prefetch([term])
        return self.vocabulary.get(term, 0)


def test_a_run_together_word_is_split_in_a_bounded_number_of_round_trips(
    normalizer: TextNormalizer,
) -> None:
    vocabulary = dict.fromkeys(normalizer.terms("kerja sama daerah tanda tangan"), 3)

    def rewrite_counting(question: str) -> tuple[Query, int]:
        index = _CountingIndex(vocabulary)
        query = QueryRewriter(normalizer).rewrite(
            question,
            LexiconSource(informal=False).current(),
            known=lambda t: index.df(t) > 0,
            candidates=lambda first: sorted(t for t in vocabulary if t.startswith(first)),
            frequency=index.df,
            prefetch=index.prefetch,
        )
        return query, index.round_trips

    query, trips = rewrite_counting("tandatangan daerah")
    assert query.terms[:3] == ("tanda", "tangan", "daerah")
    assert trips <= 4  # the question's terms, then each unknown one's cuts at once
    # A 500-letter word is no two words run together: a few lookups, not one per cut.
    _, trips = rewrite_counting("a" * 250 + "b" * 250)
    assert trips <= 3
