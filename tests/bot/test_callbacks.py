"""The registry of button actions and the signed callback data."""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import pytest

from bot import callbacks
from bot.callbacks import (
    MAX_CALLBACK_BYTES,
    MILESTONE_OPEN,
    REGISTRY,
    CallbackSigner,
    ForgedCallback,
)
from mou_tracker.rules import STAMP_BYTES, seen_mark, still_as_seen

LARGEST_ID = 2**31 - 1
"""The largest id of an agreement or a milestone (an ``Integer`` column: PostgreSQL's is 32
bits; SQLite counts up from 1 as well)."""


@dataclass(frozen=True)
class Shown:
    """A milestone as a status button saw it (``mou_tracker.rules.MilestoneState``)."""

    status: str = "in_progress"
    completed_on: date | None = None
    evidence_note: str | None = "Draf dikirim ke biro hukum"
    evidence_link: str | None = None
    evidence_file: str | None = None
    blocked_reason: str | None = None
    updated_at: datetime | None = datetime(2026, 12, 1, 4, 5, 6, tzinfo=UTC)


def test_roundtrip_for_the_same_user() -> None:
    signer = CallbackSigner.from_token("123:abc")
    data = signer.pack(42, MILESTONE_OPEN, 12, 345)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    callback = signer.unpack(42, data)
    assert callback.action == MILESTONE_OPEN and callback.action.code == "ms"
    assert callback.args == (12, 345)  # typed as the action declares
    assert callback.int_arg(1) == 345


def test_status_buttons_carry_a_long_stamp_and_fit_at_the_largest_ids() -> None:
    signer = CallbackSigner.from_token("123:abc")
    shown = Shown()
    seen = seen_mark(shown)
    status, _, stamp = seen.partition(".")
    assert status == "in_progress" and len(base64.urlsafe_b64decode(stamp)) == STAMP_BYTES >= 8
    for action in (callbacks.MILESTONE_IN_PROGRESS, callbacks.MILESTONE_DONE):
        data = signer.pack(7, action, LARGEST_ID, LARGEST_ID, seen)  # the longest status
        assert len(data.encode()) <= MAX_CALLBACK_BYTES
        assert signer.unpack(7, data).args == (LARGEST_ID, LARGEST_ID, seen)
    # Any change a status change records, the status kept, is seen.
    assert still_as_seen(shown, seen)
    assert not still_as_seen(replace(shown, evidence_note="Draf kedua"), seen)
    assert not still_as_seen(replace(shown, updated_at=datetime(2026, 12, 1, 4, 5, 7)), seen)
    # A button sent before the stamp grew (3 bytes in hex, as the earlier version made it for
    # this milestone) is read as it was made.
    legacy = "in_progress.b489fd"
    assert still_as_seen(shown, legacy)
    assert not still_as_seen(replace(shown, evidence_note="Draf kedua"), legacy)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d,  # replayed by another user (checked below with user 43)
        lambda d: d.replace("|12,", "|13,"),
        lambda d: d.replace("ms|", "mdn|"),
        lambda d: d[:-1] + ("A" if d[-1] != "A" else "B"),
        lambda d: "ms|12,345",
        lambda d: "",
    ],
)
def test_forgeries_are_refused(tamper: object) -> None:
    signer = CallbackSigner.from_token("123:abc")
    data = tamper(signer.pack(42, MILESTONE_OPEN, 12, 345))  # type: ignore[operator]
    with pytest.raises(ForgedCallback):
        signer.unpack(43 if data == signer.pack(42, MILESTONE_OPEN, 12, 345) else 42, data)


def test_another_token_does_not_verify() -> None:
    data = CallbackSigner.from_token("123:abc").pack(1, callbacks.FEEDBACK, "5", 1)
    with pytest.raises(ForgedCallback):
        CallbackSigner.from_token("123:other").unpack(1, data)


def test_limits_and_separators() -> None:
    signer = CallbackSigner(b"k")
    with pytest.raises(ValueError):
        signer.pack(1, callbacks.DOCUMENT_CHOOSE, "a" * 60)
    with pytest.raises(ValueError):
        signer.pack(1, callbacks.DOCUMENT_CHOOSE, "a|b")
    with pytest.raises(ValueError):
        signer.pack(1, callbacks.DOCUMENT_CHOOSE, "a,b")


def test_arguments_must_be_those_the_action_declares() -> None:
    signer = CallbackSigner(b"k")
    for args in ((12,), (12, 345, 6), ("12", 345), (True, 345)):
        with pytest.raises(ValueError):
            signer.pack(1, MILESTONE_OPEN, *args)


def test_data_signed_for_an_unknown_action_or_with_bad_arguments_is_refused() -> None:
    signer = CallbackSigner(b"k")
    mac = signer._mac(1, "zz", "1")  # as if an older version had made it
    with pytest.raises(ForgedCallback):
        signer.unpack(1, f"zz|1|{mac}")
    mac = signer._mac(1, "ms", "x,1")  # our MAC, but not numbers where numbers belong
    with pytest.raises(ForgedCallback):
        signer.unpack(1, f"ms|x,1|{mac}")
    mac = signer._mac(1, "ms", "1")
    with pytest.raises(ForgedCallback):
        signer.unpack(1, f"ms|1|{mac}")


def test_every_action_is_declared_once_with_a_short_code() -> None:
    assert len(REGISTRY) == len({a.code for a in REGISTRY.values()}) == 38
    status_buttons = {
        callbacks.MILESTONE_IN_PROGRESS,
        callbacks.MILESTONE_DONE,
        callbacks.MILESTONE_BLOCKED,
    }
    for code, action in REGISTRY.items():
        assert action.code == code and len(code) <= 4
        if action in status_buttons:
            # Two database ids (at most 10 digits), the longest status, "in_progress", and
            # the stamp (base64).
            stamp = 1 + len(base64.urlsafe_b64encode(bytes(STAMP_BYTES)))
            assert len(code) + 2 + 11 + 11 + len("in_progress") + stamp + 12 <= MAX_CALLBACK_BYTES
            continue
        # The longest data (code, arguments of 16 characters, the MAC) fits Telegram's limit.
        assert len(code) + 2 + 17 * len(action.args) + 12 <= MAX_CALLBACK_BYTES
    assert set(callbacks.REMINDER_BUTTONS) == {"done", "progress", "blocked", "snooze", "open"}
    with pytest.raises(ValueError):
        callbacks._declare("ms", None)
    assert callbacks.action("mpv") is callbacks.MILESTONE_IN_PROGRESS
