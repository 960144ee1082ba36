"""The bot loads the knowledge base at start, and starts anyway when it cannot."""

from __future__ import annotations

from pathlib import Path

from bot.app import warm_up
from core.config import Settings
from services.container import Services
from tests.conftest import closed_port
from tests.fakes.tracker import OPERATOR


def _settings(tmp_path: Path, **extra: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path / "data", embedding_backend="fake", **extra
    )


async def test_the_knowledge_base_is_loaded_before_the_first_question(tmp_path: Path) -> None:
    doc = tmp_path / "panduan.md"
    doc.write_text("# Panduan Gampil\n\nIzin usaha diajukan lewat menu Perizinan.\n", "utf-8")
    first = Services(_settings(tmp_path))
    assert first.ingest.ingest_paths([doc]).added == 1
    first.close()

    restarted = Services(_settings(tmp_path))  # a new process: nothing read yet
    try:
        assert not restarted.index.loaded
        assert await warm_up(restarted)
        assert restarted.index.loaded
        assert restarted.knowledge.ask("Bagaimana mengajukan izin usaha?").found
    finally:
        restarted.close()


async def test_a_knowledge_base_that_cannot_load_does_not_stop_the_bot(tmp_path: Path) -> None:
    services = Services(_settings(tmp_path, chroma_url=f"http://127.0.0.1:{closed_port()}"))
    try:
        assert await warm_up(services) is False
        assert services.tracker.count_agreements(OPERATOR) == 0  # the tracker still works
    finally:
        services.close()
