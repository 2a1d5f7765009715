"""Table tests for the pure presentation helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from gitbrag.report.wording import date_span
from web.presenters import formatting as f

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds_ago", "expected"),
    [
        (0, "just now"),
        (59, "just now"),
        (60, "1 minute ago"),
        (125, "2 minutes ago"),
        (3600, "1 hour ago"),
        (3 * 3600 + 59, "3 hours ago"),
        (86_400, "1 day ago"),
        (8 * 86_400, "1 week ago"),
        (45 * 86_400, "1 month ago"),
        (800 * 86_400, "2 years ago"),
        (-300, "in 5 minutes"),
    ],
)
def test_timeago(seconds_ago: int, expected: str) -> None:
    assert f.timeago(NOW - timedelta(seconds=seconds_ago), NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (950, "950"),
        (9_999, "9,999"),
        (12_345, "12.3k"),
        (20_000, "20k"),
        (999_999, "1M"),
        (2_500_000, "2.5M"),
        (3_000_000_000, "3B"),
        (-12_345, "-12.3k"),
    ],
)
def test_compact(value: int, expected: str) -> None:
    assert f.compact(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0"), (1234567, "1,234,567"), (12.0, "12"), (12.345, "12.3")],
)
def test_number(value: float, expected: str) -> None:
    assert f.number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, "0.0%"), (0.04, "<0.1%"), (12.34, "12.3%"), (100.0, "100.0%")],
)
def test_percent(value: float, expected: str) -> None:
    assert f.percent(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://octo.example/blog", "https://octo.example/blog"),
        ("http://octo.example", "http://octo.example"),
        ("octo.example", "https://octo.example"),
        ("javascript:alert(1)", ""),
        ("JavaScript://%0aalert(1)", ""),
        ("data:text/html,hi", ""),
        ("/relative", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_external_url_only_http(value: str | None, expected: str) -> None:
    assert f.external_url(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-05", "Mar 5, 2026"),
        (date(2025, 12, 31), "Dec 31, 2025"),
        (datetime(2026, 1, 2, 23, 0, tzinfo=UTC), "Jan 2, 2026"),
    ],
)
def test_human_date(value: str | date, expected: str) -> None:
    assert f.human_date(value) == expected


def test_date_span() -> None:
    assert date_span("2025-12-01", date(2026, 12, 1)) == "Dec 1, 2025 \u2013 Dec 1, 2026"


@pytest.mark.parametrize(
    ("month", "index", "years", "expected"),
    [
        ("2026-03", 0, True, "Mar 26'"),
        ("2026-03", 4, True, "Mar"),
        ("2027-01", 9, True, "Jan 27'"),
        ("2027-01", 9, False, "Jan"),
        ("2026-03", 0, False, "Mar"),
    ],
)
def test_month_tick(month: str, index: int, years: bool, expected: str) -> None:
    assert f.month_tick(month, index, years=years) == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("OWNER", "Owner"),
        ("FIRST_TIME_CONTRIBUTOR", "First-time contributor"),
        ("NEW_ONE", "New One"),
    ],
)
def test_role_label(role: str, expected: str) -> None:
    assert f.role_label(role) == expected


@pytest.mark.parametrize(
    ("background", "expected"),
    [("#f1e05a", "#111111"), ("#3572A5", "#ffffff"), (None, "#ffffff"), ("bad", "#ffffff")],
)
def test_text_color_for(background: str | None, expected: str) -> None:
    assert f.text_color_for(background) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (150, 200), (501, 1000)],
)
def test_nice_ceiling(value: int, expected: int) -> None:
    assert f.nice_ceiling(value) == expected


def test_bar_chart_geometry() -> None:
    chart = f.bar_chart(
        [("a", 0, "A"), ("b", 5, "B"), ("c", 10, "C")],
        width=330,
        height=124,
        top=12,
        bottom=12,
        left=30,
        gap_ratio=0.5,
    )
    assert chart.max_value == 10
    assert chart.baseline == 112
    xs = [bar.x for bar in chart.bars]
    assert xs == [55.0, 155.0, 255.0]
    assert [bar.width for bar in chart.bars] == [50.0, 50.0, 50.0]
    # Heights scale to the plot (100 units); empty bars keep a 1-unit sliver.
    assert [bar.height for bar in chart.bars] == [1.0, 50.0, 100.0]
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)
    assert chart.gridlines == ((62.0, 5), (12.0, 10))


def test_bar_chart_thins_ticks_and_handles_empty() -> None:
    values = [(str(i), i, f"t{i}") for i in range(36)]
    chart = f.bar_chart(values, max_ticks=12)
    ticks = [bar.tick for bar in chart.bars if bar.tick]
    assert ticks == [f"t{i}" for i in range(0, 36, 3)]
    empty = f.bar_chart([])
    assert empty.bars == () and empty.max_value == 1


def test_months_chart_labels_years() -> None:
    chart = f.months_chart([("2025-12", 2), ("2026-01", 0), ("2026-02", 1)])
    assert [bar.tick for bar in chart.bars] == ["Dec", "Jan", "Feb"]
    assert chart.bars[0].label == "Dec 2025: 2 pull requests"
    assert chart.bars[2].label == "Feb 2026: 1 pull request"
    long = f.months_chart([(f"{2020 + i // 12}-{i % 12 + 1:02d}", i) for i in range(24)])
    assert long.bars[0].tick == "Jan 20'"


def test_stacked_segments_sum_to_100_and_group_other() -> None:
    parts = [(f"L{i}", 10 - i, f"#00000{i}") for i in range(10)] + [("Nocolor", 1, None)]
    segments = f.stacked_segments(parts, limit=3)
    assert [s.name for s in segments] == ["L0", "L1", "L2", "Other"]
    assert segments[-1].color == "#8b949e"
    assert abs(sum(s.width for s in segments) - 100) < 0.01
    assert segments[1].offset == pytest.approx(segments[0].width, abs=0.001)
    assert f.stacked_segments([("X", 0, None)]) == ()


@pytest.mark.parametrize(
    ("phase", "done", "total", "expected"),
    [
        (None, 0, 0, 0.0),
        ("queued", 0, 0, 0.0),
        ("profile", 0, 1, 0.0),
        ("profile", 1, 1, 5.0),
        ("search", 300, 2600, 9.3),
        ("search", 2600, 2600, 42.0),
        ("activity", 1, 2, 46.0),
        ("activity", 2, 2, 50.0),
        ("files", 5, 10, 65.0),
        ("stars", 12, 40, 85.4),
        ("stars", 50, 40, 98.0),
        ("build", 0, 0, 98.0),
        ("build", 1, 1, 100.0),
    ],
)
def test_progress_percent(phase: str | None, done: int, total: int, expected: float) -> None:
    assert f.progress_percent(phase, done, total) == expected


def test_duration_words() -> None:
    assert f.duration_words(10) == "less than a minute"
    assert f.duration_words(7200) == "2 hours"
    assert f.count(1, "repository", "repositories") == "1 repository"
    assert f.count(1200, "file") == "1,200 files"
    assert f.month_label("2026-03") == "Mar 2026"
    assert f.iso_utc(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
