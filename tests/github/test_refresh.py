"""A report refreshed from its previous collection equals a cold collection of the same data
(issue 21): the simulated GitHub's data changes between the two runs (a pull request merged or
pushed to, a repository made private or renamed, stars given and taken back, issues and
reviews), and the refreshed report is compared with a report collected cold afterwards, with
nothing cached, and in places with the oracle (tests/oracles/report.py) on the changed data.
Where it cannot be equal, the refresh refuses and says why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from gitbrag.fakehub import FakeHub
from gitbrag.fakehub.data import FakePR, token_for
from gitbrag.github.cache import MemoryCache
from gitbrag.github.collect import collect_snapshot
from gitbrag.github.refresh import RefreshRefused, refresh, refusal
from gitbrag.report.builder import build_report
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.report.records import Snapshot
from tests.github.helpers import client_for, run
from tests.oracles.report import expected_report

NOW = datetime.now(UTC).replace(microsecond=0)


def _key(hub: FakeHub, login: str, period: str = "1_year", days_before: int = 0) -> ReportKey:
    today = hub.data.today - timedelta(days=days_before)
    return ReportKey(login, DateRange.for_period(period, today))  # type: ignore[arg-type]


def _report(snapshot: Snapshot, key: ReportKey) -> dict[str, Any]:
    report = build_report(snapshot.collection, key, NOW).model_dump(mode="json")
    report.pop("generated_at")
    return report


@dataclass
class Runs:
    """The report before, refreshed, and collected cold after the change; the refresh's
    requests and the documents the simulated GitHub answered for it."""

    before: dict[str, Any]
    refreshed: dict[str, Any]
    cold: dict[str, Any]
    requests: int
    operations: dict[str, int]


def _cold(hub: FakeHub, key: ReportKey, cache: MemoryCache | None = None) -> Snapshot:
    async def scenario() -> Snapshot:
        async with httpx.AsyncClient(timeout=30) as http:
            client = client_for(hub, http, token_for(key.username))
            return await collect_snapshot(client, key, cache=cache)

    return run(scenario())


def _refresh(
    hub: FakeHub, key: ReportKey, previous: Snapshot, cache: MemoryCache
) -> tuple[Snapshot, int]:
    async def scenario() -> tuple[Snapshot, int]:
        async with httpx.AsyncClient(timeout=30) as http:
            client = client_for(hub, http, token_for(key.username))
            return await refresh(client, key, previous, cache=cache), client.requests_made

    return run(scenario())


def refreshed_after(
    hub: FakeHub,
    login: str,
    change: Callable[[FakeHub], None],
    *,
    period: str = "1_year",
    collected_days_before: int = 0,
) -> Runs:
    """Collect ``login``'s report cold (for the range as it was ``collected_days_before``
    days ago, and as collected then), change the data, refresh it, then collect it cold again
    with nothing cached."""
    cache = MemoryCache()
    first_key = _key(hub, login, period, collected_days_before)
    previous = _cold(hub, first_key, cache)
    earlier = timedelta(days=collected_days_before)  # as if collected that many days ago
    previous.collected_at, previous.cold_at = (
        previous.collected_at - earlier,
        previous.cold_at - earlier,
    )
    change(hub)
    key = _key(hub, login, period)
    hub.reset_counters()
    refreshed, requests = _refresh(hub, key, previous, cache)
    operations = {
        name.removeprefix("operation."): count
        for name, count in hub.counters.items()
        if name.startswith("operation.")
    }
    cold = _cold(hub, key)
    return Runs(
        _report(previous, first_key),
        _report(refreshed, key),
        _report(cold, key),
        requests,
        operations,
    )


def _public(hub: FakeHub, login: str, state: str) -> FakePR:
    data = hub.live_data
    return next(
        pr
        for pr in reversed(data.prs_by(login))
        if pr.state == state and not data.repos[pr.repo].is_private
    )


def _oracle(hub: FakeHub, key: ReportKey) -> dict[str, Any]:
    return expected_report(
        hub.live_data, key.username, key.range.since, key.range.until, key.range.period, False
    )


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    """What the oracle computes: no highlights, no avatar or profile URL."""
    report = dict(report)
    report.pop("highlights")
    report["user"] = {
        k: v for k, v in report["user"].items() if k not in ("avatar_url", "html_url")
    }
    return report


def test_nothing_changed_costs_two_requests(hub: FakeHub) -> None:
    runs = refreshed_after(hub, "octocat", lambda hub: None)
    assert runs.refreshed == runs.cold == runs.before
    assert runs.requests == 2  # the profile (REST) and one document
    assert runs.operations == {"Refresh": 1}


def test_a_pull_request_merged_since(hub: FakeHub) -> None:
    pr = _public(hub, "octocat", "OPEN")
    runs = refreshed_after(
        hub, "octocat", lambda hub: hub.change("merge_pull_request", repo=pr.repo, number=pr.number)
    )
    assert runs.refreshed == runs.cold != runs.before
    assert runs.refreshed["totals"]["merged"] == runs.before["totals"]["merged"] + 1
    assert runs.requests == 2  # its files are the same head's: not read again
    assert _comparable(runs.refreshed) == _oracle(hub, _key(hub, "octocat"))


def test_a_pull_request_pushed_to_since(hub: FakeHub) -> None:
    pr = _public(hub, "octocat", "OPEN")
    files = [["src/brand_new.rs", 400, 10], ["README.md", 5, 1]]

    def push(hub: FakeHub) -> None:
        hub.change("push_to_pull_request", repo=pr.repo, number=pr.number, files=files)

    runs = refreshed_after(hub, "octocat", push)
    assert runs.refreshed == runs.cold != runs.before
    assert "Rust" in {language["name"] for language in runs.refreshed["languages"]}
    assert runs.operations == {"Refresh": 1, "PullRequestFiles": 1}  # that PR's files only


def test_a_repository_made_private_disappears(hub: FakeHub) -> None:
    pr = _public(hub, "octocat", "MERGED")
    runs = refreshed_after(
        hub, "octocat", lambda hub: hub.change("set_visibility", repo=pr.repo, private=True)
    )
    assert runs.refreshed == runs.cold != runs.before
    assert pr.repo not in {repo["name_with_owner"] for repo in runs.refreshed["repositories"]}
    assert _comparable(runs.refreshed) == _oracle(hub, _key(hub, "octocat"))


def test_a_renamed_repository_follows(hub: FakeHub) -> None:
    pr = _public(hub, "octocat", "MERGED")
    runs = refreshed_after(
        hub,
        "octocat",
        lambda hub: hub.change("rename_repository", repo=pr.repo, name="moved-here"),
        period="all_time",
    )
    assert runs.refreshed == runs.cold != runs.before
    moved = f"{pr.repo.split('/')[0]}/moved-here"
    names = {repo["name_with_owner"] for repo in runs.refreshed["repositories"]}
    assert moved in names and pr.repo not in names
    assert hub.counters["repository.redirect"] > 0  # asked by its old name, answered by the new


@pytest.mark.parametrize("taken_back", [False, True])
def test_stars_move(hub: FakeHub, taken_back: bool) -> None:
    pr = _public(hub, "octocat", "MERGED")
    stargazers = hub.live_data.repos[pr.repo].stargazers

    def stars(hub: FakeHub) -> None:
        if taken_back:
            hub.change("unstar", repo=pr.repo, logins=[stargazers[-1][0], stargazers[-2][0]])
        else:
            hub.change("star", repo=pr.repo, logins=["stargazer-1798", "stargazer-1799"])

    runs = refreshed_after(hub, "octocat", stars)
    assert runs.refreshed == runs.cold != runs.before
    moved = runs.refreshed["totals"]["stars_gained"] - runs.before["totals"]["stars_gained"]
    assert moved == (-2 if taken_back else 2)


def test_new_work_issues_and_reviews_since(hub: FakeHub) -> None:
    pr = _public(hub, "octocat", "OPEN")
    issue = next(i for i in reversed(hub.live_data.issues_by("octocat")) if i.closed_at is None)
    reviewed = next(
        (p, r)
        for p in hub.live_data.pull_requests
        for r in p.reviews
        if r.author == "octocat"
        and r.submitted_at
        and p.author != "octocat"
        and not hub.live_data.repos[p.repo].is_private
    )

    def work(hub: FakeHub) -> None:
        hub.change(
            "open_pull_request",
            repo=pr.repo,
            author="octocat",
            title="Brand new",
            files=[["lib/fresh.go", 30, 0]],
        )
        hub.change("open_issue", repo=pr.repo, author="octocat", title="It broke")
        hub.change("close_issue", repo=issue.repo, number=issue.number, reason="NOT_PLANNED")
        hub.change(
            "dismiss_review",
            repo=reviewed[0].repo,
            number=reviewed[0].number,
            review=reviewed[1].id,
        )
        hub.change(
            "submit_review",
            repo=reviewed[0].repo,
            number=reviewed[0].number,
            author="octocat",
            state="COMMENTED",
        )

    runs = refreshed_after(hub, "octocat", work, period="all_time")
    assert runs.refreshed == runs.cold != runs.before
    assert runs.refreshed["totals"]["pull_requests"] == runs.before["totals"]["pull_requests"] + 1
    assert runs.refreshed["issues"]["total"] == runs.before["issues"]["total"] + 1
    assert _comparable(runs.refreshed) == _oracle(hub, _key(hub, "octocat", "all_time"))


def test_a_range_that_moved_with_the_calendar(hub: FakeHub) -> None:
    """Collected for a past year ending ten days ago, refreshed for the past year now."""
    runs = refreshed_after(hub, "Mixed-Case-Dev", lambda hub: None, collected_days_before=10)
    assert runs.refreshed == runs.cold


def test_the_prolific_user_refreshes_in_a_few_requests(hub: FakeHub) -> None:
    runs = refreshed_after(hub, "prolific-bot", lambda hub: None, period="all_time")
    assert runs.refreshed == runs.cold
    open_prs = sum(1 for pr in hub.live_data.prs_by("prolific-bot") if pr.state == "OPEN")
    assert open_prs > 100  # past what one document carries: the rest in batches beside it
    assert runs.operations == {"Refresh": 1, "OpenPullRequests": -(-(open_prs - 100) // 100)}
    assert runs.requests <= 10


def test_real_github_short_pages_change_nothing(hub: FakeHub) -> None:
    pr = _public(hub, "review-machine", "OPEN")

    def change(hub: FakeHub) -> None:
        hub.behaviours.configure(preset="real_github")
        hub.change("merge_pull_request", repo=pr.repo, number=pr.number)

    runs = refreshed_after(hub, "review-machine", change)
    assert hub.counters["short_search_page"] > 0
    assert runs.refreshed == runs.cold != runs.before


def test_a_private_repository_made_public_is_collected_cold(hub: FakeHub) -> None:
    """Its pull requests were never updated, so no search for changes finds them: GitHub's
    count of the range does, and the refresh refuses."""
    secret = next(
        r for r in hub.live_data.repos.values() if r.owner == "private-eye" and r.is_private
    )
    key = _key(hub, "private-eye", "all_time")
    cache = MemoryCache()
    previous = _cold(hub, key, cache)
    hub.change("set_visibility", repo=secret.name_with_owner, private=False)
    with pytest.raises(RefreshRefused, match=r"GitHub counts \d+ pull requests in the range"):
        _refresh(hub, key, previous, cache)


def test_what_is_not_refreshed_says_why(hub: FakeHub) -> None:
    key = _key(hub, "octocat")
    previous = _cold(hub, key)
    now = previous.collected_at
    assert refusal(previous, key, now + timedelta(days=1), timedelta(days=7)) is None
    too_old = refusal(previous, key, now + timedelta(days=8), timedelta(days=7))
    assert too_old is not None and "8.0 days old" in too_old
    previous.collection.incomplete_reasons.append("stars for o/r")
    assert refusal(previous, key, now, timedelta(days=7)) == "the earlier collection was incomplete"
    previous.collection.incomplete_reasons.clear()
    closed = ReportKey("octocat", key.range, include_closed=True)
    assert "another option" in (refusal(previous, closed, now, timedelta(days=7)) or "")
    longer = _key(hub, "octocat", "2_years")
    assert "starts before" in (refusal(previous, longer, now, timedelta(days=7)) or "")
