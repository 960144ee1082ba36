"""One assistant: any message, answered by the tracker, the knowledge base, or both.

``Services.assistant`` is what the bot's free text, ``sinergi chat`` and ``sinergi ask`` call.
:meth:`AssistantService.answer` routes the message (:mod:`services.routing`) and answers it as
the acting subject:

* ``tracker``: the tracker's answer (:mod:`mou_tracker.answers`) over the agreements the
  subject sees (every read goes through :class:`~services.tracker.TrackerService` with the
  subject: a coordinator asking about another region's agreement learns nothing of it, exactly
  as if it did not exist); a role that sees no agreements is told so;
* ``knowledge``: a curated answer first when a trainer answered the same question before
  (:class:`~services.curated.CuratedService`), then the documents' answer
  (:meth:`KnowledgeService.ask`, logged for the gap report);
* ``mixed``: both halves: the documents (asked without the region's name) and the region's
  agreement, narrowed to the app the question names;
* ``none``: small talk or off-topic; nothing is searched or logged.

A short follow-up that only names another region or app ("kalau Mojokerto?") after a tracker
question asks the same thing about it. The reply is data (:class:`AssistantReply`); the
transports render it (``bot.views.assistant``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session, sessionmaker

from accounts import rules as access_rules
from accounts.schemas import AuthSubject
from core.errors import AppError
from knowledge_base.errors import EmptyQuestion, QuestionTooLong
from knowledge_base.language import detect_language
from knowledge_base.question import MAX_QUESTION_CHARS, clean_message, find_question
from knowledge_base.repository import KnowledgeRepository
from mou_tracker import answers
from mou_tracker.answers import AgreementItem, RegionChoice, TrackerAnswer
from mou_tracker.intake.apps import KNOWN_APPS
from mou_tracker.questions import TrackerQuestion, Window
from mou_tracker.regions import RegionDirectory
from services.access import AccessService
from services.curated import CuratedMatch, CuratedService
from services.knowledge import Answer, KnowledgeService, Turn
from services.routing import Route, RoutedQuestion, route
from services.tracker import AgreementDetail, TrackerService

__all__ = [
    "AgreementItem",
    "AssistantReply",
    "AssistantService",
    "RegionChoice",
    "Route",
    "TrackerAnswer",
    "Window",
]


@dataclass(frozen=True)
class AssistantReply:
    """What the assistant answers to one message (the transports render it)."""

    route: Route
    question: str
    language: str
    tracker: TrackerAnswer | None = None
    knowledge: Answer | None = None
    curated: CuratedMatch | None = None
    small_talk: str | None = None
    off_topic: bool = False

    @property
    def found(self) -> bool:
        """Something answered: the documents, a curated answer, or the tracker."""
        if self.curated is not None or (self.knowledge is not None and self.knowledge.found):
            return True
        t = self.tracker
        return t is not None and not t.denied and not t.choices and (bool(t.items) or t.total > 0)

    @property
    def agreement_ids(self) -> tuple[int, ...]:
        return self.tracker.agreement_ids if self.tracker is not None else ()

    @property
    def question_id(self) -> int | None:
        """The question-log id of the knowledge half (for feedback and sources)."""
        return self.knowledge.question_id if self.knowledge is not None else None


class AssistantService:
    """Routes a message and answers it as the acting subject (see the module docstring)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        tracker: TrackerService,
        knowledge: KnowledgeService,
        curated: CuratedService,
        regions: RegionDirectory,
        access: AccessService,
    ) -> None:
        self._sf = session_factory
        self.tracker = tracker
        self.knowledge = knowledge
        self.curated = curated
        self.regions = regions
        self.access = access

    def apps(self) -> list[str]:
        """The app names questions may name: the tracker's, the documents' and the built-in
        dictionary of replicated apps (so "Apa itu Gampil?" reaches the documents, and is
        logged as a gap, before any agreement or document names Gampil)."""
        names = list(self.tracker.vocabulary().apps)
        with self._sf.begin() as s:
            documents = KnowledgeRepository(s).document_apps()
        for app in (*documents, *KNOWN_APPS):
            if app not in names:
                names.append(app)
        return names

    def read(self, question: str, *, history: Sequence[Turn | str] = ()) -> RoutedQuestion:
        """Where ``question`` goes (a follow-up is read with the question before it)."""
        vocabulary = self.tracker.vocabulary()
        apps = self.apps()
        today = self.tracker.today()
        home = vocabulary.home_regions
        routed = route(
            question,
            regions=self.regions,
            apps=apps,
            today=today,
            home_regions=home,
            known=self._known,
        )
        follows = routed.route in ("none", "knowledge") or routed.tracker.bare
        if history and routed.small_talk is None and follows:
            last = history[-1]
            before = last.question if isinstance(last, Turn) else str(last)
            previous = route(
                before, regions=self.regions, apps=apps, today=today, home_regions=home
            )
            follow_up = _follow_up(previous, routed)
            if follow_up is not None:
                return follow_up
            if routed.off_topic and previous.route in ("knowledge", "mixed"):
                # "Berapa lama?", "dan e-RK?": a follow-up of a question for the documents
                return replace(routed, route="knowledge", off_topic=False)
        return routed

    def _known(self, text: str) -> int:
        """How many words of ``text`` the documents hold (0 when they cannot be reached: the
        question is then read by the built-in vocabulary alone)."""
        try:
            return self.knowledge.knows(text)
        except AppError:
            return 0

    def answer(
        self,
        subject: AuthSubject,
        question: str,
        *,
        language: str | None = None,
        history: Sequence[Turn | str] = (),
        asked_by: str | None = None,
        region: tuple[str, str] | None = None,
        documents_only: bool = False,
    ) -> AssistantReply:
        """Answer ``question`` as ``subject`` (see the module docstring).

        Args:
            language: the asker's language, used when the question's own is unclear.
            history: earlier questions of the conversation, oldest first.
            asked_by: who asked, for the question log (``tg:123``, ``cli``).
            region: ``(phrase, region code)``: the asker chose which region an ambiguous name
                in the question means (the answer to :attr:`TrackerAnswer.choices`).
            documents_only: search the documents whatever the route (the asker's "search the
                documents anyway" after an off-topic reply).
        """
        access_rules.require(subject, access_rules.Permission.ASK)
        message = clean_message(question)
        if not message:
            raise EmptyQuestion()
        question = message
        if len(message) > MAX_QUESTION_CHARS:
            # A long paste is routed by the question it holds, never cut without a word; the
            # documents' half gets the whole message and says which question it answered.
            extracted = find_question(message)
            if extracted is None:
                raise QuestionTooLong(length=len(message), limit=MAX_QUESTION_CHARS)
            question = extracted
        lang = detect_language(question, default=language or "id")
        routed = self.read(question, history=history)
        if region is not None:
            routed = self._choose(routed, *region)
        if documents_only:
            routed = replace(routed, route="knowledge", small_talk=None, off_topic=False)
        reply = AssistantReply(
            routed.route,
            question,
            lang,
            small_talk=routed.small_talk,
            off_topic=routed.off_topic,
        )
        if routed.route == "none":
            return reply
        if routed.route in ("tracker", "mixed"):
            tracker = self._tracker_answer(subject, routed.tracker)
            # A role without agreements gets the documents' half of a mixed question only.
            if not (routed.route == "mixed" and tracker.denied):
                reply = replace(reply, tracker=tracker)
        if routed.route in ("knowledge", "mixed"):
            asked = question if routed.route == "knowledge" else _without_regions(routed.tracker)
            curated = self.curated.match(asked)
            knowledge = self.knowledge.ask(
                message if routed.route == "knowledge" else asked,
                language=lang,
                history=tuple(history),
                asked_by=asked_by,
            )
            if curated is not None and knowledge.question_id is not None:
                self.curated.mark_shown(knowledge.question_id, curated.answer.id)
            reply = replace(reply, knowledge=knowledge, curated=curated)
        return reply

    # --- the tracker's half ----------------------------------------------------------------------

    def _tracker_answer(self, subject: AuthSubject, question: TrackerQuestion) -> TrackerAnswer:
        if not access_rules.allows(subject, access_rules.Permission.VIEW_AGREEMENTS):
            return TrackerAnswer(intent=question.intent, denied=True)
        today = self.tracker.today()
        seen = self.tracker.list_agreements(subject, at=today)
        home = self.tracker.vocabulary().home_regions

        def details_of(ids: Sequence[int]) -> list[AgreementDetail]:
            return self.tracker.details(subject, ids, at=today) if ids else []

        def contacts_of(code: str) -> tuple[str, ...]:
            return tuple(u.name for u in self.access.coordinators_for_region(code) if u.name)

        found = answers.answer(
            question, seen, details_of, today=today, home_regions=home, contacts_of=contacts_of
        )
        may_update = access_rules.allows(subject, access_rules.Permission.UPDATE_MILESTONE)
        items = tuple(replace(i, may_update=may_update) for i in found.items)
        return replace(found, items=items)

    def _choose(self, routed: RoutedQuestion, phrase: str, code: str) -> RoutedQuestion:
        """The question with an ambiguous region settled by the asker's choice."""
        chosen = self.regions.get(code)
        mentions = tuple(
            replace(m, candidates=(chosen,))
            if m.phrase == phrase and any(r.code == code for r in m.candidates)
            else m
            for m in routed.tracker.regions
        )
        return replace(routed, tracker=replace(routed.tracker, regions=mentions))


def _follow_up(previous: RoutedQuestion, current: RoutedQuestion) -> RoutedQuestion | None:
    """ "kalau Mojokerto?" after "Perjanjian dengan Kerinci sudah sampai mana?": the previous
    tracker question, about the regions or apps the follow-up names."""
    before, now = previous.tracker, current.tracker
    if previous.route not in ("tracker", "mixed") or not (now.regions or now.apps):
        return None
    if current.knowledge.how_to or (now.about_tracker and not now.bare):
        return None
    merged = replace(
        before,
        text=now.text,
        regions=now.regions or before.regions,
        apps=now.apps or before.apps,
        window=now.window or before.window,
    )
    return replace(current, route="tracker", tracker=merged, off_topic=False)


def _without_regions(question: TrackerQuestion) -> str:
    """The question without the regions it names, for the documents' half of a mixed one
    ("Bagaimana Kerinci bisa mulai memakai Gampil?" -> "Bagaimana bisa mulai memakai Gampil?")."""
    text = question.text
    for mention in question.regions:
        parts = [re.escape(p) for p in mention.phrase.split()]
        text = re.sub(r"\W+".join(parts) + r"\.?", " ", text, count=1, flags=re.IGNORECASE)
    text = re.sub(r"\s+([?,.!])", r"\1", " ".join(text.split()))
    return text or question.text
