"""Report charts: valid PNGs whose content follows the data (no pixel comparisons)."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.patches import Rectangle

from mou_tracker.schemas import (
    AgreementDetail,
    AgreementSummary,
    MilestoneView,
    PartyView,
    PortfolioReport,
)
from services import charts

AT = date(2026, 5, 1)
BANDUNG = PartyView("32.73", "Kota Bandung", "city", "Asia/Jakarta")


def png_size(data: bytes) -> tuple[int, int]:
    """Check the PNG structure (signature, chunk CRCs, IHDR first, IEND last); (width, height)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds = 8, []
    size = (0, 0)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        kinds.append(kind)
        pos += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    image = imread(io.BytesIO(data), format="png")
    assert image.shape[:2] == (size[1], size[0])
    return size


def milestone(
    number: int,
    status: str,
    due_on: date | None,
    completed_on: date | None = None,
    *,
    title: str | None = None,
) -> MilestoneView:
    return MilestoneView(
        id=number,
        agreement_id=1,
        key=f"step{number}",
        title=title or f"Tahap {number}",
        position=number,
        due_on=due_on,
        status=status,
        responsible_region_code=None,
        completed_on=completed_on,
        evidence_note=None,
        evidence_link=None,
        evidence_file=None,
        blocked_reason=None,
        updated_by=None,
        updated_at=None,
        overdue=False,
    )


def agreement(*milestones: MilestoneView) -> AgreementDetail:
    kerinci = PartyView("15.01", "Kabupaten Kerinci", "regency", "Asia/Jakarta")
    return AgreementDetail(
        id=1,
        kind="pks",
        number="PKS/07/2026",
        title="Replikasi aplikasi Hayu.Bdg di Kabupaten Kerinci",
        parties=(BANDUNG, kerinci),
        signed_on=date(2026, 1, 5),
        ends_on=date(2028, 1, 5),
        status="active",
        health="overdue",
        renewal_due=False,
        apps=("Hayu.Bdg",),
        owner_region_code="32.73",
        objective=None,
        milestones=milestones,
    )


def bars(figure: Figure) -> list[Rectangle]:
    axes = figure.axes[0]
    return [p for p in axes.patches if isinstance(p, Rectangle) and p.get_gid()]


def by_gid(figure: Figure, gid: str) -> list[Rectangle]:
    return [bar for bar in bars(figure) if bar.get_gid() == gid]


MIXED = agreement(
    milestone(1, "done", date(2026, 2, 1), date(2026, 1, 30)),  # on time
    milestone(2, "done", date(2026, 3, 1), date(2026, 3, 10)),  # late
    milestone(3, "in_progress", date(2026, 6, 1)),
    milestone(4, "planned", date(2026, 4, 1)),  # overdue
    milestone(5, "in_progress", date(2026, 4, 15)),  # overdue
    milestone(6, "blocked", date(2026, 8, 1)),
    milestone(7, "planned", None),
    milestone(8, "skipped", date(2026, 3, 1)),
    milestone(9, "planned", date(2026, 9, 1)),  # nothing happened yet, not due
)


def test_timeline_bars_follow_the_milestones() -> None:
    figure = charts.timeline_figure(MIXED, at=AT, language="id")
    # skipped milestones are not drawn; one planned bar per milestone with a due date
    assert len(by_gid(figure, "planned")) == 7
    assert len(by_gid(figure, "done")) == 1
    assert len(by_gid(figure, "late")) == 1
    assert len(by_gid(figure, "in_progress")) == 1
    assert len(by_gid(figure, "blocked")) == 1
    overdue = by_gid(figure, "overdue")
    assert len(overdue) == 2
    assert {to_hex(bar.get_facecolor()) for bar in overdue} == {charts.OVERDUE_COLOR}
    # no other bar is red
    others = [b for b in bars(figure) if b.get_gid() != "overdue"]
    assert charts.OVERDUE_COLOR not in {to_hex(b.get_facecolor()) for b in others}
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels == [f"Tahap {n}" for n in (1, 2, 3, 4, 5, 6)] + [
        "Tahap 7 (tanpa tenggat)",
        "Tahap 9",
    ]


def test_overdue_bars_run_to_the_report_date() -> None:
    figure = charts.timeline_figure(MIXED, at=AT, language="id")
    today = charts._num(AT)
    for bar in by_gid(figure, "overdue"):
        assert bar.get_x() + bar.get_width() == pytest.approx(today)
    [line] = [line for line in figure.axes[0].get_lines() if line.get_gid() == "today"]
    assert line.get_xdata()[0] == pytest.approx(today)


def test_a_later_report_date_makes_more_milestones_overdue() -> None:
    later = charts.timeline_figure(MIXED, at=date(2026, 10, 1), language="id")
    # 3, 4, 5 and 9 are open and past due by October
    assert len(by_gid(later, "overdue")) == 4
    # 6 is past due too, but blocked: it stays blocked (the reason it is late is the news)
    assert len(by_gid(later, "blocked")) == 1


def test_timeline_png_is_valid_and_speaks_the_language() -> None:
    indonesian = charts.timeline_png(MIXED, at=AT, language="id")
    english = charts.timeline_png(MIXED, at=AT, language="en")
    width, height = png_size(indonesian)
    assert width > 500 and height > 300
    png_size(english)
    subtitle_id = charts.timeline_figure(MIXED, at=AT, language="id").axes[0].get_title()
    subtitle_en = charts.timeline_figure(MIXED, at=AT, language="en").axes[0].get_title()
    assert subtitle_id == "2 dari 8 tonggak selesai · 2 terlambat · per 1 Mei 2026"
    assert subtitle_en == "Milestones done: 2 of 8 · overdue: 2 · as of 1 May 2026"
    suptitle = charts.timeline_figure(MIXED, at=AT, language="en").get_suptitle()
    assert suptitle.startswith("PKS/07/2026")


def test_timeline_grows_with_the_milestones() -> None:
    small = png_size(
        charts.timeline_png(agreement(milestone(1, "planned", AT)), at=AT, language="id")
    )
    many = agreement(*(milestone(n, "planned", date(2026, 6, n)) for n in range(1, 13)))
    large = png_size(charts.timeline_png(many, at=AT, language="id"))
    assert large[1] > small[1]


def test_timeline_without_milestones_still_renders() -> None:
    empty = agreement()
    figure = charts.timeline_figure(empty, at=AT, language="id")
    assert bars(figure) == []
    assert any("Belum ada tonggak" in t.get_text() for t in figure.axes[0].texts)
    png_size(charts.timeline_png(empty, at=AT, language="id"))


def test_long_titles_are_shortened() -> None:
    long = agreement(milestone(1, "planned", AT, title="Pelatihan " * 20))
    figure = charts.timeline_figure(long, at=AT, language="id")
    [label] = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert len(label) <= 38 and label.endswith("…")


# --- portfolio --------------------------------------------------------------------------------


def summary(number: int, region: str, health: str) -> AgreementSummary:
    partner = PartyView(f"99.{region}", region, "regency", "Asia/Jakarta")
    return AgreementSummary(
        id=number,
        kind="pks",
        number=None,
        title=f"Kerja sama {number}",
        parties=(BANDUNG, partner),
        signed_on=date(2025, 1, 1),
        ends_on=None,
        status="active",
        health=health,
        renewal_due=False,
        apps=(),
        owner_region_code="32.73",
    )


def report(total: int, by_health: dict[str, int]) -> PortfolioReport:
    return PortfolioReport(
        at=AT,
        total=total,
        by_health=by_health,
        milestones_due=10,
        milestones_done_of_due=4,
        follow_through_rate=0.4,
        beyond_paper_rate=0.5,
        stalled=(),
        overdue=(),
        renewal_due=(),
    )


def segments(figure: Figure) -> dict[tuple[str, str], float]:
    """(region label, health) -> number of agreements, read back from the bars."""
    axes = figure.axes[0]
    labels = {
        round(tick): t.get_text()
        for tick, t in zip(axes.get_yticks(), axes.get_yticklabels(), strict=True)
    }
    out: dict[tuple[str, str], float] = {}
    for bar in bars(figure):
        if bar.get_width() == 0:
            continue
        row = round(bar.get_y() + bar.get_height() / 2)
        out[(labels[row], str(bar.get_gid()).removeprefix("health:"))] = bar.get_width()
    return out


def top_down_labels(figure: Figure) -> list[str]:
    axes = figure.axes[0]
    ticks = zip(axes.get_yticks(), axes.get_yticklabels(), strict=True)
    return [label.get_text() for _, label in sorted(ticks, key=lambda tick: -tick[0])]


def test_portfolio_health_by_region() -> None:
    agreements = [
        summary(1, "Kabupaten Kerinci", "on_track"),
        summary(2, "Kabupaten Kerinci", "overdue"),
        summary(3, "Kabupaten Mempawah", "stalled"),
        summary(4, "Kota Tanjungpinang", "completed"),
        summary(5, "Kabupaten Mempawah", "stalled"),
    ]
    figure = charts.portfolio_figure(
        report(5, {"on_track": 1, "overdue": 1, "stalled": 2, "completed": 1}),
        language="id",
        agreements=agreements,
    )
    assert segments(figure) == {
        ("Kabupaten Kerinci", "on_track"): 1,
        ("Kabupaten Kerinci", "overdue"): 1,
        ("Kabupaten Mempawah", "stalled"): 2,
        ("Kota Tanjungpinang", "completed"): 1,
    }
    labels = top_down_labels(figure)
    # the most troubled regions first (top of the chart), Bandung (the owner) not a row
    assert labels == ["Kabupaten Mempawah", "Kabupaten Kerinci", "Kota Tanjungpinang"]
    for bar in bars(figure):
        health = str(bar.get_gid()).removeprefix("health:")
        assert to_hex(bar.get_facecolor()) == charts.HEALTH_COLORS[health]
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert legend == ["Hanya di atas kertas", "Terlambat", "Sesuai jadwal", "Selesai"]
    png_size(charts.portfolio_png(report(5, {}), language="en", agreements=agreements))


def test_many_regions_are_collapsed_into_one_row() -> None:
    agreements = [summary(n, f"Daerah {n:03d}", "on_track") for n in range(45)]
    agreements.append(summary(99, "Daerah 044", "overdue"))
    figure = charts.portfolio_figure(report(46, {}), language="en", agreements=agreements)
    labels = top_down_labels(figure)
    assert len(labels) == charts.MAX_REGION_ROWS
    assert labels[0] == "Daerah 044"  # the troubled one is on top
    assert labels[-1] == "Other regions (16)"
    assert sum(segments(figure).values()) == 46


def test_portfolio_without_regions_shows_the_totals() -> None:
    figure = charts.portfolio_figure(
        report(7, {"on_track": 4, "at_risk": 2, "draft": 1}), language="en"
    )
    assert segments(figure) == {
        ("All regions", "on_track"): 4,
        ("All regions", "at_risk"): 2,
        ("All regions", "draft"): 1,
    }
    assert "Agreements: 7" in figure.axes[0].get_title()
    assert "40%" in figure.axes[0].get_title()


def test_empty_portfolio_renders() -> None:
    figure = charts.portfolio_figure(report(0, {}), language="id", agreements=[])
    assert bars(figure) == []
    assert any("Belum ada kesepakatan" in t.get_text() for t in figure.axes[0].texts)
    png_size(charts.portfolio_png(report(0, {}), language="id", agreements=[]))


# --- what the timeline says, by rule -------------------------------------------------------------


def lines(figure: Figure, gid: str) -> list[object]:
    return [line for line in figure.axes[0].get_lines() if line.get_gid() == gid]


def test_the_axis_speaks_indonesian_months_and_the_one_date_format() -> None:
    figure = charts.timeline_figure(MIXED, at=AT, language="id")
    FigureCanvasAgg(figure).draw()  # type: ignore[no-untyped-call]
    labels = " ".join(t.get_text() for t in figure.axes[0].get_xticklabels())
    assert "Mei" in labels and "May" not in labels
    assert "per 1 Mei 2026" in figure.axes[0].get_title()
    english = charts.timeline_figure(MIXED, at=AT, language="en")
    FigureCanvasAgg(english).draw()  # type: ignore[no-untyped-call]
    assert "May" in " ".join(t.get_text() for t in english.axes[0].get_xticklabels())


def test_a_milestone_updated_today_has_a_marker() -> None:
    today = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)
    done_today = replace(milestone(1, "done", date(2026, 5, 1), AT), updated_at=today)
    figure = charts.timeline_figure(agreement(done_today), at=AT, language="id")
    [marker] = lines(figure, "updated_today")
    assert marker.get_xdata()[0] == pytest.approx(charts._num(AT))  # type: ignore[attr-defined]


def test_blocked_stays_blocked_when_overdue() -> None:
    blocked = milestone(1, "blocked", date(2026, 3, 1))
    figure = charts.timeline_figure(agreement(blocked), at=AT, language="id")
    assert len(by_gid(figure, "blocked")) == 1 and by_gid(figure, "overdue") == []
    text = charts.timeline_text(agreement(blocked), at=AT, language="id")
    assert "Terhambat: Tahap 1 (tenggat 1 Mar 2026)" in text and "Terlambat" not in text


def test_an_ended_agreement_is_not_years_of_red() -> None:
    old = replace(
        agreement(
            milestone(1, "done", date(2018, 12, 1), date(2018, 11, 20)),
            milestone(2, "planned", date(2019, 2, 1)),
            milestone(3, "in_progress", date(2019, 5, 1)),
        ),
        signed_on=date(2018, 10, 30),
        ends_on=date(2023, 10, 30),
        health="expired",
    )
    figure = charts.timeline_figure(old, at=date(2026, 11, 23), language="id")
    assert by_gid(figure, "overdue") == [] and lines(figure, "today") == []
    assert len(lines(figure, "unfinished")) == 2  # marks at their due dates, not bars
    _left, right = figure.axes[0].get_xlim()
    assert right < charts._num(date(2020, 1, 1))  # the work, not the years until it ended
    text = charts.timeline_text(old, at=date(2026, 11, 23), language="id")
    assert "Berakhir 30 Okt 2023; 2 tonggak tidak selesai sampai saat itu." in text


def test_a_draft_without_dates_is_a_sentence() -> None:
    draft = replace(
        agreement(milestone(1, "planned", None)), signed_on=None, ends_on=None, health="draft"
    )
    assert not charts.has_timeline(draft)
    assert "masih draf tanpa tanggal" in charts.timeline_text(draft, at=AT, language="id")
    assert charts.has_timeline(MIXED)


def test_every_chart_has_a_short_text_version() -> None:
    text = charts.timeline_text(MIXED, at=AT, language="id")
    assert text.splitlines()[0].startswith("PKS/07/2026 · Replikasi aplikasi Hayu.Bdg")
    assert "2 dari 8 tonggak selesai." in text
    assert "Terlambat: Tahap 4 (tenggat 1 Apr 2026)." in text
    assert len(text) < 1000  # fits a photo caption
    summary = charts.portfolio_text(
        report(3, {"stalled": 1, "overdue": 1, "completed": 1}), language="id"
    )
    assert "3 perjanjian" in summary and "hanya di atas kertas 1" in summary
