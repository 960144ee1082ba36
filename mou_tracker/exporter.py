"""Writing agreements out: CSV and XLSX (re-importable columns plus health), ICS calendars.

The CSV and the first XLSX sheet use the import's Indonesian headers, so an export can be edited
and imported again.

Every cell holds text that someone typed (a title from a spreadsheet, evidence from Telegram),
so nothing in it may run when the file is opened. A CSV cell that would start a formula gets a
leading apostrophe (the OWASP rule for CSV injection; the importer removes it again); an XLSX
cell is written as a string, never a formula, and marked "quote prefix" so that editing it in
Excel does not turn it into one either. Characters the XLSX format forbids are removed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from core.errors import storage_error
from core.files import write_atomically
from mou_tracker.errors import ExportFolderMissing
from mou_tracker.schemas import AgreementDetail

AGREEMENT_HEADERS = (
    "id",
    "jenis",
    "nomor",
    "judul",
    "para_pihak",
    "tanggal_ttd",
    "tanggal_berakhir",
    "aplikasi",
    "template",
    "status",
    "tahap_selesai",
    "kesehatan",
    "perlu_perpanjangan",
)
MILESTONE_HEADERS = (
    "agreement_id",
    "milestone_id",
    "key",
    "judul",
    "urutan",
    "tenggat",
    "status",
    "penanggung_jawab",
    "tanggal_selesai",
    "bukti",
    "tautan_bukti",
    "berkas_bukti",
    "alasan_terhambat",
    "terlambat",
)
_KIND_OUT = {"kb": "KB", "pks": "PKS", "addendum": "Addendum"}

#: What makes Excel, LibreOffice or Google Sheets read a cell as a formula (or DDE): OWASP's
#: list, plus the full-width forms some spreadsheet programs also accept.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# C0 controls other than tab, line feed and carriage return: not allowed in XLSX at all.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def starts_formula(text: str) -> bool:
    """Whether a spreadsheet would evaluate ``text`` (the lone ``-`` of an empty field is not)."""
    return text.startswith(FORMULA_TRIGGERS) and text != "-"


def csv_cell(value: str) -> str:
    """``value`` safe for a CSV cell: no control characters, no formula (a leading ``'``)."""
    text = _ILLEGAL.sub("", value)
    return "'" + text if starts_formula(text) else text


def agreement_record(agreement: AgreementDetail) -> list[str]:
    numbers = [p.document_number or "" for p in agreement.parties]
    return [
        str(agreement.id),
        _KIND_OUT.get(agreement.kind, agreement.kind),
        "; ".join(numbers) if any(numbers) else "",
        agreement.title,
        "; ".join(p.name for p in agreement.parties),
        agreement.signed_on.isoformat() if agreement.signed_on else "",
        agreement.ends_on.isoformat() if agreement.ends_on else "",
        "; ".join(agreement.apps),
        agreement.template or "-",
        agreement.status,
        "; ".join(m.key for m in agreement.milestones if m.status == "done"),
        agreement.health,
        "ya" if agreement.renewal_due else "",
    ]


def milestone_records(agreement: AgreementDetail) -> list[list[str]]:
    return [
        [
            str(agreement.id),
            str(m.id),
            m.key,
            m.title,
            str(m.position),
            m.due_on.isoformat() if m.due_on else "",
            m.status,
            m.responsible_region_code or "",
            m.completed_on.isoformat() if m.completed_on else "",
            m.evidence_note or "",
            m.evidence_link or "",
            m.evidence_file or "",
            m.blocked_reason or "",
            "ya" if m.overdue else "",
        ]
        for m in agreement.milestones
    ]


def write_csv(path: Path, agreements: Sequence[AgreementDetail]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(AGREEMENT_HEADERS)
    for agreement in agreements:
        writer.writerow([csv_cell(v) for v in agreement_record(agreement)])
    # utf-8-sig so Excel shows Indonesian names and dashes correctly.
    data = buffer.getvalue().encode("utf-8-sig")
    _write_atomically(path, lambda handle: handle.write(data))


def write_xlsx(path: Path, agreements: Sequence[AgreementDetail]) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "Perjanjian"
    _write_text_rows(sheet, [AGREEMENT_HEADERS, *(agreement_record(a) for a in agreements)])
    milestones = workbook.create_sheet("Tonggak")
    _write_text_rows(
        milestones, [MILESTONE_HEADERS, *(r for a in agreements for r in milestone_records(a))]
    )
    _write_atomically(path, workbook.save)


def _write_text_rows(sheet: Any, rows: Sequence[Sequence[str]]) -> None:
    """String cells only: never a formula, whatever the text starts with."""
    for row_number, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            text = _ILLEGAL.sub("", value)
            cell = sheet.cell(row=row_number, column=column)
            cell.value = text
            cell.data_type = "s"  # openpyxl would store "=..." as a formula
            if starts_formula(text):
                cell.quotePrefix = True  # Excel keeps it text even once the cell is edited


def _ics_escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """RFC 5545 lines are at most 75 octets; longer ones continue after CRLF + space."""
    out: list[str] = []
    current = ""
    for ch in line:
        limit = 75 if not out else 74
        if len((current + ch).encode("utf-8")) > limit:
            out.append(current)
            current = ch
        else:
            current += ch
    out.append(current)
    return [out[0], *(" " + part for part in out[1:])]


def ics_text(
    agreements: Sequence[AgreementDetail],
    *,
    now: datetime,
    status_label: Callable[[str], str] = str,
) -> str:
    """A calendar with one all-day event per milestone due date.

    Args:
        status_label: a milestone status -> the words its readers see ("sedang berjalan");
            a calendar is read by people, unlike the CSV and XLSX, which are imported again.
    """
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Sinergi//Pemantauan Kerja Sama//ID",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    for agreement in agreements:
        for m in agreement.milestones:
            if m.due_on is None or m.status == "skipped":
                continue
            end = m.due_on.toordinal() + 1
            end_text = datetime.fromordinal(end).strftime("%Y%m%d")
            description = f"{agreement.title} [{status_label(m.status)}]"
            lines += [
                "BEGIN:VEVENT",
                f"UID:milestone-{m.id}@sinergi",
                f"DTSTAMP:{stamp}",
                f"DTSTART;VALUE=DATE:{m.due_on.strftime('%Y%m%d')}",
                f"DTEND;VALUE=DATE:{end_text}",
                f"SUMMARY:{_ics_escape(m.title)}",
                f"DESCRIPTION:{_ics_escape(description)}",
                f"CATEGORIES:{_ics_escape(agreement.kind.upper())}",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    folded = [part for line in lines for part in _fold(line)]
    return "\r\n".join(folded) + "\r\n"


def write_ics(
    path: Path,
    agreements: Sequence[AgreementDetail],
    *,
    now: datetime,
    status_label: Callable[[str], str] = str,
) -> None:
    data = ics_text(agreements, now=now, status_label=status_label).encode("utf-8")
    _write_atomically(path, lambda handle: handle.write(data))


def _write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write all of the export or none of it (:func:`core.files.write_atomically`): a failed
    export (disk full, a killed process) never leaves a truncated file under the name asked for.

    Raises:
        ExportFolderMissing: the folder does not exist (it is not created: likely a typo).
        StorageFull, StorageUnwritable: the file system refused the write.
    """
    folder = path.parent
    if not folder.is_dir():
        raise ExportFolderMissing(str(path), str(folder))
    try:
        # 0o666 before the umask: the user's own file, with the permissions any file gets.
        write_atomically(path, write, mode=0o666)
    except OSError as exc:
        raise storage_error(exc, str(path)) from exc
