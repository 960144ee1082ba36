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
