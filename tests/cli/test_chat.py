"""The terminal chat: the bot's conversation over the same services, as a stated subject."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from cli.chat import STATUS_WORDS, TerminalChat, run_chat
from core.clock import FixedClock
from core.config import Settings
from services import Services
from services.access import AccessDenied, Operator
from tests.bot.conftest import HAYU_GUIDE
from tests.fakes.tracker import KERINCI, OPERATOR, SAROLANGUN, new_agreement


@pytest.fixture
def bot_settings(settings: Settings) -> Settings:
    return settings


@pytest.fixture
def bot_services(
    settings: Settings, clock: FixedClock, sqlite_engine: Engine
) -> Iterator[Services]:
    svc = Services(settings, clock=clock, engine=sqlite_engine)
    yield svc
    svc.close()


def test_terminal_chat_covers_questions_documents_and_agreements(
    bot_services: Services, bot_settings: Settings, tmp_path: Path
) -> None:
    guide = tmp_path / "panduan-hayu.md"
    guide.write_bytes(HAYU_GUIDE)
    answers = iter([False, True])
    chat = TerminalChat(bot_services, bot_settings, confirm=lambda prompt: next(answers))

    assert "/tambah" in chat.handle("/bantuan")
    assert "Baru: 1" in chat.handle(f"/tambah {guide} app=Hayu.Bdg")
    assert "Panduan Hayu.Bdg" in chat.handle("/sumber")
    reply = chat.handle("Bagaimana cara registrasi akun Hayu.Bdg dengan NIK?")
    assert "[1] Panduan Hayu.Bdg" in reply and "<b>" not in reply
    assert "NIK" in chat.handle("/kutip 1")

    agreement = bot_services.tracker.add_agreement(Operator("test"), new_agreement())
    assert f"#{agreement.id}" in chat.handle("/mou")
    detail = chat.handle(f"/mou {agreement.id}")
    first = agreement.milestones[0]
    assert f"#{first.id}" in detail
    refused = chat.handle(f"/tonggak {first.id} selesai")  # done needs evidence
    assert "bukti" in refused.lower()
    assert bot_services.tracker.get_agreement(OPERATOR, agreement.id).milestones[0].status != "done"
    chat.handle(f"/tonggak {first.id} selesai Berita acara ditandatangani")
    after = bot_services.tracker.get_agreement(OPERATOR, agreement.id).milestones[0]
    assert after.status == "done" and after.updated_by == "cli:chat"

    saved = chat.handle(f"/laporan {agreement.id}")
    # the chart's text version, then where the picture was saved
    text, saved_line = saved.rsplit("\n", 1)
    assert "tonggak selesai" in text
    assert saved_line.startswith("Grafik disimpan") and Path(saved_line.split(": ", 1)[1]).exists()

    doc_id = bot_services.knowledge.list_documents()[0].doc_id
    assert chat.handle(f"/hapus {doc_id}") == "Dibatalkan."
    assert "dihapus" in chat.handle(f"/hapus {doc_id}")
    assert chat.handle("/mou 999").startswith("Perjanjian #999")  # domain errors, not crashes
    assert "Language set to English" in chat.handle("/bahasa en")
    assert chat.handle("/nope") == "Unknown command. See /help."
    assert chat.handle("/keluar") == "Goodbye!" and chat.done


def test_run_loop_reads_until_end_of_input(bot_services: Services, bot_settings: Settings) -> None:
    lines = iter(["/bantuan", ""])
    out: list[str] = []

    def read(prompt: str) -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    TerminalChat(bot_services, bot_settings).run(read, out.append)
    assert out[0].startswith("Sinergi") and "/tambah" in out[2]
    assert "operator" in out[1] and "admin" in out[1]  # who the chat acts as, said up front


def test_acting_as_a_configured_user_applies_their_role_and_region(
    bot_services: Services, bot_settings: Settings
) -> None:
    mine = bot_services.tracker.add_agreement(OPERATOR, new_agreement())
    other = bot_services.tracker.add_agreement(
        OPERATOR, new_agreement(title="KB e-RK", parties=("32.73", SAROLANGUN), numbers=())
    )
    coordinator = bot_services.access.add_user(77, "coordinator", region_code=KERINCI, name="Eka")
    chat = TerminalChat(bot_services, bot_settings, subject=coordinator)
    assert "Eka" in chat.acting_as() and "Koordinator" in chat.acting_as()
    listing = chat.handle("/mou")
    assert f"#{mine.id}" in listing and f"#{other.id}" not in listing
    assert chat.handle(f"/mou {other.id}").startswith(f"Perjanjian #{other.id}")  # not found
    first = mine.milestones[0]
    chat.handle(f"/tonggak {first.id} berjalan")
    after = bot_services.tracker.get_agreement(OPERATOR, mine.id).milestones[0]
    assert after.status == "in_progress" and after.updated_by == "tg:77"
    refused = chat.handle("/tambah panduan.md")  # coordinators do not upload documents
    assert refused == chat.handle("/celah") and "akses" in refused.lower()
    assert "akses" in chat.handle("/laporan").lower()  # the portfolio is for admins


def test_run_chat_acts_as_the_user_it_is_given(
    bot_services: Services,
    bot_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bot_services.access.add_user(78, "trainer", name="Rina")
    monkeypatch.setattr("sys.stdin", io.StringIO("/celah\n"))
    run_chat(bot_services, bot_settings, as_user=78)
    out = capsys.readouterr().out
    assert "Rina (Pelatih)" in out and "operator" not in out
    with pytest.raises(AccessDenied):  # nobody the bot knows: the chat does not start
        run_chat(bot_services, bot_settings, as_user=404)


@pytest.mark.parametrize("typed", ["-1", "1e5", "<b>x</b>", "0", "²", "abc", "9" * 2000])
def test_mou_with_something_that_is_not_a_number_says_so_instead_of_listing(
    bot_services: Services, bot_settings: Settings, typed: str
) -> None:
    agreement = bot_services.tracker.add_agreement(Operator("test"), new_agreement())
    chat = TerminalChat(bot_services, bot_settings)
    reply = chat.handle(f"/mou '{typed}'")
    assert "bukan nomor perjanjian" in reply
    assert f"#{agreement.id}" not in reply  # not the list
    assert len(reply) < 200
    for command in ("/laporan", "/tonggak", "/kutip"):
        assert "Traceback" not in chat.handle(f"{command} '{typed}' selesai")
    assert "bukan nomor" not in chat.handle("/tonggak " + "9" * 5000 + " selesai")


def test_mou_takes_a_hash_before_the_number(bot_services: Services, bot_settings: Settings) -> None:
    agreement = bot_services.tracker.add_agreement(Operator("test"), new_agreement())
    chat = TerminalChat(bot_services, bot_settings)
    assert chat.handle(f"/mou #{agreement.id}") == chat.handle(f"/mou {agreement.id}")
    assert chat.handle("/mou 999").startswith("Perjanjian #999")


def test_a_chart_is_never_written_through_a_link_planted_in_the_reports_folder(
    bot_services: Services, bot_settings: Settings, tmp_path: Path
) -> None:
    """The chart replaces whatever holds its name in DATA_DIR/reports (a link to someone's
    file included) instead of writing into the file the link points to."""
    agreement = bot_services.tracker.add_agreement(Operator("test"), new_agreement())
    chat = TerminalChat(bot_services, bot_settings)
    reports = bot_settings.data_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    victim = tmp_path / "catatan.txt"
    victim.write_text("jangan ditimpa", encoding="utf-8")
    (reports / f"timeline-{agreement.id}.png").symlink_to(victim)
    saved = chat.handle(f"/laporan {agreement.id}").rsplit("\n", 1)[1]
    chart = Path(saved.split(": ", 1)[1])
    assert victim.read_text(encoding="utf-8") == "jangan ditimpa"
    assert not chart.is_symlink() and chart.read_bytes().startswith(b"\x89PNG")
    assert chart.stat().st_mode & 0o077 == 0  # its owner's only, like every file Sinergi writes


@pytest.mark.parametrize(
    ("lang", "question"),
    [
        ("id", "Bagaimana perkembangan perjanjian dengan Kerinci?"),
        ("en", "How is the agreement with Kerinci going?"),
    ],
)
def test_the_milestone_hints_name_status_words_the_chat_takes_in_the_readers_language(
    bot_services: Services, bot_settings: Settings, lang: str, question: str
) -> None:
    agreement = bot_services.tracker.add_agreement(Operator("test"), new_agreement())
    chat = TerminalChat(bot_services, bot_settings, lang=lang)
    texts = {
        "detail": chat.handle(f"/mou {agreement.id}"),
        "usage": chat.handle("/tonggak"),
        "help": chat.handle("/help" if lang == "en" else "/bantuan"),
        "answer": chat.handle(question),
    }
    for name, text in texts.items():
        found = re.search(r"/tonggak (?:ID|\d+) (\S+)", text)
        assert found is not None, name
        words = found.group(1).split("|")
        assert [STATUS_WORDS[w] for w in words] == ["in_progress", "done", "blocked"], name
        if lang == "en":
            assert not {"berjalan", "selesai", "terhambat"} & set(words), name
    first = agreement.milestones[0]
    progress = re.search(r"/tonggak (?:ID|\d+) (\w+)\|", texts["usage"])
    assert progress is not None
    chat.handle(f"/tonggak {first.id} {progress.group(1)}")
    assert bot_services.tracker.get_agreement(OPERATOR, agreement.id).milestones[0].status == (
        "in_progress"
    )


def test_the_loop_prints_a_reply_without_terminal_controls(
    bot_services: Services, bot_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An answer quotes a document as its file holds it (tests/cli/test_kb.py ingests one).
    chat = TerminalChat(bot_services, bot_settings)
    quoted = "Dikelola \x1b]0;PWNED\x07\x1b[31mDinas\r \u202eKominfo\n[1] Sidak"
    monkeypatch.setattr(chat, "handle", lambda line: quoted)
    lines = iter(["siapa?"])

    def read(prompt: str) -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    out: list[str] = []
    chat.run(read, out.append)
    reply = out[2]
    assert "Dinas" in reply and "Kominfo\n[1] Sidak" in reply
    assert not any(c in reply for c in "\x1b\x07\r\u202e")
