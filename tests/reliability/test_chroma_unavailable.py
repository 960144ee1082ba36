"""The Chroma server down: questions get a clear "unavailable" answer, the tracker keeps working."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.i18n import t
from cli.errors import ExitStatus
from cli.main import main
from core.clock import FixedClock
from core.config import Settings
from knowledge_base.dense import EXACT_DENSE_LIMIT
from knowledge_base.errors import VectorStoreUnavailable
from services.container import Services
from tests.bot.conftest import ADMIN, OFFICIAL, BotHarness
from tests.conftest import closed_port
from tests.reliability.conftest import running_bot

STORE_DOWN_ID = "Penyimpanan vektor (Chroma) tidak dapat dihubungi"


def test_kb_ask_with_the_chroma_server_down_exits_6(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SINERGI_CHROMA_URL", f"http://127.0.0.1:{closed_port()}")
    status = main(["kb", "ask", "Bagaimana cara mendaftar di Gampil?"])
    out, err = capsys.readouterr()
    assert status == ExitStatus.UNAVAILABLE
    assert STORE_DOWN_ID in err
    assert "Traceback" not in out + err
    # The tracker does not need the vector store.
    assert main(["mou", "list", "--json"]) == 0


def test_chroma_failing_mid_run_is_unavailable_not_a_crash(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "panduan-gampil.md"
    doc.write_text("# Gampil\n\nIzin usaha diajukan lewat aplikasi Gampil.\n", encoding="utf-8")
    services = Services(Settings())
    try:
        assert services.ingest.ingest_paths([doc]).added == 1

        def refused(*_a: Any, **_k: Any) -> Any:
            raise httpx.ConnectError("[Errno 111] Connection refused")

        collection = services.index.store._collection
        for method in ("query", "get", "upsert", "delete", "count"):
            monkeypatch.setattr(collection, method, refused)
        with pytest.raises(VectorStoreUnavailable) as caught:
            services.knowledge.ask("Bagaimana mengajukan izin usaha?")
        assert caught.value.params["service"] == "Chroma"
        assert "refused" in caught.value.params["detail"]
        # A new version cannot be written either, and the old one stays listed.
        doc.write_text("# Gampil\n\nVersi baru: izin lewat portal.\n", encoding="utf-8")
        report = services.ingest.ingest_paths([doc])
        assert report.updated == 0 and len(report.failed) == 1
        assert [d.doc_id for d in services.knowledge.list_documents()] == ["panduan-gampil"]
    finally:
        monkeypatch.undo()
        services.close()


@pytest.fixture
async def bot_without_chroma(tmp_path: Path, clock: FixedClock) -> AsyncIterator[BotHarness]:
    url = f"http://127.0.0.1:{closed_port()}"
    async with running_bot(tmp_path, clock, with_knowledge=False, chroma_url=url) as bot:
        yield bot


async def test_bot_says_the_index_is_down_and_tracker_commands_keep_working(
    bot_without_chroma: BotHarness,
) -> None:
    bot = bot_without_chroma
    await bot.updates.send(OFFICIAL, "Bagaimana cara mendaftar di Gampil?")
    assert STORE_DOWN_ID in bot.api.last(OFFICIAL).text
    bot.api.clear()
    await bot.updates.send(ADMIN, "/mou")
    reply = bot.api.last(ADMIN).text
    assert reply == t("mou.empty", "id")
    # Asking again is answered the same way: the failure is not cached as a crash.
    await bot.updates.send(OFFICIAL, "Apa itu e-RK?")
    assert STORE_DOWN_ID in bot.api.last(OFFICIAL).text
    assert bot.api.problems() == []


class ChromaServer:
    """A real ``chroma run`` child process on a free loopback port, killable and restartable."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = closed_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        chroma = Path(sys.executable).parent / "chroma"
        args = ["run", "--host", "127.0.0.1", "--port", str(self.port), "--path", str(self.path)]
        with (self.path.parent / "chroma.log").open("ab") as log:
            self.process = subprocess.Popen([str(chroma), *args], stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, "chroma run exited at start"
            time.sleep(0.2)
        raise AssertionError("chroma run did not start within 60 s")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-server")
    server.start()
    try:
        yield server
    finally:
        server.kill()


def test_a_chroma_server_killed_mid_run_then_restarted(
    data_dir: Path,
    tmp_path: Path,
    chroma_server: ChromaServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SINERGI_CHROMA_URL", chroma_server.url)
    doc = tmp_path / "panduan-gampil.md"
    text = "# Panduan Gampil\n\n## Izin usaha\n\nIzin usaha diajukan lewat menu Perizinan.\n"
    doc.write_text(text, encoding="utf-8")
    services = Services(Settings())
    try:
        assert services.ingest.ingest_paths([doc]).added == 1
        assert services.knowledge.ask("Bagaimana mengajukan izin usaha di Gampil?").found

        chroma_server.kill()  # SIGKILL: no goodbye, connections just refused
        # A small index is searched from the vectors this process already read
        # (knowledge_base.dense): its questions are still answered; writes and a process
        # that has not read them yet (the CLI below) find the store down.
        kept = services.knowledge.ask("Bagaimana mengajukan izin usaha di Gampil?")
        assert kept.found and "Perizinan" in kept.answer
        services.knowledge.index.exact_dense_limit = 0  # a larger index asks HNSW
        with pytest.raises(VectorStoreUnavailable):
            services.knowledge.ask("Bagaimana mengajukan izin usaha di Gampil?")
        services.knowledge.index.exact_dense_limit = EXACT_DENSE_LIMIT
        doc.write_text("# Panduan Gampil\n\nVersi baru: izin lewat portal.\n", encoding="utf-8")
        report = services.ingest.ingest_paths([doc])
        assert report.updated == 0 and len(report.failed) == 1
        # From the CLI: a clear message and the "unavailable" exit status, no traceback.
        assert main(["kb", "ask", "Bagaimana mengajukan izin usaha?"]) == ExitStatus.UNAVAILABLE
        _, err = capsys.readouterr()
        assert STORE_DOWN_ID in err and "Traceback" not in err
        assert main(["mou", "list", "--json"]) == 0

        chroma_server.start()  # same data directory: the old version answers again
        answer = services.knowledge.ask("Bagaimana mengajukan izin usaha di Gampil?")
        assert answer.found and "Perizinan" in answer.answer
        report = services.ingest.ingest_paths([doc])
        assert report.updated == 1 and not report.failed
    finally:
        services.close()
