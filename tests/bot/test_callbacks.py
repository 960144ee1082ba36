"""The registry of button actions and the signed callback data."""

from __future__ import annotations

import pytest

from bot import callbacks
from bot.callbacks import (
    MAX_CALLBACK_BYTES,
    MILESTONE_OPEN,
    REGISTRY,
    CallbackSigner,
    ForgedCallback,
)


def test_roundtrip_for_the_same_user() -> None:
    signer = CallbackSigner.from_token("123:abc")
    data = signer.pack(42, MILESTONE_OPEN, 12, 345)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    callback = signer.unpack(42, data)
    assert callback.action == MILESTONE_OPEN and callback.action.code == "ms"
    assert callback.args == (12, 345)  # typed as the action declares
    assert callback.int_arg(1) == 345


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
            # Two database ids (at most 10 digits) and the longest status, "in_progress".
            assert len(code) + 2 + 11 + 11 + len("in_progress") + 12 <= MAX_CALLBACK_BYTES
            continue
        # The longest data (code, arguments of 16 characters, the MAC) fits Telegram's limit.
        assert len(code) + 2 + 17 * len(action.args) + 12 <= MAX_CALLBACK_BYTES
    assert set(callbacks.REMINDER_BUTTONS) == {"done", "progress", "blocked", "snooze", "open"}
    with pytest.raises(ValueError):
        callbacks._declare("ms", None)
    assert callbacks.action("mpv") is callbacks.MILESTONE_IN_PROGRESS
