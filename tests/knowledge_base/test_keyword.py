"""BM25 with Indonesian normalisation, updated incrementally."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge_base.keyword import TERMS_REMEMBERED_CHARS, KeywordIndex, TextNormalizer, top_k

_shared_normalizer = TextNormalizer()


@pytest.fixture(scope="module")
def normalizer() -> TextNormalizer:
    return TextNormalizer()


def test_terms_are_stemmed_without_function_words(normalizer: TextNormalizer) -> None:
    terms = normalizer.terms("Bagaimana cara mengajukan permohonan izin di aplikasi Gampil?")
    assert "aju" in terms and "mohon" in terms and "izin" in terms and "gampil" in terms
    assert "bagaimana" not in terms and "di" not in terms


def test_negation_is_kept_and_reduplication_folded(normalizer: TextNormalizer) -> None:
    assert "tidak" in normalizer.terms("dokumen yang tidak lengkap")
    assert normalizer.terms("kota-kota") == ["kota"]


def test_accents_are_folded_and_foreign_letters_kept_whole(normalizer: TextNormalizer) -> None:
    assert normalizer.terms("Pokémon dan kota München") == ["pokemon", "kota", "munchen"]
    assert normalizer.terms("Władysław Jagiełło") == ["władysław", "jagiełło"]
    assert normalizer.terms("Straße 東京") == ["straße", "東京"]
    assert normalizer.terms("pokemon") == normalizer.terms("POKÉMON")


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_terms_survive_the_stored_form(text: str) -> None:
    # Chunk rows keep terms space-joined; a term holding a space would split on restore.
    terms = _shared_normalizer.terms(text)
    assert " ".join(terms).split() == terms
    assert all(t and not any(c.isspace() for c in t) for t in terms)


def test_stems_are_cached(normalizer: TextNormalizer) -> None:
    normalizer.terms("pengajuan")
    assert normalizer._cache["pengajuan"] == "aju"


_UNREMEMBERING = TextNormalizer(remembered=0)


def test_a_text_too_long_to_keep_is_read_but_not_kept() -> None:
    normalizer = TextNormalizer(remembered=4)
    long_text = "Pengajuan izin usaha " * (TERMS_REMEMBERED_CHARS // 10)
    assert len(long_text) > TERMS_REMEMBERED_CHARS
    assert normalizer.terms(long_text)[:3] == ["aju", "izin", "usaha"]
    normalizer.terms("Masuk ke Gampil")
    assert list(normalizer._terms) == ["Masuk ke Gampil"]


@given(
    st.lists(
        st.sampled_from(["Masuk ke Gampil", "kota-kota", "T.P.P.", "pokémon", ""])
        | st.text(max_size=40),
        max_size=8,
    )
)
@settings(max_examples=200, deadline=None)
def test_remembered_terms_are_the_terms_computed_again(texts: list[str]) -> None:
    # A text read again (as an answer reads its passages' several times) gets the terms a
    # normaliser that keeps none computes.
    remembering = TextNormalizer(remembered=3)
    for text in texts + texts[::-1]:
        assert remembering.terms(text) == _UNREMEMBERING.terms(text)


def test_a_texts_terms_are_computed_once_and_each_call_gets_its_own_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    normalizer = TextNormalizer(remembered=2)
    read: list[str] = []
    real = normalizer.words

    def counting(text: str) -> list[str]:
        read.append(text)
        return real(text)

    monkeypatch.setattr(normalizer, "words", counting)
    first = normalizer.terms("Pengajuan izin usaha")
    first.append("changed")  # a caller's own list
    assert normalizer.terms("Pengajuan izin usaha") == ["aju", "izin", "usaha"]
    assert read == ["Pengajuan izin usaha"]
    # The two texts read last are kept: a third pushes out the one read longest ago.
    normalizer.terms("Masuk ke Gampil")
    normalizer.terms("Pengajuan izin usaha")
    normalizer.terms("kata sandi")
    assert read == ["Pengajuan izin usaha", "Masuk ke Gampil", "kata sandi"]
    normalizer.terms("Masuk ke Gampil")
    assert read[-1] == "Masuk ke Gampil" and len(read) == 4


def _index(docs: dict[str, str], normalizer: TextNormalizer) -> KeywordIndex:
    index = KeywordIndex()
    for cid, text in docs.items():
        index.add(cid, normalizer.terms(text))
    return index


DOCS = {
    "login": "Masuk ke aplikasi Gampil dengan NIK dan kata sandi.",
    "izin": "Pengajuan izin usaha dilakukan lewat menu perizinan di Gampil.",
    "erk": "Target kinerja tahunan diisi di e-RK oleh kepala dinas.",
}


def test_bm25_ranks_the_matching_passage_first(normalizer: TextNormalizer) -> None:
    index = _index(DOCS, normalizer)
    hits = index.search(normalizer.terms("mengajukan izin usaha"), 3)
    assert hits[0].chunk_id == "izin"
    assert all(h.score > 0 for h in hits)


def test_typo_candidates_are_sorted_and_a_removed_passages_terms_count_zero() -> None:
    # The rewriter bisects the bucket for the terms a cut word begins, and refuses a term of
    # frequency 0 (one whose passages were removed stays in the bucket until a rebuild).
    index = KeywordIndex()
    index.add("a", ["pembangunan", "pajak", "pemda"])
    index.add("b", ["peta", "masyarakat", "paket"])
    assert index.terms_like("p") == ["pajak", "paket", "pembangunan", "pemda", "peta"]
    assert index.remove("b")
    assert "peta" in index.terms_like("p") and index.df("peta") == 0
    index.add("c", ["anggaran", "pagu"])
    assert index.terms_like("p") == ["pagu", "pajak", "paket", "pembangunan", "pemda", "peta"]


def test_removed_chunks_never_answer(normalizer: TextNormalizer) -> None:
    index = _index(DOCS, normalizer)
    assert index.remove("izin")
    assert not index.remove("izin")
    hits = index.search(normalizer.terms("izin usaha"), 3)
    assert "izin" not in [h.chunk_id for h in hits]
    assert len(index) == 2


def test_incremental_updates_score_like_a_fresh_build() -> None:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(60)]
    docs = {f"c{i}": [rng.choice(vocab) for _ in range(rng.randint(3, 30))] for i in range(200)}
    live = KeywordIndex()
    for cid, terms in docs.items():
        live.add(cid, terms)
    for i in range(0, 200, 3):  # remove a third, re-add some with new text
        live.remove(f"c{i}")
    for i in range(0, 60, 6):
        docs[f"c{i}"] = [rng.choice(vocab) for _ in range(10)]
        live.add(f"c{i}", docs[f"c{i}"])
    fresh = KeywordIndex()
    for cid, terms in docs.items():
        if cid in live:
            fresh.add(cid, terms)
    query = ["w1", "w2", "w3", "w40"]
    got = {h.chunk_id: h.score for h in live.search(query, 500)}
    want = {h.chunk_id: h.score for h in fresh.search(query, 500)}
    assert got.keys() == want.keys()
    for cid, score in want.items():
        assert got[cid] == pytest.approx(score, rel=1e-5)


def test_allowed_mask_filters_results(normalizer: TextNormalizer) -> None:
    index = _index(DOCS, normalizer)
    mask = np.zeros(index.capacity, dtype=bool)
    slot = index.slot("login")
    assert slot is not None
    mask[slot] = True
    hits = index.search(normalizer.terms("Gampil izin"), 3, allowed=mask)
    assert [h.chunk_id for h in hits] == ["login"]


def test_coverage_weighs_missing_rare_terms(normalizer: TextNormalizer) -> None:
    index = _index(DOCS, normalizer)
    full = index.coverage(normalizer.terms("izin usaha"), "izin")
    partial = index.coverage(normalizer.terms("izin usaha tambang"), "izin")
    assert full == pytest.approx(1.0)
    assert 0.0 < partial < 1.0
    assert index.coverage(normalizer.terms("izin"), "unknown") == 0.0


def test_top_k_skips_zero_scores() -> None:
    assert top_k(np.array([0.0, 2.0, 0.5, 0.0]), 3) == [1, 2]
    assert top_k(np.array([]), 3) == []
