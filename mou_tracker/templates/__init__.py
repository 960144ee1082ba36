"""Milestone templates: data files (``<name>.json``) turned into an agreement's milestones.

The package ships ``app-replication.json``; a deployment may override or add templates in a
folder of its own (``$SINERGI_DATA_DIR/templates``), which takes precedence.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from mou_tracker.errors import InvalidTemplate, TemplateNotFound

DEFAULT_TEMPLATE = "app-replication"
SIDES = ("owner", "partner", "all")


@dataclass(frozen=True)
class TemplateStep:
    key: str
    title_id: str
    title_en: str
    due_days: int
    side: str

    def title(self, lang: str = "id") -> str:
        return self.title_en if lang == "en" else self.title_id


@dataclass(frozen=True)
class PlannedMilestone:
    """A template step placed on an agreement's calendar."""

    key: str
    title: str
    position: int
    due_on: date | None
    responsible_region_code: str | None


@dataclass(frozen=True)
class Template:
    name: str
    title_id: str
    title_en: str
    steps: tuple[TemplateStep, ...]

    def title(self, lang: str = "id") -> str:
        return self.title_en if lang == "en" else self.title_id

    def step(self, key: str) -> TemplateStep | None:
        return next((s for s in self.steps if s.key == key), None)

    def plan(
        self,
        signed_on: date | None,
        owner_region_code: str,
        party_codes: Sequence[str],
        *,
        lang: str = "id",
    ) -> list[PlannedMilestone]:
        """The milestones for an agreement signed on ``signed_on`` (no due dates if unsigned).

        ``partner`` steps go to the one partner; with several partners they are owed by all.
        """
        partners = [code for code in party_codes if code != owner_region_code]
        planned = []
        for position, step in enumerate(self.steps, start=1):
            responsible: str | None = None
            if step.side == "owner":
                responsible = owner_region_code
            elif step.side == "partner" and len(partners) == 1:
                responsible = partners[0]
            due_on = signed_on + timedelta(days=step.due_days) if signed_on else None
            planned.append(
                PlannedMilestone(step.key, step.title(lang), position, due_on, responsible)
            )
        return planned


def parse_template(name: str, data: Any) -> Template:
    """Check and build a template from decoded JSON."""
    if not isinstance(data, dict):
        raise InvalidTemplate(name, "not a JSON object")
    raw_steps = data.get("milestones")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise InvalidTemplate(name, "'milestones' must be a non-empty list")
    steps: list[TemplateStep] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_steps, start=1):
        if not isinstance(raw, dict):
            raise InvalidTemplate(name, f"milestone {index} is not an object")
        key = raw.get("key")
        title = raw.get("title")
        due_days = raw.get("due_days")
        side = raw.get("side", "all")
        if not isinstance(key, str) or not key or key in seen:
            raise InvalidTemplate(name, f"milestone {index}: missing or repeated 'key'")
        if isinstance(title, str):
            title = {"id": title, "en": title}
        if not isinstance(title, dict) or not isinstance(title.get("id"), str):
            raise InvalidTemplate(name, f"milestone {key}: 'title' needs an 'id' text")
        if not isinstance(due_days, int) or isinstance(due_days, bool) or due_days < 0:
            raise InvalidTemplate(name, f"milestone {key}: 'due_days' must be a whole number >= 0")
        if side not in SIDES:
            raise InvalidTemplate(name, f"milestone {key}: 'side' must be one of {SIDES}")
        seen.add(key)
        steps.append(
            TemplateStep(key, title["id"], str(title.get("en") or title["id"]), due_days, side)
        )
    title = data.get("title") or {"id": name, "en": name}
    if isinstance(title, str):
        title = {"id": title, "en": title}
    return Template(
        name=name,
        title_id=str(title.get("id", name)),
        title_en=str(title.get("en", title.get("id", name))),
        steps=tuple(steps),
    )


class TemplateLibrary:
    """Templates by name: the deployment's folder first, then the shipped ones."""

    def __init__(self, extra_dirs: Sequence[Path] = ()) -> None:
        self._extra_dirs = tuple(extra_dirs)
        self._cache: dict[str, Template] = {}

    def names(self) -> list[str]:
        names = {
            item.name.removesuffix(".json")
            for item in resources.files(__name__).iterdir()
            if item.name.endswith(".json")
        }
        for folder in self._extra_dirs:
            if folder.is_dir():
                names.update(p.stem for p in folder.glob("*.json"))
        return sorted(names)

    def get(self, name: str) -> Template:
        name = name.strip()
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise TemplateNotFound(name, tuple(self.names()))
        if name in self._cache:
            return self._cache[name]
        text: str | None = None
        for folder in self._extra_dirs:
            candidate = folder / f"{name}.json"
            if candidate.is_file():
                text = candidate.read_text(encoding="utf-8")
                break
        if text is None:
            shipped = resources.files(__name__).joinpath(f"{name}.json")
            if not shipped.is_file():
                raise TemplateNotFound(name, tuple(self.names()))
            text = shipped.read_text(encoding="utf-8")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidTemplate(name, f"not valid JSON: {exc.msg} (line {exc.lineno})") from None
        template = parse_template(name, data)
        self._cache[name] = template
        return template
