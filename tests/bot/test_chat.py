from __future__ import annotations

from pathlib import Path

from bot.chat import TerminalChat
from core.config import Settings
from services import Services
from services.access import Operator
from tests.bot.conftest import HAYU_GUIDE
from tests.fakes.tracker import OPERATOR, new_agreement


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
    assert saved.startswith("Grafik disimpan") and Path(saved.split(": ", 1)[1]).exists()

    doc_id = bot_services.knowledge.list_documents()[0].doc_id
    assert chat.handle(f"/hapus {doc_id}") == "Dibatalkan."
    assert "dihapus" in chat.handle(f"/hapus {doc_id}")
    assert chat.handle("/mou 999").startswith("Perjanjian #999")  # domain errors, not crashes
    assert "Language set to English" in chat.handle("/bahasa en")
    assert chat.handle("/nope") == "Unknown command. See /bantuan."
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
    assert out[0].startswith("Sinergi") and "/tambah" in out[1]
