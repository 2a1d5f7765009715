"""Requests and time per report, collected from the simulated GitHub over loopback.

For each sample user and period: GitHub requests made by ``collect`` (cold cache), as the
simulated GitHub counted them, split into the pull-request part and the reviews-and-issues
part (by GraphQL operation name: ``SearchIssues``, ``ReviewContributions``,
``PullRequestReviews``), wall time, and what the earlier GitBrag's access pattern (one search
page per 100 PRs, one REST call per PR for files and one per repository, no cache) would have
cost for the same pull requests.
Also the second report for the same user with a warm ``MemoryCache`` (5_years then 1_year),
and what the plan not taken for reviews (search ``reviewed-by:``, docs/reviews-and-issues.md)
would spend on its search pages alone.
Then issue 21's figures (``refresh``): per sample user and period, the requests of a cold
generation and of a refresh done at once after it (the previous collection and the cache it
filled, as a worker keeps them), their ratio against the target (at most 0.15 of cold, or 2
requests, whichever is larger; at most 10 for the 2,600-PR user), and a cold generation's wall
time at 100 ms simulated latency with 4 requests in flight (the client's default); with the
refresh's measured cost (REST requests, GraphQL points), how many reports of that size one
server token keeps fresh a day under pre-warming (``gitbrag.github.capacity``, the default
budget share and freshness).
Last, the simulated GitHub's "real GitHub" mode (``preset="real_github"``, issue 18): requests
per report of every sample and round-two user against the default mode, and their ratio
(a test holds it at most 1.5: ``tests/github/test_real_github_mode.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from gitbrag.errors import NotFound
from gitbrag.fakehub.data import SAMPLE_USERS, token_for
from gitbrag.fakehub.identity_data import ROUND_TWO_USERS
from gitbrag.fakehub.server import FakeHub
from gitbrag.github.cache import MemoryCache
from gitbrag.github.capacity import Allowance, Cost, reports_kept_fresh
from gitbrag.github.client import GitHubClient
from gitbrag.github.collect import collect, collect_snapshot
from gitbrag.github.refresh import refresh
from gitbrag.github.windows import Window, WindowedSearch
from gitbrag.report.builder import build_report
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import ALL_TIME_START, DateRange
from gitbrag.report.records import Snapshot
from gitbrag.settings import Settings

ACTIVITY_OPERATIONS = ("SearchIssues", "ReviewContributions", "PullRequestReviews")
LATENCY_MS = 100.0
REFRESH_SHARE = 0.15  # a refresh's requests at most this share of a cold generation's...
REFRESH_FLOOR = 2  # ...or this many, whichever is larger
BIG_USER, BIG_REFRESH, BIG_COLD, BIG_COLD_SECONDS = "prolific-bot", 10, 80, 3.0


async def _report(
    hub: FakeHub, login: str, period: str, cache: MemoryCache | None
) -> tuple[int, float, int, int, dict[str, int]]:
    key = ReportKey(login, DateRange.for_period(period, hub.data.today))  # type: ignore[arg-type]
    async with httpx.AsyncClient(timeout=30) as http:
        client = GitHubClient(
            http, token=token_for(login), api_url=hub.api_url, graphql_url=hub.graphql_url
        )
        hub.reset_counters()
        started = time.perf_counter()
        collection = await collect(client, key, cache=cache)
        report = build_report(collection, key, datetime.now(UTC))
        elapsed = time.perf_counter() - started
    prs = report.totals.pull_requests + sum(
        1 for pr in collection.pull_requests if pr.state == "closed"
    )
    anchor = math.ceil(max(prs, 1) / 100) + prs + report.totals.repositories + 2
    counters = hub.counters
    activity = sum(counters[f"operation.{name}"] for name in ACTIVITY_OPERATIONS)
    details = {
        "activity_requests": activity,
        "pull_request_requests": hub.request_count() - activity,
        "reviews": report.reviews.total if report.reviews else 0,
        "pull_requests_reviewed": report.reviews.pull_requests if report.reviews else 0,
        "issues": report.issues.total if report.issues else 0,
    }
    return hub.request_count(), elapsed, report.totals.pull_requests, anchor, details


class _ReviewedBySearch(WindowedSearch):
    """Plan 3 of docs/reviews-and-issues.md: pull requests the user reviewed, not theirs,
    opened up to the range's end and updated in it, in windows split under the cap."""

    def __init__(self, client: GitHubClient, login: str, since: datetime) -> None:
        super().__init__(client, login, lambda *_: None, 10**9)
        self.since = since.strftime("%Y-%m-%dT%H:%M:%SZ")

    def query_for(self, window: Window) -> str:
        created = f"{window.start:%Y-%m-%dT%H:%M:%SZ}..{window.end:%Y-%m-%dT%H:%M:%SZ}"
        return (
            f"is:pr reviewed-by:{self.login} -author:{self.login} is:public "
            f"created:{created} updated:>={self.since} sort:created-asc"
        )


async def _search_plan(hub: FakeHub, login: str, period: str) -> dict[str, int]:
    date_range = DateRange.for_period(period, hub.data.today)  # type: ignore[arg-type]
    async with httpx.AsyncClient(timeout=30) as http:
        client = GitHubClient(
            http, token=token_for(login), api_url=hub.api_url, graphql_url=hub.graphql_url
        )
        hub.reset_counters()
        search = _ReviewedBySearch(client, login, date_range.start)
        nodes = await search.run(DateRange(ALL_TIME_START, date_range.until))
    return {"search_requests": hub.request_count(), "pull_requests_found": len(nodes)}


async def _requests(hub: FakeHub, login: str, period: str) -> int:
    """Requests of one cold collection (a refused private profile's count too)."""
    key = ReportKey(login, DateRange.for_period(period, hub.data.today))  # type: ignore[arg-type]
    async with httpx.AsyncClient(timeout=30) as http:
        client = GitHubClient(
            http, token=token_for(login), api_url=hub.api_url, graphql_url=hub.graphql_url
        )
        with contextlib.suppress(NotFound):
            await collect(client, key)
        return client.requests_made


async def _generation(
    hub: FakeHub, key: ReportKey, cache: MemoryCache, previous: Snapshot | None
) -> tuple[Snapshot, GitHubClient, float]:
    """A cold collection (``previous`` None) or a refresh of ``previous``: the snapshot, the
    client that made it (its counters) and the wall time."""
    async with httpx.AsyncClient(timeout=30) as http:
        client = GitHubClient(
            http, token=token_for(key.username), api_url=hub.api_url, graphql_url=hub.graphql_url
        )
        started = time.perf_counter()
        if previous is None:
            snapshot = await collect_snapshot(client, key, cache=cache)
        else:
            snapshot = await refresh(client, key, previous, cache=cache)
        return snapshot, client, time.perf_counter() - started


def _refresh_costs(hub: FakeHub) -> dict[str, Any]:
    settings = Settings()
    allowance = Allowance.daily(settings.prewarm_budget_share)
    rows: dict[str, Any] = {}
    for login in SAMPLE_USERS:
        for period in ("1_year", "all_time"):
            key = ReportKey(login, DateRange.for_period(period, hub.data.today))  # type: ignore[arg-type]
            hub.reset()
            cache = MemoryCache()
            try:
                previous, cold, _ = asyncio.run(_generation(hub, key, cache, None))
            except NotFound:  # a private profile: no report to refresh
                continue
            _, fresh, _ = asyncio.run(_generation(hub, key, cache, previous))
            hub.reset()
            hub.faults.configure(latency_ms=LATENCY_MS)
            slow_cache = MemoryCache()
            kept, slow, seconds = asyncio.run(_generation(hub, key, slow_cache, None))
            _, _, refresh_seconds = asyncio.run(_generation(hub, key, slow_cache, kept))
            hub.reset()
            limit = max(REFRESH_SHARE * cold.requests_made, REFRESH_FLOOR)
            if login == BIG_USER:
                limit = min(limit, BIG_REFRESH)
            cost = Cost(fresh.rest_requests, fresh.graphql_points)
            rows[f"{login}/{period}"] = {
                "cold_requests": cold.requests_made,
                "refresh_requests": fresh.requests_made,
                "ratio": round(fresh.requests_made / cold.requests_made, 3),
                "refresh_target": limit,
                "refresh_within_target": fresh.requests_made <= limit,
                "cold_seconds_at_100ms": round(seconds, 2),
                "cold_requests_at_100ms": slow.requests_made,
                "refresh_seconds_at_100ms": round(refresh_seconds, 2),
                "cold_graphql_points": cold.graphql_points,
                "refresh_rest_requests": fresh.rest_requests,
                "refresh_graphql_points": fresh.graphql_points,
                "kept_fresh_by_one_token": reports_kept_fresh(
                    cost, allowance, settings.report_fresh_seconds
                ),
            }
    big = [row for name, row in rows.items() if name.startswith(f"{BIG_USER}/")]
    return {
        "reports": rows,
        "every_refresh_within_target": all(row["refresh_within_target"] for row in rows.values()),
        "big_user_cold_within_target": all(
            row["cold_requests"] <= BIG_COLD and row["cold_seconds_at_100ms"] <= BIG_COLD_SECONDS
            for row in big
        ),
        "prewarm": {
            "budget_share": settings.prewarm_budget_share,
            "fresh_seconds": settings.report_fresh_seconds,
        },
    }


def _real_github_mode(hub: FakeHub) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for period in ("1_year", "all_time"):
        for login in SAMPLE_USERS + ROUND_TWO_USERS:
            hub.reset()
            default = asyncio.run(_requests(hub, login, period))
            hub.reset()
            hub.behaviours.configure(preset="real_github")
            real = asyncio.run(_requests(hub, login, period))
            rows[f"{login}/{period}"] = {
                "default": default,
                "real_github": real,
                "ratio": round(real / default, 2),
            }
    hub.reset()
    return {"reports": rows, "most": max(row["ratio"] for row in rows.values())}


def main() -> dict[str, Any]:
    rows: dict[str, Any] = {}
    with FakeHub() as hub:
        for login in SAMPLE_USERS:
            for period in ("1_year", "all_time"):
                requests, seconds, prs, anchor, details = asyncio.run(
                    _report(hub, login, period, None)
                )
                rows[f"{login}/{period}"] = {
                    "pull_requests": prs,
                    "requests": requests,
                    "anchor_style_requests": anchor,
                    "seconds": round(seconds, 3),
                    **details,
                }
        warm: dict[str, Any] = {}
        for login in ("octocat", "prolific-bot", "big-diff"):
            cache = MemoryCache()
            first = asyncio.run(_report(hub, login, "5_years", cache))[0]
            second = asyncio.run(_report(hub, login, "1_year", cache))[0]
            warm[login] = {"5_years_cold": first, "1_year_warm": second}
        plan = {
            f"{login}/{period}": asyncio.run(_search_plan(hub, login, period))
            for login in ("review-machine", "octocat")
            for period in ("1_year", "all_time")
        }
        refreshes = _refresh_costs(hub)
        real_github = _real_github_mode(hub)
    return {
        "refresh": refreshes,
        "reports": rows,
        "second_report_with_cache": warm,
        "reviewed_by_search_plan": plan,
        "real_github_mode": real_github,
    }
