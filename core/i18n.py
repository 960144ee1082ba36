"""Message catalogs: user-facing text lives in data files, Indonesian first, English second.

A catalog is a folder of ``<lang>.json`` and ``<area>.<lang>.json`` files (merged), each a flat
mapping of dotted keys to ``str.format`` templates. A missing English text falls back to
Indonesian; a missing key falls back to the key itself, so a forgotten translation shows up
plainly instead of crashing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Catalog:
    """Translations for one package."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        self._messages = {lang: dict(texts) for lang, texts in messages.items()}

    @classmethod
    def from_package(cls, package: str, folder: str = "locales") -> Catalog:
        """Load ``<package>/<folder>/[<area>.]<lang>.json`` for every supported language."""
        root = resources.files(package).joinpath(folder)
        messages: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
        items = sorted((item for item in root.iterdir() if item.name.endswith(".json")), key=str)
        for item in items:
            lang = item.name.removesuffix(".json").rsplit(".", 1)[-1]
            if lang not in messages:
                continue
            texts = json.loads(item.read_text(encoding="utf-8"))
            duplicated = set(texts) & set(messages[lang])
            if duplicated:
                raise ValueError(f"{item.name}: keys defined twice: {sorted(duplicated)}")
            messages[lang].update(texts)
        return cls(messages)

    def keys(self, lang: str = DEFAULT_LANGUAGE) -> set[str]:
        return set(self._messages.get(lang, {}))

    def has(self, key: str) -> bool:
        return any(key in texts for texts in self._messages.values())

    def t(self, key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
        """The text for ``key`` in ``lang`` with ``params`` filled in."""
        template = self._messages.get(lang, {}).get(key)
        if template is None:
            template = self._messages.get(DEFAULT_LANGUAGE, {}).get(key, key)
        return template.format_map(_SafeDict(params))


def normalize_language(code: str | None) -> str:
    """Map a Telegram ``language_code`` or a user's choice to a supported language."""
    if not code:
        return DEFAULT_LANGUAGE
    base = code.lower().split("-")[0].split("_")[0]
    return base if base in LANGUAGES else DEFAULT_LANGUAGE
