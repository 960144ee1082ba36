"""What the tracker answers to a question in plain words: pure rules over its views.

:func:`narrow_regions` turns the regions a question names into the party codes to look for,
using the agreements the asker sees: a bare name that fits several regions ("Mojokerto": the
regency and the city) is settled when only one of them has agreements the asker sees (the
answer says which), and offered as a choice when several do; never guessed.

:func:`answer` then picks, for the question's intent, the agreements (and their milestones)
that answer it, each with its next open milestone and the regions that must act on it. The
caller (``services.assistant``) loads the views within the asker's scope; nothing here reads a
database or decides who may see what.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from core.text import compact
from mou_tracker.questions import (
    PKS_STAGE,
    Intent,
    TrackerQuestion,
    Window,
    party_matches,
    stage_milestones,
)
from mou_tracker.rules import attention_rank, must_act
from mou_tracker.schemas import AgreementDetail, AgreementSummary, MilestoneView

#: Healths of agreements that are in force and need work.
IN_FORCE = ("overdue", "stalled", "at_risk", "on_track")
#: How many agreements an answer lists (the total is said; ``/mou`` lists them all).
MAX_ITEMS = 5
#: Without a window, "what is due" means the coming week.
DEFAULT_DUE_DAYS = 7

DetailsOf = Callable[[Sequence[int]], list[AgreementDetail]]


@dataclass(frozen=True)
class RegionChoice:
    """A name that fits several regions that all have agreements: the asker chooses."""

    phrase: str
    candidates: tuple[tuple[str, str], ...]
    """``(code, name)`` of each region it may mean."""


@dataclass(frozen=True)
class Contact:
    """Who coordinates an agreement for one party region."""

    region: str
    name: str | None
    contact: str | None
    users: tuple[str, ...] = ()
    """Names of the region's registered coordinators."""


@dataclass(frozen=True)
class AgreementItem:
    """One agreement in an answer: its summary, what comes next and what the question is about."""

    agreement: AgreementSummary
    next_milestone: MilestoneView | None = None
    must_act: tuple[str, ...] = ()
    """Names of the regions that must act on the next milestone."""
    milestones: tuple[MilestoneView, ...] = ()
    """The milestones the question asks about (overdue, due, blocked, a stage)."""
    contacts: tuple[Contact, ...] = ()
    may_update: bool = False
    """The asker may update this agreement's milestones (set by the service)."""


@dataclass(frozen=True)
class RegionReading:
    """The regions of a question, read against the agreements the asker sees."""

    wanted: tuple[tuple[str, ...], ...] = ()
    """Per region named: the codes that stand for it (a party must match one of each)."""
    names: tuple[str, ...] = ()
    choices: tuple[RegionChoice, ...] = ()
    settled: tuple[tuple[str, str], ...] = ()
    """``(phrase, region name)`` for names settled by the agreements seen ("Mojokerto")."""
    nothing_for: tuple[str, ...] = ()
    """Region names with no agreement the asker sees."""


@dataclass(frozen=True)
class TrackerAnswer:
    """The tracker's answer to a question (rendered by the transports)."""

    intent: Intent
    items: tuple[AgreementItem, ...] = ()
    total: int = 0
    """How many agreements answer it (``items`` holds the first :data:`MAX_ITEMS`)."""
    milestone_total: int = 0
    """How many milestones answer it, for the milestone questions (overdue, due, blocked)."""
    regions: tuple[str, ...] = ()
    apps: tuple[str, ...] = ()
    stage: str | None = None
    window: Window | None = None
    counting: bool = False
    asks_who: bool = False
    choices: tuple[RegionChoice, ...] = ()
    settled: tuple[tuple[str, str], ...] = ()
    nothing_for: tuple[str, ...] = ()
    relaxed: bool = False
    """The apps or kind asked about matched nothing: the region's other agreements are shown."""
    denied: bool = False
    """The asker's role does not see agreements."""
    stage_done: tuple[str, ...] = field(default=())
    """For "which regions have reached a stage": the regions that have."""
    unknown_regions: tuple[str, ...] = ()
    """Names the question wrote as a region's that no region has: nothing is listed for them
    (the whole portfolio would read as their answer)."""
    none_blocked: bool = False
    """Asked what is stuck ("mana yang macet?") when no milestone is marked blocked: the
    overdue ones are the answer (``intent`` is then ``overdue``), said to be that."""

    @property
    def agreement_ids(self) -> tuple[int, ...]:
        return tuple(i.agreement.id for i in self.items)


# --- regions -----------------------------------------------------------------------------------


def narrow_regions(
    question: TrackerQuestion,
    seen: Sequence[AgreementSummary],
    *,
    home_regions: Iterable[str] = (),
) -> RegionReading:
    """The party codes each named region stands for, given the agreements the asker sees."""
    home = set(home_regions)
    party_codes = {p.code for a in seen for p in a.parties}
    wanted: list[tuple[str, ...]] = []
    names: list[str] = []
    choices: list[RegionChoice] = []
    settled: list[tuple[str, str]] = []
    nothing: list[str] = []
    partners = [m for m in question.regions if not any(r.code in home for r in m.candidates)]
    mentions = partners or list(question.regions)
    for mention in mentions:
        if mention.region is not None:
            region = mention.region
            wanted.append((region.code,))
            names.append(region.name)
            if not any(party_matches(c, region.code) for c in party_codes):
                nothing.append(region.name)
            continue
        having = [
            r for r in mention.candidates if any(party_matches(c, r.code) for c in party_codes)
        ]
        if len(having) == 1:
            wanted.append((having[0].code,))
            names.append(having[0].name)
            settled.append((mention.phrase, having[0].name))
        elif having:
            choices.append(RegionChoice(mention.phrase, tuple((r.code, r.name) for r in having)))
        else:
            nothing.append(mention.phrase)
            wanted.append(tuple(r.code for r in mention.candidates))
    return RegionReading(
        tuple(wanted), tuple(names), tuple(choices), tuple(settled), tuple(nothing)
    )


def _parties_match(agreement: AgreementSummary, wanted: Sequence[tuple[str, ...]]) -> bool:
    codes = [p.code for p in agreement.parties]
    return all(any(party_matches(c, w) for c in codes for w in group) for group in wanted)


def _has_apps(agreement: AgreementSummary, apps: Sequence[str]) -> bool:
    mine = {compact(a) for a in agreement.apps}
    return all(compact(a) in mine for a in apps)


def _number_matches(agreement: AgreementSummary, number: str) -> bool:
    wanted = compact(number)
    return any(wanted in compact(p.document_number or "") for p in agreement.parties)


# --- the answer --------------------------------------------------------------------------------


def answer(
    question: TrackerQuestion,
    seen: Sequence[AgreementSummary],
    details_of: DetailsOf,
    *,
    today: date,
    home_regions: Iterable[str] = (),
    contacts_of: Callable[[str], tuple[str, ...]] = lambda code: (),
) -> TrackerAnswer:
    """The tracker's answer to ``question`` over the agreements the asker sees (``seen``).

    Args:
        details_of: loads agreements (with milestones) by id, within the asker's scope.
        contacts_of: names of a region's registered coordinators (for "who coordinates").
    """
    home = tuple(home_regions)
    reading = narrow_regions(question, seen, home_regions=home)
    base = TrackerAnswer(
        intent=question.intent,
        regions=reading.names,
        apps=question.apps,
        stage=question.stage,
        window=question.window,
        counting=question.counting,
        asks_who=question.asks_who,
        choices=reading.choices,
        settled=reading.settled,
        nothing_for=reading.nothing_for,
    )
    if reading.choices:
        return base
    if question.unknown_regions:
        # Said back; the regions the question also names that do exist are answered.
        base = _replace(base, unknown_regions=question.unknown_regions)
        if not reading.wanted:
            return base
    by_region = [a for a in seen if _parties_match(a, reading.wanted)]
    chosen = [a for a in by_region if _has_apps(a, question.apps)]
    if question.number is not None:
        chosen = [a for a in chosen if _number_matches(a, question.number)]
    if question.agreement_id is not None:
        chosen = [a for a in chosen if a.id == question.agreement_id]
    any_kind = chosen
    if question.kind is not None and question.intent != "addendum":
        chosen = [a for a in chosen if a.kind == question.kind]
    intent, stage = question.intent, question.stage
    if not chosen and any_kind and _asks_the_pks_milestone(question):
        # "Kapan PKS dengan Kerinci ditandatangani?" when no PKS with Kerinci is recorded:
        # the PKS is the milestone of the Kesepakatan Bersama that leads to it, asked as a
        # stage (said "no agreement signed with Kerinci", though the KB was signed).
        chosen, intent, stage = any_kind, "stage", PKS_STAGE
        base = _replace(base, intent=intent, stage=stage)
    relaxed = False
    if not chosen and reading.wanted and by_region and intent in ("status", "stage"):
        chosen, relaxed = by_region, True
    base = _replace(base, relaxed=relaxed)
    if intent in ("overdue", "blocked", "due"):
        return _milestone_answer(base, chosen, details_of, question, today)
    if intent == "stage_regions":
        return _stage_regions(base, chosen, details_of, question, home)
    if intent == "coordinator":
        return _coordinators(base, chosen, details_of, reading, contacts_of, home)
    picked = _pick(intent, chosen, question, today, bool(reading.wanted))
    items = []
    for detail in _details_in_order(details_of, [a.id for a in picked[:MAX_ITEMS]]):
        about: tuple[MilestoneView, ...] = ()
        if intent == "stage" and stage is not None:
            about = stage_milestones(stage, detail.milestones)
        items.append(_item(detail, milestones=about))
    return _replace(base, items=tuple(items), total=len(picked))


def _asks_the_pks_milestone(question: TrackerQuestion) -> bool:
    """A question about "the PKS" (its signing, or how far it is) that no stage, window or
    number narrows: the implementing agreement a KB's ``pks_signed`` milestone stands for."""
    return (
        question.kind == "pks"
        and question.stage is None
        and question.window is None
        and question.intent in ("signed", "status", "list", "active")
    )


def _pick(
    intent: Intent,
    chosen: list[AgreementSummary],
    question: TrackerQuestion,
    today: date,
    narrowed: bool,
) -> list[AgreementSummary]:
    """The agreements that answer an agreement-level question, most relevant first."""
    window = question.window
    if intent == "ending":
        dated = [a for a in chosen if a.ends_on is not None]
        if window is not None:
            dated = [a for a in dated if window.start <= a.ends_on <= window.end]  # type: ignore[operator]
        elif not narrowed:
            dated = [a for a in dated if a.ends_on >= today]  # type: ignore[operator]
        return sorted(dated, key=lambda a: (a.ends_on, a.id))
    if intent == "renewal":
        return _worst_first([a for a in chosen if a.renewal_due])
    if intent in ("stalled", "at_risk", "draft"):
        return _worst_first([a for a in chosen if a.health == intent])
    if intent == "signed":
        signed = chosen
        if window is not None:
            signed = [
                a
                for a in chosen
                if a.signed_on is not None and window.start <= a.signed_on <= window.end
            ]
        return sorted(signed, key=lambda a: (a.signed_on or date.max, a.id), reverse=True)
    if intent == "active":
        return _worst_first([a for a in chosen if a.health in IN_FORCE])
    if intent == "addendum":
        return _worst_first([a for a in chosen if a.kind == "addendum"])
    return _worst_first(chosen)


def _worst_first(agreements: Iterable[AgreementSummary]) -> list[AgreementSummary]:
    def key(a: AgreementSummary) -> tuple[int, int, int]:
        signed = -(a.signed_on.toordinal() if a.signed_on else 0)
        return (attention_rank(a.health), signed, a.id)

    return sorted(agreements, key=key)


def _milestone_answer(
    base: TrackerAnswer,
    chosen: Sequence[AgreementSummary],
    details_of: DetailsOf,
    question: TrackerQuestion,
    today: date,
) -> TrackerAnswer:
    """Overdue, blocked or due milestones of the agreements in force.

    Asked what is blocked when no milestone is marked so, the overdue ones answer: "no
    milestone blocked" alone read as "nothing is stuck" while agreements were months late.
    """
    in_force = [a for a in chosen if a.health in IN_FORCE]
    found = _milestones_of(question.intent, in_force, details_of, question.window, today)
    window = question.window
    if question.intent == "due" and window is None:
        window = Window(today, today + timedelta(DEFAULT_DUE_DAYS), "days")
    if question.intent == "blocked" and not found:
        late = _milestones_of("overdue", in_force, details_of, None, today)
        if late:
            found, base = late, _replace(base, intent="overdue", none_blocked=True)
    items = tuple(_item(d, milestones=ms) for d, ms in found[:MAX_ITEMS])
    return _replace(
        base,
        items=items,
        total=len(found),
        milestone_total=sum(len(ms) for _, ms in found),
        window=window,
    )


def _milestones_of(
    intent: str,
    in_force: Sequence[AgreementSummary],
    details_of: DetailsOf,
    window: Window | None,
    today: date,
) -> list[tuple[AgreementDetail, tuple[MilestoneView, ...]]]:
    """The agreements with overdue, blocked or due (in ``window``, else the next
    :data:`DEFAULT_DUE_DAYS`) milestones, and those milestones, soonest due first."""
    if intent == "due" and window is None:
        window = Window(today, today + timedelta(DEFAULT_DUE_DAYS), "days")
    found: list[tuple[AgreementDetail, tuple[MilestoneView, ...]]] = []
    for detail in details_of([a.id for a in in_force]):
        if intent == "overdue":
            wanted = tuple(m for m in detail.milestones if m.overdue)
        elif intent == "blocked":
            wanted = tuple(m for m in detail.milestones if m.status == "blocked")
        else:
            assert window is not None
            wanted = tuple(
                m
                for m in detail.milestones
                if m.status in ("planned", "in_progress", "blocked")
                and m.due_on is not None
                and window.start <= m.due_on <= window.end
            )
        if wanted:
            found.append((detail, wanted))
    found.sort(key=lambda f: (min(m.due_on or date.max for m in f[1]), f[0].id))
    return found


def _stage_regions(
    base: TrackerAnswer,
    chosen: Sequence[AgreementSummary],
    details_of: DetailsOf,
    question: TrackerQuestion,
    home: Sequence[str],
) -> TrackerAnswer:
    """Which partner regions have reached a stage (and which agreements still work on it)."""
    assert question.stage is not None
    stage = question.stage
    done: list[str] = []
    items = []
    for detail in _details_in_order(details_of, [a.id for a in _worst_first(chosen)]):
        about = stage_milestones(stage, detail.milestones)
        if not about:
            continue
        partners = [p.name for p in detail.parties if p.code not in home]
        if all(m.status == "done" for m in about):
            done.extend(n for n in partners if n not in done)
        items.append(_item(detail, milestones=about))
    return _replace(base, items=tuple(items[:MAX_ITEMS]), total=len(items), stage_done=tuple(done))


def _coordinators(
    base: TrackerAnswer,
    chosen: Sequence[AgreementSummary],
    details_of: DetailsOf,
    reading: RegionReading,
    contacts_of: Callable[[str], tuple[str, ...]],
    home: Sequence[str],
) -> TrackerAnswer:
    """Who coordinates the named region's agreements (the parties' coordinators and the
    region's registered coordinators)."""
    picked = _worst_first(chosen)[:MAX_ITEMS]
    named = {c for group in reading.wanted for c in group}
    items = []
    for detail in _details_in_order(details_of, [a.id for a in picked]):
        contacts = tuple(
            Contact(p.name, p.coordinator_name, p.coordinator_contact, contacts_of(p.code))
            for p in detail.parties
            if (p.code in named or any(party_matches(p.code, w) for w in named))
            or (not named and p.code not in home)
        )
        items.append(_replace_item(_item(detail), contacts=contacts))
    return _replace(base, items=tuple(items), total=len(chosen))


def _details_in_order(details_of: DetailsOf, ids: Sequence[int]) -> list[AgreementDetail]:
    """The agreements ``ids`` name, in that order (the loader returns them in its own: the
    coordinators of an agreement that ended were listed before a late one's)."""
    by_id = {d.id: d for d in details_of(ids)}
    return [by_id[i] for i in ids if i in by_id]


def _item(detail: AgreementDetail, *, milestones: tuple[MilestoneView, ...] = ()) -> AgreementItem:
    upcoming = next(
        (m for m in detail.milestones if m.status in ("planned", "in_progress", "blocked")),
        None,
    )
    acting: tuple[str, ...] = ()
    if upcoming is not None:
        codes = must_act(upcoming.responsible_region_code, [p.code for p in detail.parties])
        names = {p.code: p.name for p in detail.parties}
        acting = tuple(names.get(c, c) for c in codes)
    return AgreementItem(detail, upcoming, acting, milestones)


def _replace(answer: TrackerAnswer, **changes: object) -> TrackerAnswer:
    from dataclasses import replace

    return replace(answer, **changes)  # type: ignore[arg-type]


def _replace_item(item: AgreementItem, **changes: object) -> AgreementItem:
    from dataclasses import replace

    return replace(item, **changes)  # type: ignore[arg-type]
