"""``sinergi chat``: the bot's conversation in a terminal, over the same services.

For trying Sinergi without a Telegram token, and for operators at the server. Who the chat acts
as is explicit: a configured user (``--as TELEGRAM_ID`` or ``SINERGI_CHAT_USER``: their role,
region and bound agreements apply, exactly as in the bot), or else the operator, with admin
rights, audited as ``cli:chat`` (whoever runs it can run every ``sinergi`` command anyway).
The welcome says which. Output is plain text made from the bot's own views and texts.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.formatting import to_plain
from bot.i18n import t, t_html
from bot.parsing import parse_caption
from bot.views import assistant as assistant_views
from bot.views.agreements import agreement_text, health_label
from bot.views.curation import gaps_view
from bot.views.documents import ingest_report
from cli.context import shown_block
from core.config import Settings
from core.errors import AppError, storage_error
from core.files import private_dir, write_atomically
from core.i18n import LANGUAGES, normalize_language
from core.text import echo
from services import Services, charts
from services.access import AccessService, AuthSubject, Operator, Permission, UserView
from services.knowledge import Turn
from services.messages import error_message
from services.tracker import parse_agreement_id
from services.wording import status_name

ACTOR = "cli:chat"
HISTORY_TURNS = 3
STATUS_WORDS = {
    "berjalan": "in_progress",
    "progress": "in_progress",
    "in_progress": "in_progress",
    "selesai": "done",
    "done": "done",
    "terhambat": "blocked",
    "blocked": "blocked",
}

Command = Callable[[list[str]], str]


@dataclass
class TerminalChat:
    """One terminal conversation; :meth:`handle` turns a line into the reply text.

    ``subject``: who acts; the operator (admin rights, audited as ``cli:chat``) by default.
    """

    services: Services
    settings: Settings
    lang: str = "id"
    confirm: Callable[[str], bool] = field(default=lambda prompt: False)
    subject: AuthSubject = field(default_factory=lambda: Operator(ACTOR))
    history: list[Turn] = field(default_factory=list)
    last_question_id: int | None = None
    done: bool = False

    def __post_init__(self) -> None:
        self.lang = normalize_language(self.lang)

    def today(self) -> date:
        return self.services.clock.now().astimezone(ZoneInfo(self.settings.timezone)).date()

    def text(self, key: str, **params: Any) -> str:
        return to_plain(t_html(key, self.lang, **params))

    def acting_as(self) -> str:
        """Who the chat acts as, said once at the start."""
        if isinstance(self.subject, UserView):
            role = t(f"role.{self.subject.role}", self.lang)
            return self.text(
                "chat.as_user", name=self.subject.name or self.subject.actor, role=role
            )
        return self.text("chat.as_operator")

    def allow(self, action: Permission) -> None:
        """Raise ``AccessDenied`` unless the subject may ``action`` (the service's rule)."""
        if isinstance(self.subject, UserView):
            AccessService.check(self.subject, action)

    # --- the loop ------------------------------------------------------------------------------

    def run(self, read: Callable[[str], str] = input, write: Callable[[str], None] = print) -> None:
        write(self.text("chat.welcome"))
        write(self.acting_as())
        while not self.done:
            try:
                line = read("> ")
            except (EOFError, KeyboardInterrupt):
                write("")
                break
            reply = self.handle(line)
            if reply:
                # An answer quotes a document as its file holds it: printed as every command
                # prints stored text (a terminal escape in it would act on the terminal).
                write(shown_block(reply))

    def handle(self, line: str) -> str:
        line = line.strip()
        if not line:
            return ""
        try:
            if line.startswith("/"):
                return self.command(line)
            return self.ask(line)
        except AppError as err:
            return error_message(err, self.lang)

    # --- questions -----------------------------------------------------------------------------

    def ask(self, question: str) -> str:
        """The assistant's answer, as the chat's subject (the tracker shows what they may see)."""
        self.allow(Permission.ASK)
        reply = self.services.assistant.answer(
            self.subject,
            question,
            language=self.lang,
            history=tuple(self.history),
            asked_by=self.subject.actor,
        )
        view = assistant_views.reply_view(reply, reply.language, may_report=True)
        body = to_plain(view.text)
        self.history = [*self.history, Turn(question, body)][-HISTORY_TURNS:]
        if reply.question_id is not None:
            self.last_question_id = reply.question_id
        extra = assistant_views.hints(reply, reply.language)
        if reply.knowledge is not None and reply.knowledge.citations:
            extra.append(self.text("chat.cite_hint"))
        return "\n\n".join([body, *extra]) if extra else body

    # --- commands ------------------------------------------------------------------------------

    def commands(self) -> dict[str, Command]:
        """Every command the chat knows, by name (its aliases included)."""
        return {
            "bantuan": self.help,
            "help": self.help,
            "start": self.help,
            "keluar": self.quit,
            "exit": self.quit,
            "quit": self.quit,
            "bahasa": self.language,
            "language": self.language,
            "sumber": self.sources,
            "kutip": self.quote,
            "tambah": self.add,
            "hapus": self.remove,
            "celah": self.gaps,
            "mou": self.agreements,
            "tonggak": self.milestone,
            "laporan": self.report,
        }

    def command(self, line: str) -> str:
        try:
            parts = shlex.split(line)
        except ValueError:
            parts = line.split()
        name, args = parts[0].lstrip("/").split("@")[0].lower(), parts[1:]
        handler = self.commands().get(name)
        if handler is None:
            return self.text("command.unknown")
        return handler(args)

    def help(self, args: list[str]) -> str:
        return self.text("chat.help")

    def quit(self, args: list[str]) -> str:
        self.done = True
        return self.text("chat.bye")

    def language(self, args: list[str]) -> str:
        if args and args[0].lower() in LANGUAGES:
            self.lang = args[0].lower()
            return self.text("language.set")
        return self.text("chat.language_usage")

    def sources(self, args: list[str]) -> str:
        self.allow(Permission.SOURCES)
        documents = self.services.knowledge.list_documents()
        if not documents:
            return self.text("sources.empty")
        lines = [self.text("sources.header", count=len(documents))]
        for doc in documents:
            details = ", ".join(x for x in (doc.app, doc.doc_type, doc.version) if x)
            lines.append(
                f"• {doc.title}" + (f" ({details})" if details else "") + f" — {doc.doc_id}"
            )
        return "\n".join(lines)

    def quote(self, args: list[str]) -> str:
        self.allow(Permission.ASK)
        number = _whole_number(args[0]) if args else None
        if self.last_question_id is None or number is None:
            return self.text("chat.no_last_answer")
        passage = self.services.knowledge.citation_passage(self.last_question_id, number)
        return f"[{number}] {passage}"

    def add(self, args: list[str]) -> str:
        self.allow(Permission.UPLOAD)
        if not args:
            return self.text("chat.add_usage")
        paths = [Path(a).expanduser() for a in args if "=" not in a]
        options = parse_caption(" ".join(a for a in args if "=" in a))
        report = self.services.ingest.ingest_paths(
            paths,
            app=options.get("app"),
            doc_type=options.get("doc_type"),
            uploader=self.subject.actor,
            lang=self.lang,
        )
        return to_plain(ingest_report(report, self.lang))

    def remove(self, args: list[str]) -> str:
        self.allow(Permission.REMOVE_DOCUMENT)
        if not args:
            return self.text("chat.remove_usage")
        documents = {d.doc_id: d for d in self.services.knowledge.list_documents()}
        doc = documents.get(args[0])
        if doc is None:
            return self.text("remove.unknown", doc_id=echo(args[0]))
        if not self.confirm(self.text("remove.confirm", title=doc.title, doc_id=doc.doc_id)):
            return self.text("cancelled")
        self.services.knowledge.remove_document(doc.doc_id)
        return self.text("remove.done", title=doc.title)

    def gaps(self, args: list[str]) -> str:
        self.allow(Permission.GAPS)
        service = self.services.gaps
        view = gaps_view(service.gaps(20), service.answer_rates(3), self.lang)
        return to_plain(view.text)

    def agreements(self, args: list[str]) -> str:
        tracker = self.services.tracker
        if args:
            agreement_id = parse_agreement_id(args[0])
            detail = tracker.get_agreement(self.subject, agreement_id, at=self.today())
            lines = [to_plain(agreement_text(detail, self.lang)), ""]
            lines.append(self.text("chat.milestone_ids"))
            lines.extend(f"  #{m.id} {m.title} [{status_name(m.status, self.lang)}]"
                         for m in detail.milestones)  # fmt: skip
            return "\n".join(lines)
        agreements = tracker.list_agreements(self.subject, at=self.today())
        if not agreements:
            return self.text("mou.empty")
        lines = [self.text("chat.mou_header", count=len(agreements))]
        for a in agreements:
            parties = " – ".join(p.name for p in a.parties)
            lines.append(f"#{a.id} {a.title} — {parties} ({health_label(a.health, self.lang)})")
        return "\n".join(lines)

    def milestone(self, args: list[str]) -> str:
        milestone_id = _whole_number(args[0]) if args else None
        if len(args) < 2 or milestone_id is None or args[1].lower() not in STATUS_WORDS:
            return self.text("chat.milestone_usage")
        status = STATUS_WORDS[args[1].lower()]
        text = " ".join(args[2:]).strip() or None
        view = self.services.tracker.update_milestone(
            self.subject,
            milestone_id,
            status,
            note=text if status != "blocked" else None,
            reason=text if status == "blocked" else None,
            on=self.today(),
        )
        return (
            self.text("milestone.updated")
            + f" #{view.id} {view.title}: "
            + status_name(view.status, self.lang)
        )

    def report(self, args: list[str]) -> str:
        tracker = self.services.tracker
        out_dir = self.settings.data_dir / "reports"
        if args:
            detail = tracker.get_agreement(
                self.subject, parse_agreement_id(args[0]), at=self.today()
            )
            text = charts.timeline_text(detail, at=self.today(), language=self.lang)
            if not charts.has_timeline(detail):
                return text
            png = charts.timeline_png(detail, at=self.today(), language=self.lang)
            path = out_dir / f"timeline-{detail.id}.png"
        else:
            report = tracker.report(self.subject, at=self.today())
            everything = tracker.list_agreements(self.subject, at=self.today())
            text = charts.portfolio_text(report, language=self.lang, agreements=everything)
            png = charts.portfolio_png(report, language=self.lang, agreements=everything)
            path = out_dir / f"portfolio-{self.today().isoformat()}.png"
        try:
            private_dir(out_dir)
            write_atomically(path, lambda handle: handle.write(png))
        except OSError as exc:
            raise storage_error(exc, str(path)) from exc
        return f"{text}\n{self.text('chat.saved', path=str(path))}"


def _whole_number(text: str) -> int | None:
    """A number typed after a command ("12"); None for anything else (also "²", "1e5" and
    digit strings too long to be any id, which Python would refuse to convert)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 1000 else None


def run_chat(
    services: Services,
    settings: Settings,
    *,
    lang: str | None = None,
    as_user: int | None = None,
) -> None:
    """Run the terminal chat on stdin/stdout until /keluar or end of input.

    ``as_user``: the Telegram ID to act as (an active user); ``None``: the operator.
    """
    subject: AuthSubject = Operator(ACTOR)
    if as_user is not None:
        subject = services.access.authorize(as_user, Permission.ASK)

    def confirm(prompt: str) -> bool:
        try:
            return input(f"{prompt} [y/N] ").strip().lower() in {"y", "ya", "yes"}
        except EOFError:
            return False

    chat = TerminalChat(
        services, settings, lang=lang or settings.language, confirm=confirm, subject=subject
    )
    chat.run()
