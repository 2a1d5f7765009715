"""Reports survive GitHub as it really behaves (issue 10's "must show").

The simulated GitHub emits one behaviour at a time (then all at once): rate limits inside
HTTP 200 in both shapes, secondary limits as 200, 403 (with and without ``Retry-After``),
429 and in the older "abuse" wording, resource-limit partial errors on big batches,
timeouts of big queries, short search pages, a concurrency limit, gateway errors. For every
sample user the report must equal the fault-free one; the huge-PR user's report must keep
its totals and flag its languages incomplete (checked against the independent oracle).

The client and the simulated GitHub share one injected clock: waiting for a reset or a
``Retry-After`` moves it on at once, and the hub's budgets see the time that passed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from gitbrag.fakehub import SAMPLE_USERS, DataSet, FakeHub, token_for
from gitbrag.github.cache import MemoryCache
from gitbrag.github.client import GitHubClient
from gitbrag.github.collect import collect
from gitbrag.report.builder import build_report
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from tests.github.fake_time import FakeTime
from tests.oracles.highlights import check_highlights
from tests.oracles.report import expected_report

GENERATED_AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
PERIOD = "1_year"

Setup = Callable[[FakeHub], None]


def _every(**periods: int) -> Setup:
    return lambda hub: hub.faults.configure(every=periods)


def _behave(**switches: Any) -> Setup:
    return lambda hub: hub.behaviours.configure(**switches)


def _both(*setups: Setup) -> Setup:
    def setup(hub: FakeHub) -> None:
        for one in setups:
            one(hub)

    return setup


# behaviour -> (how to switch it on, the hub counter that proves it happened)
BEHAVIOURS: dict[str, tuple[Setup, str]] = {
    "primary limit, 200 RATE_LIMITED": (_every(primary=9), "fault.primary"),
    "primary limit, 200 RATE_LIMIT/graphql_rate_limit": (
        _both(_behave(graphql_rate_limit_type="RATE_LIMIT"), _every(primary=9)),
        "fault.primary",
    ),
    "secondary limit, 200 GraphQL error": (_every(secondary_graphql=5), "fault.secondary_graphql"),
    "secondary limit, 403 with Retry-After": (_every(secondary=5), "fault.secondary"),
    "secondary limit, 403 without Retry-After": (
        _every(secondary_no_retry_after=5),
        "fault.secondary_no_retry_after",
    ),
    "secondary limit, 429": (_every(secondary_429=5), "fault.secondary_429"),
    "secondary limit, 403 abuse wording": (_every(abuse=5), "fault.abuse"),
    "resource limits, partial errors": (_behave(resource_limit_nodes=700), "resource_limits"),
    "timeouts of big queries": (_behave(timeout_nodes=700), "timeout"),
    "short search pages": (_behave(short_search_pages="once"), "short_search_page"),
    "too many requests in flight": (_behave(max_in_flight=2), "secondary.concurrency"),
    "gateway errors and timeouts": (
        lambda hub: hub.faults.configure(rate=0.15, kinds=("502", "504", "timeout"), seed=3),
        "fault.502",
    ),
    "everything at once": (
        _both(
            _every(
                secondary=11,
                secondary_no_retry_after=13,
                secondary_429=17,
                secondary_graphql=19,
                abuse=23,
                primary=29,
            ),
            _behave(
                graphql_rate_limit_type="RATE_LIMIT",
                resource_limit_nodes=900,
                timeout_nodes=1200,
                short_search_pages="once",
                max_in_flight=3,
            ),
            lambda hub: hub.faults.configure(rate=0.05, kinds=("502", "504", "timeout"), seed=5),
        ),
        "fault.primary",
    ),
}


@pytest.fixture(scope="module")
def clock() -> FakeTime:
    return FakeTime()


@pytest.fixture(scope="module")
def timed_hub(fakehub_data: DataSet, clock: FakeTime) -> Iterator[FakeHub]:
    """A simulated GitHub of its own, on the injected clock."""
    with FakeHub(fakehub_data, clock=clock.time) as hub:
        yield hub


def report_of(hub: FakeHub, clock: FakeTime, login: str, **client_options: Any) -> dict[str, Any]:
    key = ReportKey(login, DateRange.for_period(PERIOD, hub.data.today))

    async def scenario() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=30) as http:
            client = GitHubClient(
                http,
                token=token_for(login),
                api_url=hub.api_url,
                graphql_url=hub.graphql_url,
                sleep=clock.sleep,
                clock=clock.now,
                backoff_base=0.01,
                **client_options,
            )
            collection = await collect(client, key, cache=MemoryCache())
        return build_report(collection, key, GENERATED_AT).model_dump(mode="json")

    return asyncio.run(scenario())


@pytest.fixture(scope="module")
def fault_free(timed_hub: FakeHub, clock: FakeTime) -> dict[str, dict[str, Any]]:
    timed_hub.reset()
    return {login: report_of(timed_hub, clock, login) for login in SAMPLE_USERS}


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    report = dict(report)
    report.pop("generated_at")
    report.pop("highlights")  # sentences from the rest, read back by check_highlights
    user = dict(report["user"])
    user.pop("avatar_url")
    user.pop("html_url")
    report["user"] = user
    return report


def test_fault_free_reports_match_the_oracle(
    timed_hub: FakeHub, fault_free: dict[str, dict[str, Any]]
) -> None:
    data = timed_hub.data
    date_range = DateRange.for_period(PERIOD, data.today)
    for login in SAMPLE_USERS:
        expected = expected_report(
            data, login, date_range.since, date_range.until, PERIOD, include_closed=False
        )
        assert _comparable(fault_free[login]) == expected, login
        check_highlights(fault_free[login])


@pytest.mark.parametrize("behaviour", list(BEHAVIOURS))
def test_reports_survive_github_behaviour(
    timed_hub: FakeHub,
    clock: FakeTime,
    fault_free: dict[str, dict[str, Any]],
    behaviour: str,
) -> None:
    setup, evidence = BEHAVIOURS[behaviour]
    # All at once, one request can meet several secondary limits without Retry-After in a
    # row; past GITBRAG_GITHUB_MAX_WAIT_SECONDS the client hands the wait to the job queue
    # (tests/github/test_client.py). Here, where there is no queue, it is given patience.
    patience = {"max_retry_after": 3600.0} if behaviour == "everything at once" else {}
    timed_hub.reset()
    setup(timed_hub)
    try:
        reports = {login: report_of(timed_hub, clock, login, **patience) for login in SAMPLE_USERS}
        happened = timed_hub.counters[evidence]
    finally:
        timed_hub.reset()
    assert happened > 0, f"the simulated GitHub never showed {behaviour!r}"
    for login in SAMPLE_USERS:
        assert reports[login] == fault_free[login], (behaviour, login)
    huge = reports["giant-diff"]
    assert huge["complete"] is False
    giants = sorted(
        pr.number
        for pr in timed_hub.data.prs_by("giant-diff")
        if pr.diff_too_large or len(pr.files) > 3000
    )
    assert len(giants) == 2
    assert [r.split(":")[0] for r in huge["incomplete_reasons"]] == [
        f"languages are incomplete for giant-diff/everything#{number}" for number in giants
    ]
    assert huge["totals"]["additions"] == sum(
        pr.additions
        for pr in timed_hub.data.prs_by("giant-diff")
        if pr.state != "CLOSED"
        and pr.created_at.date() >= DateRange.for_period(PERIOD, timed_hub.data.today).since
    )


def test_a_social_accounts_404_leaves_the_report_intact(
    timed_hub: FakeHub, clock: FakeTime, fault_free: dict[str, dict[str, Any]]
) -> None:
    timed_hub.reset()
    timed_hub.behaviours.configure(social_accounts_404=True)
    try:
        report = report_of(timed_hub, clock, "Mixed-Case-Dev")
    finally:
        timed_hub.reset()
    clean = fault_free["Mixed-Case-Dev"]
    assert clean["user"]["social_accounts"]  # there were some to lose
    assert report["complete"] is True and report["incomplete_reasons"] == []
    assert report["user"]["social_accounts"] == []
    assert {**report, "user": {**report["user"], "social_accounts": []}} == {
        **clean,
        "user": {**clean["user"], "social_accounts": []},
    }


def test_waits_cost_no_real_time_but_happened(timed_hub: FakeHub, clock: FakeTime) -> None:
    """A primary limit is waited out until its reset (the injected clock moved on by it)."""
    timed_hub.reset()
    timed_hub.behaviours.configure(primary_reset_seconds=40)
    timed_hub.faults.inject("primary")
    before = clock.waited
    try:
        report = report_of(timed_hub, clock, "octocat")
    finally:
        timed_hub.reset()
    assert report["complete"] is True
    assert 39 <= clock.waited - before <= 45
