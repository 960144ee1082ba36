"""Stored text that looks like rich markup is shown as typed, in every human view of the CLI.

Titles, evidence, questions, document titles and names come from people (a spreadsheet, a
Telegram message); ``[/] x`` once crashed ``mou list`` with a MarkupError traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main

#: Each would be a markup error, a style, a link or an emoji if interpreted.
HOSTILE = ("[/] x", "[bold red]merah", "[link=http://evil.example]klik[/link]", ":warning: awas")
AT = "2026-11-23"
#: Unanswerable and unlike each other, so the knowledge gaps list each on its own.
TOPICS = (
    "jadwal kereta api ke Surabaya",
    "harga tiket pesawat Medan",
    "resep rendang padang",
    "skor sepak bola semalam",
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    status = main(list(args))
    out, err = capsys.readouterr()
    assert status == 0, f"{args}: status {status}\n{out}\n{err}"
    assert "Traceback" not in out + err
    return out + err


@pytest.fixture
def hostile_data(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    monkeypatch.setenv("COLUMNS", "400")  # rich wraps table cells to the terminal width
    for number, text in enumerate(HOSTILE, start=1):
        run(
            capsys,
            "mou", "add", "--title", f"{text} judul", "--party", "Kota Bandung",
            "--party", "Kabupaten Kerinci", "--signed-on", "2025-01-06", "--app", text,
            "--number", f"{text}/{number}", "--coordinator", text,
        )  # fmt: skip
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "panduan-markup.md").write_text(
        f"# {HOSTILE[0]} Panduan\n\nCara mengajukan izin Gampil secara daring lewat portal.\n",
        encoding="utf-8",
    )
    run(capsys, "kb", "ingest", str(docs))
    for text, topic in zip(HOSTILE, TOPICS, strict=True):
        run(capsys, "kb", "ask", f"{text} {topic}")
        run(capsys, "users", "add", str(7000 + len(text)), "--role", "official", "--name", text)
    return data_dir


def test_every_view_shows_markup_as_typed(
    hostile_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = run(capsys, "mou", "list", "--at", AT)
    report = run(capsys, "mou", "report", "--at", AT)
    for text in HOSTILE:
        assert f"{text} judul" in listing
        assert f"{text} judul" in report  # stalled: signed long ago, nothing done
    for agreement_id in range(1, len(HOSTILE) + 1):
        shown = run(capsys, "mou", "show", str(agreement_id), "--at", AT, "--audit")
        text = HOSTILE[agreement_id - 1]
        assert f"{text} judul" in shown and f"{text}/{agreement_id}" in shown
    gaps = run(capsys, "kb", "gaps")
    users = run(capsys, "users", "list")
    documents = run(capsys, "kb", "list")
    assert f"{HOSTILE[0]} Panduan" in documents
    for text, topic in zip(HOSTILE, TOPICS, strict=True):
        assert f"{text} {topic}" in gaps
        assert text in users
    due = run(capsys, "reminders", "due", "--at", "2025-02-03T09:00+07:00")
    assert f"{HOSTILE[0]} judul" in due


def test_milestone_evidence_and_titles_with_markup(
    hostile_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "mou", "milestone-add", "1", "--title", "[/] tahap", "--due-on", "2025-02-01")
    shown = run(capsys, "mou", "show", "1", "--at", AT, "--json")
    milestone_id = next(
        m["id"] for m in __import__("json").loads(shown)["milestones"] if m["title"] == "[/] tahap"
    )
    run(
        capsys, "mou", "milestone", str(milestone_id), "--status", "done",
        "--evidence", "[/] bukti [bold]", "--link", "[link=x]y",
    )  # fmt: skip
    shown = run(capsys, "mou", "show", "1", "--at", AT)
    assert "[/] tahap" in shown and "[/] bukti [bold]" in shown and "[link=x]y" in shown
