"""Kill -9 while a new version of a document is being embedded, then restart.

The worker process (``ingest_worker.py``) ingests version 1, then starts version 2 with an
embedder that stops after its first batch: some vectors of version 2 are in Chroma, the
database has not switched. After SIGKILL a fresh process must still answer from version 1,
list one document at version 1, and a re-ingest of version 2 must replace it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.main import main
from core.config import Settings
from core.db import make_engine
from services.container import Services
from tests.conftest import create_schema

ROOT = Path(__file__).resolve().parents[2]

V1 = """---
title: Panduan Layanan Gampil
version: "1"
app: Gampil
---
# Pengajuan izin

Pemohon mengajukan izin usaha di loket kelurahan dengan membawa formulir kertas bercap basah.
"""

# Many short paragraphs and a small chunk size: version 2 needs several embedding batches.
V2 = (
    """---
title: Panduan Layanan Gampil
version: "2"
app: Gampil
---
# Pengajuan izin

"""
    + "\n\n".join(
        f"Langkah {i}: pemohon mengunggah berkas digital kedua nomor {i} melalui aplikasi "
        f"seluler Gampil versidua lalu menunggu verifikasi petugas dinas tahap {i}."
        for i in range(1, 121)
    )
    + "\n"
)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    env = {
        "SINERGI_DATA_DIR": str(path),
        "SINERGI_EMBEDDING_BACKEND": "fake",
        "SINERGI_CHUNK_SIZE": "200",
        "SINERGI_CHUNK_OVERLAP": "0",
        "SINERGI_LANGUAGE": "id",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key in ("SINERGI_DATABASE_URL", "SINERGI_CHROMA_URL", "SINERGI_LLM_PROVIDER"):
        monkeypatch.delenv(key, raising=False)
    engine = make_engine(f"sqlite:///{path / 'sinergi.db'}")
    create_schema(engine)
    engine.dispose()
    return path


def _worker(doc: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.ingest_worker", str(doc), *extra],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, proc: subprocess.Popen[str], *, limit_s: float = 120.0) -> None:
    """Poll for the marker file (the worker's signal), failing fast if the worker died."""
    deadline = time.monotonic() + limit_s
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"worker ended before blocking ({proc.returncode}): {out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("worker never reached the embedding of version 2")
        time.sleep(0.05)


@pytest.fixture
def fresh(data_dir: Path) -> Iterator[Services]:
    svc = Services(Settings())
    yield svc
    svc.close()


@pytest.mark.slow
def test_sigkill_mid_ingest_keeps_the_previous_version(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "panduan-gampil.md"
    doc.write_text(V1, encoding="utf-8")
    first = _worker(doc)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["added"] == 1

    doc.write_text(V2, encoding="utf-8")
    marker = tmp_path / "embedding-v2"
    second = _worker(doc, "--block-after", "1", "--marker", str(marker))
    try:
        _wait_for(marker, second)
    finally:
        os.kill(second.pid, signal.SIGKILL)
        second.communicate(timeout=60)
    assert second.returncode == -signal.SIGKILL

    services = Services(Settings())
    try:
        # Version 2's first batch reached Chroma before the kill: orphans, invisible to readers.
        assert services.index.store.count() > services.index.chunk_count()

        answer = services.knowledge.ask("Di mana pemohon mengajukan izin usaha?", language="id")
        assert answer.found, answer.answer
        cited = " ".join(c.snippet for c in answer.citations).lower()
        assert "loket kelurahan" in cited
        assert "versidua" not in answer.answer.lower() and "versidua" not in cited
        v2_question = services.knowledge.ask("aplikasi seluler versidua berkas digital kedua")
        assert all("versidua" not in c.snippet.lower() for c in v2_question.citations)

        docs = services.knowledge.list_documents()
        assert [(d.doc_id, d.version) for d in docs] == [("panduan-gampil", "1")]
        assert docs[0].chunk_count == services.index.chunk_count()
    finally:
        services.close()

    assert main(["kb", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(d["doc_id"], d["version"]) for d in listed] == [("panduan-gampil", "1")]

    services = Services(Settings())
    try:
        report = services.ingest.ingest_paths([doc])
        assert (report.added, report.updated, report.failed) == (0, 1, ())
        docs = services.knowledge.list_documents()
        assert [(d.doc_id, d.version) for d in docs] == [("panduan-gampil", "2")]
        # No orphans left: every vector belongs to a live chunk of version 2.
        assert services.index.store.count() == services.index.chunk_count() == docs[0].chunk_count
        answer = services.knowledge.ask("Bagaimana pemohon mengunggah berkas digital kedua?")
        assert answer.found
        cited = " ".join(c.snippet for c in answer.citations).lower()
        assert "versidua" in cited and "loket kelurahan" not in cited
    finally:
        services.close()
