from __future__ import annotations

import re
import string
from pathlib import Path
from typing import get_args

import bot
from bot.i18n import catalog, error_text, t_html
from core.errors import InvalidInput
from knowledge_base.intent import SmallTalk

BOT_DIR = Path(bot.__file__).parent


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    cat = catalog()
    assert cat.keys("id") == cat.keys("en")
    for key in cat.keys("id"):
        raw_id = cat._messages["id"][key]
        raw_en = cat._messages["en"][key]
        assert _placeholders(raw_id) == _placeholders(raw_en), key


def test_every_literal_key_used_by_the_bot_exists() -> None:
    cat = catalog()
    used: set[str] = set()
    pattern = re.compile(r'\b(?:t|t_html|self\.text)\(\s*"([a-z_]+\.[a-z0-9_.]+)"')
    for path in BOT_DIR.rglob("*.py"):
        used.update(pattern.findall(path.read_text(encoding="utf-8")))
    assert used and not [k for k in used if not cat.has(k)]


def test_every_kind_of_small_talk_has_its_reply() -> None:
    cat = catalog()
    kinds = get_args(SmallTalk)
    assert "how_are_you" in kinds and "out_of_scope" in kinds
    assert not [k for k in kinds if not cat.has(f"assistant.small_talk.{k}")]


def test_parameters_are_escaped_but_markup_is_kept() -> None:
    html = t_html("remove.confirm", "id", title="<script>", doc_id="a&b")
    assert "<b>&lt;script&gt;</b>" in html and "<code>a&amp;b</code>" in html


def test_error_text_is_escaped() -> None:
    assert "&lt;x&gt;" in error_text(InvalidInput(detail="<x>"), "en")


def test_english_counts_read_right_when_there_is_one() -> None:
    """English has a singular: "{count} agreements" would say "1 agreements" to a coordinator
    with one agreement, so a count stands after a label ("Agreements: 1") instead."""
    from services.messages import catalog as services_catalog

    plural_after_count = re.compile(r"\{(?:count|total)\} [a-z]+s\b")
    for cat in (catalog(), services_catalog()):
        wrong = [k for k in cat.keys("en") if plural_after_count.search(cat.t(k, "en"))]
        assert not wrong, wrong
