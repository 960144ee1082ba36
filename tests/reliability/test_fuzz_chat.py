"""``sinergi chat`` fed hostile lines: every command of the chat (read from the chat itself),
with hostile arguments, and free text; it always replies with text and never crashes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from cli.chat import TerminalChat
from core.clock import FixedClock
from core.config import Settings
from services import Services
from services.access import Operator
from tests.fakes.tracker import new_agreement
from tests.reliability.fuzz import FUZZ_SETTINGS, HOSTILE, TYPED_TEXT, VALUE

HUGER = "99999999999999999999"


@pytest.fixture
def chat(settings: Settings, clock: FixedClock, sqlite_engine: Engine) -> Iterator[TerminalChat]:
    services = Services(settings, clock=clock, engine=sqlite_engine)
    services.tracker.add_agreement(Operator("test"), new_agreement())
    yield TerminalChat(services, settings, confirm=lambda prompt: False)
    services.close()


@pytest.mark.parametrize(
    "line",
    [
        f"/mou {HUGER}",
        f"/mou {2**63}",
        "/mou -1",
        f"/tonggak {HUGER} selesai bukti",
        f"/kutip {HUGER}",
        f"/hapus {HUGER}",
        "/tambah /nonexistent/x.pdf",
        "/mou '",
        "/",
        "/@",
        "/tonggak 1 <b>selesai</b>",
        "[bold red]x[/",
        "\x1b[2J\x07",
    ],
)
def test_hostile_lines_get_a_reply_not_a_crash(chat: TerminalChat, line: str) -> None:
    reply = chat.handle(line)
    assert isinstance(reply, str) and reply.strip()
    assert "Traceback" not in reply


def test_a_number_beyond_64_bits_names_the_largest_id(chat: TerminalChat) -> None:
    assert "9223372036854775807" in chat.handle(f"/mou {HUGER}")


@FUZZ_SETTINGS
@given(data=st.data())
def test_every_chat_command_survives_hostile_arguments(
    chat: TerminalChat, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(chat.commands())), label="command")
    args = data.draw(st.lists(VALUE, max_size=3), label="args")
    chat.done = False
    reply = chat.handle(" ".join([f"/{name}", *args]))
    assert isinstance(reply, str)


@FUZZ_SETTINGS
@given(lines=st.lists(st.one_of(st.sampled_from(HOSTILE), TYPED_TEXT), max_size=5))
def test_the_loop_reads_to_the_end_of_its_input(
    chat: TerminalChat, tmp_path: Path, lines: list[str]
) -> None:
    source = io.StringIO("\n".join(lines) + "\n")
    written: list[str] = []

    def read(prompt: str) -> str:
        line = source.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")

    chat.done = False
    chat.run(read=read, write=written.append)
    assert all(isinstance(w, str) for w in written)
