"""The simulated GitHub's "real GitHub" mode costs little (issue 18): with every github.com
behaviour on at realistic levels (``preset="real_github"``: short search pages, the
``RATE_LIMIT`` error type, GitHub's 100 requests in flight, resource limits and timeouts past
what gitbrag asks, private profiles, SAML SSO, token permissions), a report of every sample
user, and of each round-two user, takes at most 1.5 times the requests of the default mode.

Request counts, not time: the same documents against the same data give the same counts (the
figures per user are in ``bench/results/collect.json``, ``make bench``).
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from gitbrag.errors import NotFound
from gitbrag.fakehub import SAMPLE_USERS, FakeHub, token_for
from gitbrag.fakehub.identity_data import ROUND_TWO_USERS
from gitbrag.github.client import GitHubClient
from gitbrag.github.collect import collect
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange

MOST = 1.5


def requests_for(hub: FakeHub, login: str, period: str) -> int:
    """GitHub requests of one cold collection of ``login`` (a refusal counts as well)."""
    key = ReportKey(login, DateRange.for_period(period, hub.data.today))  # type: ignore[arg-type]

    async def scenario() -> int:
        async with httpx.AsyncClient(timeout=30) as http:
            client = GitHubClient(
                http,
                token=token_for(login),
                api_url=hub.api_url,
                graphql_url=hub.graphql_url,
                backoff_base=0.001,
            )
            with contextlib.suppress(NotFound):  # a private profile's requests count too
                await collect(client, key)
            return client.requests_made

    return asyncio.run(scenario())


@pytest.mark.parametrize("period", ["1_year", "all_time"])
def test_real_github_mode_costs_at_most_one_and_a_half_times_the_default(
    hub: FakeHub, period: str
) -> None:
    users = SAMPLE_USERS + ROUND_TWO_USERS
    default = {login: requests_for(hub, login, period) for login in users}
    hub.behaviours.configure(preset="real_github")
    real = {login: requests_for(hub, login, period) for login in users}
    assert hub.counters["short_search_page"] > 0  # the mode was on
    ratios = {login: real[login] / default[login] for login in users}
    assert max(ratios.values()) <= MOST, {login: (default[login], real[login]) for login in users}
