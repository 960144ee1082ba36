"""Small stand-ins for the knowledge service, for handler tests that are about the bot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from knowledge_base.schemas import DocumentInfo
from services.knowledge import SourcePassage


@dataclass(frozen=True)
class FakeCitation:
    number: int
    doc_id: str
    title: str
    section: str | None
    page: int | None
    score: float = 0.9
    snippet: str = ""


@dataclass(frozen=True)
class FakeAnswer:
    question_id: int
    answer: str
    found: bool
    language: str
    citations: tuple[FakeCitation, ...]

    @property
    def key(self) -> str:
        return str(self.question_id)


@dataclass
class FakeKnowledge:
    """Answers every question with ``answer_text`` citing one passage; records what it was asked."""

    answer_text: str = "Daftar melalui menu Registrasi di aplikasi Hayu.Bdg."
    asked: list[dict[str, Any]] = field(default_factory=list)
    feedbacks: list[tuple[Any, bool, str]] = field(default_factory=list)
    documents: list[DocumentInfo] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def ask(self, question: str, **kw: Any) -> FakeAnswer:
        self.asked.append({"question": question, **kw})
        citation = FakeCitation(1, "panduan-hayu", "Panduan Hayu.Bdg", "Registrasi <akun>", 3)
        return FakeAnswer(len(self.asked), self.answer_text, True, "id", (citation,))

    def feedback(self, question_id: Any, helpful: bool, *, user: str) -> None:
        self.feedbacks.append((int(question_id), helpful, user))

    def question_id(self, question: Any) -> int | None:
        return int(question)

    def citation_passage(self, question_id: Any, number: int) -> str:
        return "Buka menu <Registrasi> & isi NIK."

    def citation_source(self, question_id: Any, number: int) -> SourcePassage:
        text = self.citation_passage(question_id, number)
        return SourcePassage(text, ((text.index("isi"), len(text)),))

    def list_documents(self) -> list[DocumentInfo]:
        return list(self.documents)

    def remove_document(self, doc_id: str) -> bool:
        self.removed.append(doc_id)
        self.documents = [d for d in self.documents if d.doc_id != doc_id]
        return True

    def gaps(self, limit: int = 50) -> list[Any]:
        return []

    def knows(self, text: str) -> int:
        """This knowledge base holds every word (any message is a question for it)."""
        return len(text.split())


def document(doc_id: str, title: str) -> DocumentInfo:
    return DocumentInfo(
        doc_id=doc_id,
        title=title,
        app="Hayu.Bdg",
        doc_type="panduan",
        chunk_count=3,
        ingested_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
