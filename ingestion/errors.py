"""Why one file could not be ingested.

Every error names the file (``file``) so a batch report can list failures per file; the message
texts live in ``services/locales/ingest.<lang>.json`` under ``error.<code>``.
"""

from __future__ import annotations

from typing import Any

from core.errors import ConfigurationError, InvalidInput


class IngestError(InvalidInput):
    """A file that cannot be turned into searchable text; other files are unaffected."""

    code = "ingest.error"

    def __init__(self, file: str, message: str = "", /, **params: Any) -> None:
        super().__init__(message or f"{self.code}: {file}", file=file, **params)

    @property
    def file(self) -> str:
        return str(self.params.get("file", ""))


class FileTooLarge(IngestError):
    """Larger than the configured upload limit (``size_mb``, ``limit_mb``)."""

    code = "ingest.too_large"


class UnsupportedFileType(IngestError):
    """Neither PDF, DOCX, HTML, Markdown nor plain text (``kind`` says what it looks like)."""

    code = "ingest.unsupported_type"


class EncryptedPdf(IngestError):
    """A password-protected PDF."""

    code = "ingest.encrypted_pdf"


class CorruptFile(IngestError):
    """The file claims a format (``kind``) but cannot be read as one."""

    code = "ingest.corrupt"


class NoText(IngestError):
    """A readable file without any text, e.g. a scanned, image-only PDF."""

    code = "ingest.no_text"


class ZipBomb(IngestError):
    """A DOCX (zip) that would expand far beyond any real document."""

    code = "ingest.zip_bomb"


class BinaryText(IngestError):
    """A file named as text whose content is binary."""

    code = "ingest.binary_text"


class EmptyFile(IngestError):
    """A file of zero bytes or only whitespace."""

    code = "ingest.empty"


class UnreadableFile(IngestError):
    """The path does not exist or cannot be read (``reason``)."""

    code = "ingest.unreadable"


class FileNotFound(IngestError):
    """The path given does not exist."""

    code = "ingest.not_found"


class OriginalMissing(IngestError):
    """The kept original of an indexed document is gone, so it cannot be re-chunked."""

    code = "ingest.original_missing"


class OriginalChanged(IngestError):
    """The kept original of an indexed document no longer holds the bytes that were uploaded
    (replaced or linked elsewhere on disk), so re-chunking it would index unreviewed text
    under the old upload's record."""

    code = "ingest.original_changed"


class DuplicateName(IngestError):
    """Two files of one batch map to the same document id (``doc_id``, ``other``)."""

    code = "ingest.duplicate_name"


class InvalidDocType(IngestError):
    """A document type that is not one of ``choices``."""

    code = "ingest.invalid_doc_type"


class LinkOutsideFolder(IngestError):
    """A symbolic link in an ingested folder that points outside it (``target``): refused, so
    ``kb ingest DIR`` never reads what the folder's owner could not put there."""

    code = "ingest.link_outside"


class NotRegularFile(IngestError):
    """A named pipe, a device, a socket or a dangling link (``kind``): nothing to read."""

    code = "ingest.not_regular_file"


class OcrUnavailable(IngestError, ConfigurationError):
    """A scan needs OCR but Tesseract (``missing="tesseract"``) or its language data is absent."""

    code = "ingest.ocr_unavailable"


class ScanTooLong(IngestError):
    """A scan with more pages (``pages``) than OCR reads in one file (``limit``)."""

    code = "ingest.scan_too_long"


class OcrTimeout(IngestError):
    """OCR ran out of its time budget (``seconds``) at page ``page``."""

    code = "ingest.ocr_timeout"


class ImageTooLarge(IngestError):
    """An image whose pixel count (``pixels``) is above what OCR accepts (``limit``)."""

    code = "ingest.image_too_large"


class ScanUnreadable(NoText):
    """A scan OCR read without finding text (blank, blurred or too small)."""

    code = "ingest.scan_unreadable"
