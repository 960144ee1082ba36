"""A signed agreement read into a draft, as the bot shows it: every field, where it was found,
how sure the reading is, and the buttons to fix it and save it."""

from __future__ import annotations

from datetime import date

from bot import callbacks
from bot.formatting import escape
from bot.i18n import t, t_html
from bot.views import MAX_BUTTONS, Button, View, button
from services.intake import DRAFT_FIELDS, IntakeDraft, IntakeResult
from services.wording import format_date

#: The fields of a draft in the order they are shown and numbered (✏️ 1 … ✏️ 8).
FIELDS = DRAFT_FIELDS
#: Telegram refuses a message with more inline buttons than this.
#: Region choices shown for one unclear party name.
CANDIDATES_SHOWN = 4


def field_value(draft: IntakeDraft, name: str, lang: str) -> str:
    if name == "region_codes":
        parts = []
        for p in draft.parties:
            if p.code:
                parts.append(f"{p.region_name} ({p.code})")
            else:
                parts.append(t("intake.which", lang, name=p.name))
        return "; ".join(parts) or "—"
    if name == "kind" and draft.kind:
        return t(f"intake.kind.{draft.kind}", lang)
    value = getattr(draft, name)
    if isinstance(value, tuple):
        return "; ".join(str(v) for v in value) or "—"
    if value is None:
        return "—"
    return format_date(value, lang) if isinstance(value, date) else str(value)


def missing_fields(draft: IntakeDraft, lang: str) -> str:
    """What is still missing, in the user's words ("" when nothing is)."""
    missing = draft.missing()
    if not missing:
        return ""
    names = ", ".join(t(f"intake.field.{m}", lang) for m in missing)
    return t_html("intake.missing", lang, fields=names)


def draft_text(draft: IntakeDraft, lang: str) -> str:
    """Every field with its value and where it was read (page, line, confidence)."""
    lines = [t_html("intake.header", lang, file=draft.filename)]
    if draft.ocr_pages:
        lines.append(t_html("intake.ocr_note", lang, pages=draft.ocr_pages))
    for index, name in enumerate(FIELDS, start=1):
        places = draft.found.get(name, ())
        where = ""
        shown = [p for p in places if p.line]
        if shown:
            first = shown[0]
            where = t(
                "intake.where",
                lang,
                page=first.page or "-",
                line=first.line,
                confidence=round(min(p.confidence for p in shown) * 100),
            )
        elif places:
            where = t("intake.edited", lang)
        lines.append(
            f"{index}. <b>{escape(t(f'intake.field.{name}', lang))}</b>: "
            f"{escape(field_value(draft, name, lang))}"
            + (f" <i>({escape(where)})</i>" if where else "")
        )
    if draft.term:
        lines.append(t_html("intake.term", lang, term=draft.term))
    if draft.duplicate_of is not None:
        lines.append(t_html("intake.duplicate", lang, id=draft.duplicate_of))
    if draft.parent_id is not None:
        lines.append(t_html("intake.parent", lang, id=draft.parent_id))
    missing = missing_fields(draft, lang)
    if missing:
        lines.append(missing)
    return "\n".join(lines)


def draft(draft: IntakeDraft, lang: str) -> View:
    """The draft with its buttons: which region an ambiguous name means, ✏️ per field, save.

    A scan naming many unclear regions gets their choices page by page, in order: those of
    the first parties while the buttons stay within Telegram's limit, the next ones once
    these are chosen (each choice shows the draft again); the text says how many wait.
    """
    edit = [button(f"✏️ {i}", callbacks.INTAKE_FIELD, i) for i in range(1, len(FIELDS) + 1)]
    save_label = (
        t("intake.button.update", lang, id=draft.duplicate_of)
        if draft.duplicate_of is not None
        else t("intake.button.save", lang)
    )
    closing = (
        button(save_label, callbacks.INTAKE_SAVE),
        button(t("button.cancel", lang), callbacks.INTAKE_CANCEL),
    )
    room = MAX_BUTTONS - len(edit) - len(closing)
    rows: list[tuple[Button, ...]] = []
    waiting = 0
    for index, party in enumerate(draft.parties):
        if party.code is not None:
            continue
        choices = party.candidates[:CANDIDATES_SHOWN]
        if not choices:  # nothing to choose from: fixed with ✏️ only
            continue
        if waiting or len(choices) > room:
            waiting += 1
            continue
        room -= len(choices)
        rows.extend(
            (button(f"📍 {name}", callbacks.INTAKE_REGION, index, code),) for code, name in choices
        )
    rows.append(tuple(edit[:4]))
    rows.append(tuple(edit[4:]))
    rows.append(closing)
    text = draft_text(draft, lang)
    if waiting:
        text += "\n" + t_html("intake.more_parties", lang, count=waiting)
    return View(text, tuple(rows))


def ask_value(name: str, lang: str) -> str:
    return t_html(
        "intake.ask_value",
        lang,
        field=t(f"intake.field.{name}", lang),
        hint=t(f"intake.hint.{name}", lang),
    )


def saved(result: IntakeResult, lang: str) -> View:
    """What saving did (created, updated, amended), and a button to the agreement."""
    lines = [
        t_html(
            f"intake.saved.{result.outcome}",
            lang,
            id=result.agreement_id,
            milestones=result.milestones,
            amended=result.amended_id or "-",
        )
    ]
    if result.kb_doc_id:
        lines.append(t_html("intake.in_kb", lang))
    elif result.kb_error:
        lines.append(t_html("intake.kb_failed", lang))
    open_button = button(
        t("intake.button.open", lang), callbacks.AGREEMENT_OPEN, result.agreement_id
    )
    return View("\n".join(lines), ((open_button,),))
