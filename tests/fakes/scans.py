"""Scans for tests, rendered in memory: pages of known text as images and image-only PDFs.

Text is drawn with Pillow's bundled scalable font (no system fonts needed), then optionally
rotated, blurred, speckled and unevenly lit like a phone photo. Deterministic: noise comes from
a seeded generator.
"""

from __future__ import annotations

import io
import os
import random
import shutil
from collections.abc import Sequence

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tests.required import everything_required

A4_150DPI = (1240, 1754)


def tesseract_ready() -> bool:
    from ingestion.ocr import TesseractOcr

    return shutil.which("tesseract") is not None and TesseractOcr().available()


#: Only the tests that run Tesseract itself use this; everything else runs everywhere. CI
#: (``SINERGI_TEST_REQUIRE_OCR=1`` or ``SINERGI_TEST_REQUIRE_SERVERS=1``, both set by .ci/run)
#: runs them and fails if Tesseract is missing.
needs_tesseract = pytest.mark.skipif(
    not os.environ.get("SINERGI_TEST_REQUIRE_OCR")
    and not everything_required()
    and not tesseract_ready(),
    reason="Tesseract with Indonesian data is not installed "
    "(apt-get install tesseract-ocr tesseract-ocr-ind); .ci/run installs it",
)


def render_page(
    lines: Sequence[str],
    *,
    size: tuple[int, int] = A4_150DPI,
    font_size: int = 26,
    rotate: float = 0.0,
    noise: float = 0.0,
    blur: float = 0.0,
    shadow: bool = False,
    seed: int = 0,
) -> Image.Image:
    """A grey page with ``lines`` typed on it, damaged as asked."""
    font = ImageFont.load_default(size=font_size)
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    y = int(size[1] * 0.08)
    step = int(font_size * 1.6)
    for line in lines:
        if line:
            draw.text((int(size[0] * 0.1), y), line, font=font, fill=20)
        y += step
    if shadow:
        # light falling off towards one corner, as on a phone photo taken under a lamp
        gradient = Image.linear_gradient("L").resize(size).rotate(35, expand=False, fillcolor=0)
        page = Image.composite(
            page, Image.new("L", size, 120), gradient.point(lambda v: 130 + v // 2)
        )
    if rotate:
        page = page.rotate(rotate, expand=True, fillcolor=235, resample=Image.Resampling.BICUBIC)
    if blur:
        page = page.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        rng = random.Random(seed)
        pixels = page.load()
        assert pixels is not None
        width, height = page.size
        for _ in range(int(width * height * noise)):
            x, y_ = rng.randrange(width), rng.randrange(height)
            pixels[x, y_] = rng.choice((0, 255))
    return page


def image_bytes(page: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    page.save(out, fmt, **options)
    return out.getvalue()


def scanned_pdf(pages: Sequence[Image.Image], *, dpi: int = 150) -> bytes:
    """An image-only PDF, one page per image (what a scanner without OCR produces)."""
    out = io.BytesIO()
    first, *rest = [p.convert("L") for p in pages]
    first.save(out, "PDF", resolution=dpi, save_all=True, append_images=rest)
    return out.getvalue()


def merged_pdf(*pdfs: bytes) -> bytes:
    """The pages of several PDFs in one file (e.g. a typed page followed by a scanned one)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in pdfs:
        writer.append(PdfReader(io.BytesIO(data)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
