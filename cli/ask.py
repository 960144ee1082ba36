"""``sinergi ask "QUESTION" [--as TELEGRAM_ID] [--json]``: the same assistant as the bot.

Routed like a message to the bot (the tracker, the documents, both, or neither) and answered
as the operator (admin rights), or as a configured user with ``--as`` (their role, region and
bound agreements apply, exactly as in the bot). ``sinergi kb ask`` stays the knowledge base
only. ``--json`` gives ``route``, ``answer`` (plain text), ``found``, ``citations`` and
``agreements`` (the ids the answer is about), plus the details of each half.
"""

from __future__ import annotations

from typing import Any

import typer

from bot.formatting import to_plain
from bot.views import assistant as views
from cli.context import get_ctx, print_json, shown_block
from cli.kb import answer_json, citation_json
from services.access import AuthSubject, Permission
from services.assistant import AssistantReply, TrackerAnswer

app = typer.Typer()

AS_HELP = "Bertindak sebagai pengguna ini (ID Telegram) / act as this user."


@app.command("ask")
def ask(
    ctx: typer.Context,
    question: str = typer.Argument(..., help="Pertanyaan / the question."),
    as_user: int | None = typer.Option(None, "--as", help=AS_HELP),
    as_json: bool = typer.Option(False, "--json", help="Keluaran JSON."),
) -> None:
    """Ask the assistant: agreements, the knowledge base, or both (routed like the bot)."""
    app_ctx = get_ctx(ctx)
    services = app_ctx.services
    subject: AuthSubject = app_ctx.operator()
    if as_user is not None:
        subject = services.access.authorize(as_user, Permission.ASK)
    language = getattr(subject, "language", None) or app_ctx.lang
    reply = services.assistant.answer(subject, question, language=language, asked_by=subject.actor)
    view = views.reply_view(reply, reply.language, may_report=True)
    text = to_plain(view.text)
    if as_json:
        print_json(reply_json(reply, text))
        return
    out = app_ctx.console
    out.print(shown_block(text), markup=False, highlight=False)
    for line in views.hints(reply, reply.language):
        out.print(line, markup=False, highlight=False)


def reply_json(reply: AssistantReply, text: str) -> dict[str, Any]:
    """The reply for machines: route, answer, found, citations, agreements and both halves."""
    knowledge = reply.knowledge
    curated = reply.curated
    return {
        "route": reply.route,
        "answer": text,
        "found": reply.found,
        "language": reply.language,
        "citations": [citation_json(c) for c in knowledge.citations] if knowledge else [],
        "agreements": list(reply.agreement_ids),
        "question_id": reply.question_id,
        "knowledge": answer_json(knowledge) if knowledge is not None else None,
        "curated": (
            {
                "id": curated.answer.id,
                "question": curated.answer.question,
                "answer": curated.answer.answer,
                "trainer": curated.answer.updated_by_name,
                "updated_at": curated.answer.updated_at,
                "version": curated.answer.version,
                "review_due": curated.answer.review_due,
                "matched_by": curated.by,
            }
            if curated is not None
            else None
        ),
        "tracker": tracker_json(reply.tracker) if reply.tracker is not None else None,
        "small_talk": reply.small_talk,
        "off_topic": reply.off_topic,
    }


def tracker_json(answer: TrackerAnswer) -> dict[str, Any]:
    return {
        "intent": answer.intent,
        "denied": answer.denied,
        "total": answer.total,
        "milestones": answer.milestone_total,
        "regions": list(answer.regions),
        "apps": list(answer.apps),
        "stage": answer.stage,
        "window": (
            {"start": answer.window.start, "end": answer.window.end}
            if answer.window is not None
            else None
        ),
        "choices": [
            {"phrase": c.phrase, "regions": [{"code": code, "name": n} for code, n in c.candidates]}
            for c in answer.choices
        ],
        "settled": [{"phrase": p, "region": n} for p, n in answer.settled],
        "items": [
            {
                "id": i.agreement.id,
                "title": i.agreement.title,
                "number": i.agreement.number,
                "health": i.agreement.health,
                "parties": [p.name for p in i.agreement.parties],
                "ends_on": i.agreement.ends_on,
                "next_milestone": (
                    {
                        "id": i.next_milestone.id,
                        "title": i.next_milestone.title,
                        "due_on": i.next_milestone.due_on,
                        "status": i.next_milestone.status,
                    }
                    if i.next_milestone is not None
                    else None
                ),
                "must_act": list(i.must_act),
                "milestones": [
                    {"id": m.id, "title": m.title, "status": m.status, "due_on": m.due_on}
                    for m in i.milestones
                ],
            }
            for i in answer.items
        ],
    }
