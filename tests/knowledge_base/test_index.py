"""The knowledge index: diff writes, atomic replacement, removal, filters, model guard."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from core.clock import FixedClock
from core.db import make_session_factory
from knowledge_base.embeddings import FakeEmbeddings
from knowledge_base.errors import InvalidDocument, ModelMismatch
from knowledge_base.index import TERMS_META, KnowledgeIndex, chunk_ids
from knowledge_base.keyword import TERMS_VERSION
from knowledge_base.models import KbChunk, KbIndexMeta, KbQuestion
from knowledge_base.schemas import ChunkInput, DocumentInput, IndexCheck, SearchFilters
from tests.knowledge_base.conftest import make_index

GAMPIL = DocumentInput(
    "panduan-gampil", "Panduan Gampil", app="Gampil", doc_type="manual", language="id"
)
ERK = DocumentInput("erk-guide", "e-RK guide", app="e-RK", doc_type="manual", language="en")
SOP = DocumentInput("sop-erk", "SOP e-RK", app="e-RK", doc_type="sop", language="id")


def chunks(*texts: str) -> list[ChunkInput]:
    return [
        ChunkInput(text=t, section=f"Bagian {i + 1}", page=i + 1, position=i)
        for i, t in enumerate(texts)
    ]


GAMPIL_V1 = chunks(
    "Panduan Gampil > Masuk\nBuka aplikasi Gampil lalu masukkan NIK dan kata sandi.",
    "Panduan Gampil > Izin\nPengajuan izin usaha dilakukan melalui menu Perizinan.",
    "Panduan Gampil > Verifikasi\nPetugas memverifikasi berkas dalam tiga hari kerja.",
)


class FailingEmbeddings(FakeEmbeddings):
    """Dies on the n-th batch, like a model running out of memory mid-ingest."""

    def __init__(self, fail_on_batch: int) -> None:
        super().__init__()
        self.fail_on_batch = fail_on_batch

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if len(self.calls) + 1 >= self.fail_on_batch:
            raise RuntimeError("model crashed")
        return super().embed_documents(texts)


def test_new_document_is_searchable(index: KnowledgeIndex) -> None:
    assert index.replace_document(GAMPIL, GAMPIL_V1) == 3
    hits = index.search("bagaimana mengajukan izin usaha?", k=3)
    assert hits[0].doc_id == "panduan-gampil"
    assert "Perizinan" in hits[0].text
    assert hits[0].section == "Bagian 2" and hits[0].page == 2
    assert hits[0].app == "Gampil"
    info = index.document("panduan-gampil")
    assert info is not None and info.chunk_count == 3 and info.title == "Panduan Gampil"


def test_unchanged_chunks_are_not_embedded_again(
    index: KnowledgeIndex, embeddings: FakeEmbeddings
) -> None:
    index.replace_document(GAMPIL, GAMPIL_V1)
    assert index.replace_document(GAMPIL, GAMPIL_V1) == 0
    v2 = [
        *GAMPIL_V1[:2],
        ChunkInput(
            "Panduan Gampil > Verifikasi\nVerifikasi selesai dalam lima hari kerja.",
            "Bagian 3",
            3,
            2,
        ),
    ]
    before = sum(embeddings.calls)
    assert index.replace_document(GAMPIL, v2) == 1
    assert sum(embeddings.calls) - before == 2  # the changed chunk and its one sentence


def test_a_new_version_leaves_no_stale_chunks(index: KnowledgeIndex) -> None:
    index.replace_document(GAMPIL, GAMPIL_V1)
    index.replace_document(GAMPIL, chunks("Panduan Gampil > Baru\nMenu baru: Pengaduan warga."))
    texts = [h.text for h in index.search("tiga hari kerja verifikasi berkas", k=10)]
    assert not any("tiga hari" in t for t in texts)
    assert index.store.count() == 1
    assert index.document("panduan-gampil").chunk_count == 1  # type: ignore[union-attr]


def test_failed_new_version_keeps_the_old_one_answering(
    engine: Engine, tmp_path: Path, clock: FixedClock
) -> None:
    emb = FailingEmbeddings(fail_on_batch=10_000)
    index = make_index(engine, tmp_path / "chroma", embeddings=emb, clock=clock)
    index.batch_size = 1
    index.replace_document(GAMPIL, GAMPIL_V1[:1])
    emb.fail_on_batch = len(emb.calls) + 2  # the new version's second chunk
    with pytest.raises(RuntimeError):
        index.replace_document(GAMPIL, chunks("Teks baru satu.", "Teks baru dua.", "Tiga."))
    hits = index.search("NIK kata sandi", k=5)
    assert [h.text for h in hits] == [GAMPIL_V1[0].text]
    assert index.document("panduan-gampil").chunk_count == 1  # type: ignore[union-attr]
    index.close()


def test_remove_document_removes_every_trace(index: KnowledgeIndex) -> None:
    index.replace_document(GAMPIL, GAMPIL_V1)
    index.replace_document(ERK, chunks("e-RK guide > Targets\nSet yearly targets in e-RK."))
    assert index.remove_document("panduan-gampil")
    assert not index.remove_document("panduan-gampil")
    assert index.document("panduan-gampil") is None
    assert all(h.doc_id == "erk-guide" for h in index.search("izin usaha Gampil", k=10))
    assert index.store.count() == 1
    assert [d.doc_id for d in index.list_documents()] == ["erk-guide"]


def test_a_removed_documents_words_are_no_reading_of_a_cut_word(index: KnowledgeIndex) -> None:
    # "masy" reads as "masyarakat" while a passage says it; once its document is removed the
    # term stays in the typo candidates (until a rebuild) but no longer reads as meant.
    index.replace_document(
        GAMPIL, chunks("Panduan Gampil > Aduan\nAduan masyarakat dijawab petugas.")
    )
    index.replace_document(ERK, chunks("e-RK guide > Targets\nSet yearly targets in e-RK."))
    assert index.rewrite("aduan masy").corrections == (("masy", "masyarakat"),)
    assert index.remove_document("panduan-gampil")
    assert not index.rewrite("aduan masy").corrections


def test_filters_apply_to_both_searches(index: KnowledgeIndex) -> None:
    index.replace_document(GAMPIL, GAMPIL_V1)
    index.replace_document(ERK, chunks("e-RK guide > Targets\nYearly targets in e-RK."))
    index.replace_document(SOP, chunks("SOP e-RK > Target\nTarget kinerja diisi kepala dinas."))
    for mode in ("hybrid", "dense", "keyword"):
        hits = index.search("target kinerja", k=10, filters=SearchFilters(app="e-rk"), mode=mode)
        assert hits and {h.app for h in hits} == {"e-RK"}, mode
        hits = index.search(
            "target", k=10, filters=SearchFilters(app="e-RK", language="en"), mode=mode
        )
        assert {h.doc_id for h in hits} <= {"erk-guide"}, mode
        assert not index.search("izin", k=5, filters=SearchFilters(doc_type="faq"), mode=mode)


def test_another_process_sees_writes_without_rebuild(
    index: KnowledgeIndex, engine: Engine, tmp_path: Path
) -> None:
    index.replace_document(GAMPIL, GAMPIL_V1)
    reader = make_index(engine, tmp_path / "chroma")
    assert reader.search("izin usaha", k=1)[0].doc_id == "panduan-gampil"
    index.replace_document(ERK, chunks("e-RK guide > Targets\nYearly performance targets."))
    assert reader.search("yearly performance targets", k=1)[0].doc_id == "erk-guide"
    index.remove_document("erk-guide")
    assert all(h.doc_id != "erk-guide" for h in reader.search("yearly targets", k=5))
    reader.close()


FOREIGN = DocumentInput("sejarah", "Sejarah", language="id")
FOREIGN_TEXT = chunks("Sejarah > Polandia\nWładysław I diberi gelar adipati di kota München.")


def test_accented_words_match_in_a_restarted_process(
    index: KnowledgeIndex, engine: Engine, tmp_path: Path
) -> None:
    index.replace_document(FOREIGN, FOREIGN_TEXT)
    restarted = make_index(engine, tmp_path / "chroma")  # terms come from the rows
    for question in ("Władysław?", "munchen", "MÜNCHEN"):
        hits = restarted.search(question, k=1, mode="keyword")
        assert hits and hits[0].doc_id == "sejarah", question
    restarted.close()


def test_terms_of_an_older_normalisation_are_re_derived(
    index: KnowledgeIndex, engine: Engine, tmp_path: Path, clock: FixedClock
) -> None:
    index.replace_document(FOREIGN, FOREIGN_TEXT)
    index.replace_document(GAMPIL, GAMPIL_V1)
    sf = make_session_factory(engine)
    with sf.begin() as s:  # rows as an older normalisation wrote them...
        s.execute(update(KbChunk).values(terms="usang"))
        index.keywords.rebuild(s)  # ...with statistics that describe them (PostgreSQL)
        s.add(
            KbQuestion(
                asked_at=clock.now(),
                question="Kapan Władysław ke München?",
                normalized="kapan m nchen w adys aw",
                language="id",
                found=False,
                answer="",
            )
        )
    stale = make_index(engine, tmp_path / "chroma")  # ...loaded by a running process
    assert len(stale.search("usang", k=5, mode="keyword")) == 4
    with sf.begin() as s:
        s.get(KbIndexMeta, TERMS_META).value = "1"

    upgraded = make_index(engine, tmp_path / "chroma")
    assert upgraded.search("munchen", k=1, mode="keyword")[0].doc_id == "sejarah"
    assert upgraded.search("izin usaha", k=1, mode="keyword")[0].doc_id == "panduan-gampil"
    assert not upgraded.search("usang", k=5, mode="keyword")
    with sf() as s:
        assert s.get(KbIndexMeta, TERMS_META).value == TERMS_VERSION
        stored = s.scalars(select(KbChunk.terms)).all()
        assert s.scalars(select(KbQuestion.normalized)).all() == ["munchen władysław"]
    assert all("usang" not in t for t in stored)
    # The process holding the old terms follows the change on its next search.
    assert stale.search("munchen", k=1, mode="keyword")[0].doc_id == "sejarah"
    assert not stale.search("usang", k=5, mode="keyword")
    stale.close()
    upgraded.close()


def test_progress_reports_embedding_work(index: KnowledgeIndex) -> None:
    seen: list[tuple[int, int]] = []
    index.batch_size = 2
    index.replace_document(GAMPIL, GAMPIL_V1, progress=lambda d, t: seen.append((d, t)))
    # Three chunks, then their three sentences.
    assert seen == [(0, 6), (2, 6), (3, 6), (5, 6), (6, 6)]


def test_invalid_documents_are_refused(index: KnowledgeIndex) -> None:
    with pytest.raises(InvalidDocument):
        index.replace_document(GAMPIL, [])
    with pytest.raises(InvalidDocument):
        index.replace_document(DocumentInput(" ", "x"), GAMPIL_V1)
    assert index.list_documents() == []


def test_the_index_refuses_a_second_model(
    index: KnowledgeIndex, engine: Engine, tmp_path: Path
) -> None:
    index.replace_document(GAMPIL, GAMPIL_V1)
    other = make_index(engine, tmp_path / "chroma", embeddings=FakeEmbeddings(name="b"))
    with pytest.raises(ModelMismatch) as err:
        other.search("izin")
    assert err.value.params["index_model"] == "fake:fake:64"
    with pytest.raises(ModelMismatch):
        other.replace_document(ERK, chunks("Targets."))
    other.close()


def test_an_emptied_index_may_switch_models(
    index: KnowledgeIndex, engine: Engine, tmp_path: Path
) -> None:
    index.replace_document(GAMPIL, GAMPIL_V1)
    index.remove_document("panduan-gampil")
    index.close()
    other = make_index(engine, tmp_path / "chroma", embeddings=FakeEmbeddings(dim=32, name="b"))
    other.replace_document(ERK, chunks("e-RK guide > Targets\nYearly targets."))
    assert other.recorded_model() == "fake:b:32"
    assert other.search("yearly targets", k=1)[0].doc_id == "erk-guide"
    other.close()


def test_chunk_ids_are_content_addresses() -> None:
    a = chunk_ids("doc", ["x", "y", "x"])
    assert len(set(a)) == 3
    assert chunk_ids("doc", ["y"])[0] == a[1]
    assert chunk_ids("other", ["x"])[0] != a[0]


def test_confidence_on_unrelated_questions(index: KnowledgeIndex) -> None:
    index.replace_document(GAMPIL, GAMPIL_V1)
    assert index.retrieve("izin usaha Gampil", k=3).confident
    assert not index.retrieve("jadwal kereta api Jakarta Surabaya", k=3).confident
    assert index.retrieve("   ", k=3).hits == ()


def test_check_finds_and_repairs_passages_without_vectors_and_orphans(
    index: KnowledgeIndex, embeddings: FakeEmbeddings
) -> None:
    index.replace_document(GAMPIL, GAMPIL_V1)
    index.replace_document(ERK, chunks("e-RK guide > Targets\nYearly targets in e-RK."))
    assert index.check() == IndexCheck(chunks=4, vectors=4, missing=0, orphans=0)
    # As after restoring a Chroma folder older than the database: one vector lost, one extra.
    lost = chunk_ids("panduan-gampil", [c.text for c in GAMPIL_V1])[1]
    index.store.delete([lost])
    index.store.upsert(["stale-vector"], [embeddings.embed_query("x")], ["gone-doc"])
    found = index.check()
    assert (found.missing, found.orphans, found.consistent) == (1, 1, False)
    assert all(h.chunk_id != lost for h in index.search("izin usaha", k=5, mode="dense"))
    fixed = index.check(repair=True)
    assert fixed.repaired and fixed.consistent
    assert index.check() == IndexCheck(chunks=4, vectors=4, missing=0, orphans=0)
    assert lost in {h.chunk_id for h in index.search("izin usaha Perizinan", k=5, mode="dense")}


def test_reindexing_the_same_text_rewrites_its_anchors(index: KnowledgeIndex) -> None:
    from knowledge_base.schemas import ChunkInput, DocumentInput

    doc = DocumentInput("pp", "PP 28/2018")
    text = "PP 28/2018 > Pasal 2\n\n(1) Daerah diwakili gubernur.\n\n(2) Gubernur memberi kuasa."
    index.replace_document(doc, [ChunkInput(text, "Pasal 2", 3, 0)])  # indexed before anchors
    assert index.search("gubernur memberi kuasa", k=1)[0].anchors == ()
    anchors = ((22, 3, "Pasal 2 ayat (1)"), (53, 4, "Pasal 2 ayat (2)"))
    embedded = index.replace_document(doc, [ChunkInput(text, "Pasal 2", 3, 0, anchors)])
    assert embedded == 0  # same text: not embedded again
    assert index.search("gubernur memberi kuasa", k=1)[0].anchors == anchors


def test_a_passage_only_the_keyword_search_found_carries_its_cosine(
    index: KnowledgeIndex, embeddings: FakeEmbeddings
) -> None:
    import dataclasses

    import numpy as np

    texts = [f"Panduan > Izin {i}\nIzin usaha izin usaha izin usaha nomor {i}." for i in range(6)]
    texts.append("Panduan > Lain\nZebrakuda dipelihara di kebun binatang kota bersama rusa.")
    index.replace_document(GAMPIL, chunks(*texts))
    # Three dense candidates, all "izin usaha" passages: the last comes from the keywords.
    index.fusion = dataclasses.replace(index.fusion, candidates=3)
    question = "izin usaha zebrakuda"
    result = index.retrieve(question, k=3)
    assert any("Zebrakuda" in h.text for h in result.hits)  # found by its rare word only
    query = np.asarray(embeddings.embed_query(index.rewrite(question).embedding_text))
    for hit in result.hits:
        stored = np.asarray(index.store.vectors([hit.chunk_id])[hit.chunk_id])
        expected = float(stored @ query / np.linalg.norm(stored) / np.linalg.norm(query))
        assert hit.dense_score == pytest.approx(expected, abs=1e-5)


def test_two_versions_written_at_once_leave_the_newest_with_its_vectors(
    index: KnowledgeIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upload while the same document is re-ingested: one write's clean-up of vectors its
    version does not use must not delete the vectors the other write is about to commit.

    The document's lock keeps two writes apart (``test_document_locks.py``); these two tests
    take it away, as a lock lost with its holder's connection mid-write would, to show the
    write itself still leaves every live chunk its vector."""
    monkeypatch.setattr(index, "_document_locks", _NoLocks())
    index.replace_document(GAMPIL, GAMPIL_V1)
    upsert = index.store.upsert
    v2 = chunks("Panduan Gampil > Baru\nMenu Pengaduan warga dibuka setiap hari kerja.")
    v3 = chunks("Panduan Gampil > Terbaru\nMenu Aspirasi menggantikan menu Pengaduan.")
    interleaved: list[bool] = []

    def upsert_then_the_other_write(*args: Any, **kwargs: Any) -> None:
        upsert(*args, **kwargs)
        if not interleaved:  # v3's vectors are stored, its chunks not yet committed
            interleaved.append(True)
            index.replace_document(GAMPIL, v2)  # the other write runs to its end meanwhile

    monkeypatch.setattr(index.store, "upsert", upsert_then_the_other_write)
    index.replace_document(GAMPIL, v3)
    assert interleaved
    check = index.check()
    assert (check.chunks, check.missing, check.orphans) == (1, 0, 0)
    assert "Aspirasi" in index.search("menu aspirasi", k=1)[0].text


def test_a_write_finished_meanwhile_keeps_its_vectors_from_the_earlier_writes_clean_up(
    index: KnowledgeIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other order: the later version is committed while the earlier write is between its
    commit and its clean-up; the clean-up leaves the committed version's vectors alone."""
    monkeypatch.setattr(index, "_document_locks", _NoLocks())
    index.replace_document(GAMPIL, GAMPIL_V1)
    ids_of_document = index.store.ids_of_document
    v2 = chunks("Panduan Gampil > Baru\nMenu Pengaduan warga dibuka setiap hari kerja.")
    v3 = chunks("Panduan Gampil > Terbaru\nMenu Aspirasi menggantikan menu Pengaduan.")
    interleaved: list[bool] = []

    def the_other_write_first(doc_id: str) -> list[str]:
        if not interleaved:
            interleaved.append(True)
            index.replace_document(GAMPIL, v3)
        return ids_of_document(doc_id)

    monkeypatch.setattr(index.store, "ids_of_document", the_other_write_first)
    index.replace_document(GAMPIL, v2)
    assert interleaved
    check = index.check()
    assert (check.chunks, check.missing) == (1, 0)
    assert "Aspirasi" in index.search("menu aspirasi", k=1)[0].text


def test_the_ranking_reads_the_stored_sentence_vectors(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import knowledge_base.index as index_module
    from knowledge_base.fusion import GENERIC_FUSION
    from knowledge_base.vectorstore import VectorStore, make_client

    emb = FakeEmbeddings()
    store = VectorStore(make_client(chroma_url=None, chroma_dir=tmp_path / "c"), "sentences", emb)
    config = replace(GENERIC_FUSION, sentence_weight=0.5, sentence_floor=0.0)
    idx = KnowledgeIndex(make_session_factory(engine), emb, store, fusion=config)
    seen: list[dict[str, float]] = []
    real = index_module.by_sentences

    def spy(fused: Any, best: Any, cfg: Any) -> Any:
        seen.append(dict(best))
        return real(fused, best, cfg)

    monkeypatch.setattr(index_module, "by_sentences", spy)
    try:
        idx.replace_document(GAMPIL, GAMPIL_V1)
        hits = idx.search("izin usaha melalui menu Perizinan", k=3)
        assert len(seen) == 1
        assert set(seen[0]) == {h.chunk_id for h in hits}  # every passage has its sentences
        assert all(-1.0 <= c <= 1.0 for c in seen[0].values())
        idx.search("izin usaha", k=3, mode="keyword")  # the baselines are not re-ordered
        idx.search("izin usaha", k=3, mode="dense")
        assert len(seen) == 1
    finally:
        idx.close()


class _NoLocks:
    """Document locks that keep nobody apart."""

    @contextmanager
    def hold(self, name: str) -> Iterator[None]:
        yield


def test_the_answer_reuses_the_sentence_vectors_the_ranking_read(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from knowledge_base.fusion import GENERIC_FUSION
    from knowledge_base.vectorstore import VectorStore, make_client

    emb = FakeEmbeddings()
    store = VectorStore(make_client(chroma_url=None, chroma_dir=tmp_path / "c"), "reuse", emb)
    config = replace(GENERIC_FUSION, sentence_weight=0.5, sentence_floor=0.0)
    idx = KnowledgeIndex(make_session_factory(engine), emb, store, fusion=config)
    try:
        idx.replace_document(GAMPIL, GAMPIL_V1)
        result = idx.retrieve("izin usaha melalui menu Perizinan", k=3)
        assert result.hits
        assert {h.chunk_id for h in result.hits} <= set(result.unit_vectors)
        expected = idx.unit_similarities(result.hits, result.query_vector)
        reads: list[list[str]] = []
        real = idx._read_units

        def spy(ids: Any) -> Any:
            reads.append(list(ids))
            return real(ids)

        monkeypatch.setattr(idx, "_read_units", spy)
        reused = idx.unit_similarities(result.hits, result.query_vector, read=result.unit_vectors)
        assert reads == []  # nothing read twice within one question
        assert reused == expected
        idx.unit_similarities(result.hits, result.query_vector, read={})
        assert reads == [[h.chunk_id for h in result.hits]]  # without it, read as before
    finally:
        idx.close()


def test_the_question_is_embedded_with_its_typos_as_typed(
    index: KnowledgeIndex, embeddings: FakeEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name the index does not hold is "corrected" to the nearest term of its vocabulary
    ("Belgium" -> "belum"): the keyword side searches the correction, the embedding model
    reads the name (docs/benchmarks.md, thirteenth round)."""
    index.replace_document(
        GAMPIL, chunks("Panduan > Status\nBerkas yang belum lengkap dikembalikan.")
    )
    embedded: list[str] = []
    real = embeddings.embed_query

    def spy(text: str) -> list[float]:
        embedded.append(text)
        return real(text)

    monkeypatch.setattr(embeddings, "embed_query", spy)
    result = index.retrieve("berapa luas negara Belgium?")
    assert result.query is not None and ("belgium", "belum") in result.query.corrections
    assert "belum" in result.query.weights
    assert embedded == ["berapa luas negara Belgium?"]


def test_a_passage_repeated_past_the_candidates_hides_no_other_passage(
    index: KnowledgeIndex,
) -> None:
    # A scan whose page came out 300 times: each search keeps its 50 best candidates, all of
    # them that one text, and the article asked for (Pasal 4) was never found in any mode.
    repeated = "Pasal 1\nKoordinasi Perlindungan Anak adalah kegiatan pemantauan anak."
    asked = (
        "Pasal 4\nKoordinasi Perlindungan Anak dilakukan melalui pemantauan, evaluasi, dan "
        "pelaporan."
    )
    texts = [repeated] * 300 + [asked]
    index.replace_document(
        DocumentInput("pp-59-2019", "PP 59/2019", doc_type="regulation", language="id"),
        [
            ChunkInput(text=t, section=t.split("\n")[0], page=1 + i // 3, position=i)
            for i, t in enumerate(texts)
        ],
    )
    assert index.chunk_count() == 2  # the repeated passage is stored once, from its first page
    for mode in ("hybrid", "dense", "keyword"):
        hits = index.search("koordinasi perlindungan anak pemantauan", k=2, mode=mode)
        assert sorted(h.section or "" for h in hits) == ["Pasal 1", "Pasal 4"], mode
    first = next(h for h in index.search("koordinasi perlindungan anak", k=2) if h.page == 1)
    assert first.section == "Pasal 1"


def test_a_passage_a_document_repeats_is_one_answer_passage(index: KnowledgeIndex) -> None:
    # An OCR'd scan whose first page came out several times: the repeated passage (same
    # text, same section) would fill the answer passages and push the article asked for
    # below the cut.
    repeated = "Pasal 1\nKoordinasi Perlindungan Anak adalah kegiatan pemantauan anak."
    texts = [repeated] * 6 + [
        "Pasal 4\nKoordinasi Perlindungan Anak dilakukan melalui pemantauan, evaluasi, dan "
        "pelaporan."
    ]
    index.replace_document(
        DocumentInput("pp-59-2019", "PP 59/2019", doc_type="regulation", language="id"),
        [
            ChunkInput(text=t, section=t.split("\n")[0], page=1, position=i)
            for i, t in enumerate(texts)
        ],
    )
    # The same text under another section is another passage (as "Cukup jelas." under each
    # article's elucidation).
    index.replace_document(
        DocumentInput("penjelasan", "Penjelasan", doc_type="regulation", language="id"),
        [
            ChunkInput(text="Laporan disusun bupati.", section=f"Penjelasan Pasal {i}", position=i)
            for i in (1, 2)
        ],
    )
    for mode in ("hybrid", "dense", "keyword"):
        hits = index.search("koordinasi perlindungan anak pemantauan", k=2, mode=mode)
        assert sorted(h.section or "" for h in hits) == ["Pasal 1", "Pasal 4"], mode
    hits = index.search("laporan disusun bupati", k=5)
    assert sorted(h.section or "" for h in hits if h.doc_id == "penjelasan") == [
        "Penjelasan Pasal 1",
        "Penjelasan Pasal 2",
    ]
