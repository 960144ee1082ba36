"""Milestone templates as data files, and the CSV/XLSX/ICS exports."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from mou_tracker.errors import InvalidTemplate, TemplateNotFound, UnsupportedImportFile
from mou_tracker.templates import DEFAULT_TEMPLATE, TemplateLibrary, parse_template
from services import Services
from tests.fakes.tracker import BANDUNG, KERINCI, OPERATOR, new_agreement


def test_default_template_is_bilingual_with_sides() -> None:
    template = TemplateLibrary().get(DEFAULT_TEMPLATE)
    assert template.title("id") == "Replikasi aplikasi"
    assert template.title("en") == "App replication"
    assert [s.key for s in template.steps] == [
        "coordinators",
        "work_plan",
        "pks_signed",
        "handover",
        "budget_dpa",
        "servers_ready",
        "installation",
        "training",
        "pilot",
        "go_live",
        "evaluation",
    ]
    assert {s.side for s in template.steps} == {"owner", "partner", "all"}
    days = [s.due_days for s in template.steps]
    assert days == sorted(days)
    assert all(s.title("en") and s.title("id") != s.title("en") for s in template.steps)


def test_plan_places_steps_after_signing() -> None:
    template = TemplateLibrary().get(DEFAULT_TEMPLATE)
    plan = template.plan(date(2026, 1, 1), BANDUNG, [BANDUNG, KERINCI], lang="en")
    assert plan[0].due_on == date(2026, 1, 15)
    assert plan[0].title == "Coordinators appointed by both parties"
    assert plan[-1].due_on == date(2027, 1, 1)


def test_deployment_templates_override_and_add(tmp_path: Path) -> None:
    custom = {
        "title": {"id": "Singkat", "en": "Short"},
        "milestones": [{"key": "kickoff", "title": "Rapat awal", "due_days": 7, "side": "all"}],
    }
    (tmp_path / "singkat.json").write_text(json.dumps(custom), encoding="utf-8")
    (tmp_path / f"{DEFAULT_TEMPLATE}.json").write_text(json.dumps(custom), encoding="utf-8")
    library = TemplateLibrary([tmp_path])
    assert "singkat" in library.names() and DEFAULT_TEMPLATE in library.names()
    assert [s.key for s in library.get("singkat").steps] == ["kickoff"]
    assert [s.key for s in library.get(DEFAULT_TEMPLATE).steps] == ["kickoff"]


@pytest.mark.parametrize("name", ["nope", "../etc/passwd", "", ".hidden"])
def test_unknown_template(name: str) -> None:
    with pytest.raises(TemplateNotFound):
        TemplateLibrary().get(name)


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"milestones": []},
        {"milestones": [{"key": "a", "title": "A", "due_days": -1}]},
        {"milestones": [{"key": "a", "title": "A", "due_days": 1, "side": "mayor"}]},
        {
            "milestones": [
                {"key": "a", "title": "A", "due_days": 1},
                {"key": "a", "title": "B", "due_days": 2},
            ]
        },
        {"milestones": [{"key": "a", "due_days": 1}]},
    ],
)
def test_invalid_templates(data: object) -> None:
    with pytest.raises(InvalidTemplate):
        parse_template("x", data)


def test_broken_json_is_an_invalid_template(tmp_path: Path) -> None:
    (tmp_path / "rusak.json").write_text("{", encoding="utf-8")
    with pytest.raises(InvalidTemplate):
        TemplateLibrary([tmp_path]).get("rusak")


def _seed(services: Services) -> int:
    detail = services.tracker.add_agreement(OPERATOR, new_agreement(title='KB, "Hayu"; tahap I'))
    services.tracker.update_milestone(OPERATOR, detail.milestones[0].id, "done", note="SK")
    return detail.id


def test_export_csv_can_be_imported_again(services: Services, tmp_path: Path) -> None:
    _seed(services)
    path = tmp_path / "out.csv"
    result = services.tracker.export(OPERATOR, path, at=date(2026, 11, 23))
    assert (result.format, result.agreements, result.milestones) == ("csv", 1, 11)
    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0]["judul"] == 'KB, "Hayu"; tahap I'
    assert rows[0]["para_pihak"] == "Kota Bandung; Kabupaten Kerinci"
    assert rows[0]["tahap_selesai"] == "coordinators"
    assert rows[0]["kesehatan"] == "overdue"
    again = services.tracker.import_file(OPERATOR, path, dry_run=True)
    # Added by hand (no import key): the export's id column still says which agreement it is.
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_export_xlsx_has_agreements_and_milestones(services: Services, tmp_path: Path) -> None:
    _seed(services)
    path = tmp_path / "out.xlsx"
    services.tracker.export(OPERATOR, path, at=date(2026, 11, 23))
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["Perjanjian", "Tonggak"]
    milestones = list(book["Tonggak"].iter_rows(values_only=True))
    assert len(milestones) == 12
    assert milestones[1][6] == "done"
    book.close()


def test_export_ics_has_one_event_per_dated_milestone(services: Services, tmp_path: Path) -> None:
    _seed(services)
    path = tmp_path / "jadwal.ics"
    services.tracker.export(OPERATOR, path)
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == 11
    assert "DTSTART;VALUE=DATE:20260124" in text
    assert "DTEND;VALUE=DATE:20260125" in text
    assert 'KB\\, "Hayu"\\; tahap I' in text.replace("\r\n ", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


@pytest.mark.parametrize(
    ("lang", "shown", "hidden"),
    [
        ("id", ("[selesai]", "[sedang berjalan]", "[direncanakan]"), ("[done]", "in_progress")),
        ("en", ("[done]", "[in progress]", "[planned]"), ("in_progress",)),
    ],
)
def test_the_calendar_shows_statuses_in_the_readers_words(
    services: Services, tmp_path: Path, lang: str, shown: tuple[str, ...], hidden: tuple[str, ...]
) -> None:
    agreement = _seed(services)
    second = services.tracker.get_agreement(OPERATOR, agreement).milestones[1]
    services.tracker.update_milestone(OPERATOR, second.id, "in_progress")
    path = tmp_path / "jadwal.ics"
    services.tracker.export(OPERATOR, path, lang=lang)
    text = path.read_bytes().decode("utf-8").replace("\r\n ", "")
    assert all(label in text for label in shown)
    assert not any(code in text for code in hidden)


def test_export_rejects_unknown_formats(services: Services, tmp_path: Path) -> None:
    with pytest.raises(UnsupportedImportFile) as info:
        services.tracker.export(OPERATOR, tmp_path / "out.pdf")
    assert info.value.code == "export.unsupported_type"
