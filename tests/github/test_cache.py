"""MemoryCache semantics, and reuse of cached stargazer timelines across reports."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from gitbrag.fakehub.data import token_for
from gitbrag.fakehub.server import FakeHub
from gitbrag.github.cache import STARGAZERS, MemoryCache
from gitbrag.github.client import GitHubClient
from gitbrag.github.collect import collect
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.report.records import Collection


def test_memory_cache_expires_and_copies() -> None:
    now = [1000.0]
    cache = MemoryCache(clock=lambda: now[0])

    async def scenario() -> None:
        value = {"list": [1, 2]}
        await cache.set("ns", "k", value, ttl_seconds=10)
        value["list"].append(3)
        got = await cache.get("ns", "k")
        assert got == {"list": [1, 2]}
        got["list"].clear()
        assert await cache.get("ns", "k") == {"list": [1, 2]}
        assert await cache.get("other", "k") is None
        assert await cache.get_many("ns", ["k", "missing"]) == {"k": {"list": [1, 2]}}
        now[0] += 10
        assert await cache.get("ns", "k") is None
        assert await cache.get_many("ns", ["k"]) == {}
        assert len(cache) == 0

    asyncio.run(scenario())


def _collect(hub: FakeHub, key: ReportKey, cache: MemoryCache | None) -> tuple[Collection, int]:
    async def scenario() -> tuple[Collection, int]:
        async with httpx.AsyncClient(timeout=30) as http:
            client = GitHubClient(
                http, token=token_for("octocat"), api_url=hub.api_url, graphql_url=hub.graphql_url
            )
            return await collect(client, key, cache=cache), client.requests_made

    return asyncio.run(scenario())


def test_stale_timelines_are_topped_up_not_reread(hub: FakeHub) -> None:
    cache = MemoryCache()
    key = ReportKey("octocat", DateRange.for_period("2_years"))
    first, first_requests = _collect(hub, key, cache)

    async def age_timelines() -> int:
        aged = 0
        for name in first.repositories:
            timeline = await cache.get(STARGAZERS, name.lower())
            assert timeline is not None
            old = datetime.fromisoformat(timeline["fetched_at"]) - timedelta(hours=7)
            timeline["fetched_at"] = old.astimezone(UTC).isoformat()
            await cache.set(STARGAZERS, name.lower(), timeline, 3600)
            aged += 1
        return aged

    aged = asyncio.run(age_timelines())
    again, again_requests = _collect(hub, key, cache)
    uncached, _ = _collect(hub, key, None)
    assert again == uncached == first

    async def fetched_times() -> list[datetime]:
        entries = [await cache.get(STARGAZERS, name.lower()) for name in first.repositories]
        return [datetime.fromisoformat(entry["fetched_at"]) for entry in entries if entry]

    refreshed = asyncio.run(fetched_times())
    assert len(refreshed) == aged
    assert all(datetime.now(UTC) - moment < timedelta(minutes=5) for moment in refreshed)
    # search + open PRs' files + one batch of newest stargazer pages for every repository,
    # and the issue search and review spans (never cached: states and reviews change)
    assert aged <= 20
    assert again_requests <= 6 < first_requests
