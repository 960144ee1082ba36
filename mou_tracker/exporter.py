"""Writing agreements out: CSV and XLSX (re-importable columns plus health), ICS calendars.

The CSV and the first XLSX sheet use the import's Indonesian headers, so an export can be edited
and imported again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

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
        writer.writerow(agreement_record(agreement))
    # utf-8-sig so Excel shows Indonesian names and dashes correctly.
    path.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")


def write_xlsx(path: Path, agreements: Sequence[AgreementDetail]) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "Perjanjian"
    sheet.append(list(AGREEMENT_HEADERS))
    for agreement in agreements:
        sheet.append(agreement_record(agreement))
    milestones = workbook.create_sheet("Tahapan")
    milestones.append(list(MILESTONE_HEADERS))
    for agreement in agreements:
        for record in milestone_records(agreement):
            milestones.append(record)
    workbook.save(path)


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


def ics_text(agreements: Sequence[AgreementDetail], *, now: datetime) -> str:
    """A calendar with one all-day event per milestone due date."""
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
            description = f"{agreement.title} [{m.status}]"
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


def write_ics(path: Path, agreements: Sequence[AgreementDetail], *, now: datetime) -> None:
    path.write_bytes(ics_text(agreements, now=now).encode("utf-8"))
