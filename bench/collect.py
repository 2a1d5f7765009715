"""Requests and time per report, collected from the simulated GitHub over loopback.

For each sample user and period: GitHub requests made by ``collect`` (cold cache), as the
simulated GitHub counted them, split into the pull-request part and the reviews-and-issues
part (by GraphQL operation name: ``SearchIssues``, ``ReviewContributions``,
``PullRequestReviews``), wall time, and what the earlier GitBrag's access pattern (one search
page per 100 PRs, one REST call per PR for files and one per repository, no cache) would have
cost for the same pull requests.
Also the second report for the same user with a warm ``MemoryCache`` (5_years then 1_year).
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from gitbrag.fakehub.data import SAMPLE_USERS, token_for
from gitbrag.fakehub.server import FakeHub
from gitbrag.github.cache import MemoryCache
from gitbrag.github.client import GitHubClient
from gitbrag.github.collect import collect
from gitbrag.periods import DateRange, ReportKey
from gitbrag.report import build_report

ACTIVITY_OPERATIONS = ("SearchIssues", "ReviewContributions", "PullRequestReviews")


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
    return {"reports": rows, "second_report_with_cache": warm}
