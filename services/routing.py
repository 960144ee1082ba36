"""Which half of Sinergi answers a message: the tracker, the knowledge base, both, or neither.

:func:`route` reads a message with the tracker's reader (:mod:`mou_tracker.questions`) and the
knowledge base's (:mod:`knowledge_base.intent`) and decides, in a stated order:

1. small talk (greetings, thanks, "siapa kamu?", "apa kabar?", the weather, the time, a joke)
   -> ``none`` (a short friendly reply);
2. a how-to over e-government words ("bagaimana cara", "syarat", "langkah") *about a partner
   region's work* (the region named, and an app, a replication stage or a domain word) ->
   ``mixed``: the manual's steps and that region's agreement;
3. a question about the agreements (the tracker's score reaches its threshold) -> ``tracker``;
4. anything else that asks about e-government work (a how-to or a definition over domain
   words, or domain words at all) -> ``knowledge``;
5. a message none of the rules place, but some of whose words the documents hold (asked
   through ``known``) -> ``knowledge``;
6. the rest (weather, recipes, football) -> ``none``.

Pure: the caller passes the region directory, the app names (the tracker's and the documents'),
the home regions (whose apps are replicated) and today. Measured on a labelled set of questions
by ``bench/routing.py``; ``tests/services/test_routing.py`` holds the floor.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from knowledge_base import intent as kb_intent
from knowledge_base.intent import KnowledgeQuestion, SmallTalk
from mou_tracker import questions as tracker_questions
from mou_tracker.questions import TrackerQuestion
from mou_tracker.regions import RegionDirectory

Route = Literal["tracker", "knowledge", "mixed", "none"]
ROUTES: Final[tuple[Route, ...]] = ("tracker", "knowledge", "mixed", "none")


@dataclass(frozen=True)
class RoutedQuestion:
    """A message, read by both halves, and where it goes."""

    route: Route
    tracker: TrackerQuestion
    knowledge: KnowledgeQuestion
    small_talk: SmallTalk | None = None
    off_topic: bool = False
    """``none`` because it is not about Sinergi's work (not small talk)."""


def route(
    text: str,
    *,
    regions: RegionDirectory,
    apps: Collection[str],
    today: date,
    home_regions: Collection[str] = (),
    known: Callable[[str], int] | None = None,
) -> RoutedQuestion:
    """Read ``text`` and decide who answers it (see the module docstring).

    Args:
        known: how many words of a text the knowledge base's documents hold; asked only for a
            message that would otherwise be off-topic, so a question about something the
            trainers documented (but the built-in vocabulary lacks) still reaches it.
    """
    tracker = tracker_questions.read_question(
        text, regions=regions, apps=apps, today=today, home_regions=home_regions
    )
    knowledge = kb_intent.read_question(text, apps=apps)
    chat = kb_intent.small_talk(text)
    if chat is not None:
        return RoutedQuestion("none", tracker, knowledge, small_talk=chat)
    partners = [m for m in tracker.regions if not any(r.code in home_regions for r in m.candidates)]
    work = bool(tracker.apps) or tracker.stage is not None or knowledge.domain > 0
    # "who needs to act on …" asks for people, not for a procedure
    people = tracker.intent == "coordinator" and not tracker.apps and tracker.stage is None
    if knowledge.how_to and partners and work and not knowledge.definition and not people:
        return RoutedQuestion("mixed", tracker, knowledge)
    if tracker.about_tracker:
        return RoutedQuestion("tracker", tracker, knowledge)
    if knowledge.on_topic and (knowledge.how_to or knowledge.definition or knowledge.domain):
        return RoutedQuestion("knowledge", tracker, knowledge)
    if knowledge.on_topic:
        return RoutedQuestion("knowledge", tracker, knowledge)
    if known is not None and known(_without_regions(text, tracker)) > 0:
        return RoutedQuestion("knowledge", tracker, knowledge)
    return RoutedQuestion("none", tracker, knowledge, off_topic=True)


def _without_regions(text: str, tracker: TrackerQuestion) -> str:
    """The words of ``text`` other than the regions it names (a region's name in the
    documents does not make the weather in Bandung a question for them)."""
    named = {w.casefold() for m in tracker.regions for w in m.phrase.split()}
    return " ".join(w for w in text.split() if w.strip("?!.,").casefold() not in named)
