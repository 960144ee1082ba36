"""Pieces of Telegram messages for handler tests."""

from __future__ import annotations

from typing import Any


def document_message(file_id: str, name: str, size: int, caption: str | None) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "document": {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_name": name,
            "file_size": size,
        }
    }
    if caption:
        extra["caption"] = caption
    return extra
