"""Planning a search past the cap (``WindowedSearch.plan``) against the simulated GitHub:
the range is counted in slices, joined into windows of at most ``WINDOW_RESULTS``, and a
second holding more than search can list is named, not silently cut short."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import httpx
import pytest

from gitbrag.fakehub import DataSet, FakeHub
from gitbrag.fakehub.data import token_for
from gitbrag.fakehub.records import FakeFile, FakePR, commit_id
from gitbrag.github.windows import SEARCH_CAP, WINDOW_RESULTS, Window, WindowedSearch
from gitbrag.report.periods import DateRange
from tests.github.helpers import client_for, run

LOGIN = "prolific-bot"
REPO = "prolific-bot/bot-sandbox"
BURST = SEARCH_CAP + 150  # pull requests opened at one second: more than search lists


def _burst_at(data: DataSet) -> datetime:
    """A second in the bot's busiest stretch (1,200 pull requests 400 to 250 days ago)."""
    return datetime.combine(data.today, time(), UTC) - timedelta(days=300, seconds=7)


@pytest.fixture(scope="module")
def burst_hub(fakehub_data: DataSet) -> Iterator[tuple[FakeHub, datetime]]:
    moment = _burst_at(fakehub_data)
    taken = [pr.number for pr in fakehub_data.pull_requests if pr.repo == REPO]
    first = 1 + max(taken + [i.number for i in fakehub_data.issues if i.repo == REPO])
    burst = [
        FakePR(
            REPO,
            number,
            f"Bump everything #{number}",
            LOGIN,
            moment,
            None,
            None,
            [FakeFile("package.json", 1, 1)],
            "OWNER",
            head_oid=commit_id(REPO, number, moment.isoformat()),
        )
        for number in range(first, first + BURST)
    ]
    data = dataclasses.replace(fakehub_data, pull_requests=[*fakehub_data.pull_requests, *burst])
    with FakeHub(data) as hub:
        yield hub, moment


def _held(data: DataSet, window: Window) -> int:
    """What GitHub counts in ``window``: the bot's pull requests in public repositories."""
    return sum(
        1
        for pr in data.prs_by(LOGIN)
        if not data.repos[pr.repo].is_private and window.start <= pr.created_at <= window.end
    )


def test_plan_counts_slices_joins_windows_and_names_a_second_over_the_cap(
    burst_hub: tuple[FakeHub, datetime],
) -> None:
    hub, moment = burst_hub
    hub.reset()
    date_range = DateRange.for_period("2_years", hub.data.today)
    whole = Window.for_range(date_range)
    assert _held(hub.data, whole) > 2 * SEARCH_CAP + BURST - 1  # really past the cap

    async def scenario() -> tuple[list[Window], list[str], int]:
        async with httpx.AsyncClient(timeout=30) as http:
            search = WindowedSearch(
                client_for(hub, http, token_for(LOGIN)), LOGIN, lambda *_: None, 10**6
            )
            windows = await search.plan(whole)
            return windows, search.incomplete_reasons, hub.request_count()

    windows, reasons, requests = run(scenario())
    # The windows tile the range: nothing between them, nothing twice.
    assert windows[0].start == whole.start and windows[-1].end == whole.end
    for left, right in itertools.pairwise(windows):
        assert right.start == left.end + timedelta(seconds=1)
    held = [_held(hub.data, window) for window in windows]
    over = [(w, n) for w, n in zip(windows, held, strict=True) if n > WINDOW_RESULTS]
    # Only the burst's second is over: it could not be cut, and it is named.
    assert len(over) == 1 and over[0][0].start <= moment <= over[0][0].end
    assert over[0][1] >= BURST
    assert reasons == [
        f"more than {SEARCH_CAP} pull requests created at {moment:%Y-%m-%dT%H:%M:%SZ}"
    ]
    # Joined: about as few windows as the counts allow, not one per slice.
    others = sum(held) - over[0][1]
    assert len(windows) <= 2 * (others // WINDOW_RESULTS + 1) + 1
    # Counting costs documents of aliased searches, a handful for a range this size (the
    # burst's second is sliced down to one second: log16 of two years is six levels).
    assert requests <= 12


def test_the_run_reads_every_window_and_the_cap_of_the_burst(
    burst_hub: tuple[FakeHub, datetime],
) -> None:
    hub, moment = burst_hub
    hub.reset()
    date_range = DateRange.for_period("2_years", hub.data.today)

    async def scenario() -> tuple[set[tuple[str, int]], list[str]]:
        async with httpx.AsyncClient(timeout=30) as http:
            search = WindowedSearch(
                client_for(hub, http, token_for(LOGIN)), LOGIN, lambda *_: None, 10**6
            )
            nodes = await search.run(date_range)
            found = {(n["repository"]["nameWithOwner"], n["number"]) for n in nodes}
            return found, search.incomplete_reasons

    found, reasons = run(scenario())
    wanted = {
        (pr.repo, pr.number)
        for pr in hub.data.prs_by(LOGIN)
        if not hub.data.repos[pr.repo].is_private and date_range.contains(pr.created_at)
    }
    burst = {(pr.repo, pr.number) for pr in hub.data.prs_by(LOGIN) if pr.created_at == moment}
    assert found <= wanted
    assert wanted - found <= burst  # everything outside the burst's second is read
    assert len(found & burst) == SEARCH_CAP  # of the burst, what search lists
    assert reasons == [
        f"more than {SEARCH_CAP} pull requests created at {moment:%Y-%m-%dT%H:%M:%SZ}"
    ]


def test_pages_that_come_back_short_are_read_again_alone(hub: FakeHub) -> None:
    """GitHub's search can time out and return part of a page, paging on after it (the
    simulated GitHub: the first page of each query once): that page is read again, not its
    whole window."""
    date_range = DateRange.for_period("2_years", hub.data.today)

    async def search() -> tuple[set[tuple[str, int]], list[str], int]:
        async with httpx.AsyncClient(timeout=30) as http:
            client = client_for(hub, http, token_for(LOGIN))
            found = WindowedSearch(client, LOGIN, lambda *_: None, 10**6)
            nodes = await found.run(date_range)
            keys = {(n["repository"]["nameWithOwner"], n["number"]) for n in nodes}
            return keys, found.incomplete_reasons, client.requests_made

    whole, _, default = run(search())
    hub.reset()
    hub.behaviours.configure(short_search_pages="once")
    found, reasons, requests = run(search())
    windows = (
        hub.counters["short_search_page"] - 1
    )  # the whole range's first page, then each window's
    assert windows >= 5
    assert (found, reasons) == (whole, [])
    assert requests == default + windows  # one page again per window, no window read twice
