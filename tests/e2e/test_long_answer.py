"""End to end: an answer longer than Telegram's 4096 characters arrives split, escaped, whole.

The answer is written by the optional LLM (a local OpenAI-compatible fake), which is the one way
a real deployment produces answers of this length.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Settings
from tests.e2e.fake_llm import FakeChatServer
from tests.e2e.harness import OFFICIAL, TRAINER, BotHarness, e2e_settings
from tests.fakes.botapi import BotApiServer

PARAGRAPH = (
    "Langkah {n}: petugas memeriksa NIK & nomor telepon pemohon, lalu mencocokkan data "
    "dengan basis data kependudukan; jika skor < 80 maka pengajuan ditahan [1]. "
)
LONG_REPLY = "\n\n".join(PARAGRAPH.format(n=n) * 3 for n in range(1, 30))
GUIDE = (
    "# SOP verifikasi Hayu.Bdg\n\n## Verifikasi pendaftaran\n\n"
    "Petugas Hayu.Bdg memverifikasi NIK dan nomor telepon pemohon pendaftaran akun.\n"
)


@pytest.fixture
def chat_model() -> Iterator[FakeChatServer]:
    with FakeChatServer(LONG_REPLY) as server:
        yield server


@pytest.fixture
def bot_settings(tmp_path: Path, botapi: BotApiServer, chat_model: FakeChatServer) -> Settings:
    return e2e_settings(
        tmp_path / "data",
        botapi,
        llm_provider="openai",
        llm_base_url=chat_model.base_url,
        llm_model="fake-llm",
        llm_api_key="sk-local",
    )


@pytest.mark.slow
async def test_an_answer_over_4096_characters_is_split(
    bot: BotHarness, chat_model: FakeChatServer
) -> None:
    assert len(LONG_REPLY) > 2 * 4096
    await bot.upload(TRAINER, "sop-verifikasi.md", GUIDE.encode(), mime_type="text/markdown")
    asked = await bot.say(OFFICIAL, "Bagaimana petugas Hayu.Bdg memverifikasi pendaftaran akun?")
    assert chat_model.requests, "the LLM was asked"
    parts = asked.to(OFFICIAL.id)
    assert len(parts) >= 3
    assert all(len(p.text or "") <= 4096 for p in parts)  # the server refuses longer anyway
    # nothing lost: every step arrives, in order, with '<' and '&' shown as typed
    text = "\n".join(p.text or "" for p in parts)
    positions = [text.find(f"Langkah {n}:") for n in range(1, 30)]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    assert "NIK & nomor" in text and "skor < 80" in text
    # paragraphs are not cut in the middle
    assert all(not (p.text or "").rstrip().endswith(("dengan", "NIK &")) for p in parts[:-1])
    assert parts[-1].buttons() and all(p.buttons() == [] for p in parts[:-1])
