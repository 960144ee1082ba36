"""Pictures for reports: an agreement's milestone timeline and the portfolio's health by region.

Rendered with matplotlib's object-oriented API on the Agg canvas (no pyplot, no global state),
so charts can be drawn from any thread of the bot or the CLI. Labels come from the message
catalog in the reader's language; dates on the axis use its month names ("Mei", "Okt") and
every date reads as on every other screen ("30 Nov 2026", :mod:`services.wording`). The
``*_figure`` functions return the figure for callers (and tests) that want to inspect it; the
``*_png`` functions return the PNG bytes to send; the ``*_text`` functions say the same in a
few lines (sent as the picture's caption, and what screen readers and the terminal chat get).

What the timeline shows, by rule:

* a milestone whose bar would be too thin to see (done or started on the day it is drawn, e.g.
  updated today) gets a marker at its end;
* a blocked milestone is drawn as blocked even when it is also past its due date;
* an agreement that has ended stops at its end date (a line marks it): its unfinished
  milestones are grey "not done by the end" bars, not years of red up to today;
* a draft without a single date has no timeline: :func:`has_timeline` says so and the
  transports send a sentence instead (:func:`timeline_text`).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot: never open a window

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, date2num, num2date
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from core.i18n import Catalog
from mou_tracker.rules import HEALTH_ORDER, is_overdue
from mou_tracker.schemas import (
    AgreementDetail,
    AgreementSummary,
    MilestoneFacts,
    MilestoneView,
    PortfolioReport,
)
from services.messages import catalog
from services.wording import format_date, health_name, health_title, month_name

PLANNED_COLOR = "#9ecae1"
DONE_COLOR = "#2ca02c"
LATE_DONE_COLOR = "#ff7f0e"
IN_PROGRESS_COLOR = "#1f77b4"
OVERDUE_COLOR = "#d62728"
BLOCKED_COLOR = "#7f3c8d"
UNFINISHED_COLOR = "#bdbdbd"
HEALTH_COLORS: dict[str, str] = {
    "stalled": "#8c564b",
    "overdue": OVERDUE_COLOR,
    "at_risk": "#ff7f0e",
    "on_track": "#1f77b4",
    "draft": "#c7c7c7",
    "completed": DONE_COLOR,
    "expired": "#7f7f7f",
}
#: Regions drawn one per row; the rest are summed into one "other regions" row.
MAX_REGION_ROWS = 30
_DPI = 110


def _t(key: str, language: str, **params: Any) -> str:
    cat: Catalog = catalog()
    return cat.t(key, language, **params)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(  # type: ignore[no-untyped-call]
        buffer, metadata={"Software": "Sinergi"}
    )
    return buffer.getvalue()


def _num(day: date) -> float:
    """A date on matplotlib's date axis."""
    return float(date2num(day))  # type: ignore[no-untyped-call]


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- the agreement timeline -------------------------------------------------------------------


def milestone_is_overdue(milestone: MilestoneView, at: date) -> bool:
    """Open and past its due date as of ``at`` (the tracker's own rule)."""
    facts = MilestoneFacts(milestone.status, milestone.due_on, milestone.completed_on)
    return is_overdue(facts, at)


def has_timeline(detail: AgreementDetail) -> bool:
    """Whether there is anything to draw: a signing date or a milestone with a date."""
    return detail.signed_on is not None or any(
        m.due_on is not None or m.completed_on is not None for m in detail.milestones
    )


def _ended_on(detail: AgreementDetail, at: date) -> date | None:
    """The day the agreement ended, if it has ended by ``at``."""
    if detail.health == "expired" and detail.ends_on is not None and detail.ends_on < at:
        return detail.ends_on
    return None


def _date_axis(axes: Any, language: str) -> None:
    """Ticks chosen by matplotlib, labelled with the reader's month names ("Mei", "Okt 2026")."""
    locator = AutoDateLocator(maxticks=8)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)

    def label(value: float, position: int | None) -> str:
        day = num2date(value).date()  # type: ignore[no-untyped-call]
        text = month_name(day.month, language)
        if day.day != 1:
            text = f"{day.day} {text}"
        # The year under the first tick and under every January.
        return f"{text}\n{day.year}" if position == 0 or day.month == 1 else text

    axes.xaxis.set_major_formatter(FuncFormatter(label))


def timeline_figure(detail: AgreementDetail, *, at: date, language: str) -> Figure:
    """Planned (due date) against actual (completion, or work so far) for each milestone.

    Each milestone is a row: the upper bar runs from the planned start (the previous due date,
    or the signing date) to the due date; the lower bar shows what happened: green when done on
    time, orange when done late, blue while in progress, purple when blocked, red when overdue
    (drawn up to ``at``). Bars carry a ``gid`` ("planned", "done", "late", "in_progress",
    "blocked", "overdue") so callers can tell them apart.
    """
    milestones = sorted(
        (m for m in detail.milestones if m.status != "skipped"), key=lambda m: m.position
    )
    rows = max(len(milestones), 1)
    figure = Figure(figsize=(9.0, 1.6 + 0.48 * rows), dpi=_DPI, layout="constrained")
    axes = figure.add_subplot()
    name = detail.number or f"#{detail.id}"
    figure.suptitle(_shorten(f"{name} · {detail.title}", 90), fontsize=11, fontweight="bold")

    known = [d for m in milestones for d in (m.due_on, m.completed_on) if d is not None]
    origin = detail.signed_on or (min(known) - timedelta(days=30) if known else at)
    ended = _ended_on(detail, at)
    # What "now" is for the bars: an ended agreement is drawn as it stood when it ended, and
    # only over the time work was planned or done (not the years until it ran out).
    until = ended or at
    right = until
    if ended is not None and known:
        right = min(ended, max(known) + timedelta(days=90))
    span = max((max([*known, right, origin]) - min([*known, right, origin])).days, 30)
    thin = span / 80  # a bar narrower than this is hard to see: it gets a marker too
    earlier: list[date] = []  # due dates of the milestones above this one
    labels: list[str] = []
    for row, milestone in enumerate(milestones):
        y = rows - 1 - row
        label = _shorten(milestone.title, 38)
        if milestone.due_on is None:
            label += " " + _t("chart.timeline.no_date", language)
        labels.append(label)
        # The planned window opens when the latest earlier milestone was due (or at signing).
        start = max(earlier, default=origin)
        if milestone.due_on is not None:
            start = max((d for d in earlier if d < milestone.due_on), default=origin)
            start = min(start, milestone.due_on)
            width = max((milestone.due_on - start).days, 1)
            axes.barh(
                y + 0.2, width, left=_num(start), height=0.36, color=PLANNED_COLOR,
                edgecolor="#6baed6", gid="planned",
            )  # fmt: skip
            earlier.append(milestone.due_on)
        actual = _actual_bar(milestone, until, ended=ended is not None)
        if actual is not None and actual[0] == "unfinished":
            # Not done by the end: a mark at its due date, not a bar to the end.
            assert milestone.due_on is not None
            axes.plot(
                [_num(milestone.due_on)], [y - 0.2], marker="X", markersize=8,
                color=UNFINISHED_COLOR, markeredgecolor="#555555", linestyle="none",
                gid="unfinished",
            )  # fmt: skip
            actual = None
        if actual is not None:
            gid, color, end = actual
            begin = min(start, end)  # work can start (or end) before the planned window
            width = max((end - begin).days, 1)
            axes.barh(
                y - 0.2, width, left=_num(begin), height=0.36, color=color, gid=gid,
            )  # fmt: skip
            updated_today = milestone.updated_at is not None and milestone.updated_at.date() == at
            if width < thin or updated_today:
                axes.plot(
                    [_num(end)], [y - 0.2], marker="D", markersize=7, color=color,
                    markeredgecolor="#222222", linestyle="none",
                    gid="updated_today" if updated_today else f"marker:{gid}",
                )  # fmt: skip
    axes.set_yticks(range(rows - 1, rows - 1 - len(labels), -1), labels, fontsize=8)
    axes.set_ylim(-0.8, rows - 0.2)
    if ended is not None:
        label = _t("chart.timeline.ended", language, date=format_date(ended, language))
        if right < ended:  # the end is beyond the work shown: say so at the edge
            label += " →"
        else:
            axes.axvline(_num(ended), color="#555555", linestyle=":", linewidth=1.2, gid="ended")
        axes.set_xlim(right=_num(right + timedelta(days=max(span // 40, 3))))
        axes.annotate(label, xy=(_num(right), -0.75), fontsize=8, ha="right", color="#555555")
    else:
        axes.axvline(_num(at), color="#333333", linestyle="--", linewidth=1, gid="today")
        axes.annotate(
            _t("chart.timeline.today", language),
            xy=(_num(at), -0.75),
            fontsize=8,
            ha="left",
            color="#333333",
        )
    if not known:  # nothing but "today": show the month around it
        axes.set_xlim(_num(at - timedelta(days=30)), _num(at + timedelta(days=30)))
    _date_axis(axes, language)
    axes.grid(axis="x", alpha=0.3)
    if not milestones:
        axes.text(
            0.5, 0.5, _t("chart.timeline.empty", language), transform=axes.transAxes,
            ha="center", va="center",
        )  # fmt: skip
    overdue = 0 if ended else sum(milestone_is_overdue(m, at) for m in milestones)
    done = sum(m.status == "done" for m in milestones)
    axes.set_title(
        _t(
            "chart.timeline.subtitle",
            language,
            done=done,
            total=len(milestones),
            overdue=overdue,
            at=format_date(at, language),
        ),
        fontsize=9,
    )
    legend = [
        Patch(color=PLANNED_COLOR, label=_t("chart.timeline.planned", language)),
        Patch(color=DONE_COLOR, label=_t("chart.timeline.done", language)),
        Patch(color=LATE_DONE_COLOR, label=_t("chart.timeline.done_late", language)),
        Patch(color=IN_PROGRESS_COLOR, label=_t("chart.timeline.in_progress", language)),
        Patch(color=BLOCKED_COLOR, label=_t("chart.timeline.blocked", language)),
    ]
    if ended is not None:
        legend.append(
            Patch(color=UNFINISHED_COLOR, label=_t("chart.timeline.unfinished", language))
        )
    else:
        legend.append(Patch(color=OVERDUE_COLOR, label=_t("chart.timeline.overdue", language)))
    figure.legend(handles=legend, loc="outside lower center", ncols=6, fontsize=7, frameon=False)
    return figure


def _actual_bar(
    milestone: MilestoneView, at: date, *, ended: bool = False
) -> tuple[str, str, date] | None:
    """(gid, colour, end date) of the "actual" bar, or ``None`` when nothing happened yet.

    Blocked wins over overdue (the reason it is late is the news); for an agreement that has
    ended (``at`` is its end) an open milestone is "unfinished", not overdue.
    """
    if milestone.status == "done":
        end = milestone.completed_on or milestone.due_on or at
        late = milestone.due_on is not None and end > milestone.due_on
        return ("late", LATE_DONE_COLOR, end) if late else ("done", DONE_COLOR, end)
    if milestone.status == "blocked":
        return ("blocked", BLOCKED_COLOR, at)
    if ended and milestone.due_on is not None and milestone.due_on < at:
        return ("unfinished", UNFINISHED_COLOR, at)
    if milestone_is_overdue(milestone, at):
        return ("overdue", OVERDUE_COLOR, at)
    if milestone.status == "in_progress":
        return ("in_progress", IN_PROGRESS_COLOR, at)
    return None


def timeline_text(detail: AgreementDetail, *, at: date, language: str) -> str:
    """The timeline in a few lines: health, counts, the next milestone, the late ones; or,
    for a draft without dates, the sentence that replaces the chart."""
    lang = language
    name = detail.number or f"#{detail.id}"
    head = _t("chart.text.head", lang, name=name, title=detail.title,
              health=health_name(detail.health, lang))  # fmt: skip
    if not has_timeline(detail):
        return f"{head}\n{_t('chart.text.no_dates', lang)}"
    milestones = [m for m in detail.milestones if m.status != "skipped"]
    ended = _ended_on(detail, at)
    lines = [head]
    done = sum(m.status == "done" for m in milestones)
    lines.append(_t("chart.text.counts", lang, done=done, total=len(milestones)))
    if ended is not None:
        unfinished = [m for m in milestones if m.status != "done"]
        lines.append(
            _t("chart.text.ended", lang, date=format_date(ended, lang), count=len(unfinished))
        )
        return "\n".join(lines)
    blocked = [m for m in milestones if m.status == "blocked"]
    late = [m for m in milestones if milestone_is_overdue(m, at) and m.status != "blocked"]
    for m in blocked[:3]:
        lines.append(_t("chart.text.blocked", lang, title=m.title, due=format_date(m.due_on, lang)))
    for m in late[:3]:
        lines.append(_t("chart.text.late", lang, title=m.title, due=format_date(m.due_on, lang)))
    upcoming = next(
        (m for m in milestones if m.status in ("planned", "in_progress")
         and not milestone_is_overdue(m, at)),
        None,
    )  # fmt: skip
    if upcoming is not None:
        lines.append(
            _t(
                "chart.text.next",
                lang,
                title=upcoming.title,
                due=format_date(upcoming.due_on, lang),
            )
        )
    return "\n".join(lines)


def timeline_png(detail: AgreementDetail, *, at: date, language: str) -> bytes:
    """The agreement's milestone timeline as a PNG (see :func:`timeline_figure`)."""
    return _png(timeline_figure(detail, at=at, language=language))


# --- the portfolio -------------------------------------------------------------------------------


def health_by_region(
    agreements: Sequence[AgreementSummary],
) -> dict[str, Counter[str]]:
    """Agreements per partner region and health.

    An agreement counts once for each party other than the owner (the region replicating the
    apps); an agreement whose only party is the owner counts for the owner.
    """
    by_region: dict[str, Counter[str]] = {}
    for agreement in agreements:
        partners = [p for p in agreement.parties if p.code != agreement.owner_region_code]
        if not partners:
            partners = list(agreement.parties)
        for party in partners:
            by_region.setdefault(party.name, Counter())[agreement.health] += 1
    return by_region


def _region_rows(
    by_region: Mapping[str, Mapping[str, int]], language: str
) -> list[tuple[str, Mapping[str, int]]]:
    """Most troubled regions first; beyond :data:`MAX_REGION_ROWS`, one summed row."""
    troubled = ("stalled", "overdue", "at_risk")

    def urgency(item: tuple[str, Mapping[str, int]]) -> tuple[int, int, str]:
        name, counts = item
        return (-sum(counts.get(h, 0) for h in troubled), -sum(counts.values()), name)

    ordered = sorted(by_region.items(), key=urgency)
    if len(ordered) <= MAX_REGION_ROWS:
        return list(ordered)
    kept = ordered[: MAX_REGION_ROWS - 1]
    rest: Counter[str] = Counter()
    for _, counts in ordered[MAX_REGION_ROWS - 1 :]:
        rest.update(dict(counts))
    others = _t("chart.portfolio.others", language, count=len(ordered) - len(kept))
    return [*kept, (others, rest)]


def portfolio_figure(
    report: PortfolioReport,
    *,
    language: str,
    agreements: Sequence[AgreementSummary] | None = None,
) -> Figure:
    """Health by region: one horizontal stacked bar per partner region, coloured by health.

    ``agreements`` (the tracker's ``list_agreements(at=report.at)``) gives the regions; without
    it the chart shows the portfolio's totals as a single bar. Segments carry
    ``gid="health:<health>"``.
    """
    if agreements is not None:
        by_region: Mapping[str, Mapping[str, int]] = health_by_region(agreements)
    else:
        by_region = {_t("chart.portfolio.all_regions", language): report.by_health}
    rows = _region_rows(by_region, language)
    count = max(len(rows), 1)
    figure = Figure(figsize=(9.0, 2.2 + 0.3 * count), dpi=_DPI, layout="constrained")
    axes = figure.add_subplot()
    figure.suptitle(
        _t("chart.portfolio.title", language, at=format_date(report.at, language)),
        fontsize=11,
        fontweight="bold",
    )
    rate = report.follow_through_rate
    beyond = report.beyond_paper_rate
    axes.set_title(
        _t(
            "chart.portfolio.subtitle",
            language,
            total=report.total,
            follow_through="–" if rate is None else f"{rate:.0%}",
            beyond_paper="–" if beyond is None else f"{beyond:.0%}",
        ),
        fontsize=9,
    )
    healths = [h for h in HEALTH_ORDER if any(counts.get(h, 0) for _, counts in rows)]
    labels = [_shorten(name, 34) for name, _ in rows]
    positions = list(range(len(rows) - 1, -1, -1))
    lefts = [0] * len(rows)
    for health in healths:
        widths = [counts.get(health, 0) for _, counts in rows]
        axes.barh(
            positions,
            widths,
            left=lefts,
            height=0.7,
            color=HEALTH_COLORS.get(health, "#999999"),
            label=health_title(health, language),
            gid=f"health:{health}",
        )
        lefts = [left + width for left, width in zip(lefts, widths, strict=True)]
    axes.set_yticks(positions, labels, fontsize=8)
    axes.set_xlabel(_t("chart.portfolio.agreements", language), fontsize=9)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="x", alpha=0.3)
    if not rows or not healths:
        axes.text(
            0.5, 0.5, _t("chart.portfolio.empty", language), transform=axes.transAxes,
            ha="center", va="center",
        )  # fmt: skip
    else:
        figure.legend(loc="outside lower center", ncols=len(healths), fontsize=7, frameon=False)
    return figure


def portfolio_png(
    report: PortfolioReport,
    *,
    language: str,
    agreements: Sequence[AgreementSummary] | None = None,
) -> bytes:
    """The portfolio's health by region as a PNG (see :func:`portfolio_figure`)."""
    return _png(portfolio_figure(report, language=language, agreements=agreements))


def portfolio_text(
    report: PortfolioReport,
    *,
    language: str,
    agreements: Sequence[AgreementSummary] | None = None,
) -> str:
    """The portfolio chart in a few lines: totals by health, the regions that need attention."""
    lang = language
    counts = ", ".join(
        f"{health_name(h, lang)} {report.by_health[h]}"
        for h in HEALTH_ORDER
        if report.by_health.get(h)
    )
    lines = [
        _t("chart.text.portfolio", lang, at=format_date(report.at, lang), total=report.total),
        counts or "-",
    ]
    if agreements is not None:
        troubled = ("stalled", "overdue", "at_risk")
        worst = [
            (name, sum(c.get(h, 0) for h in troubled))
            for name, c in _region_rows(health_by_region(agreements), lang)
        ]
        worst = [w for w in worst if w[1]][:5]
        if worst:
            names = ", ".join(f"{name} ({count})" for name, count in worst)
            lines.append(_t("chart.text.attention", lang, regions=names))
    return "\n".join(lines)
