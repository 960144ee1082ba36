"""Sniff a file's type from its bytes (magic numbers, zip structure, markup, text validity).

The extension is only a hint for telling Markdown from plain text; a PDF named ``.txt`` is read
as a PDF, and a binary file named ``.txt`` is refused instead of indexed as gibberish.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from ingestion.errors import BinaryText, CorruptFile, EmptyFile, UnsupportedFileType, ZipBomb

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML = "text/html"
MARKDOWN = "text/markdown"
TEXT = "text/plain"

SUPPORTED_TYPES = (PDF, DOCX, HTML, MARKDOWN, TEXT)
# Extensions accepted before download (Telegram) and picked up when walking a folder.
SUPPORTED_EXTENSIONS = frozenset(
    {".pdf", ".docx", ".html", ".htm", ".xhtml", ".md", ".markdown", ".txt", ".text"}
)
MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown"})
# Scans and photos, read with OCR: accepted as uploads, not picked up when walking a folder
# (a folder of manuals holds screenshots that are illustrations, not documents).
SCAN_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff"})
UPLOAD_EXTENSIONS = SUPPORTED_EXTENSIONS | SCAN_EXTENSIONS
_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)

# Formats people try to upload that we recognise but do not read.
_OTHER_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "doc/xls (OLE)"),
    (b"{\\rtf", "rtf"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!", "rar"),
    (b"\x7fELF", "executable"),
    (b"MZ", "executable"),
    (b"ID3", "mp3"),
    (b"OggS", "ogg"),
    (b"\x00\x00\x00\x18ftyp", "mp4"),
    (b"\x00\x00\x00\x20ftyp", "mp4"),
)

# A real DOCX of a few hundred pages expands to tens of MB; limits far above that, per member
# and in total, plus a ratio check that catches the classic highly repetitive bombs.
MAX_ZIP_MEMBERS = 5_000
MAX_ZIP_TOTAL_BYTES = 300 * 1024 * 1024
MAX_ZIP_RATIO = 200
_RATIO_CHECK_MIN_BYTES = 2 * 1024 * 1024
# The XML parts are what the parser expands in memory (about twice their size as a tree): a
# 300-page manual with tables has under 20 MB of them. Images and other media are not parsed
# and compress hardly at all, so they do not count here.
MAX_ZIP_XML_BYTES = 64 * 1024 * 1024

_HTML_START = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I | re.S
)
_HTML_TAG = re.compile(
    r"</?(html|head|body|div|p|h[1-6]|ul|ol|li|table|tr|td|article|main|section|span|a|br)\b[^>]*>",
    re.I,
)
# Spaces within the line only: "\s*" also ran over line ends, so every blank line of a
# text of many was scanned to the end again (20,000 blank lines took 10 s).
_MD_SIGNAL = re.compile(r"^(#{1,6} \S|```|[ \t]*[-*+] \S|[ \t]*\d+[.)] \S|\|.*\|[ \t]*$)", re.M)


@dataclass(frozen=True)
class Detected:
    """A sniffed file: its media type, plus the decoded text for text formats."""

    media_type: str
    text: str | None = None
    encoding: str | None = None


def image_kind(data: bytes) -> str | None:
    """``png``, ``jpeg`` or ``tiff`` for an image OCR can read, else None."""
    return next((kind for magic, kind in _IMAGE_MAGIC if data.startswith(magic)), None)


def extension(filename: str) -> str:
    return PurePath(filename).suffix.lower()


def detect(filename: str, data: bytes) -> Detected:
    """The media type of ``data``; raises an :mod:`ingestion.errors` error when unusable."""
    if not data.strip():
        raise EmptyFile(filename)
    head = data[:1024]
    if b"%PDF-" in head:
        return Detected(PDF)
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return Detected(_sniff_zip(filename, data))
    for magic, kind in _OTHER_MAGIC:
        if data.startswith(magic):
            raise UnsupportedFileType(filename, kind=kind)
    try:
        text, encoding = decode_text(filename, data)
    except BinaryText as exc:
        # Binary bytes under a binary format's name: a damaged or mislabelled PDF or DOCX, which
        # is what the uploader needs to hear ("named as text" would be wrong for them).
        claimed = {".pdf": "pdf", ".docx": "docx"}.get(extension(filename))
        if claimed is not None:
            raise CorruptFile(filename, kind=claimed, detail="no PDF or DOCX signature") from exc
        raise
    if not text.strip():
        raise EmptyFile(filename)
    return Detected(_sniff_text_kind(filename, data, text), text, encoding)


def check_zip(filename: str, archive: zipfile.ZipFile) -> None:
    """Refuse archives whose declared sizes could exhaust memory or disk.

    ``zipfile`` stops every member at its declared size (and fails the CRC otherwise), so
    checking the central directory is enough; nothing is decompressed here.
    """
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise ZipBomb(filename, members=len(members))
    total = compressed = xml = 0
    for info in members:
        total += info.file_size
        compressed += info.compress_size
        if info.filename.lower().endswith((".xml", ".rels")):
            xml += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if (
            total > MAX_ZIP_TOTAL_BYTES
            or xml > MAX_ZIP_XML_BYTES
            or (info.file_size > _RATIO_CHECK_MIN_BYTES and ratio > MAX_ZIP_RATIO)
        ):
            raise ZipBomb(filename, member=info.filename, size=info.file_size, ratio=int(ratio))
    # Many small members, each below the per-member check, can still add up to a bomb.
    overall = total / max(compressed, 1)
    if total > _RATIO_CHECK_MIN_BYTES and overall > MAX_ZIP_RATIO:
        raise ZipBomb(filename, member="*", size=total, ratio=int(overall))


def _sniff_zip(filename: str, data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_zip(filename, archive)
            names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise CorruptFile(filename, kind="zip", detail=str(exc)) from exc
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        raise UnsupportedFileType(filename, kind="xlsx")
    if "ppt/presentation.xml" in names:
        raise UnsupportedFileType(filename, kind="pptx")
    if "content.xml" in names:
        raise UnsupportedFileType(filename, kind="odf")
    if extension(filename) == ".docx":
        raise CorruptFile(filename, kind="docx", detail="no word/document.xml")
    raise UnsupportedFileType(filename, kind="zip")


def decode_text(filename: str, data: bytes) -> tuple[str, str]:
    """Decode text bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252.

    Windows-1252 is the common legacy encoding of Indonesian office files; it decodes nearly
    every byte, so binary content is recognised first by NUL and control bytes.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise BinaryText(filename) from exc
    sample = data[:65536]
    if b"\x00" in sample or _control_ratio(sample) > 0.02:
        raise BinaryText(filename)
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(sample)
    for encoding in (declared, "cp1252"):
        if not encoding:
            continue
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    # cp1252 leaves five bytes undefined; latin-1 maps every byte, and the control check above
    # already refused binary content.
    return data.decode("latin-1"), "latin-1"


def _control_ratio(sample: bytes) -> float:
    if not sample:
        return 0.0
    controls = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 12, 13, 27))
    return controls / len(sample)


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)


def _declared_charset(sample: bytes) -> str | None:
    match = _CHARSET.search(sample)
    return match.group(1).decode("ascii").lower() if match else None


def _sniff_text_kind(filename: str, data: bytes, text: str) -> str:
    if _HTML_START.match(data[:4096]) or extension(filename) in {".html", ".htm", ".xhtml"}:
        return HTML
    sample = text[:20000]
    if extension(filename) in MARKDOWN_EXTENSIONS and re.search(r"^#{1,6} \S", sample, re.M):
        return MARKDOWN  # Markdown with inline HTML (a README's centred title) is Markdown
    tags = len(_HTML_TAG.findall(sample))
    if tags >= 5 and tags * 40 > len(sample.split("\n")):
        return HTML
    if extension(filename) in MARKDOWN_EXTENSIONS:
        return MARKDOWN
    if re.search(r"^#{1,6} \S", sample, re.M) and len(_MD_SIGNAL.findall(sample)) >= 2:
        return MARKDOWN
    return TEXT
