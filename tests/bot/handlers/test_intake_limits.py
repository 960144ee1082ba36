"""The agreement-scan dialog within Telegram's limits, whatever the scan holds."""

from __future__ import annotations

from typing import Any

import pytest

from bot.formatting import MAX_MESSAGE, utf16_len
from services.intake import DraftParty, IntakeDraft
from tests.bot.conftest import ADMIN, BotHarness


def crowded_draft(parties: int) -> IntakeDraft:
    """A scan whose header names ``parties`` parties, none of them a region the reader knows
    for sure (a hostile or badly read PDF)."""
    name = "Pemerintah Kabupaten Baru Sejahtera Makmur Raya Bagian "
    return IntakeDraft(
        filename="kb-ramai.pdf",
        sha256="0" * 64,
        path="evidence/00/kb-ramai.pdf",
        media_type="application/pdf",
        size=1,
        pages=1,
        ocr_pages=0,
        parties=tuple(
            DraftParty(f"{name}{i}", None, None, (("32.06", "Kabupaten Tasikmalaya"),))
            for i in range(parties)
        ),
    )


async def test_a_scan_naming_many_parties_is_shown_in_messages_telegram_takes(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read(*_: Any, **__: Any) -> IntakeDraft:
        return crowded_draft(150)

    monkeypatch.setattr(harness.services.intake, "read", read)
    harness.api.files["kb-ramai"] = b"%PDF-1.4 ramai"
    document = {"file_id": "kb-ramai", "file_unique_id": "kr", "file_name": "kb-ramai.pdf"}
    await harness.updates.send(ADMIN, None, document=document, caption="/mou baru")
    assert harness.api.problems() == []
    shown = [
        c for c in harness.api.calls if c.params.get("chat_id") == ADMIN and "text" in c.params
    ]
    assert all(utf16_len(c.params["text"]) <= MAX_MESSAGE for c in shown)
    assert "Bagian 149" in " ".join(c.params["text"] for c in shown)
    assert any(c.buttons() for c in shown)  # the draft's buttons came with it
