"""The assistant's reply as the bot shows it: short text and the buttons that act on it.

One :class:`~services.assistant.AssistantReply` becomes one :class:`View`:

* a curated answer first, marked as the trainer's (name, date, version; "due for review" when
  its review date has passed), then the documents' answer with its numbered sources;
* the tracker's half: what was asked (status, late milestones, endings, who coordinates …),
  each agreement with its health, its next milestone and who must act, and buttons to the
  agreement (``/mou ID``), its timeline chart and, for those who may update it, that milestone;
* a region name that fits several regions: one button per region, which asks again;
* small talk and off-topic: one friendly sentence (with "search the documents anyway").

Pure (no ``telegram``): the terminal chat and ``sinergi ask`` show the same text as plain text
with :func:`hints` in place of the buttons.
"""

from __future__ import annotations

from datetime import date

from bot import callbacks
from bot.formatting import escape, render_answer
from bot.i18n import t, t_html
from bot.views import Button, View, button
from bot.views.agreements import HEALTH_ICONS, STATUS_ICONS
from core.text import echo
from services.assistant import AgreementItem, AssistantReply, TrackerAnswer, Window
from services.curated import CuratedMatch
from services.knowledge import Answer
from services.tracker import MilestoneView
from services.wording import format_date, health_name, status_name

#: Agreements that get buttons (the text lists up to five).
MAX_BUTTON_ROWS = 3
_TITLE = 60


def reply_view(
    reply: AssistantReply,
    lang: str,
    *,
    token: str = "",
    may_report: bool = False,
    today: date | None = None,
) -> View:
    """The whole reply (see the module docstring).

    Args:
        lang: the language to answer in (the question's own, else the user's).
        token: the short id the bot keeps the question under (region choices and "search the
            documents" ask it again); empty: no such buttons (the terminal chat).
        may_report: the asker may open timeline charts.
        today: for "n days late"; the milestones' own flags are used when missing.
    """
    parts: list[str] = []
    rows: list[tuple[Button, ...]] = []
    if reply.route == "none":
        text = _small_talk(reply, lang)
        if reply.off_topic and token:
            rows.append(
                (button(t("assistant.search_anyway", lang), callbacks.ASSISTANT_DOCS, token),)
            )
        return View(text, tuple(rows))
    if reply.curated is not None:
        parts.append(curated_text(reply.curated, lang))
    if reply.knowledge is not None and (reply.knowledge.found or reply.curated is None):
        body = render_answer(reply.knowledge, lambda key, **kw: t(key, lang, **kw))
        if reply.curated is not None:
            body = f"<b>{escape(t('assistant.from_documents', lang))}</b>\n{body}"
        parts.append(body)
    if reply.tracker is not None:
        text, tracker_rows = tracker_view(reply.tracker, lang, token=token, may_report=may_report)
        parts.append(text)
        rows.extend(tracker_rows)
    if reply.knowledge is not None and reply.knowledge.key is not None:
        rows.extend(knowledge_rows(reply.knowledge, lang))
    return View("\n\n".join(p for p in parts if p), tuple(rows))


def curated_text(found: CuratedMatch, lang: str) -> str:
    """A trainer's answer, marked as such (who, when, which version)."""
    answer = found.answer
    head = t_html(
        "assistant.curated.head",
        lang,
        trainer=answer.updated_by_name or answer.author_name,
        date=format_date(answer.updated_at.date(), lang),
        version=answer.version,
    )
    if answer.review_due:
        head += " " + t_html("assistant.curated.review_due", lang)
    return f"{head}\n{escape(answer.answer)}"


def knowledge_rows(answer: Answer, lang: str) -> list[tuple[Button, ...]]:
    """👍 👎 🙋 and a source button per citation (as on every knowledge answer); they name the
    answer by its log entry, or by the entry's pending name while it waits to be written."""
    qid = answer.key or ""
    rows: list[tuple[Button, ...]] = [
        (
            button("👍", callbacks.FEEDBACK, qid, 1),
            button("👎", callbacks.FEEDBACK, qid, 0),
            button(t("button.ask_trainer", lang), callbacks.ASK_TRAINER, qid),
        )
    ]
    sources = tuple(
        button(t("button.source", lang, number=c.number), callbacks.SOURCE, qid, c.number)
        for c in answer.citations[:5]
    )
    if sources:
        rows.append(sources)
    return rows


# --- the tracker's half -------------------------------------------------------------------------


def tracker_view(
    answer: TrackerAnswer, lang: str, *, token: str = "", may_report: bool = False
) -> tuple[str, list[tuple[Button, ...]]]:
    """The tracker's answer: text and buttons."""
    if answer.denied:
        return t_html("assistant.tracker.denied", lang), []
    if answer.choices:
        lines: list[str] = []
        rows: list[tuple[Button, ...]] = []
        for choice in answer.choices:
            names = ", ".join(name for _, name in choice.candidates)
            lines.append(t_html("assistant.choose_region", lang, phrase=choice.phrase, names=names))
            if token:
                rows.append(
                    tuple(
                        button(name, callbacks.ASSISTANT_REGION, token, code)
                        for code, name in choice.candidates
                    )
                )
        return "\n".join(lines), rows
    lines = []
    if answer.unknown_regions and answer.regions:
        # Named beside regions that exist: said back, and the others are answered below.
        names = ", ".join(f"“{echo(name)}”" for name in answer.unknown_regions)
        lines.append(t_html("assistant.unknown_regions", lang, regions=names))
    for phrase, name in answer.settled:
        lines.append(t_html("assistant.settled", lang, phrase=phrase, name=name))
    where = ", ".join(answer.regions)
    if answer.relaxed and answer.apps:
        lines.append(t_html("assistant.relaxed", lang, regions=where, apps=", ".join(answer.apps)))
    elif answer.relaxed:  # the kind or number asked matched nothing
        lines.append(t_html("assistant.relaxed_other", lang, regions=where))
    if answer.none_blocked:
        scope = t("assistant.scope.with", lang, regions=where) if where else ""
        lines.append(t_html("assistant.none_blocked", lang, scope=scope))
    lines.append(_headline(answer, lang, where))
    for item in answer.items:
        lines.append(_item_text(answer, item, lang))
    shown = len(answer.items)
    if answer.total > shown and shown:
        lines.append(t_html("assistant.more", lang, count=answer.total - shown))
    rows = []
    for item in answer.items[:MAX_BUTTON_ROWS]:
        rows.append(_item_buttons(item, lang, may_report=may_report))
    return "\n".join(line for line in lines if line), rows


def _headline(answer: TrackerAnswer, lang: str, where: str) -> str:
    """The first line: what was found, with the count when the question counts."""
    intent = answer.intent
    count = answer.milestone_total if intent in ("overdue", "blocked", "due") else answer.total
    scope = t("assistant.scope.with", lang, regions=where) if where else ""
    window = _window_text(answer.window, lang)
    window = f" {window}" if window else ""
    if count == 0:
        if answer.unknown_regions and not answer.regions:
            names = ", ".join(f"“{echo(name)}”" for name in answer.unknown_regions)
            return t_html("assistant.unknown_regions", lang, regions=names)
        if answer.nothing_for and not answer.items:
            return t_html("assistant.none_for", lang, regions=", ".join(answer.nothing_for))
        return t_html(f"assistant.empty.{intent}", lang, scope=scope, window=window)
    return t_html(
        f"assistant.head.{intent}",
        lang,
        count=count,
        agreements=answer.total,
        scope=scope,
        window=window,
        stage=_stage_name(answer.stage, lang),
        apps=", ".join(answer.apps),
        done=", ".join(answer.stage_done) or t("assistant.nobody", lang),
    )


def _item_text(answer: TrackerAnswer, item: AgreementItem, lang: str) -> str:
    a = item.agreement
    icon = HEALTH_ICONS.get(a.health, "•")
    partners = " – ".join(p.name for p in a.parties)
    lines = [
        f"{icon} <b>{escape(_short(a.title))}</b> — {escape(partners)} "
        f"({escape(health_name(a.health, lang))})"
    ]
    intent = answer.intent
    if intent in ("overdue", "blocked", "due", "stage", "stage_regions"):
        for m in item.milestones[:4]:
            lines.append("   " + _milestone_line(m, lang))
    if intent == "ending" or (intent == "renewal"):
        lines.append("   " + t_html("assistant.ends", lang, date=format_date(a.ends_on, lang)))
    elif intent == "signed":
        if a.signed_on is not None:
            lines.append(
                "   " + t_html("assistant.signed", lang, date=format_date(a.signed_on, lang))
            )
        else:
            lines.append("   " + t_html("assistant.not_signed", lang))
    if intent == "coordinator":
        for contact in item.contacts:
            people = contact.name or t("assistant.not_recorded", lang)
            if contact.contact:
                people += f" ({contact.contact})"
            if contact.users:
                people += " · " + t("assistant.registered", lang, names=", ".join(contact.users))
            lines.append(
                "   " + t_html("assistant.coordinator", lang, region=contact.region, people=people)
            )
    lines.append("   " + _next_line(item, lang))
    return "\n".join(lines)


def _next_line(item: AgreementItem, lang: str) -> str:
    """What comes next and who must act (or why nothing does)."""
    a = item.agreement
    if a.health == "expired":
        return t_html("assistant.ended", lang, date=format_date(a.ends_on, lang))
    if a.health == "completed" or item.next_milestone is None:
        return t_html("assistant.all_done", lang)
    m = item.next_milestone
    late = " ⚠️" if m.overdue else ""
    key = "assistant.next" if m.due_on else "assistant.next_undated"
    who = ", ".join(item.must_act) or "-"
    return t_html(key, lang, milestone=m.title, due=format_date(m.due_on, lang), who=who) + late


def _milestone_line(m: MilestoneView, lang: str) -> str:
    icon = STATUS_ICONS.get(m.status, "•")
    when = (
        t("assistant.done_on", lang, date=format_date(m.completed_on, lang))
        if m.status == "done" and m.completed_on
        else t("assistant.due_on", lang, date=format_date(m.due_on, lang))
    )
    text = f"{icon} {escape(m.title)}: {escape(status_name(m.status, lang))}, {escape(when)}"
    if m.overdue:
        text += " ⚠️"
    if m.blocked_reason:
        text += " — " + escape(m.blocked_reason)
    return text


def _item_buttons(item: AgreementItem, lang: str, *, may_report: bool) -> tuple[Button, ...]:
    a = item.agreement
    row = [button(t("assistant.button.open", lang, id=a.id), callbacks.AGREEMENT_OPEN, a.id)]
    if may_report:
        row.append(button(t("assistant.button.timeline", lang), callbacks.TIMELINE, a.id))
    target = item.milestones[0] if len(item.milestones) == 1 else item.next_milestone
    if item.may_update and target is not None and a.health not in ("expired", "completed"):
        label = t("assistant.button.update", lang, title=_short(target.title, 24))
        row.append(button(label, callbacks.MILESTONE_OPEN, a.id, target.id))
    return tuple(row)


def _window_text(window: Window | None, lang: str) -> str:
    if window is None:
        return ""
    if window.start == window.end:
        return t("assistant.window.day", lang, date=format_date(window.start, lang))
    return t(
        "assistant.window.range",
        lang,
        start=format_date(window.start, lang),
        end=format_date(window.end, lang),
    )


def _stage_name(stage: str | None, lang: str) -> str:
    return t(f"assistant.stage.{stage}", lang) if stage else ""


def _short(text: str, limit: int = _TITLE) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- small talk -------------------------------------------------------------------------------


def _small_talk(reply: AssistantReply, lang: str) -> str:
    if reply.off_topic:
        return t_html("assistant.off_topic", lang)
    return t_html(f"assistant.small_talk.{reply.small_talk or 'ack'}", lang)


# --- the terminal's stand-in for buttons --------------------------------------------------------


def hints(reply: AssistantReply, lang: str) -> list[str]:
    """Commands that do what the buttons do, for the terminal chat and ``sinergi ask``."""
    out: list[str] = []
    if reply.tracker is not None:
        for choice in reply.tracker.choices:
            names = " / ".join(name for _, name in choice.candidates)
            out.append(t("assistant.hint.choose", lang, names=names))
        for item in reply.tracker.items[:MAX_BUTTON_ROWS]:
            a = item.agreement
            line = f"/mou {a.id} · /laporan {a.id}"
            target = item.next_milestone
            if item.may_update and target is not None and a.health not in ("expired", "completed"):
                line += " · " + t("assistant.hint.update", lang, id=target.id)
            out.append(line)
    return out
