from __future__ import annotations

import pytest

from ingestion import detect
from ingestion.errors import FileTooLarge, InvalidDocType, NoText
from ingestion.language import detect_language
from ingestion.metadata import doc_id_for, guess_app, guess_doc_type, normalize_app, slugify
from ingestion.pipeline import prepare, sha256
from tests.fakes import documents as docs


def _prepare(filename: str, data: bytes, **kwargs: object):  # type: ignore[no-untyped-def]
    return prepare(filename, data, chunk_size=900, chunk_overlap=120, **kwargs)  # type: ignore[arg-type]


def test_markdown_front_matter_sets_metadata() -> None:
    prepared = _prepare("Panduan Gampil v2.md", docs.MARKDOWN_MANUAL.encode(), uploader="tg:1")
    doc = prepared.document
    assert doc.doc_id == "panduan-gampil-v2"
    assert doc.title == "Panduan Gampil untuk Pemohon"
    assert (doc.app, doc.doc_type, doc.language, doc.version) == ("Gampil", "manual", "id", "2.1")
    assert doc.source_hash == sha256(docs.MARKDOWN_MANUAL.encode())
    assert doc.media_type == detect.MARKDOWN
    assert doc.uploader == "tg:1"
    assert all(c.text.startswith("Panduan Gampil untuk Pemohon") for c in prepared.chunks)
    assert [c.position for c in prepared.chunks] == list(range(len(prepared.chunks)))


def test_explicit_metadata_wins_over_declared_and_guessed() -> None:
    doc = _prepare(
        "gampil.md", docs.MARKDOWN_MANUAL.encode(), app="e-RK", doc_type="faq", language="en"
    ).document
    assert (doc.app, doc.doc_type, doc.language) == ("e-RK", "faq", "en")


def test_metadata_is_guessed_from_title_and_name() -> None:
    doc = _prepare("sop-hibah.docx", docs.sample_docx()).document
    assert doc.title == "SOP Hibah Sabilulungan"
    assert (doc.app, doc.doc_type, doc.language) == ("Sabilulungan", "sop", "id")
    pdf = _prepare("erk.pdf", docs.sample_pdf())
    assert pdf.document.app == "e-RK"
    assert pdf.page_count == 2
    assert {c.page for c in pdf.chunks} == {1, 2}


def test_plain_text_title_falls_back_to_file_name() -> None:
    doc = _prepare("catatan_rapat-replikasi.txt", docs.INDONESIAN_CP1252).document
    assert doc.title == "Catatan rapat replikasi"
    assert doc.doc_type == "best_practice"  # "replikasi"


def test_english_document_is_detected() -> None:
    text = (
        "# Replication guide\n\nThe receiving region should prepare a server before the "
        "training. Each operator must be trained and the pilot is run in one district."
    )
    assert _prepare("guide.md", text.encode()).document.language == "en"


def test_limits_and_bad_doc_type() -> None:
    with pytest.raises(FileTooLarge) as caught:
        _prepare("a.txt", b"x" * 2000, max_bytes=1000)
    assert caught.value.params["file"] == "a.txt"
    with pytest.raises(InvalidDocType):
        _prepare("a.md", docs.MARKDOWN_MANUAL.encode(), doc_type="novel")


def test_document_of_headings_only_has_no_text() -> None:
    with pytest.raises(NoText):
        _prepare("a.md", b"# Judul\n\n## Sub\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pemohon harus mengisi formulir dan mengunggah dokumen yang diminta.", "id"),
        ("The applicant must fill in the form and upload the documents that are required.", "en"),
        ("e-RK Gampil", "id"),  # unclear: default
    ],
)
def test_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_ids_and_apps() -> None:
    assert doc_id_for("Panduan Gampil (Final) v2.PDF") == "panduan-gampil-final-v2"
    assert doc_id_for("/tmp/x/Ã©Ã.md") == slugify("Ã©Ã")
    assert doc_id_for("....pdf") == "dokumen"
    assert normalize_app("hayu bdg") == "Hayu.Bdg"
    assert normalize_app("SIMRAL") == "SIMRAL"
    assert guess_app("Panduan Gampil dan e-RK") is None  # two apps: do not guess
    assert guess_app("petunjuk_ebudgeting_2025") == "e-budgeting"
    assert guess_app("Petunjuk e-budgeting 2025") == "e-budgeting"
    assert guess_doc_type("Peraturan Wali Kota Nomor 5") == "regulation"
    assert guess_doc_type("FAQ Sabilulungan") == "faq"
