"""``sinergi kb ask|list|remove|gaps|eval``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.errors import ExitStatus
from cli.main import main
from knowledge_base.lexicon import parse_synonyms
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
    data = json.loads(capsys.readouterr().out)
    gap = data["gaps"][0]
    assert gap["question"] == "Kapan jadwal kereta api ke Surabaya?"
    assert (gap["status"], gap["owner"], gap["count"]) == ("open", None, 1)
    assert data["answer_rates"][-1]["asked"] == 1 and data["answer_rates"][-1]["rate"] == 0.0
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


def _domain_set(root: Path) -> tuple[Path, Path]:
    docs = root / "docs"
    docs.mkdir()
    (docs / "pp-9-2020-layanan.md").write_text(
        "PERATURAN PEMERINTAH REPUBLIK INDONESIA NOMOR 9 TAHUN 2020 TENTANG LAYANAN DARING\n\n"
        "BAB I KETENTUAN UMUM Pasal 1 Layanan daring adalah layanan melalui aplikasi.\n\n"
        "Pasal 2 (1) Permohonan diverifikasi paling lama 3 (tiga) hari kerja. (2) Hasil "
        "verifikasi diumumkan di portal.\n\nPasal 3 Pemohon dapat mengajukan keberatan.\n",
        encoding="utf-8",
    )
    questions = root / "dev.jsonl"
    rows = [
        {"id": "a", "question": "Berapa lama permohonan diverifikasi?", "answerable": True,
         "answers": ["3 (tiga) hari kerja"], "doc": "pp-9-2020-layanan.md",
         "section": "Pasal 2", "category": "plain", "type": "berapa"},
        {"id": "b", "question": "Berapa lama verifikasi permohonan tahun 2031?",
         "answerable": False, "answers": [], "doc": "pp-9-2020-layanan.md", "section": "",
         "category": "plain", "type": "berapa"},
    ]  # fmt: skip
    questions.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return docs, questions


def test_eval_on_documents_through_the_real_pipeline(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs, questions = _domain_set(tmp_path)
    details = tmp_path / "details.jsonl"
    args = ["kb", "eval", "--docs", str(docs), "--questions", str(questions)]
    assert main([*args, "--json", "--details", str(details)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["documents"] == 1 and data["questions"] == 2
    answers = data["answers"]
    for key in (
        "answerable", "answered_rate", "hit_rate", "chars_p50", "cited_first_rate",
        "section_rate", "unanswerable", "refusal_rate", "latency_p50_ms", "latency_p95_ms",
    ):  # fmt: skip
        assert key in answers
    assert answers["hit_rate"] == 1.0 and answers["section_rate"] == 1.0
    assert answers["refusal_rate"] == 1.0  # another year: not answered from this regulation
    assert set(answers["by_category"]) == {"plain"}
    assert [json.loads(line)["id"] for line in details.read_text().splitlines()] == ["a", "b"]
    assert (data_dir / "eval-cache").is_dir()  # passage vectors kept for the next run
    assert main(args) == 0
    assert "hit_rate" in capsys.readouterr().out


def test_eval_needs_one_kind_of_input(data_dir: Path, tmp_path: Path) -> None:
    docs, questions = _domain_set(tmp_path)
    corpus, *_ = write_beir(tmp_path)
    assert main(["kb", "eval", "--docs", str(docs)]) == ExitStatus.USAGE
    mixed = ["kb", "eval", "--docs", str(docs), "--questions", str(questions)]
    assert main([*mixed, "--corpus", str(corpus)]) == ExitStatus.USAGE


def test_synonyms_are_listed_and_added(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "synonyms", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert any("TPP" in group for group in data["bundled"]) and data["user"] == []
    assert main(["kb", "synonyms", "--add", "SIUP", "--add", "surat izin usaha"]) == 0
    assert (data_dir / "synonyms.txt").read_text().splitlines()[-1] == "SIUP | surat izin usaha"
    assert main(["kb", "synonyms", "--add", "sendirian"]) == ExitStatus.INVALID_INPUT
    capsys.readouterr()
    assert main(["kb", "synonyms"]) == 0
    assert "SIUP | surat izin usaha" in capsys.readouterr().out


def test_a_synonym_group_already_in_force_is_not_added_again(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "synonyms", "--add", "SIUP", "--add", "surat izin usaha"]) == 0
    capsys.readouterr()
    assert main(["kb", "synonyms", "--add", "siup", "--add", "Surat  Izin Usaha"]) == 0
    assert "sudah ada" in capsys.readouterr().out
    # a shipped group (KSDD is one), or part of one, is not copied into the trainers' file
    assert (
        main(["kb", "synonyms", "--add", "KSDD", "--add", "kerja sama daerah dengan daerah lain"])
        == 0
    )
    assert "sudah ada" in capsys.readouterr().out
    assert (data_dir / "synonyms.txt").read_text().splitlines()[-1] == "SIUP | surat izin usaha"
    assert main(["kb", "synonyms", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["user"] == [["SIUP", "surat izin usaha"]]


def test_a_trainers_synonym_group_is_removed_and_a_shipped_one_is_not(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "synonyms", "--add", "e-Sakip", "--add", "sistem akuntabilitas"]) == 0
    # the same group spelled without the hyphen is already in force
    assert main(["kb", "synonyms", "--add", "eSakip", "--add", "Sistem Akuntabilitas"]) == 0
    assert "sudah ada" in capsys.readouterr().out
    assert main(["kb", "synonyms", "--remove", "ESAKIP"]) == 0
    assert "Sinonim dihapus: e-Sakip | sistem akuntabilitas" in capsys.readouterr().out
    assert main(["kb", "synonyms", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["user"] == []
    assert main(["kb", "synonyms", "--remove", "e-Sakip"]) == ExitStatus.NOT_FOUND
    assert "e-Sakip" in capsys.readouterr().err
    assert main(["kb", "synonyms", "--remove", "TPP"]) == ExitStatus.INVALID_INPUT
    assert "bawaan Sinergi" in capsys.readouterr().err
    assert main(["kb", "synonyms", "--add", "A", "--add", "B", "--remove", "A"]) == (
        ExitStatus.USAGE
    )
    assert parse_synonyms((data_dir / "synonyms.txt").read_text()) == []


def test_an_oversized_synonym_group_is_refused_in_the_users_language(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "synonyms", "--add", "x" * 200, "--add", "y"]) == ExitStatus.INVALID_INPUT
    assert "terlalu panjang" in capsys.readouterr().err
    assert not (data_dir / "synonyms.txt").exists()


def test_an_answer_never_sends_a_documents_terminal_controls_to_the_terminal(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A document's escape sequences (retitling the terminal, recolouring it), carriage
    return and right-to-left override are stored as its file holds them: the answers of
    ``kb ask``, ``ask`` and the terminal chat print them as spaces."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "sidak.txt").write_text(
        "Panduan Aplikasi Sidak\n\nAplikasi Sidak dikelola oleh Dinas Kominfo"
        " \x1b]0;PWNED\x07\x1b[31mMERAH\x1b[0m\r \u202eterbalik\u202c dengan server di Jambi.\n",
        encoding="utf-8",
    )
    assert main(["kb", "ingest", str(docs), "--json"]) == 0
    capsys.readouterr()
    for command in (["kb", "ask"], ["ask"]):
        assert main([*command, "Siapa yang mengelola aplikasi Sidak?"]) == 0
        out = capsys.readouterr().out
        assert "Dinas Kominfo" in out and "MERAH" in out and "terbalik" in out
        assert not any(c in out for c in "\x1b\x07\r\u202e\u202c"), command
    assert main(["kb", "ask", "Siapa yang mengelola aplikasi Sidak?", "--json"]) == 0
    assert "\x1b" in json.loads(capsys.readouterr().out)["answer"]  # JSON escapes it
