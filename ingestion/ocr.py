"""Reading scans: Tesseract (Indonesian data) over page images of scanned PDFs and photos.

Why pytesseract over the ``tesseract`` program, and not OCRmyPDF or tesserocr:

* We need text per page and per line with a confidence (the intake shows where a field was
  found, page and line), not a new PDF. OCRmyPDF's product is a searchable PDF/A; getting
  lines back means parsing its output again, and it brings Ghostscript, qpdf and its own
  process pool, which fights our per-page time budget and progress reporting.
* tesserocr binds the C API in-process: a crash or a runaway page on hostile input takes the
  bot down with it and cannot be stopped on time. The ``tesseract`` program runs per page in
  its own process, which pytesseract kills when the page's time is up.
* pytesseract is a thin, pure-Python wrapper (temp file in, TSV out) that works with any
  Tesseract 4/5 the system provides, so OCR stays optional: without the program or its
  ``ind`` data, :meth:`TesseractOcr.check` raises :class:`OcrUnavailable` saying what to install.

PDF pages are rendered with pypdfium2 (PDFium, no system dependency). PDFium is not thread
safe, so rendering holds one process-wide lock; OCR itself runs unlocked.

Clean-up before OCR (pure functions below, tested without Tesseract): EXIF orientation, grey,
scale into the pixel budget, background flattening (uneven light on phone photos), a
quarter-turn check with Tesseract's orientation detection when a page reads badly, and small
skew correction by projection profiles.
"""

from __future__ import annotations

import io
import logging
import math
import os
import shutil
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingestion.errors import (
    CorruptFile,
    ImageTooLarge,
    OcrTimeout,
    OcrUnavailable,
    ScanTooLong,
)

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)

#: Called after each page: (pages done, pages to read).
PageProgress = Callable[[int, int], None]

_PDFIUM_LOCK = threading.Lock()
# Tesseract's own word confidences are 0-100; below this a page is retried turned.
_RETRY_BELOW_CONFIDENCE = 0.55
_GOOD_CONFIDENCE = 0.75


@dataclass(frozen=True)
class OcrLimits:
    """Bounds that keep a 300-page scan or a pixel bomb from stalling the bot.

    Attributes:
        max_pages: pages OCR reads in one file; longer scans are refused (``ScanTooLong``).
        max_pixels: a page is scaled down to at most this many pixels before OCR.
        max_image_pixels: an image larger than this is refused before decoding.
        dpi: resolution scanned PDF pages are rendered at.
        page_timeout_s: Tesseract is killed after this long on one page.
        total_timeout_s: the whole file's OCR budget.
    """

    max_pages: int = 100
    max_pixels: int = 9_000_000
    max_image_pixels: int = 120_000_000
    dpi: int = 200
    page_timeout_s: float = 60.0
    total_timeout_s: float = 900.0


@dataclass(frozen=True)
class OcrLine:
    """One line of a page as read, with Tesseract's mean word confidence (0-1)."""

    text: str
    confidence: float
    paragraph_start: bool = False


@dataclass(frozen=True)
class OcrPage:
    """The lines of one page; ``rotated`` is the quarter turn applied, ``skew`` the fix."""

    number: int
    lines: tuple[OcrLine, ...]
    rotated: int = 0
    skew: float = 0.0

    @property
    def confidence(self) -> float:
        weights = [len(line.text) for line in self.lines]
        if not sum(weights):
            return 0.0
        total = sum(line.confidence * w for line, w in zip(self.lines, weights, strict=True))
        return total / sum(weights)

    def text_lines(self) -> list[str]:
        """The page as lines, with a blank line before each new paragraph."""
        out: list[str] = []
        for line in self.lines:
            if line.paragraph_start and out:
                out.append("")
            out.append(line.text)
        return out


class Deadline:
    """The time left for one file's OCR (``clock`` is injectable for tests)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._end = clock() + seconds
        self.seconds = seconds

    def left(self) -> float:
        return self._end - self._clock()


# ---------------------------------------------------------------------------------------------
# image clean-up (pure: PIL images in, PIL images out)


def fit_pixels(image: Image, max_pixels: int) -> Image:
    """Scale down into the pixel budget; scale small images up so letters are ~30 px high."""
    from PIL import Image as PILImage

    width, height = image.size
    pixels = width * height
    if pixels > max_pixels:
        factor = math.sqrt(max_pixels / pixels)
    elif max(width, height) < 1600:
        # A phone thumbnail or a low-resolution scan: Tesseract reads 2x upscaled text better.
        factor = min(2.0, math.sqrt(max_pixels / pixels))
    else:
        return image
    size = (max(1, int(width * factor)), max(1, int(height * factor)))
    return image.resize(size, PILImage.Resampling.LANCZOS)


def flatten_background(image: Image) -> Image:
    """Divide out uneven lighting (a phone photo's shadow), then stretch the contrast."""
    import numpy as np
    from PIL import Image as PILImage
    from PIL import ImageFilter, ImageOps

    grey = image.convert("L")
    small = grey.reduce(4) if min(grey.size) > 400 else grey
    background = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(12))
    background = background.resize(grey.size, PILImage.Resampling.BILINEAR)
    page = np.asarray(grey, dtype=np.float32)
    light = np.maximum(np.asarray(background, dtype=np.float32), 1.0)
    flat = np.clip(page / light * 255.0, 0, 255).astype(np.uint8)
    return ImageOps.autocontrast(PILImage.fromarray(flat, mode="L"), cutoff=(0.1, 1))


def estimate_skew(image: Image, *, max_angle: float = 8.0) -> float:
    """The small rotation (degrees, counter-clockwise) that makes text lines horizontal.

    Projection profiles: dark pixels summed per row are most uneven when lines are level.
    Works on a reduced, binarised copy, coarse then fine.
    """
    import numpy as np
    from PIL import Image as PILImage

    grey = image.convert("L")
    scale = 900 / max(grey.size)
    if scale < 1:
        grey = grey.resize(
            (max(1, int(grey.width * scale)), max(1, int(grey.height * scale))),
            PILImage.Resampling.BILINEAR,
        )
    pixels = np.asarray(grey, dtype=np.uint8)
    threshold = _otsu(pixels)
    ink = PILImage.fromarray(((pixels < threshold) * 255).astype(np.uint8), mode="L")
    if np.count_nonzero(np.asarray(ink)) < 200:
        return 0.0

    def score(angle: float) -> float:
        turned = np.asarray(ink.rotate(angle, resample=PILImage.Resampling.NEAREST, expand=False))
        rows = turned.sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(rows)).sum())

    best = max(np.arange(-max_angle, max_angle + 0.01, 1.0), key=score)
    best = max(np.arange(best - 1.0, best + 1.01, 0.2), key=score)
    return round(float(best), 1)


def _otsu(pixels: Any) -> int:
    import numpy as np

    histogram = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    total = histogram.sum()
    levels = np.arange(256, dtype=np.float64)
    weight_dark = np.cumsum(histogram)
    mean_dark = np.cumsum(histogram * levels)
    weight_light = total - weight_dark
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean_dark[-1] * weight_dark - mean_dark * total) ** 2 / (
            weight_dark * weight_light
        )
    between = np.nan_to_num(between)
    return int(np.argmax(between))


def deskew(image: Image) -> tuple[Image, float]:
    """The image turned level (white fill), and the angle applied."""
    from PIL import Image as PILImage

    angle = estimate_skew(image)
    if abs(angle) < 0.3:
        return image, 0.0
    turned = image.rotate(angle, resample=PILImage.Resampling.BICUBIC, expand=True, fillcolor=255)
    return turned, angle


def prepare_page(image: Image, max_pixels: int) -> Image:
    """The clean-up every page gets before OCR (levelling is :func:`deskew`)."""
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image) or image
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    image = fit_pixels(image, max_pixels)
    image = despeckle(image)
    return flatten_background(image)


def despeckle(image: Image) -> Image:
    """Remove isolated dots (scanner dust, JPEG speckle) that Tesseract reads as text."""
    from PIL import ImageFilter

    return image.convert("L").filter(ImageFilter.MedianFilter(3))


# ---------------------------------------------------------------------------------------------
# sources of page images


IMAGE_KINDS = {"png", "jpeg", "tiff"}


def image_pages(filename: str, data: bytes, limits: OcrLimits) -> tuple[int, Iterator[Image]]:
    """The pages of a JPEG/PNG/TIFF (TIFF may hold several), checked against the limits."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Our own limit below decides; Pillow's warning would only add noise to the log.
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            image = PILImage.open(io.BytesIO(data))
        width, height = image.size
        frames = int(getattr(image, "n_frames", 1) or 1)
    except PILImage.DecompressionBombError as exc:
        raise ImageTooLarge(filename, pixels=0, limit=limits.max_image_pixels) from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise CorruptFile(filename, kind="image", detail=str(exc)[:200]) from exc
    if width * height > limits.max_image_pixels:
        raise ImageTooLarge(
            filename,
            pixels=width * height,
            limit=limits.max_image_pixels,
            width=width,
            height=height,
        )
    if frames > limits.max_pages:
        raise ScanTooLong(filename, pages=frames, limit=limits.max_pages)

    def pages() -> Iterator[Image]:
        for index in range(frames):
            try:
                image.seek(index)
                frame = image.copy()
                frame.load()
            except (OSError, ValueError, EOFError) as exc:
                raise CorruptFile(filename, kind="image", detail=str(exc)[:200]) from exc
            if frame.width * frame.height > limits.max_image_pixels:
                raise ImageTooLarge(
                    filename,
                    pixels=frame.width * frame.height,
                    limit=limits.max_image_pixels,
                    width=frame.width,
                    height=frame.height,
                )
            yield frame

    return frames, pages()


def render_pdf_pages(
    filename: str, data: bytes, numbers: Sequence[int], limits: OcrLimits
) -> Iterator[tuple[int, Image]]:
    """Render the given 1-based pages of a PDF in grey, within the pixel budget."""
    import pypdfium2 as pdfium

    for number in numbers:
        with _PDFIUM_LOCK:
            try:
                document = pdfium.PdfDocument(data)
                try:
                    page = document[number - 1]
                    width, height = page.get_size()
                    scale = limits.dpi / 72
                    area = max(width * height, 1.0)
                    scale = min(scale, math.sqrt(limits.max_pixels / area))
                    bitmap = page.render(scale=scale, grayscale=True)
                    image = bitmap.to_pil().copy()
                    page.close()
                finally:
                    document.close()
            except pdfium.PdfiumError as exc:
                raise CorruptFile(filename, kind="pdf", detail=str(exc)[:200]) from exc
        yield number, image


# ---------------------------------------------------------------------------------------------
# Tesseract


class TesseractOcr:
    """OCR with the system's ``tesseract`` program, one page per process."""

    def __init__(
        self,
        *,
        languages: str = "ind",
        limits: OcrLimits | None = None,
        command: str | None = None,
        concurrency: int = 1,
        cache_dir: Path | None = None,
    ) -> None:
        self.languages = languages
        self.limits = limits or OcrLimits()
        self.command = command or "tesseract"
        self.cache_dir = cache_dir
        """Where pages read are kept by file content (``ingestion.scans``); ``None``: memory
        only."""
        # Two cores serve the bot and everything else: OCR jobs queue instead of competing.
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        # Tesseract's OpenMP threads spin against each other and everything else on a busy
        # two-core machine: one thread per process read a 10-page scan in 14.5 s instead of
        # 33 s under load (docs/benchmarks.md). pytesseract passes os.environ to the process;
        # an operator's own OMP_THREAD_LIMIT wins.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")

    @property
    def settings_key(self) -> str:
        """What, besides the file, decides the text read: a page read under other languages
        or another resolution is not the same page."""
        limits = self.limits
        return f"{self.languages}|{limits.dpi}|{limits.max_pixels}"

    # ---- availability ----------------------------------------------------------------------

    def check(self, filename: str = "") -> None:
        """Raise :class:`OcrUnavailable` unless Tesseract and every language's data are there."""
        missing = _missing(self.command, self.languages)
        if missing:
            raise OcrUnavailable(filename, missing=missing)

    def available(self) -> bool:
        return not _missing(self.command, self.languages)

    # ---- reading ------------------------------------------------------------------------------

    def read_pages(
        self,
        filename: str,
        pages: Iterator[tuple[int, Image]],
        total: int,
        *,
        progress: PageProgress | None = None,
        deadline: Deadline | None = None,
    ) -> list[OcrPage]:
        """OCR every (number, image) page in order, within the time budget."""
        self.check(filename)
        if total > self.limits.max_pages:
            raise ScanTooLong(filename, pages=total, limit=self.limits.max_pages)
        deadline = deadline or Deadline(self.limits.total_timeout_s)
        read: list[OcrPage] = []
        with self._slots:
            for done, (number, image) in enumerate(pages, start=1):
                read.append(self.read_image(filename, image, number, deadline=deadline))
                if progress:
                    progress(done, total)
        return read

    def read_image(
        self, filename: str, image: Image, number: int = 1, *, deadline: Deadline | None = None
    ) -> OcrPage:
        """Clean up and read one page; a page that reads badly is tried turned a quarter,
        the turn Tesseract's orientation detection suggests first."""
        deadline = deadline or Deadline(self.limits.total_timeout_s)
        clean = prepare_page(image, self.limits.max_pixels)
        level, skew = deskew(clean)
        best = OcrPage(number, self._tesseract(filename, level, number, deadline).lines, 0, skew)
        if best.confidence >= _RETRY_BELOW_CONFIDENCE and len(best.lines) >= 2:
            return best
        suggested = self._orientation(filename, clean, deadline)
        turns = [suggested] if suggested else []
        turns += [turn for turn in (90, 270, 180) if turn != suggested]
        for turn in turns:
            turned, turned_skew = deskew(clean.rotate(-turn, expand=True, fillcolor=255))
            lines = self._tesseract(filename, turned, number, deadline).lines
            again = OcrPage(number, lines, turn, turned_skew)
            if again.confidence > best.confidence:
                best = again
            if best.confidence >= _GOOD_CONFIDENCE:
                break
        return best

    def _timeout(self, filename: str, number: int, deadline: Deadline) -> float:
        left = deadline.left()
        if left <= 0:
            raise OcrTimeout(filename, seconds=int(deadline.seconds), page=number)
        return max(1.0, min(self.limits.page_timeout_s, left))

    def _tesseract(self, filename: str, image: Image, number: int, deadline: Deadline) -> OcrPage:
        import pytesseract

        timeout = self._timeout(filename, number, deadline)
        pytesseract.pytesseract.tesseract_cmd = self.command  # one program per deployment
        try:
            data = pytesseract.image_to_data(
                image,
                lang=self.languages,
                config="--oem 1 --psm 3",
                output_type=pytesseract.Output.DICT,
                timeout=timeout,
            )
        except RuntimeError as exc:  # pytesseract's "Tesseract process timeout"
            if "timeout" in str(exc).lower():
                raise OcrTimeout(filename, seconds=int(timeout), page=number) from exc
            raise CorruptFile(filename, kind="image", detail=str(exc)[:200]) from exc
        except pytesseract.TesseractNotFoundError as exc:
            raise OcrUnavailable(filename, missing="tesseract") from exc
        except pytesseract.TesseractError as exc:
            raise CorruptFile(filename, kind="image", detail=str(exc)[:200]) from exc
        return OcrPage(number, tuple(lines_from_tsv(data)))

    def _orientation(self, filename: str, image: Image, deadline: Deadline) -> int:
        """The clockwise quarter turn Tesseract's orientation detection sees (0 if unsure)."""
        import pytesseract

        if "osd" not in _languages(self.command):
            return 0
        timeout = self._timeout(filename, 0, deadline)
        pytesseract.pytesseract.tesseract_cmd = self.command
        try:
            osd = pytesseract.image_to_osd(
                image, config="--psm 0", output_type=pytesseract.Output.DICT, timeout=timeout
            )
        except (pytesseract.TesseractError, RuntimeError):  # "too few characters", timeouts
            return 0
        rotate = int(osd.get("rotate", 0) or 0)
        return rotate if rotate in (90, 180, 270) else 0


def lines_from_tsv(data: dict[str, list[Any]]) -> Iterator[OcrLine]:
    """Tesseract's word table grouped into lines, in reading order, with mean confidences."""
    current: tuple[int, int, int] | None = None
    paragraph: tuple[int, int] | None = None
    words: list[str] = []
    confidences: list[float] = []
    starts_paragraph = False

    def flush() -> OcrLine | None:
        text = " ".join(words).strip()
        if not text:
            return None
        mean = sum(confidences) / len(confidences) if confidences else 0.0
        return OcrLine(text, round(mean / 100, 3), starts_paragraph)

    for index, word in enumerate(data.get("text", [])):
        if int(data["level"][index]) != 5:
            continue
        key = (
            int(data["block_num"][index]),
            int(data["par_num"][index]),
            int(data["line_num"][index]),
        )
        if key != current:
            line = flush()
            if line is not None:
                yield line
            starts_paragraph = paragraph is not None and key[:2] != paragraph
            current, paragraph = key, key[:2]
            words, confidences = [], []
        text = str(word).strip()
        if text:
            words.append(text)
            confidence = float(data["conf"][index])
            if confidence >= 0:
                confidences.append(confidence)
    line = flush()
    if line is not None:
        yield line


@cache
def _languages(command: str) -> frozenset[str]:
    import pytesseract

    if shutil.which(command) is None:
        return frozenset()
    pytesseract.pytesseract.tesseract_cmd = command
    try:
        return frozenset(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractError, OSError, RuntimeError):
        return frozenset()


def _missing(command: str, languages: str) -> str:
    """What to install ('' when nothing): the program, or a language's data."""
    if shutil.which(command) is None:
        return "tesseract"
    found = _languages(command)
    wanted = [lang for lang in languages.split("+") if lang]
    absent = [lang for lang in wanted if lang not in found]
    return "+".join(absent)
