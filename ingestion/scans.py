"""Scanned PDFs and photos into documents: OCR where a page has no text layer.

:func:`load` is :func:`ingestion.loaders.load` with OCR: images (JPEG, PNG, TIFF) are read
page by page, a PDF keeps the text layer of the pages that have one and OCR reads the others,
and every other format goes to the ordinary loaders. :func:`read_lines` gives the raw lines of
each page (what the agreement intake needs to say where it found a field).

Without OCR (``ocr`` is None, or Tesseract is not installed) a file that has no text without it
raises :class:`~ingestion.errors.OcrUnavailable`, whose message says what to install; a PDF
with some text pages is still read from those, and names the scanned pages it left out
(``LoadedDocument.unread_pages``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from core.files import private_dir, write_atomically
from ingestion import detect as sniff
from ingestion import loaders
from ingestion.errors import NoText, OcrUnavailable, ScanUnreadable
from ingestion.ocr import (
    OcrLine,
    OcrPage,
    PageProgress,
    TesseractOcr,
    image_pages,
    render_pdf_pages,
)
from ingestion.schemas import Block, LoadedDocument

log = logging.getLogger(__name__)

IMAGE_MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "tiff": "image/tiff"}


@dataclass(frozen=True)
class PageLines:
    """One page's lines as read; ``page`` is None for formats without pages (DOCX, HTML...)."""

    page: int | None
    lines: tuple[str, ...]
    ocr: bool = False
    confidence: float = 1.0


@dataclass(frozen=True)
class ReadDocument:
    """A file read as lines per page, for rules that need positions (the agreement intake)."""

    media_type: str
    pages: tuple[PageLines, ...]

    @property
    def ocr_pages(self) -> int:
        return sum(1 for p in self.pages if p.ocr)

    @property
    def text(self) -> str:
        return "\n".join(line for page in self.pages for line in page.lines)


class OcrCache:
    """Pages already read, by file content: an intake draft and its confirmation (which puts
    the same file in the knowledge base) OCR a scan once. Bounded, least recently used out.

    Given a folder (``TesseractOcr.cache_dir``) the pages are kept there too, one small JSON
    file a page, so a re-ingest of the same scan (``sinergi kb reindex`` after a chunking
    change, the same file uploaded again, a restart between draft and confirmation) does not
    OCR it again. The folder is a cache: a file that cannot be written or read back is
    passed over and the page read again.
    """

    def __init__(self, max_pages: int = 2000) -> None:
        self._pages: OrderedDict[tuple[str, int], OcrPage] = OrderedDict()
        self._max = max_pages
        self._lock = threading.Lock()

    def get(self, digest: str, number: int, folder: Path | None = None) -> OcrPage | None:
        with self._lock:
            page = self._pages.get((digest, number))
            if page is not None:
                self._pages.move_to_end((digest, number))
                return page
        if folder is None:
            return None
        page = _read_page(_page_file(folder, digest, number), number)
        if page is not None:
            self._remember(digest, page)
        return page

    def put(self, digest: str, page: OcrPage, folder: Path | None = None) -> None:
        self._remember(digest, page)
        if folder is not None:
            _write_page(_page_file(folder, digest, page.number), page)

    def _remember(self, digest: str, page: OcrPage) -> None:
        with self._lock:
            self._pages[(digest, page.number)] = page
            self._pages.move_to_end((digest, page.number))
            while len(self._pages) > self._max:
                self._pages.popitem(last=False)


_CACHE = OcrCache()
_PAGE_FORMAT = 1
"""The layout of a kept page's JSON; a file of another layout is read again."""


def _digest(data: bytes, ocr: TesseractOcr) -> str:
    """The file's content, then the OCR settings that decide the text read: the content part
    names the file's folder in the cache, as it names its kept original."""
    settings = hashlib.sha256(ocr.settings_key.encode("utf-8")).hexdigest()[:16]
    return f"{hashlib.sha256(data).hexdigest()}-{settings}"


def _page_file(folder: Path, digest: str, number: int) -> Path:
    content, _, settings = digest.partition("-")
    return folder / content[:2] / content / f"{settings}-{number}.json"


def cached_contents(folder: Path) -> dict[str, Path]:
    """The files whose pages ``folder`` keeps: their content digests and their folders."""
    if not folder.is_dir():
        return {}
    return {
        kept.name: kept
        for shard in folder.iterdir()
        if shard.is_dir()
        for kept in shard.iterdir()
        if kept.is_dir()
    }


def _read_page(path: Path, number: int) -> OcrPage | None:
    try:
        kept = json.loads(path.read_text("utf-8"))
        if kept.get("format") != _PAGE_FORMAT or kept.get("number") != number:
            return None
        lines = tuple(
            OcrLine(str(text), float(confidence), bool(starts))
            for text, confidence, starts in kept["lines"]
        )
        return OcrPage(number, lines, int(kept["rotated"]), float(kept["skew"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:  # a damaged file: read again
        log.warning("OCR cache file %s not used: %s", path, exc)
        return None


def _write_page(path: Path, page: OcrPage) -> None:
    kept = {
        "format": _PAGE_FORMAT,
        "number": page.number,
        "rotated": page.rotated,
        "skew": page.skew,
        "lines": [[line.text, line.confidence, line.paragraph_start] for line in page.lines],
    }
    data = json.dumps(kept, ensure_ascii=False).encode("utf-8")
    try:
        private_dir(path.parent)
        # A crash never leaves half a page under the final name.
        write_atomically(path, lambda handle: handle.write(data))
    except OSError as exc:  # a full or read-only disk: the page is still read, just not kept
        log.warning("OCR cache file %s not written: %s", path, exc)


def _ocr_pdf_pages(
    filename: str,
    data: bytes,
    numbers: list[int],
    ocr: TesseractOcr,
    progress: PageProgress | None,
) -> list[OcrPage]:
    digest = _digest(data, ocr)
    folder = ocr.cache_dir
    cached = {n: page for n in numbers if (page := _CACHE.get(digest, n, folder)) is not None}
    wanted = [n for n in numbers if n not in cached]
    if wanted:
        read = ocr.read_pages(
            filename,
            render_pdf_pages(filename, data, wanted, ocr.limits),
            len(wanted),
            progress=progress,
        )
        for page in read:
            _CACHE.put(digest, page, folder)
            cached[page.number] = page
    return [cached[n] for n in numbers]


def _ocr_image(
    filename: str, data: bytes, ocr: TesseractOcr, progress: PageProgress | None
) -> list[OcrPage]:
    ocr.check(filename)
    digest = _digest(data, ocr)
    folder = ocr.cache_dir
    total, frames = image_pages(filename, data, ocr.limits)
    cached = [_CACHE.get(digest, n, folder) for n in range(1, total + 1)]
    if all(page is not None for page in cached):
        return [page for page in cached if page is not None]

    def numbered() -> Iterator[tuple[int, object]]:
        yield from enumerate(frames, start=1)

    read = ocr.read_pages(filename, numbered(), total, progress=progress)  # type: ignore[arg-type]
    for page in read:
        _CACHE.put(digest, page, folder)
    return read


def load(
    filename: str,
    data: bytes,
    ocr: TesseractOcr | None,
    *,
    progress: PageProgress | None = None,
) -> LoadedDocument:
    """Like :func:`ingestion.loaders.load`, reading scanned pages and images with ``ocr``."""
    kind = sniff.image_kind(data)
    if kind is not None:
        if ocr is None:
            raise OcrUnavailable(filename, missing="tesseract")
        pages = _ocr_image(filename, data, ocr, progress)
        return _document(filename, IMAGE_MEDIA_TYPES[kind], pages)
    if b"%PDF-" not in data[:1024]:
        return loaders.load(filename, data)
    wanted_ocr: list[int] = []
    usable = ocr is not None and ocr.available()

    def read_scans(numbers: list[int]) -> dict[int, list[str]]:
        wanted_ocr.extend(numbers)
        if ocr is None or not usable:
            return {}
        pages = _ocr_pdf_pages(filename, data, numbers, ocr, progress)
        return {page.number: page.text_lines() for page in pages}

    try:
        loaded = loaders.load_pdf(filename, data, read_scans=read_scans)
    except NoText as err:
        if not wanted_ocr or isinstance(err, ScanUnreadable):
            raise
        if ocr is None or not usable:
            # Says what to install (the program or the language data).
            if ocr is not None:
                ocr.check(filename)
            raise OcrUnavailable(filename, missing="tesseract") from err
        raise ScanUnreadable(filename, pages=len(wanted_ocr)) from err
    if wanted_ocr and not usable:
        # Read from its text pages; the uploader is told which scanned pages are not in it.
        return replace(loaded, unread_pages=tuple(sorted(wanted_ocr)))
    return loaded


def read_lines(
    filename: str,
    data: bytes,
    ocr: TesseractOcr | None,
    *,
    progress: PageProgress | None = None,
) -> ReadDocument:
    """The file's lines per page, as printed: text layer where there is one, else OCR."""
    kind = sniff.image_kind(data)
    if kind is not None:
        if ocr is None:
            raise OcrUnavailable(filename, missing="tesseract")
        pages = _ocr_image(filename, data, ocr, progress)
        read = tuple(_page_lines(p) for p in pages)
        media_type = IMAGE_MEDIA_TYPES[kind]
    elif b"%PDF-" in data[:1024]:
        read = _pdf_lines(filename, data, ocr, progress)
        media_type = sniff.PDF
    else:
        loaded = loaders.load(filename, data)
        read = _block_lines(loaded.blocks)
        media_type = loaded.media_type
    if not any(line.strip() for page in read for line in page.lines):
        if any(page.ocr for page in read):
            raise ScanUnreadable(filename, pages=len(read))
        raise NoText(filename)
    return ReadDocument(media_type, read)


def _pdf_lines(
    filename: str, data: bytes, ocr: TesseractOcr | None, progress: PageProgress | None
) -> tuple[PageLines, ...]:
    text_pages = loaders.pdf_page_lines(filename, data)
    scanned = [n for n, lines in enumerate(text_pages, start=1) if loaders.needs_ocr(lines)]
    read: dict[int, OcrPage] = {}
    if scanned:
        if ocr is None:
            if len(scanned) == len(text_pages):
                raise OcrUnavailable(filename, missing="tesseract")
        elif ocr.available() or len(scanned) == len(text_pages):
            ocr.check(filename)
            read = {p.number: p for p in _ocr_pdf_pages(filename, data, scanned, ocr, progress)}
    out = []
    for number, lines in enumerate(text_pages, start=1):
        if number in read:
            out.append(_page_lines(read[number]))
        else:
            out.append(PageLines(number, tuple(lines)))
    return tuple(out)


def _page_lines(page: OcrPage) -> PageLines:
    return PageLines(
        page.number,
        tuple(line.text for line in page.lines),
        ocr=True,
        confidence=round(page.confidence, 3),
    )


def _block_lines(blocks: tuple[Block, ...]) -> tuple[PageLines, ...]:
    pages: dict[int | None, list[str]] = {}
    for block in blocks:
        pages.setdefault(block.page, []).extend(block.text.splitlines())
    return tuple(PageLines(page, tuple(lines)) for page, lines in pages.items())


def _document(filename: str, media_type: str, pages: list[OcrPage]) -> LoadedDocument:
    page_lines = loaders.strip_page_furniture([page.text_lines() for page in pages])
    blocks: list[Block] = []
    for page, lines in zip(pages, page_lines, strict=True):
        blocks.extend(loaders.blocks_from_lines(loaders.join_hyphenated(lines), page=page.number))
    if not any(block.text.strip() for block in blocks):
        raise ScanUnreadable(filename, pages=len(pages))
    return LoadedDocument(
        media_type,
        tuple(blocks),
        title=loaders.first_heading(blocks),
        page_count=len(pages),
    )
