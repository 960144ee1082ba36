"""OCR: page clean-up (pure), limits, missing Tesseract, and reading real renders with it."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from ingestion import scans
from ingestion.errors import (
    ImageTooLarge,
    OcrTimeout,
    OcrUnavailable,
    ScanTooLong,
    ScanUnreadable,
)
from ingestion.ocr import (
    Deadline,
    OcrLimits,
    TesseractOcr,
    estimate_skew,
    fit_pixels,
    flatten_background,
    image_pages,
    lines_from_tsv,
)
from ingestion.pipeline import prepare
from tests.fakes import documents as docs
from tests.fakes.scans import (
    image_bytes,
    merged_pdf,
    needs_tesseract,
    render_page,
    scanned_pdf,
)

MANUAL_PAGE_1 = [
    "PANDUAN PERIZINAN GAMPIL",
    "",
    "Pemohon membuka laman Gampil dan memilih menu Daftar.",
    "Isi Nomor Induk Kependudukan dan alamat surel yang aktif.",
]
MANUAL_PAGE_2 = [
    "PENERBITAN IZIN",
    "",
    "Izin yang disetujui dikirim ke surel pemohon dalam tiga hari kerja.",
    "Pemohon dapat mengunduh izin dari menu Riwayat Permohonan.",
]
NO_TESSERACT = TesseractOcr(command="tidak-ada-tesseract")


# --- clean-up and limits: no Tesseract needed -----------------------------------------------


@pytest.mark.parametrize("angle", [-4.0, -1.5, 2.0, 5.0])
def test_skew_of_a_turned_page_is_found(angle: float) -> None:
    page = render_page(MANUAL_PAGE_1 + MANUAL_PAGE_2 * 3, rotate=angle)
    assert estimate_skew(page) == pytest.approx(-angle, abs=0.6)


def test_a_level_page_and_a_blank_page_are_left_alone() -> None:
    assert abs(estimate_skew(render_page(MANUAL_PAGE_1 * 4))) <= 0.3
    assert estimate_skew(Image.new("L", (800, 1000), 255)) == 0.0


def test_pages_are_scaled_into_the_pixel_budget() -> None:
    big = Image.new("L", (6000, 8000), 255)
    small = Image.new("L", (600, 800), 255)
    assert fit_pixels(big, 9_000_000).size[0] * fit_pixels(big, 9_000_000).size[1] <= 9_000_000
    assert fit_pixels(small, 9_000_000).size == (1200, 1600)  # thumbnails are enlarged


def test_uneven_light_is_flattened() -> None:
    photo = render_page(MANUAL_PAGE_1, shadow=True)
    flat = flatten_background(photo)
    corners = [flat.getpixel((40, 40)), flat.getpixel((flat.width - 40, flat.height - 40))]
    assert min(corners) > 200  # the paper is white again in the dark corner too  # type: ignore[operator]


def test_tesseract_words_become_lines_with_confidences() -> None:
    data = {
        "level": [1, 5, 5, 5, 5],
        "block_num": [0, 1, 1, 1, 2],
        "par_num": [0, 1, 1, 1, 1],
        "line_num": [0, 1, 1, 2, 1],
        "text": ["", "Nomor", "119/HK", "Pasal", "Satu"],
        "conf": [-1, 90, 70, 96, 50],
    }
    lines = list(lines_from_tsv(data))
    assert [(line.text, line.confidence) for line in lines] == [
        ("Nomor 119/HK", 0.8),
        ("Pasal", 0.96),
        ("Satu", 0.5),
    ]
    assert [line.paragraph_start for line in lines] == [False, False, True]


def test_pixel_bombs_and_long_scans_are_refused_before_decoding() -> None:
    big = image_bytes(Image.new("L", (12000, 11000), 255))
    with pytest.raises(ImageTooLarge) as caught:
        image_pages("poster.png", big, OcrLimits())
    assert caught.value.params["limit"] == 120_000_000
    frames = [Image.new("L", (50, 50), 255) for _ in range(4)]
    tiff = image_bytes(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(ScanTooLong) as long_scan:
        image_pages("arsip.tif", tiff, OcrLimits(max_pages=3))
    assert long_scan.value.params == {"file": "arsip.tif", "pages": 4, "limit": 3}


def test_without_tesseract_a_scan_says_what_to_install() -> None:
    scan = scanned_pdf([render_page(MANUAL_PAGE_1)])
    for ocr in (None, NO_TESSERACT):
        with pytest.raises(OcrUnavailable) as caught:
            scans.load("pindaian.pdf", scan, ocr)
        assert caught.value.params["missing"] == "tesseract"
        with pytest.raises(OcrUnavailable):
            scans.load("foto.jpg", image_bytes(render_page(MANUAL_PAGE_1), "JPEG"), ocr)
    with pytest.raises(OcrUnavailable) as lang:
        TesseractOcr(languages="ind+xyz").check("a.png")
    assert lang.value.params["missing"] == ("xyz" if _has_tesseract() else "tesseract")


def _has_tesseract() -> bool:
    import shutil

    return shutil.which("tesseract") is not None


def test_without_tesseract_the_text_pages_of_a_mixed_pdf_are_still_read() -> None:
    typed = docs.make_pdf([MANUAL_PAGE_1])
    mixed = merged_pdf(typed, scanned_pdf([render_page(MANUAL_PAGE_2)]))
    loaded = scans.load("campuran.pdf", mixed, NO_TESSERACT)
    assert loaded.page_count == 2
    assert {b.page for b in loaded.blocks} == {1}
    assert "Daftar" in " ".join(b.text for b in loaded.blocks)


def test_ordinary_files_do_not_need_ocr() -> None:
    loaded = scans.load("panduan.pdf", docs.sample_pdf(), None)
    assert loaded.blocks


# --- with Tesseract ------------------------------------------------------------------------


@needs_tesseract
def test_a_scanned_pdf_is_read_with_its_page_numbers() -> None:
    scan = scanned_pdf(
        [render_page(MANUAL_PAGE_1, rotate=1.5, noise=0.002), render_page(MANUAL_PAGE_2)]
    )
    pages: list[tuple[int, int]] = []
    prepared = prepare(
        "panduan-gampil-pindaian.pdf",
        scan,
        chunk_size=1200,
        chunk_overlap=120,
        ocr=TesseractOcr(),
        ocr_progress=lambda done, total: pages.append((done, total)),
    )
    assert pages == [(1, 2), (2, 2)]
    text_by_page = {c.page: c.text for c in prepared.chunks}
    assert set(text_by_page) == {1, 2}
    assert "Nomor Induk Kependudukan" in text_by_page[1]
    assert "tiga hari kerja" in text_by_page[2]
    assert prepared.page_count == 2


@needs_tesseract
def test_a_mixed_pdf_keeps_its_text_layer_and_reads_the_scanned_page() -> None:
    typed = docs.make_pdf([["Halaman berteks tentang Sabilulungan dan hibah daerah."]])
    mixed = merged_pdf(typed, scanned_pdf([render_page(MANUAL_PAGE_2)]))
    read = scans.read_lines("campuran.pdf", mixed, TesseractOcr())
    assert [(p.page, p.ocr) for p in read.pages] == [(1, False), (2, True)]
    assert read.pages[0].lines == ("Halaman berteks tentang Sabilulungan dan hibah daerah.",)
    assert any("Riwayat Permohonan" in line for line in read.pages[1].lines)
    assert 0.6 < read.pages[1].confidence <= 1.0


@needs_tesseract
def test_a_phone_photo_turned_sideways_in_poor_light_is_read() -> None:
    photo = render_page(MANUAL_PAGE_1, shadow=True, rotate=90, blur=0.6, noise=0.001)
    loaded = scans.load(
        "foto-halaman.jpg", image_bytes(photo.convert("RGB"), "JPEG", quality=70), TesseractOcr()
    )
    text = " ".join(b.text for b in loaded.blocks)
    assert "Nomor Induk Kependudukan" in text
    assert loaded.media_type == "image/jpeg"


@needs_tesseract
def test_limits_stop_long_and_slow_scans() -> None:
    scan = scanned_pdf([render_page(MANUAL_PAGE_1)] * 3)
    with pytest.raises(ScanTooLong):
        scans.load("panjang.pdf", scan, TesseractOcr(limits=OcrLimits(max_pages=2)))
    ticks = iter([0.0, 100.0, 100.0, 100.0])
    expired = Deadline(10.0, clock=lambda: next(ticks))
    ocr = TesseractOcr()
    with pytest.raises(OcrTimeout) as caught:
        ocr.read_pages("lambat.pdf", iter([(1, render_page(MANUAL_PAGE_1))]), 1, deadline=expired)
    assert caught.value.params["page"] == 1


@needs_tesseract
def test_a_blank_scan_is_unreadable_not_empty() -> None:
    blank = scanned_pdf([Image.new("L", (1240, 1754), 255)])
    with pytest.raises(ScanUnreadable):
        scans.load("kosong.pdf", blank, TesseractOcr())


def test_image_bytes_roundtrip() -> None:
    data = image_bytes(render_page(["x"]), "PNG")
    assert Image.open(io.BytesIO(data)).size == (1240, 1754)
