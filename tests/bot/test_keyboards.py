from __future__ import annotations

import pytest

from bot.keyboards import MAX_CALLBACK_BYTES, CallbackSigner, ForgedCallback


def test_roundtrip_for_the_same_user() -> None:
    signer = CallbackSigner.from_token("123:abc")
    data = signer.pack(42, "ms", 12, 345)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    callback = signer.unpack(42, data)
    assert callback.action == "ms" and callback.args == ("12", "345")
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
    data = tamper(signer.pack(42, "ms", 12, 345))  # type: ignore[operator]
    with pytest.raises(ForgedCallback):
        signer.unpack(43 if data == signer.pack(42, "ms", 12, 345) else 42, data)


def test_another_token_does_not_verify() -> None:
    data = CallbackSigner.from_token("123:abc").pack(1, "fb", 5, 1)
    with pytest.raises(ForgedCallback):
        CallbackSigner.from_token("123:other").unpack(1, data)


def test_limits_and_separators() -> None:
    signer = CallbackSigner(b"k")
    with pytest.raises(ValueError):
        signer.pack(1, "x", "a" * 60)
    with pytest.raises(ValueError):
        signer.pack(1, "x", "a|b")
    with pytest.raises(ValueError):
        signer.pack(1, "x", "a,b")
