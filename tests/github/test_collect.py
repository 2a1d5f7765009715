"""The collector against the simulated GitHub over loopback: what it finds, what it hides,
and how it survives faults and limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from gitbrag.errors import IsOrganization, NotFound, RateLimited, ReportTooLarge, Unauthorized
from gitbrag.fakehub.data import token_for
from gitbrag.fakehub.server import FakeHub
from gitbrag.github.cache import MemoryCache
from gitbrag.github.client import GitHubClient
from gitbrag.github.collect import collect
from gitbrag.github.search import search_pull_requests
from gitbrag.github.windows import SEARCH_CAP
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.report.records import Collection, StarCount
from gitbrag.settings import Settings
from tests.github.helpers import activity_requests, client_for, collect_with, run

STATES = {"MERGED": "merged", "OPEN": "open", "CLOSED": "closed"}


def expected_prs(hub: FakeHub, login: str, date_range: DateRange, include_closed: bool) -> set[Any]:
    """What a report must hold, straight from the simulated data set."""
    wanted = set()
    for pr in hub.data.prs_by(login):
        repo = hub.data.repos[pr.repo]
        if repo.is_private or not date_range.contains(pr.created_at):
            continue
        if pr.state == "CLOSED" and not include_closed:
            continue
        wanted.add((pr.repo, pr.number, STATES[pr.state], pr.additions, pr.changed_files))
    return wanted


def found_prs(collection: Collection) -> set[Any]:
    return {
        (pr.repository, pr.number, pr.state, pr.additions, pr.changed_files)
        for pr in collection.pull_requests
    }


def test_window_splitting_finds_every_pr_of_a_prolific_user(hub: FakeHub) -> None:
    date_range = DateRange.for_period("2_years")
    wanted = expected_prs(hub, "prolific-bot", date_range, include_closed=True)
    assert len(wanted) > 2 * SEARCH_CAP  # the data set really is past the cap

    async def scenario() -> tuple[int, int]:
        async with httpx.AsyncClient(timeout=30) as http:
            client = client_for(hub, http, token_for("prolific-bot"))
            progress: list[tuple[str, int, int]] = []
            found = await search_pull_requests(
                client,
                "prolific-bot",
                date_range,
                include_closed=True,
                progress=lambda *event: progress.append(event),
            )
            got = {
                (pr.repository, pr.number, pr.state, pr.additions, pr.changed_files)
                for pr in found.pull_requests
            }
            assert got == wanted
            assert len(found.pull_requests) == len(wanted)  # no duplicates across windows
            assert found.incomplete_reasons == []
            assert progress[-1] == ("search", len(wanted), len(wanted))
            return client.requests_made, len(found.pull_requests)

    requests, count = run(scenario())
    # 100 per page, plus the whole range's first page, the documents counting its slices
    # (a window too big is never paged to learn it) and a last, partly filled page a window
    assert requests <= count // 100 + 8


def test_private_repositories_never_appear(hub: FakeHub) -> None:
    key = ReportKey("private-eye", DateRange.for_period("all_time"), include_closed=True)
    private_prs = [
        pr for pr in hub.data.prs_by("private-eye") if hub.data.repos[pr.repo].is_private
    ]
    assert private_prs, "the data set must give private-eye private work its token sees"
    collection, _ = collect_with(hub, key)
    private_names = {pr.repo for pr in private_prs}
    assert found_prs(collection) == expected_prs(hub, "private-eye", key.range, True)
    assert not private_names & set(collection.repositories)
    assert not private_names & set(collection.stars_gained)
    assert all(not info.is_private for info in collection.repositories.values())


def test_collects_octocat_completely(hub: FakeHub) -> None:
    key = ReportKey("octocat", DateRange.for_period("5_years"))
    events: list[tuple[str, int, int]] = []
    collection, _ = collect_with(hub, key, progress=lambda *e: events.append(e))
    assert found_prs(collection) == expected_prs(hub, "octocat", key.range, False)
    assert collection.incomplete_reasons == []
    assert collection.profile.login == hub.data.users["octocat"].login
    for pr in collection.pull_requests:
        source = next(
            p
            for p in hub.data.prs_by("octocat")
            if (p.repo, p.number) == (pr.repository, pr.number)
        )
        assert pr.files_complete
        assert sorted((f.path, f.additions, f.deletions) for f in pr.files) == sorted(
            (f.path, f.additions, f.deletions) for f in source.files
        )
        assert pr.title == source.title and pr.author_association == source.author_association
    for name, info in collection.repositories.items():
        repo = hub.data.repos[name]
        assert (info.url, info.description, info.stars) == (
            repo.url,
            repo.description,
            repo.stargazer_count,
        )
        stars_in_range = sum(1 for _, when in repo.stargazers if key.range.contains(when))
        assert collection.stars_gained[name] == StarCount(
            min(stars_in_range, 1000), stars_in_range >= 1000
        )
    phases = [phase for phase, _, _ in events]
    assert phases == sorted(phases, key=["profile", "search", "activity", "files", "stars"].index)
    assert {"profile", "search", "activity", "files", "stars"} == set(phases)
    assert events[-1][1] == events[-1][2]


def test_hundreds_of_files_are_paged_in_batches(hub: FakeHub) -> None:
    key = ReportKey("big-diff", DateRange.for_period("all_time"), include_closed=True)
    collection, requests = collect_with(hub, key)
    assert max(pr.changed_files for pr in collection.pull_requests) > 100
    for pr in collection.pull_requests:
        assert len(pr.files) == pr.changed_files
        assert sum(f.additions for f in pr.files) == pr.additions
    total_pages = sum(-(-pr.changed_files // 100) for pr in collection.pull_requests)
    assert requests < total_pages  # pages of several PRs share a request


def test_stars_are_capped_and_exact_under_the_cap(hub: FakeHub) -> None:
    key = ReportKey("star-gazer", DateRange.for_period("1_year"))
    collection, _ = collect_with(hub, key)
    exact, _ = collect_with(hub, key, stars_cap=100_000)
    capped = [name for name, count in collection.stars_gained.items() if count.capped]
    assert capped, "star-gazer owns a repository past the cap"
    for name in capped:
        real = sum(1 for _, when in hub.data.repos[name].stargazers if key.range.contains(when))
        assert collection.stars_gained[name] == StarCount(1000, capped=True)
        assert exact.stars_gained[name] == StarCount(real)
        assert real > 1000


def test_all_time_counts_every_star_with_ten_times_fewer_requests(hub: FakeHub) -> None:
    key = ReportKey("octocat", DateRange.for_period("all_time"))
    collection, requests = collect_with(hub, key)
    assert found_prs(collection) == expected_prs(hub, "octocat", key.range, False)
    for name, count in collection.stars_gained.items():
        assert count == StarCount(hub.data.repos[name].stargazer_count)
    # The anchor: a search page per 100 PRs, then one request per PR and one per repository.
    prs, repos = len(collection.pull_requests), len(collection.repositories)
    anchor = -(-prs // 100) + prs + repos
    # (reviews given and issues opened are extra work the anchor never did)
    pull_request_requests = requests - activity_requests(hub)
    assert activity_requests(hub) == 2  # one issue search, one review span document
    assert pull_request_requests * 10 <= anchor, (pull_request_requests, anchor)


def test_mixed_case_login_and_user_without_prs(hub: FakeHub) -> None:
    mixed, _ = collect_with(hub, ReportKey("mixed-case-dev", DateRange.for_period("all_time")))
    assert mixed.profile.login == "Mixed-Case-Dev"
    assert len(mixed.profile.social_accounts) == 4
    assert mixed.pull_requests
    empty, requests = collect_with(hub, ReportKey("no-prs", DateRange.for_period("all_time")))
    assert (empty.pull_requests, empty.repositories, empty.incomplete_reasons) == ([], {}, [])
    # profile, social accounts, one search page; one issue search, one review span document;
    # nothing at all, so one REST search probe tells "no activity" from "private profile"
    assert requests == 6


def test_faults_and_secondary_limits_change_nothing(hub: FakeHub) -> None:
    key = ReportKey("octocat", DateRange.for_period("5_years"), include_closed=True)
    clean, clean_requests = collect_with(hub, key)
    hub.faults.configure(rate=0.2, kinds=("502", "504", "timeout"), secondary_every=7, seed=7)
    try:
        # 10 attempts: a request fails for good with probability 0.2**10
        faulty, faulty_requests = collect_with(hub, key, max_attempts=10)
    finally:
        hub.faults.reset()
    assert faulty == clean
    assert faulty.incomplete_reasons == []
    assert faulty_requests > clean_requests  # faults really happened


def test_invalid_token_is_unauthorized(hub: FakeHub) -> None:
    key = ReportKey("octocat", DateRange.for_period("1_year"))
    with pytest.raises(Unauthorized):
        collect_with(hub, key, token="gho_not_a_real_token")


def test_revoked_token_is_unauthorized(hub: FakeHub) -> None:
    token = token_for("octocat")
    hub.revoke(token)
    with pytest.raises(Unauthorized):
        collect_with(hub, ReportKey("octocat", DateRange.for_period("1_year")), token=token)


def test_exhausted_budget_is_rate_limited_with_its_reset(hub: FakeHub) -> None:
    token = token_for("octocat")
    hub.set_budget(token, remaining=0, reset_in=600)
    before = datetime.now(UTC)

    async def scenario() -> GitHubClient:
        async with httpx.AsyncClient(timeout=30) as http:
            client = client_for(hub, http, token)
            with pytest.raises(RateLimited) as caught:
                await collect(client, ReportKey("octocat", DateRange.for_period("1_year")))
            expected = before + timedelta(seconds=600)
            assert abs((caught.value.reset_at - expected).total_seconds()) <= 2
            return client

    client = run(scenario())
    assert client.requests_made <= 2  # profile and social accounts, no retries
    assert client.remaining == 0


def test_unknown_user_is_not_found(hub: FakeHub) -> None:
    key = ReportKey("nobody-by-this-name", DateRange.for_period("1_year"))
    with pytest.raises(NotFound):
        collect_with(hub, key, token=token_for("octocat"))


def test_second_period_costs_at_most_half(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    cache = MemoryCache()
    five = ReportKey("octocat", DateRange.for_period("5_years"))
    one = ReportKey("octocat", DateRange.for_period("1_year"))
    _, first_requests = collect_with(hub, five, cache=cache)
    second, second_requests = collect_with(hub, one, cache=cache)
    uncached, uncached_requests = collect_with(hub, one)
    assert second == uncached
    assert second_requests * 2 <= first_requests
    with capsys.disabled():
        print(
            f"\n[cache] octocat 5_years: {first_requests} requests; then 1_year: "
            f"{second_requests} (uncached 1_year: {uncached_requests})"
        )


class EnterpriseGateway(httpx.AsyncBaseTransport):
    """Serves the hub under GitHub Enterprise paths (``/api/v3/...``, ``/api/graphql``) and
    answers 404 anywhere else, so a hard-coded github.com path would fail the collection."""

    def __init__(self, hub: FakeHub) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.hub_url = httpx.URL(hub.api_url)
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.paths.append(path)
        if path == "/api/graphql":
            target = "/graphql"
        elif path.startswith("/api/v3/"):
            target = path[len("/api/v3") :]
        else:
            return httpx.Response(404, json={"message": "Not Found"})
        request.url = request.url.copy_with(
            scheme=self.hub_url.scheme, host=self.hub_url.host, port=self.hub_url.port, path=target
        )
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_github_enterprise_urls_are_honoured(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITBRAG_GITHUB_GRAPHQL_URL", raising=False)
    monkeypatch.setenv("GITBRAG_GITHUB_API_URL", "https://ghe.example.com/api/v3")
    settings = Settings()
    key = ReportKey("octocat", DateRange.for_period("1_year"))
    gateway = EnterpriseGateway(hub)

    async def scenario() -> Collection:
        async with httpx.AsyncClient(transport=gateway) as http:
            client = GitHubClient.from_settings(settings, token_for("octocat"), http=http)
            return await collect(client, key)

    collection = run(scenario())
    assert found_prs(collection) == expected_prs(hub, "octocat", key.range, False)
    assert set(gateway.paths) >= {"/api/graphql", "/api/v3/users/octocat"}
    assert all(path == "/api/graphql" or path.startswith("/api/v3/") for path in gateway.paths)


def test_search_pages_that_stay_short_make_the_report_incomplete(hub: FakeHub) -> None:
    key = ReportKey("octocat", DateRange.for_period("all_time"))
    clean, _ = collect_with(hub, key)
    hub.behaviours.configure(short_search_pages="always")
    short, _ = collect_with(hub, key)
    assert hub.counters["short_search_page"] >= 2  # the window was read twice
    assert len(short.pull_requests) < len(clean.pull_requests)
    reason, issues_reason = short.incomplete_reasons
    assert reason.startswith("search for pull requests created 2008-01-01T00:00:00Z to ")
    found = len(expected_prs(hub, "octocat", key.range, include_closed=True))
    assert reason.endswith(f"returned {found - 1} of {found}")
    assert issues_reason.startswith("search for issues created 2008-01-01T00:00:00Z to ")
    assert short.issues is not None and clean.issues is not None
    assert issues_reason.endswith(f"returned {len(clean.issues) - 1} of {len(clean.issues)}")


def test_a_short_page_read_again_once_loses_nothing(hub: FakeHub) -> None:
    key = ReportKey("prolific-bot", DateRange.for_period("2_years"))
    clean, clean_requests = collect_with(hub, key)
    hub.behaviours.configure(short_search_pages="once")
    again, requests = collect_with(hub, key)
    assert again == clean and again.incomplete_reasons == []
    assert requests > clean_requests


def test_huge_pull_requests_keep_their_lines_and_are_never_cached_as_complete(
    hub: FakeHub,
) -> None:
    key = ReportKey("giant-diff", DateRange.for_period("all_time"))
    cache = MemoryCache()
    first, cold = collect_with(hub, key, cache=cache)
    second, warm = collect_with(hub, key, cache=cache)
    assert first == second and warm < cold  # the truncated list came from the cache...
    huge = {pr.number: pr for pr in second.pull_requests if not pr.files_complete}
    capped, too_large = sorted(huge.values(), key=lambda pr: pr.changed_files, reverse=True)
    assert (capped.changed_files, len(capped.files)) == (3500, 3000)
    assert capped.files_note == "GitHub lists only 3,000 of its 3,500 changed files"
    assert capped.additions == sum(f.additions for f in hub.data.prs_by("giant-diff")[3].files)
    assert (too_large.changed_files, too_large.files) == (0, ())
    assert too_large.additions > 30_000
    assert too_large.files_note == "GitHub did not list its changed files (diff too large)"
    # ...and is marked truncated there, not complete
    entry = run(cache.get("pr_files", f"giant-diff/everything#{capped.number}"))
    assert entry["why"] == capped.files_note and len(entry["files"]) == 3000


def test_a_report_over_the_pull_request_cap_is_refused_after_one_search(hub: FakeHub) -> None:
    async def scenario() -> int:
        async with httpx.AsyncClient(timeout=30) as http:
            client = client_for(hub, http, token_for("octocat"))
            with pytest.raises(ReportTooLarge) as caught:
                await collect(
                    client,
                    ReportKey("prolific-bot", DateRange.for_period("2_years")),
                    max_pull_requests=2000,
                )
            assert caught.value.cap == 2000 and caught.value.found > 2000
            return client.requests_made

    assert run(scenario()) == 3  # profile, social accounts, one search page


def test_an_organisation_is_named_as_such(hub: FakeHub) -> None:
    with pytest.raises(IsOrganization, match="octo-org is a GitHub organisation"):
        key = ReportKey("octo-org", DateRange.for_period("1_year"))
        collect_with(hub, key, token=token_for("octocat"))
