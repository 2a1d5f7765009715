"""Pure pieces of the collector: search windows and stargazer timelines."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from gitbrag.github.stargazers import StarPage, Timeline
from gitbrag.github.windows import Window
from gitbrag.report.periods import DateRange
from gitbrag.report.records import StarCount

T0 = datetime(2026, 11, 1, tzinfo=UTC)
RANGE = DateRange(date(2026, 1, 1), date(2026, 11, 28))


def days_ago(*days: int) -> tuple[datetime, ...]:
    return tuple(T0 - timedelta(days=d) for d in days)


def test_window_for_range_is_inclusive_to_the_last_second() -> None:
    window = Window.for_range(RANGE)
    assert window.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert window.end == datetime(2026, 11, 28, 23, 59, 59, tzinfo=UTC)
    assert window.query("Octo-Cat") == (
        "is:pr author:Octo-Cat is:public created:2026-01-01T00:00:00Z..2026-11-28T23:59:59Z "
        "sort:created-asc"
    )


def test_window_slices_tile_the_window_to_the_second() -> None:
    window = Window.for_range(RANGE)
    slices = window.slices(16)
    assert len(slices) == 16
    assert slices[0].start == window.start and slices[-1].end == window.end
    for left, right in itertools.pairwise(slices):
        assert right.start == left.end + timedelta(seconds=1)
    lengths = {s.end - s.start for s in slices}
    assert max(lengths) - min(lengths) <= timedelta(seconds=1)  # equal spans, to the second
    three = Window(T0, T0 + timedelta(seconds=2))
    assert three.slices(16) == [
        Window(T0 + timedelta(seconds=i), T0 + timedelta(seconds=i)) for i in range(3)
    ]
    assert Window(T0, T0).slices(16) == [Window(T0, T0)]
    assert not Window(T0, T0).can_split()


def test_count_needs_older_pages_until_past_range_start() -> None:
    timeline = Timeline(days_ago(1, 5, 30), "c1", complete=False, fetched_at=T0)
    assert timeline.count(RANGE, cap=1000) is None
    older = timeline.with_older(StarPage(days_ago(200, 400), "c2", has_next=True))
    assert older.count(RANGE, cap=1000) == StarCount(4)
    assert older.cursor == "c2"


def test_count_is_capped() -> None:
    timeline = Timeline(days_ago(1, 2, 3), "c1", complete=False, fetched_at=T0)
    assert timeline.count(RANGE, cap=3) == StarCount(3, capped=True)


def test_complete_timeline_counts_without_reaching_start() -> None:
    timeline = Timeline.from_page(StarPage(days_ago(1, 2), None, has_next=False), T0)
    assert timeline.complete
    assert timeline.count(RANGE, cap=1000) == StarCount(2)
    assert Timeline.from_page(StarPage((), None, has_next=False), T0).count(RANGE, 10) == StarCount(
        0
    )


def test_stars_outside_the_range_end_do_not_count() -> None:
    early = DateRange(date(2026, 1, 1), date(2026, 6, 30))
    timeline = Timeline(days_ago(1, 150, 400), None, complete=True, fetched_at=T0)
    assert timeline.count(early, cap=1000) == StarCount(1)


def test_newest_page_tops_up_an_overlapping_timeline() -> None:
    old = Timeline(days_ago(10, 20, 30), "old-cursor", complete=False, fetched_at=T0)
    page = StarPage(days_ago(1, 2, 10, 20), "top", has_next=True)
    later = T0 + timedelta(days=1)
    merged = old.with_newest(page, later)
    assert merged.starred_at == days_ago(1, 2, 10, 20, 30)
    assert (merged.cursor, merged.complete, merged.fetched_at) == ("old-cursor", False, later)


def test_newest_page_with_a_gap_starts_over() -> None:
    old = Timeline(days_ago(10, 20), "old-cursor", complete=True, fetched_at=T0)
    page = StarPage(days_ago(1, 2), "top", has_next=True)
    fresh = old.with_newest(page, T0)
    assert fresh == Timeline(days_ago(1, 2), "top", complete=False, fetched_at=T0)


@pytest.mark.parametrize("complete", [True, False])
def test_timeline_json_round_trip(complete: bool) -> None:
    timeline = Timeline(days_ago(1, 2), None if complete else "c", complete, T0)
    assert Timeline.from_json(timeline.to_json()) == timeline


def test_stars_taken_back_where_the_page_overlaps_start_over() -> None:
    old = Timeline(days_ago(10, 20, 30), "old-cursor", complete=False, fetched_at=T0)
    page = StarPage(days_ago(1, 10, 30), "top", has_next=True)  # the star of day 20 is gone
    fresh = old.with_newest(page, T0)
    assert fresh == Timeline(days_ago(1, 10, 30), "top", complete=False, fetched_at=T0)


def test_a_complete_timeline_must_hold_every_star_github_counts() -> None:
    old = Timeline(days_ago(10, 20, 30, 40), None, complete=True, fetched_at=T0)
    page = StarPage(days_ago(1, 10, 20), "top", has_next=True)
    assert old.with_newest(page, T0, total=5).starred_at == days_ago(1, 10, 20, 30, 40)
    # GitHub counts four: one deeper than the page was taken back
    assert old.with_newest(page, T0, total=4) == Timeline.from_page(page, T0)
