"""BEIR loading, retrieval metrics and a full evaluation run on a tiny corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge_base.embeddings import FakeEmbeddings
from knowledge_base.errors import EvalDataError
from knowledge_base.evaluation import (
    load_corpus,
    load_qrels,
    ndcg,
    percentile,
    recall,
    reciprocal_rank,
    run_evaluation,
    split_long,
)


def test_metrics() -> None:
    rel = {"b": 1.0}
    assert reciprocal_rank(["a", "b", "c"], rel) == 0.5
    assert reciprocal_rank(["a"], rel) == 0.0
    assert recall(["a", "b"], rel, 1) == 0.0 and recall(["a", "b"], rel, 2) == 1.0
    assert ndcg(["b"], rel) == pytest.approx(1.0)
    assert ndcg(["a", "b"], rel) == pytest.approx(1 / 1.5849625, rel=1e-6)
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([], 0.95) == 0.0


def write_beir(root: Path) -> tuple[Path, Path, Path, Path]:
    corpus = [
        {"_id": "d1", "text": "Gampil adalah aplikasi perizinan Kota Bandung."},
        {"_id": "d2", "text": "e-RK mencatat rencana kerja dan target kinerja pegawai."},
        {"_id": "d3", "text": "Hayu.Bdg melayani pengaduan warga secara daring."},
    ]
    queries = [
        {"_id": "q1", "text": "aplikasi perizinan Bandung"},
        {"_id": "q2", "text": "target kinerja pegawai"},
        {"_id": "q3", "text": "pengaduan warga daring"},
    ]
    unanswerable = [{"_id": "u1", "text": "jadwal kereta api Surabaya"}]
    paths = (root / "c.jsonl", root / "q.jsonl", root / "r.tsv", root / "u.jsonl")
    paths[0].write_text("\n".join(json.dumps(x) for x in corpus), encoding="utf-8")
    paths[1].write_text("\n".join(json.dumps(x) for x in queries), encoding="utf-8")
    paths[2].write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3\td3\t1\n")
    paths[3].write_text("\n".join(json.dumps(x) for x in unanswerable), encoding="utf-8")
    return paths


def test_run_evaluation_reports_every_mode(tmp_path: Path) -> None:
    corpus, queries, qrels, unanswerable = write_beir(tmp_path)
    report = run_evaluation(
        FakeEmbeddings(), corpus, queries, qrels, k=10, unanswerable_path=unanswerable
    )
    data = report.as_dict()
    assert data["mrr@10"] == 1.0 and data["recall@10"] == 1.0
    assert set(data["bm25"]) >= {"mrr@10", "recall@1", "recall@5", "ndcg@10", "latency_p95_ms"}
    assert data["dense"]["queries"] == 3
    assert report.abstention is not None and report.abstention.rate == 1.0
    assert report.documents == 3


def test_bad_files_are_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"_id": "x"}\n', encoding="utf-8")
    with pytest.raises(EvalDataError) as err:
        load_corpus(bad)
    assert "line 1" in err.value.params["detail"]
    with pytest.raises(EvalDataError):
        load_corpus(tmp_path / "missing.jsonl")
    tsv = tmp_path / "r.tsv"
    tsv.write_text("q1\td1\n", encoding="utf-8")
    with pytest.raises(EvalDataError):
        load_qrels(tsv)


def test_long_entries_are_split() -> None:
    text = ("Kalimat panjang tentang aplikasi. " * 200).strip()
    parts = split_long(text)
    assert len(parts) > 1 and all(len(p) <= 1000 for p in parts)
    assert split_long("pendek") == ["pendek"]


# ---------------------------------------------------------------------- answer level


def test_answer_spans_match_without_case_punctuation_or_markers() -> None:
    from knowledge_base.evaluation import contains_answer

    answer = "Verifikasi paling lama 3 (tiga) hari kerja. [1]"
    assert contains_answer(answer, ["3 (tiga) Hari Kerja"])
    assert contains_answer("kepada gubernur, Menteri [1] dan DPRD", ["gubernur menteri"])
    assert not contains_answer(answer, ["30 hari"])
    assert not contains_answer(answer, [""])


def test_sections_match_the_article_not_its_neighbours() -> None:
    from knowledge_base.evaluation import section_matches

    assert section_matches("Pasal 12", "Pasal 12 ayat (2)")
    assert not section_matches("Pasal 12", "Pasal 120")
    assert not section_matches("Pasal 12", "Penjelasan Pasal 12")
    assert section_matches("Penjelasan Pasal 4", "Penjelasan Pasal 4 ayat (1)")
    assert section_matches("Tambah Anggota Baru", "Panduan > Tambah Anggota Baru")
    assert section_matches("Paragraf pembuka", None)
    assert not section_matches("Pasal 3", None)


def test_answer_figures_count_what_an_official_reads() -> None:
    from knowledge_base.evaluation import AnswerCase, AnswerOutcome, answer_report

    def outcome(case: AnswerCase, found: bool, text: str, doc: str | None, section: str | None):  # type: ignore[no-untyped-def]
        return AnswerOutcome(case, found, found, text, doc, section, 10.0)

    right = AnswerCase("1", "q", True, ("3 hari",), frozenset({"d"}), "Pasal 2", "plain")
    wrong_place = AnswerCase("2", "q", True, ("gubernur",), frozenset({"d"}), "Pasal 5", "plain")
    refused = AnswerCase("3", "q", True, ("x",), frozenset({"d"}), None, "informal")
    near_miss = AnswerCase("4", "q", False, category="plain")
    report = answer_report(
        [
            outcome(right, True, "paling lama 3 hari [1]", "d", "Pasal 2 ayat (1)"),
            outcome(wrong_place, True, "kepada gubernur [1]", "d", "Pasal 6"),
            outcome(refused, False, "", None, None),
            outcome(near_miss, False, "", None, None),
        ],
        sections=True,
        by_category=True,
    )
    assert report["answerable"] == 3 and report["unanswerable"] == 1
    assert report["answered_rate"] == round(2 / 3, 4)
    assert report["hit_rate"] == round(2 / 3, 4)
    assert report["cited_first_rate"] == 1.0
    assert report["section_rate"] == 0.5
    assert report["refusal_rate"] == 1.0
    assert report["latency_p50_ms"] == 10.0
    by_category = report["by_category"]
    assert isinstance(by_category, dict)
    assert by_category["informal"]["answered_rate"] == 0.0


def test_the_embedding_cache_embeds_a_text_once(tmp_path: Path) -> None:
    from knowledge_base.evaluation import EmbeddingCache

    inner = FakeEmbeddings()
    first = EmbeddingCache(inner, tmp_path)
    vectors = first.embed_documents(["satu", "dua", "satu"])
    first.close()
    assert inner.calls == [2]  # "satu" once
    again = EmbeddingCache(inner, tmp_path)
    assert again.embed_documents(["dua", "satu"]) == [vectors[1], vectors[0]]
    assert inner.calls == [2] and again.hits == 2
    assert again.embed_query("satu") == inner.embed_query("satu")  # questions: never cached
    again.close()


def test_queries_with_answers_also_go_through_the_ask_path(tmp_path: Path) -> None:
    corpus, _, qrels, unanswerable = write_beir(tmp_path)
    queries = tmp_path / "qa.jsonl"
    queries.write_text(
        json.dumps({"_id": "q1", "text": "aplikasi perizinan Bandung", "answers": ["Gampil"]})
        + "\n",
        encoding="utf-8",
    )
    asked: list[str] = []

    class Said:
        found = True
        confident = True
        text = "Gampil adalah aplikasi perizinan Kota Bandung. [1]"

        def __init__(self, doc: str) -> None:
            from knowledge_base.schemas import Citation

            self.citations = (Citation(1, doc, "t", None, None, 1.0, "s"),)

    def answerer(index):  # type: ignore[no-untyped-def]
        def ask(question: str) -> Said:
            asked.append(question)
            return Said("d1")

        return ask

    report = run_evaluation(
        FakeEmbeddings(), corpus, queries, qrels, unanswerable_path=unanswerable,
        answerer=answerer, cache_dir=tmp_path / "cache",
    )  # fmt: skip
    answers = report.as_dict()["answers"]
    assert isinstance(answers, dict)
    assert answers["answerable"] == 1 and answers["hit_rate"] == 1.0
    assert answers["cited_first_rate"] == 1.0
    assert answers["unanswerable"] == 1 and answers["refusal_rate"] == 0.0
    assert asked == ["aplikasi perizinan Bandung", "jadwal kereta api Surabaya"]


def test_a_set_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    from knowledge_base.evaluation import load_corpus

    path = tmp_path / "corpus.jsonl"
    path.write_bytes(b'{"_id": "1", "text": "ok"}\n{"_id": "2", "text": "\xff\xfe"}\n')
    with pytest.raises(EvalDataError) as caught:
        load_corpus(path)
    assert "not UTF-8" in caught.value.params["detail"]
