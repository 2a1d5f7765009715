"""Collecting reviews given and issues opened from the simulated GitHub over loopback: every
review of the heavy reviewer within its request budget, nothing private whoever asks, parts
that keep failing named, and the one-year spans tiling any range."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from gitbrag.fakehub.activity_data import HEAVY_REVIEWER
from gitbrag.fakehub.data import token_for
from gitbrag.fakehub.server import FakeHub
from gitbrag.github.collect import collect
from gitbrag.github.reviews import TILE, TILE_START, spans
from gitbrag.report.builder import build_report
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.report.records import Collection
from tests.github.helpers import (
    ACTIVITY_OPERATIONS,
    Meddler,
    activity_requests,
    client_for,
    collect_through,
    collect_with,
)

SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    "date_range",
    [
        DateRange.for_period("1_year", date(2026, 11, 29)),
        DateRange.for_period("all_time", date(2026, 11, 29)),
        DateRange(date(2024, 2, 29), date(2024, 3, 1)),
        DateRange(date(2008, 1, 1), date(2008, 12, 30)),  # exactly the first tile
        DateRange(date(2008, 12, 30), date(2008, 12, 31)),  # across the first edge
    ],
    ids=str,
)
def test_spans_tile_the_range_on_a_fixed_grid(date_range: DateRange) -> None:
    cut = spans(date_range)
    assert cut[0].start == date_range.start and cut[-1].end == date_range.end - SECOND
    for span, after in itertools.pairwise(cut):
        assert after.start == span.end + SECOND  # no gap, no overlap, to the second
        assert (after.start - TILE_START) % TILE == timedelta(0)  # on the grid
    assert all(span.end - span.start <= TILE - SECOND for span in cut)  # GitHub: <= 1 year


def test_one_year_takes_two_spans_whatever_the_day() -> None:
    for day in range(0, 730, 37):
        today = date(2025, 1, 1) + timedelta(days=day)
        # 366 inclusive days never fit in one span of 365, and always in two
        assert len(spans(DateRange.for_period("1_year", today))) == 2


def collected_reviews(collection: Collection) -> set[str]:
    assert collection.reviews is not None
    return {review.id for review in collection.reviews}


def given_by_brute_force(hub: FakeHub, login: str, date_range: DateRange) -> dict[str, str]:
    """Review node id -> state of every review ``login`` gave in the range."""
    given = {}
    for pr, review in hub.data.reviews_by(login):
        if hub.data.repos[pr.repo].is_private or pr.author.lower() == login.lower():
            continue
        if review.submitted_at is not None and date_range.contains(review.submitted_at):
            given[review.node_id] = review.state
    return given


def test_the_heavy_reviewer_gets_every_review_within_forty_requests(
    hub: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    key = ReportKey(HEAVY_REVIEWER, DateRange.for_period("1_year", hub.data.today))
    collection, requests = collect_with(hub, key)
    extra = activity_requests(hub)
    report = build_report(collection, key, datetime.now(UTC))
    given = given_by_brute_force(hub, HEAVY_REVIEWER, key.range)
    assert report.reviews is not None
    assert report.reviews.total == len(given) > 2000
    assert report.reviews.pull_requests > 1000  # past the 1000 results of any search
    in_range = {r.id for r in collection.reviews or () if key.range.contains(r.submitted_at)}
    assert in_range == set(given)
    assert extra <= 40, {name: hub.counters[f"operation.{name}"] for name in ACTIVITY_OPERATIONS}
    assert report.complete
    with capsys.disabled():
        print(f"\n[activity] {HEAVY_REVIEWER} 1_year: {requests} requests, {extra} for activity")


@pytest.mark.parametrize(
    ("login", "viewer"),
    [
        ("private-eye", "private-eye"),  # its own token sees its private repositories
        ("private-eye", "octocat"),  # a member of eye-corp sees internal-tools
        (HEAVY_REVIEWER, HEAVY_REVIEWER),  # bot-farm/secret-deps
        ("octocat", "octocat"),
    ],
)
def test_private_repositories_never_appear_whoever_asks(
    hub: FakeHub, login: str, viewer: str
) -> None:
    key = ReportKey(login, DateRange.for_period("all_time", hub.data.today))
    private = {name for name, repo in hub.data.repos.items() if repo.is_private}
    seen_privately = {pr.repo for pr, _ in hub.data.reviews_by(login) if pr.repo in private} | {
        issue.repo for issue in hub.data.issues_by(login) if issue.repo in private
    }
    assert seen_privately, "the data set must give this user private activity"
    collection, _ = collect_with(hub, key, token=token_for(viewer))
    assert collection.reviews is not None and collection.issues is not None
    assert not {r.repository for r in collection.reviews} & private
    assert not {i.repository for i in collection.issues} & private
    report = build_report(collection, key, datetime.now(UTC)).model_dump_json()
    for name in seen_privately:
        assert name not in report


def test_own_pull_requests_and_pending_reviews_are_not_reviews_given(hub: FakeHub) -> None:
    key = ReportKey(HEAVY_REVIEWER, DateRange.for_period("1_year", hub.data.today))
    collection, _ = collect_with(hub, key)
    own = {
        r.node_id for pr, r in hub.data.reviews_by(HEAVY_REVIEWER) if pr.author == HEAVY_REVIEWER
    }
    pending = {r.node_id for _, r in hub.data.reviews_by(HEAVY_REVIEWER) if r.state == "PENDING"}
    assert own and pending
    assert not (own | pending) & collected_reviews(collection)


def test_a_review_on_the_second_two_spans_meet_counts_once(hub: FakeHub) -> None:
    # Mixed-Case-Dev reviewed on the second tiles meet and the second before (data set).
    edges = {span.start for span in spans(DateRange.for_period("5_years", hub.data.today))[1:]}
    key = ReportKey("Mixed-Case-Dev", DateRange.for_period("5_years", hub.data.today))
    collection, _ = collect_with(hub, key)
    moments = [r.submitted_at for r in collection.reviews or ()]
    on_edges = [edge for edge in edges if edge in moments and edge - SECOND in moments]
    assert on_edges, "the data set must review on a tile edge"
    for edge in on_edges:
        assert moments.count(edge) == moments.count(edge - SECOND) == 1
    given = given_by_brute_force(hub, "Mixed-Case-Dev", key.range)
    report = build_report(collection, key, datetime.now(UTC))
    assert report.reviews is not None and report.reviews.total == len(given)


def test_review_spans_that_keep_failing_are_named(hub: FakeHub) -> None:
    key = ReportKey("octocat", DateRange.for_period("2_years", hub.data.today))
    collection = collect_through(hub, Meddler({"ReviewContributions"}), key)
    assert collection.reviews == []
    assert collection.incomplete_reasons == [
        f"reviews given from {span.label()}" for span in spans(key.range)
    ]
    report = build_report(collection, key, datetime.now(UTC))
    assert report.complete is False and report.issues is not None and report.issues.total > 0


def test_more_reviews_of_one_pull_request_that_cannot_be_read_are_named(hub: FakeHub) -> None:
    key = ReportKey(HEAVY_REVIEWER, DateRange.for_period("1_year", hub.data.today))
    marathon = max(hub.data.pull_requests, key=lambda pr: len(pr.reviews))
    collection = collect_through(hub, Meddler({"PullRequestReviews"}), key)
    assert collection.incomplete_reasons == [f"reviews of {marathon.repo}#{marathon.number}"]
    read = [r for r in collection.reviews or () if r.pull_request == marathon.number]
    assert len(read) == 10  # the first page came with the contribution


def test_issue_searches_that_keep_failing_are_named(hub: FakeHub) -> None:
    key = ReportKey("octocat", DateRange.for_period("all_time", hub.data.today))
    clean = collect_through(hub, Meddler(set()), key)
    broken = collect_through(hub, Meddler({"SearchIssues"}), key)
    assert broken.issues is None and broken.incomplete_reasons == ["issues opened"]
    assert broken.pull_requests == clean.pull_requests and broken.reviews == clean.reviews
    report = build_report(broken, key, datetime.now(UTC))
    assert report.issues is None and report.complete is False


def test_more_issues_than_a_report_reads_leaves_them_out(hub: FakeHub) -> None:
    key = ReportKey(HEAVY_REVIEWER, DateRange.for_period("all_time", hub.data.today))
    prs = [pr for pr in hub.data.prs_by(HEAVY_REVIEWER) if pr.state != "CLOSED"]
    issues = [
        i for i in hub.data.issues_by(HEAVY_REVIEWER) if not hub.data.repos[i.repo].is_private
    ]
    assert len(issues) > len(hub.data.prs_by(HEAVY_REVIEWER)) >= len(prs)
    cap = len(hub.data.prs_by(HEAVY_REVIEWER))

    async def scenario() -> Collection:
        async with httpx.AsyncClient(timeout=30) as http:
            client = client_for(hub, http, token_for(HEAVY_REVIEWER))
            return await collect(client, key, max_pull_requests=cap)

    limited = asyncio.run(scenario())
    assert limited.issues is None and len(limited.pull_requests) == len(prs)
    assert limited.incomplete_reasons == [
        f"issues opened: GitHub lists {len(issues)} issues by {HEAVY_REVIEWER} in this range; "
        f"a report reads at most {cap}. Choose a shorter period."
    ]
