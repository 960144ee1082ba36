"""``sinergi kb ask|list|remove|gaps|eval``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.errors import ExitStatus
from cli.main import main
from tests.knowledge_base.test_evaluation import write_beir

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "docs"


@pytest.fixture
def ingested(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["kb", "ingest", str(SAMPLES), "--json"]) == 0
    capsys.readouterr()
    return data_dir


def test_ask_json_answer_with_citations(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "ask", "Bagaimana cara mengajukan izin di Gampil?", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["found"] is True
    assert data["answer"] and "[1]" in data["answer"]
    first = data["citations"][0]
    assert {"doc_id", "title", "page", "section", "score"} <= set(first)
    assert first["number"] == 1


def test_ask_not_found_and_gaps(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "ask", "Kapan jadwal kereta api ke Surabaya?", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["found"] is False and data["citations"] == []
    assert main(["kb", "gaps", "--json"]) == 0
    gaps = json.loads(capsys.readouterr().out)
    assert gaps[0]["question"] == "Kapan jadwal kereta api ke Surabaya?"
    assert main(["kb", "gaps"]) == 0
    assert "Surabaya" in capsys.readouterr().out


def test_ask_human_output_lists_sources(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "ask", "Bagaimana cara mengajukan izin di Gampil?"]) == 0
    out = capsys.readouterr().out
    assert "Sumber:" in out and "[1]" in out


def test_ask_with_filters(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "ask", "izin", "--app", "no-such-app", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["found"] is False


def test_list_and_remove(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "list", "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert docs and all("chunk_count" in d for d in docs)
    doc_id = docs[0]["doc_id"]
    assert main(["kb", "remove", doc_id]) == 0
    assert doc_id in capsys.readouterr().out
    assert main(["kb", "remove", doc_id]) == ExitStatus.NOT_FOUND
    assert doc_id in capsys.readouterr().err
    assert main(["kb", "list"]) == 0
    assert doc_id not in capsys.readouterr().out


def test_empty_question_is_invalid(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "ask", "?"]) == ExitStatus.INVALID_INPUT
    assert "kosong" in capsys.readouterr().err


def test_list_empty(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "list"]) == 0
    assert "Belum ada dokumen" in capsys.readouterr().out


def test_eval_json_and_table(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus, queries, qrels, unanswerable = write_beir(tmp_path)
    args = ["kb", "eval", "--corpus", str(corpus), "--queries", str(queries), "--qrels", str(qrels)]
    assert main([*args, "--json", "--unanswerable", str(unanswerable)]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in (
        "mrr@10",
        "recall@1",
        "recall@5",
        "recall@10",
        "ndcg@10",
        "latency_p50_ms",
        "latency_p95_ms",
    ):
        assert key in data and key in data["bm25"] and key in data["dense"]
    assert data["abstention_rate"] == 1.0
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "mrr@10" in out and "BM25" in out


def test_eval_missing_file(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nope.jsonl")
    assert (
        main(["kb", "eval", "--corpus", missing, "--queries", missing, "--qrels", missing])
        == ExitStatus.INVALID_INPUT
    )
    assert "nope.jsonl" in capsys.readouterr().err


def test_prune_originals_deletes_only_unused_old_files(
    ingested: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    originals = ingested / "originals"
    before = sorted(p for p in originals.rglob("*") if p.is_file())
    assert main(["kb", "list", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)[0]
    assert main(["kb", "remove", doc["doc_id"]]) == 0
    capsys.readouterr()
    assert main(["kb", "prune-originals", "--json"]) == 0  # removed just now: spared
    report = json.loads(capsys.readouterr().out)
    assert report["deleted"] == 0 and report["kept_recent"] == 1
    assert main(["kb", "prune-originals", "--min-age-hours", "0"]) == 0
    assert "1 berkas asli" in capsys.readouterr().out
    after = sorted(p for p in originals.rglob("*") if p.is_file())
    assert len(after) == len(before) - 1
    assert (ingested / doc["original_path"]) not in after
    assert main(["kb", "ask", "Bagaimana cara mengajukan izin di Gampil?"]) == 0


def test_check_reports_then_repairs_a_lost_vector(
    ingested: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.config import Settings
    from services import build_services

    assert main(["kb", "check", "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert before["consistent"] and before["chunks"] == before["vectors"] > 0
    services = build_services(Settings())
    first = next(iter(services.index.store.all_ids()))[0]
    services.index.store.delete([first])
    services.close()
    assert main(["kb", "check"]) == ExitStatus.FAILED
    assert "kb check --repair" in capsys.readouterr().out
    assert main(["kb", "check", "--repair", "--json"]) == 0
    repaired = json.loads(capsys.readouterr().out)
    assert (repaired["missing"], repaired["repaired"]) == (1, True)
    assert main(["kb", "check", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["vectors"] == before["vectors"]
