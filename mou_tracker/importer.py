"""Reading agreements from a CSV or XLSX file into :class:`NewAgreement` rows.

Pure with respect to the database: the service checks what already exists and writes. Every bad
cell becomes an :class:`ImportProblem` (row, column, code, params); nothing is silently dropped
except rows that are entirely blank.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
import stat
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from core.errors import AppError
from core.text import clean_block
from mou_tracker.dates import parse_optional_date
from mou_tracker.errors import (
    ImportFileNotFound,
    ImportFileTooLarge,
    ImportPathNotFile,
    InvalidDate,
    UnreadableImportFile,
    UnsupportedImportFile,
)
from mou_tracker.exporter import starts_formula
from mou_tracker.regions import RegionDirectory
from mou_tracker.schemas import ImportProblem, NewAgreement, NewParty
from mou_tracker.templates import DEFAULT_TEMPLATE, TemplateLibrary

SUPPORTED_SUFFIXES = (".csv", ".xlsx")
MAX_ROWS = 20_000
#: No agreement register comes near this; a larger file is refused before it is read.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Columns read from a sheet: the import knows fewer than 60 headers, and a sheet whose
#: dimension claims 16,384 columns must not make every row that wide.
MAX_COLUMNS = 200
#: What the parts of an XLSX may expand to. openpyxl reads the shared strings whole, so a
#: bomb there would be decompressed into memory before the first row.
MAX_XLSX_EXPANDED_BYTES = 200 * 1024 * 1024
LIST_SEPARATOR = ";"

#: Canonical column -> accepted headers (normalised: lower case, "_" for spaces).
COLUMNS: dict[str, tuple[str, ...]] = {
    # The stored agreement a row stands for: exports carry it, so an edited export updates
    # (``--update``) the agreement it came from instead of adding another.
    "id": ("id", "id_perjanjian", "agreement_id"),
    "type": ("type", "jenis", "kind", "jenis_dokumen"),
    "number": ("number", "nomor", "no", "nomor_dokumen", "nomor_perjanjian"),
    "title": ("title", "judul", "perihal", "tentang"),
    "parties": ("parties", "para_pihak", "pihak"),
    "signed_on": ("signed_on", "tanggal_ttd", "tgl_ttd", "tanggal_tanda_tangan", "tanggal"),
    "ends_on": ("ends_on", "tanggal_berakhir", "berlaku_sampai", "tgl_berakhir"),
    "apps": ("apps", "aplikasi"),
    "template": ("template", "templat"),
    "objective": ("objective", "tujuan", "ruang_lingkup", "maksud_dan_tujuan"),
    "status": ("status",),
    "parent": ("parent", "induk", "nomor_induk", "kb_induk"),
    "done": ("done", "tahap_selesai", "selesai"),
    "signatory": ("signatory", "penandatangan"),
    "coordinator": ("coordinator", "koordinator"),
}
REQUIRED = ("type", "title", "parties")
#: Columns an export writes that are computed, never read back (health, renewal due).
DERIVED = ("kesehatan", "perlu_perpanjangan", "health", "renewal_due")
#: Ids are database integers: 1 up to the largest 64-bit one.
MAX_ID = 2**63 - 1
_HEADER_TO_COLUMN = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}

KINDS = {
    "kb": "kb",
    "mou": "kb",
    "kesepakatan bersama": "kb",
    "nota kesepahaman": "kb",
    "kb/mou": "kb",
    "pks": "pks",
    "perjanjian kerja sama": "pks",
    "perjanjian kerjasama": "pks",
    "addendum": "addendum",
    "adendum": "addendum",
    "amandemen": "addendum",
}
STATUSES = {
    "draft": "draft",
    "draf": "draft",
    "active": "active",
    "aktif": "active",
    "berlaku": "active",
    "expired": "expired",
    "berakhir": "expired",
    "kedaluwarsa": "expired",
    "terminated": "terminated",
    "dihentikan": "terminated",
    "batal": "terminated",
    "completed": "completed",
    "selesai": "completed",
}
_NO_TEMPLATE = ("-", "none", "tanpa", "tidak ada")


@dataclass(frozen=True)
class ParsedRow:
    row: int
    agreement: NewAgreement
    parent_number: str | None = None
    #: The ``id`` cell: the stored agreement this row is (``None``: blank or no such column).
    agreement_id: int | None = None
    #: The row's cells by canonical column (only the file's columns), as read.
    cells: dict[str, str] = field(default_factory=dict)

    def given(self, column: str) -> bool:
        """Whether the file has ``column`` and this row's cell in it is not blank."""
        return bool(self.cells.get(column, "").strip())


@dataclass
class ParsedImport:
    rows: list[ParsedRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: What was read differently from how it was written (a region name corrected), per row.
    corrections: list[ImportProblem] = field(default_factory=list)
    total_rows: int = 0
    blank_rows: int = 0
    #: The canonical columns the file has (an update compares only these).
    columns: frozenset[str] = frozenset()


def normalize_header(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def normalize_number(text: str) -> str:
    """Document numbers compared without case and spacing: ``119 / HK / 2018`` = ``119/hk/2018``."""
    return re.sub(r"\s+", "", text).lower()


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]


def split_positional(text: str) -> list[str]:
    """One value per party, in party order: ``"; 42"`` is nothing for the first party and 42
    for the second (an export writes blanks so); trailing blanks are dropped."""
    parts = [part.strip() for part in text.split(LIST_SEPARATOR)]
    while parts and not parts[-1]:
        parts.pop()
    return parts


def parse_id(text: str) -> int | None:
    """An ``id`` cell: blank, or a positive whole number that fits the database.

    Raises:
        ValueError: anything else.
    """
    value = text.strip()
    if not value:
        return None
    if not re.fullmatch(r"[0-9]{1,19}", value) or not 1 <= int(value) <= MAX_ID:
        raise ValueError(value)
    return int(value)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = clean_block(str(value))
    # An export neutralises "=..." as "'=..." (see mou_tracker.exporter); the quote is not
    # part of the text, so a re-imported file stores what was exported.
    if text.startswith("'") and starts_formula(text[1:]):
        return text[1:]
    return text


# --- reading files -------------------------------------------------------------------------------


def read_table(path: Path) -> tuple[list[list[Any]], list[str]]:
    """The rows of the first sheet (header first) and notes about how the file was read.

    At most ``MAX_ROWS + 2`` rows are read: enough for the header, every allowed row and the
    one that shows the file is too long.
    """
    shown = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ImportFileNotFound(shown) from None
    except OSError as exc:
        raise UnreadableImportFile(shown, exc.strerror or type(exc).__name__) from None
    if not stat.S_ISREG(info.st_mode):
        raise ImportPathNotFile(shown)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedImportFile(shown, suffix or "-")
    if info.st_size > MAX_FILE_BYTES:
        raise ImportFileTooLarge(
            shown, size_mb=round(info.st_size / 2**20, 1), max_mb=MAX_FILE_BYTES // 2**20
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableImportFile(shown, exc.strerror or type(exc).__name__) from None
    if suffix == ".xlsx":
        return _read_xlsx(path, data)
    return _read_csv(path, data)


def _decode_csv(path: Path, data: bytes) -> tuple[str, list[str]]:
    """The text of a CSV file and a note when it was not UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data[:4096]):
        # Excel's "Unicode Text" and some Windows tools write UTF-16 (with a BOM, usually).
        encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else _utf16_order(data)
        try:
            return data.decode(encoding), ["import.note.utf16"]
        except UnicodeDecodeError:
            raise UnreadableImportFile(str(path), "encoding") from None
    if b"\x00" in data[:4096]:
        raise UnreadableImportFile(str(path), "binary")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    # Excel on Windows saves "CSV" in the ANSI code page; cp1252 is what Indonesian
    # installations use. Say so, since a wrong guess would show as odd letters.
    try:
        return data.decode("cp1252"), ["import.note.cp1252"]
    except UnicodeDecodeError:
        raise UnreadableImportFile(str(path), "encoding") from None


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a BOM: text whose every other byte is NUL."""
    if len(head) < 4:
        return False
    even, odd = head[0::2], head[1::2]
    return even.count(0) > 0.9 * len(even) or odd.count(0) > 0.9 * len(odd)


def _utf16_order(data: bytes) -> str:
    return "utf-16-le" if data[1::2][:2048].count(0) >= data[0::2][:2048].count(0) else "utf-16-be"


def _read_csv(path: Path, data: bytes) -> tuple[list[list[Any]], list[str]]:
    text, notes = _decode_csv(path, data)
    first_line = text.split("\n", 1)[0]
    # Comma, semicolon (Excel with a comma decimal separator) or tab (Excel "Unicode Text").
    delimiter = max((",", ";", "\t"), key=first_line.count)
    try:
        rows = list(
            itertools.islice(
                csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), MAX_ROWS + 2
            )
        )
    except csv.Error as exc:
        raise UnreadableImportFile(str(path), str(exc)) from None
    return [list(r) for r in rows], notes


def _check_xlsx_archive(path: Path, data: bytes) -> None:
    """Refuse an XLSX whose parts would expand beyond any real register (a zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise UnsupportedImportFile(str(path), "not-xlsx") from None
    if expanded > MAX_XLSX_EXPANDED_BYTES:
        raise ImportFileTooLarge(
            str(path),
            size_mb=round(expanded / 2**20, 1),
            max_mb=MAX_XLSX_EXPANDED_BYTES // 2**20,
        )


def _read_xlsx(path: Path, data: bytes) -> tuple[list[list[Any]], list[str]]:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnsupportedImportFile(str(path), "not-xlsx")
    _check_xlsx_archive(path, data)
    # Heavy import; only XLSX imports pay for it.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, InvalidFileException) as exc:
        raise UnreadableImportFile(str(path), type(exc).__name__) from None
    notes: list[str] = []
    try:
        sheet = workbook.worksheets[0]
        if len(workbook.worksheets) > 1:
            # An export's second sheet lists milestones; edits there are not imported, and
            # saying so beats ignoring them silently.
            notes.append("import.note.first_sheet_only")
        # Lazily, and no further than the row limit needs: a sheet claiming a million rows
        # is refused by the row count without being read whole.
        header = next(sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
        width = max((i + 1 for i, v in enumerate(header) if v not in (None, "")), default=1)
        lazy = sheet.iter_rows(values_only=True, max_col=width)
        rows = [list(r) for r in itertools.islice(lazy, MAX_ROWS + 2)]
    except (KeyError, ValueError, TypeError, OSError, zipfile.BadZipFile) as exc:
        raise UnreadableImportFile(str(path), type(exc).__name__) from None
    finally:
        workbook.close()
    return rows, notes


# --- rows -> agreements --------------------------------------------------------------------------


def make_import_key(
    kind: str, numbers: Sequence[str], title: str, codes: Sequence[str], signed_on: date | None
) -> str:
    """The identity of an imported agreement, so importing a file again adds nothing: the kind
    and the first document number, or (unnumbered) a hash of kind, title, parties and date."""
    first = next((n for n in numbers if n.strip()), None)
    if first:
        return f"{kind}:{normalize_number(first)}"[:200]
    basis = "|".join([kind, " ".join(title.lower().split()), *sorted(codes), str(signed_on)])
    return f"{kind}:sha1:{hashlib.sha1(basis.encode()).hexdigest()}"


def parse_rows(
    table: Sequence[Sequence[Any]],
    regions: RegionDirectory,
    templates: TemplateLibrary,
) -> ParsedImport:
    """Check every row of ``table`` (header first) and build the agreements it describes."""
    result = ParsedImport()
    if not table or not any(_cell_text(c) for c in table[0]):
        result.problems.append(ImportProblem(1, "-", "import.no_header"))
        return result
    header = [normalize_header(_cell_text(c)) for c in table[0]]
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        column = _HEADER_TO_COLUMN.get(name)
        if column is not None and column not in positions:
            positions[column] = index
    missing = [c for c in REQUIRED if c not in positions]
    for column in missing:
        result.problems.append(
            ImportProblem(
                1, column, "import.missing_column", {"aliases": ", ".join(COLUMNS[column])}
            )
        )
    if missing:
        return result
    result.columns = frozenset(positions)
    if len(table) - 1 > MAX_ROWS:
        result.problems.append(ImportProblem(1, "-", "import.too_many_rows", {"max": MAX_ROWS}))
        return result

    seen_keys: dict[str, int] = {}
    seen_ids: dict[int, int] = {}
    for offset, raw in enumerate(table[1:], start=2):
        cells = {c: _cell_text(raw[i]) if i < len(raw) else "" for c, i in positions.items()}
        raw_values = {c: raw[i] if i < len(raw) else None for c, i in positions.items()}
        if not any(_cell_text(v) for v in raw):
            result.blank_rows += 1
            continue
        result.total_rows += 1
        row = _parse_row(
            offset, cells, raw_values, regions, templates, result.problems, result.corrections
        )
        if row is None:
            continue
        key = row.agreement.import_key or ""
        if key in seen_keys:
            result.problems.append(
                ImportProblem(offset, "number", "import.duplicate_row", {"first": seen_keys[key]})
            )
            continue
        if row.agreement_id is not None and row.agreement_id in seen_ids:
            first = seen_ids[row.agreement_id]
            result.problems.append(
                ImportProblem(offset, "id", "import.duplicate_row", {"first": first})
            )
            continue
        seen_keys[key] = offset
        if row.agreement_id is not None:
            seen_ids[row.agreement_id] = offset
        result.rows.append(row)
    if result.total_rows == 0 and not result.problems:
        result.problems.append(ImportProblem(1, "-", "import.empty"))
    return result


def _problem_from_error(row: int, column: str, error: AppError) -> ImportProblem:
    params = {k: v for k, v in error.params.items() if not isinstance(v, list)}
    return ImportProblem(row, column, error.code, params)


def _parse_row(
    row: int,
    cells: dict[str, str],
    raw: dict[str, Any],
    regions: RegionDirectory,
    templates: TemplateLibrary,
    problems: list[ImportProblem],
    corrections: list[ImportProblem],
) -> ParsedRow | None:
    before = len(problems)

    agreement_id: int | None = None
    try:
        agreement_id = parse_id(cells.get("id", ""))
    except ValueError:
        problems.append(ImportProblem(row, "id", "import.bad_id", {"value": cells["id"][:40]}))

    kind_text = cells["type"]
    kind = KINDS.get(" ".join(kind_text.lower().split()))
    if kind is None:
        problems.append(ImportProblem(row, "type", "import.bad_type", {"value": kind_text or "-"}))

    title = " ".join(cells["title"].split())
    if not title:
        problems.append(ImportProblem(row, "title", "import.required", {}))
    elif len(title) > 500:
        problems.append(ImportProblem(row, "title", "import.too_long", {"max": 500}))

    codes: list[str] = []
    names = split_list(cells["parties"])
    for name in names:
        try:
            region, corrected = regions.resolve_match(name)
        except AppError as err:
            problems.append(_problem_from_error(row, "parties", err))
            continue
        codes.append(region.code)
        if corrected:
            corrections.append(
                ImportProblem(
                    row,
                    "parties",
                    "import.region_corrected",
                    {"given": name, "resolved": region.name, "code": region.code},
                )
            )
    if len(names) < 2:
        problems.append(
            ImportProblem(row, "parties", "import.too_few_parties", {"count": len(names)})
        )
    elif len(set(codes)) < len(codes):
        problems.append(ImportProblem(row, "parties", "import.repeated_party", {}))

    dates: dict[str, date | None] = {}
    for column in ("signed_on", "ends_on"):
        try:
            dates[column] = parse_optional_date(raw.get(column))
        except InvalidDate as err:
            problems.append(_problem_from_error(row, column, err))
            dates[column] = None
    signed_on, ends_on = dates["signed_on"], dates["ends_on"]
    if signed_on and ends_on and ends_on < signed_on:
        problems.append(
            ImportProblem(
                row,
                "ends_on",
                "import.ends_before_signed",
                {"ends_on": ends_on.isoformat(), "signed_on": signed_on.isoformat()},
            )
        )

    status: str | None = None
    if cells.get("status"):
        status = STATUSES.get(cells["status"].lower().strip())
        if status is None:
            problems.append(
                ImportProblem(row, "status", "import.bad_status", {"value": cells["status"]})
            )
    if status not in (None, "draft") and signed_on is None:
        problems.append(ImportProblem(row, "signed_on", "import.required", {}))

    numbers = split_positional(cells.get("number", ""))
    if len(numbers) > 1 and names and len(numbers) != len(names):
        problems.append(
            ImportProblem(
                row,
                "number",
                "import.numbers_mismatch",
                {"numbers": len(numbers), "parties": len(names)},
            )
        )

    given_template = cells.get("template", "").strip() or DEFAULT_TEMPLATE
    template_name: str | None = None
    template = None
    if given_template.lower() not in _NO_TEMPLATE:
        template_name = given_template
        try:
            template = templates.get(given_template)
            template_name = template.name
        except AppError as err:
            problems.append(_problem_from_error(row, "template", err))
    done_keys = tuple(split_list(cells.get("done", "")))
    if done_keys and template is not None:
        unknown = [k for k in done_keys if template.step(k) is None]
        if unknown:
            problems.append(
                ImportProblem(
                    row,
                    "done",
                    "import.unknown_step",
                    {"keys": ", ".join(unknown), "known": ", ".join(s.key for s in template.steps)},
                )
            )
    elif done_keys:
        problems.append(ImportProblem(row, "done", "import.done_without_template", {}))

    if len(problems) > before or kind is None:
        return None

    signatories = split_positional(cells.get("signatory", ""))
    coordinators = split_positional(cells.get("coordinator", ""))

    def nth(values: list[str], index: int) -> str | None:
        if len(values) == 1 and index == 0:
            return values[0] or None
        return (values[index] or None) if len(values) > 1 and index < len(values) else None

    parties = tuple(
        NewParty(
            region_code=code,
            document_number=nth(numbers, i),
            signatory=nth(signatories, i),
            coordinator_name=nth(coordinators, i),
        )
        for i, code in enumerate(codes)
    )
    agreement = NewAgreement(
        kind=kind,
        title=title,
        parties=parties,
        signed_on=signed_on,
        ends_on=ends_on,
        objective=cells.get("objective") or None,
        apps=tuple(dict.fromkeys(split_list(cells.get("apps", "")))),
        status=status,
        template=template_name,
        done_keys=done_keys,
        import_key=make_import_key(kind, numbers, title, codes, signed_on),
    )
    return ParsedRow(row, agreement, cells.get("parent") or None, agreement_id, dict(cells))


def read_import(path: Path, regions: RegionDirectory, templates: TemplateLibrary) -> ParsedImport:
    """Read and check an import file."""
    table, notes = read_table(path)
    parsed = parse_rows(table, regions, templates)
    parsed.notes.extend(notes)
    return parsed


def iter_codes(rows: Iterable[ParsedRow]) -> set[str]:
    return {p.region_code for r in rows for p in r.agreement.parties}
