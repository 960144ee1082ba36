"""One date format and one vocabulary for health on every screen."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import bot
import services
from bot.views.agreements import agreement_list
from mou_tracker.rules import HEALTHS
from services.tracker import AgreementSummary
from services.wording import format_date, health_name, health_title, month_name
from tests.services.test_charts import BANDUNG

CATALOGS = [
    *Path(bot.__file__).parent.joinpath("locales").glob("*.json"),
    *Path(services.__file__).parent.joinpath("locales").glob("*.json"),
]


def test_one_date_format() -> None:
    assert format_date(date(2026, 11, 30), "id") == "30 Nov 2026"
    assert format_date(date(2026, 5, 1), "id") == "1 Mei 2026"
    assert format_date(date(2026, 10, 9), "id") == "9 Okt 2026"
    assert format_date(date(2026, 5, 1), "en") == "1 May 2026"
    assert format_date(None, "id") == "—"
    assert [month_name(m, "id") for m in (5, 8, 10, 12)] == ["Mei", "Agu", "Okt", "Des"]


def test_one_word_per_health() -> None:
    for lang in ("id", "en"):
        names = [health_name(h, lang) for h in HEALTHS]
        assert len(set(names)) == len(HEALTHS)
    assert health_name("stalled", "id") == "hanya di atas kertas"
    assert health_title("completed", "id") == "Selesai"


@pytest.mark.parametrize("word", ["macet", "mandek", "tuntas", "hanya di kertas"])
def test_no_other_words_for_health_in_any_catalog(word: str) -> None:
    for path in CATALOGS:
        texts = json.loads(path.read_text(encoding="utf-8"))
        found = [k for k, v in texts.items() if word in v.casefold()]
        assert not found, (path.name, found)


def test_one_word_for_a_milestone_in_indonesian() -> None:
    """A milestone is a "tonggak" on every screen (the bot, the reminders, the CLI, the
    exports), never also a "tahapan"."""
    for path in CATALOGS:
        if not path.name.endswith("id.json"):
            continue
        texts = json.loads(path.read_text(encoding="utf-8"))
        found = [k for k, v in texts.items() if "tahapan" in v.casefold()]
        assert not found, (path.name, found)


@pytest.mark.parametrize("health", HEALTHS)
def test_no_doubled_brackets_in_lists(health: str) -> None:
    summary = AgreementSummary(
        id=1, kind="kb", number=None, title="KB Hayu.Bdg", parties=(BANDUNG,), signed_on=None,
        ends_on=None, status="active", health=health, renewal_due=False, apps=(),
        owner_region_code="32.73",
    )  # fmt: skip
    for lang in ("id", "en"):
        text = agreement_list([summary], 0, lang).text
        assert "((" not in text and "))" not in text and health_name(health, lang) in text
