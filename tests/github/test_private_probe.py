"""The private-profile probe spends GitHub's search budget (30 a minute per token) once per
empty account and hour, not once per report: an empty account regenerated often, over many
periods, is probed once (issue 18; the chaos suite's exhausted-token case caught the cost)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from gitbrag.errors import ProfilePrivate
from gitbrag.fakehub import FakeHub, token_for
from gitbrag.github.cache import MemoryCache
from gitbrag.github.client import GitHubClient
from gitbrag.github.collect import collect
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange

PROBE = "GET /search/issues"


def run(hub: FakeHub, login: str, period: str, cache: MemoryCache) -> None:
    key = ReportKey(login, DateRange.for_period(period, hub.data.today))  # type: ignore[arg-type]

    async def scenario() -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            client = GitHubClient(
                http, token=token_for("octocat"), api_url=hub.api_url, graphql_url=hub.graphql_url
            )
            await collect(client, key, cache=cache)

    asyncio.run(scenario())


def test_an_empty_account_is_probed_once_across_reports(hub: FakeHub) -> None:
    hub.behaviours.configure(private_profiles=True)
    cache = MemoryCache()
    for period in ("1_year", "2_years", "5_years", "all_time", "1_year"):
        run(hub, "no-prs", period, cache)
    assert hub.counters[PROBE] == 1


def test_a_private_account_is_refused_every_time(hub: FakeHub) -> None:
    hub.behaviours.configure(private_profiles=True)
    cache = MemoryCache()
    for period in ("1_year", "2_years"):
        with pytest.raises(ProfilePrivate):
            run(hub, "hidden-hand", period, cache)
    assert hub.counters[PROBE] == 2
