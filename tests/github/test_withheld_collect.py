"""Collections against the simulated GitHub's issue-18 behaviours (``gitbrag.fakehub.behaviours``:
``sso_enforcement``, ``token_permissions``, ``private_profiles``, the ``old_enterprise``
preset), never an imitation of them: what GitHub withholds is read with the fallback token or
named exactly (organisation, count, link), a private profile is refused, an older Enterprise
Server's issues keep their totals with the reasons unknown, and the profile follows the
account, not the login.

Truth comes from the data set (``tests/oracles/report.py``'s oracle over ``FakeHub.live_data``,
and plain loops over its records for what an organisation holds), never from the code under
test; the simulated GitHub's counters prove what it answered and how often it was asked.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from gitbrag.errors import InvalidInput, ProfilePrivate
from gitbrag.fakehub import DataSet, FakeHub, token_for
from gitbrag.fakehub.identity_data import PRIVATE_PROFILE, SSO_ORG
from gitbrag.github.cache import MemoryCache
from gitbrag.github.client import GitHubClient
from gitbrag.github.collect import collect
from gitbrag.github.progress import ProgressCallback
from gitbrag.github.reviews import spans
from gitbrag.github.windows import author_qualifier
from gitbrag.report.builder import build_report
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange, Period
from gitbrag.report.records import Collection
from tests.oracles.report import expected_report

# GitHub's own words (docs "Permissions required for fine-grained personal access tokens" and
# "... for GitHub Apps"), spelled out here rather than taken from the code under test.
BY_PAT = "Resource not accessible by personal access token"
BY_APP = "Resource not accessible by integration"
NON_MEMBER = "star-gazer"  # a token from outside the SAML organisation (the "server token")
SSO_URL = re.compile(
    rf"https://github\.com/orgs/{SSO_ORG}/sso\?authorization_request=[A-Za-z0-9_-]+"
)
SAML = (
    f"the organisation {SSO_ORG} enforces SAML single sign-on and the token has no SSO session "
    "for it; authorise the token at <url>"
)
NOW = datetime(2026, 11, 29, tzinfo=UTC)


def key(hub: FakeHub, period: Period, login: str = "octocat") -> ReportKey:
    return ReportKey(login, DateRange.for_period(period, hub.data.today), include_closed=True)


class Run:
    """One collection: the collection, its clients, and the API requests the simulated GitHub
    received for it (``hub_requests``, both tokens together)."""

    collection: Collection
    client: GitHubClient

    def __init__(
        self,
        hub: FakeHub,
        report_key: ReportKey,
        *,
        token: str | None = None,
        fallback: str | None = None,
        cache: MemoryCache | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.key = report_key
        before = hub.request_count()

        async def scenario() -> None:
            async with httpx.AsyncClient(timeout=30) as http:
                self.client = self._client(hub, http, token or token_for(report_key.username))
                if fallback is not None:
                    self.client.fallback = self._client(hub, http, fallback)
                self.collection = await collect(
                    self.client, report_key, cache=cache, progress=progress
                )

        asyncio.run(scenario())
        self.hub_requests = hub.request_count() - before

    @staticmethod
    def _client(hub: FakeHub, http: httpx.AsyncClient, token: str) -> GitHubClient:
        return GitHubClient(
            http,
            token=token,
            api_url=hub.api_url,
            graphql_url=hub.graphql_url,
            backoff_base=0.001,
            max_attempts=3,
        )

    @property
    def requests(self) -> int:
        return self.client.requests_made

    @property
    def fallback_requests(self) -> int:
        return self.client.fallback.requests_made if self.client.fallback else 0

    def report(self) -> dict[str, Any]:
        """The report as JSON, without what the oracle does not compute (the generation time,
        the highlights' sentences, the avatar and profile links)."""
        report = build_report(self.collection, self.key, NOW).model_dump(mode="json")
        report.pop("generated_at")
        report.pop("highlights")
        report["user"] = {
            k: v for k, v in report["user"].items() if k not in ("avatar_url", "html_url")
        }
        return report


def truth(data: DataSet, report_key: ReportKey, **options: Any) -> dict[str, Any]:
    """The report of ``report_key`` straight from the records."""
    span = report_key.range
    return expected_report(
        data,
        report_key.username,
        span.since,
        span.until,
        span.period,
        report_key.include_closed,
        **options,
    )


def in_org(name: str) -> bool:
    return name.lower().startswith(SSO_ORG + "/")


def without_org(data: DataSet) -> DataSet:
    """The data set as a token that cannot read the SAML organisation sees it."""
    return replace(
        data,
        repos={name: repo for name, repo in data.repos.items() if not in_org(name)},
        pull_requests=[pr for pr in data.pull_requests if not in_org(pr.repo)],
        issues=[issue for issue in data.issues if not in_org(issue.repo)],
    )


def withheld_counts(data: DataSet, report_key: ReportKey) -> dict[str, int]:
    """How many of the user's pull requests, pull requests reviewed and issues of the range
    live in the SAML organisation (plain loops over the records), in the order the collector
    reads them."""
    span = report_key.range
    login = report_key.username

    def counted(repository: str, moment: datetime) -> bool:
        return in_org(repository) and span.contains(moment)

    reviewed = {
        (pr.repo, pr.number)
        for pr, review in data.reviews_by(login)
        if review.submitted_at is not None
        and counted(pr.repo, review.submitted_at)
        and pr.author.lower() != login.lower()
    }
    return {
        "pull requests": sum(
            1
            for pr in data.prs_by(login)
            if (report_key.include_closed or pr.state != "CLOSED")
            and counted(pr.repo, pr.created_at)
        ),
        "pull requests reviewed": len(reviewed),
        "issues": sum(
            1 for issue in data.issues_by(login) if counted(issue.repo, issue.created_at)
        ),
    }


def saml_reasons(counts: dict[str, int]) -> list[str]:
    """The reasons naming ``counts`` withheld by the organisation (its link as ``<url>``)."""
    singular = {"pull requests": "pull request", "pull requests reviewed": "pull request reviewed"}
    singular["issues"] = "issue"
    return [
        f"{count:,} {noun if count != 1 else singular[noun]}: {SAML}"
        for noun, count in counts.items()
        if count
    ]


def linked(reasons: list[str]) -> list[str]:
    """``reasons`` with GitHub's authorisation link as ``<url>``; each reason that speaks of
    SAML must carry exactly one link, in GitHub's form (``authorization_request`` is opaque)."""
    out = []
    for reason in reasons:
        text, links = SSO_URL.subn("<url>", reason)
        assert links == ("SAML" in reason), reason
        out.append(text)
    return out


def without_reviews_and_social_accounts(data: DataSet, login: str) -> DataSet:
    """The data set as a token that cannot read ``login``'s contributions and social accounts
    sees it: no reviews given, no social accounts."""
    wanted = login.lower()
    pull_requests = [
        replace(pr, reviews=[r for r in pr.reviews if r.author.lower() != wanted])
        for pr in data.pull_requests
    ]
    users = data.users | {wanted: replace(data.users[wanted], social_accounts=[])}
    return replace(data, users=users, pull_requests=pull_requests)


def rest(report: dict[str, Any]) -> dict[str, Any]:
    """A report but whether it is complete and why not (checked on their own)."""
    return {k: v for k, v in report.items() if k not in ("complete", "incomplete_reasons")}


def org_repositories(report: dict[str, Any]) -> list[str]:
    return [r["name_with_owner"] for r in report["repositories"] if in_org(r["name_with_owner"])]


# --------------------------------------------------------------------------- SAML SSO


def test_saml_hidden_work_is_named_with_organisation_count_and_link(hub: FakeHub) -> None:
    all_time = key(hub, "all_time")
    counts = withheld_counts(hub.live_data, all_time)
    assert all(counts.values()), counts  # pull requests, a review and an issue to withhold

    hub.behaviours.configure(sso_enforcement=True)
    hidden = Run(hub, all_time)

    assert linked(hidden.collection.incomplete_reasons) == saml_reasons(counts)
    report = hidden.report()
    assert report["complete"] is False
    assert linked(report["incomplete_reasons"]) == saml_reasons(counts)
    assert rest(report) == rest(truth(without_org(hub.live_data), all_time))
    # each withheld item refused once, never retried as a fault
    assert hub.counters["saml.forbidden"] == sum(counts.values())


def test_saml_hidden_work_is_read_with_the_fallback_token(hub: FakeHub) -> None:
    all_time = key(hub, "all_time")
    clean = Run(hub, all_time)
    asked_clean = hub.counters
    hub.reset_counters()

    hub.behaviours.configure(sso_enforcement=True)
    helped = Run(hub, all_time, fallback=token_for(NON_MEMBER))

    assert helped.collection.incomplete_reasons == []
    assert helped.report() == truth(hub.live_data, all_time)
    # every stage met the refusal and asked again with the fallback: search, activity, files,
    # stars
    asked = hub.counters
    for operation in (
        "SearchPullRequests",
        "SearchIssues",
        "ReviewContributions",
        "PullRequestFiles",
        "Repositories",
    ):
        name = f"operation.{operation}"
        assert asked[name] > asked_clean[name], operation
    org_prs = [pr for pr in helped.collection.pull_requests if in_org(pr.repository)]
    with_files = [pr for pr in org_prs if pr.changed_files]
    refused = sum(withheld_counts(hub.live_data, all_time).values())
    refused += len(with_files) + len({pr.repository for pr in org_prs})
    assert hub.counters["saml.forbidden"] == refused  # the viewer's token, once each
    assert helped.fallback_requests > 0
    assert helped.hub_requests == helped.requests + helped.fallback_requests
    assert helped.requests <= clean.requests + 2  # (cursors of re-read windows aside)


def test_a_fallback_refused_too_leaves_the_parts_named(hub: FakeHub) -> None:
    """A fallback that is a member of the organisation without an SSO session is refused the
    same: the report stays named, with the viewer's own link."""
    all_time = key(hub, "all_time")
    hub.behaviours.configure(sso_enforcement=True)
    alone = Run(hub, all_time)
    helped = Run(hub, all_time, fallback=token_for("Mixed-Case-Dev"))
    assert helped.fallback_requests > 0
    assert helped.collection.incomplete_reasons == alone.collection.incomplete_reasons
    counts = withheld_counts(hub.live_data, all_time)
    assert linked(helped.collection.incomplete_reasons) == saml_reasons(counts)
    assert helped.collection.pull_requests == alone.collection.pull_requests
    assert rest(helped.report()) == rest(truth(without_org(hub.live_data), all_time))


def test_saml_on_repositories_and_files_names_each_one(hub: FakeHub) -> None:
    """The organisation begins enforcing SAML SSO after the search and the activity were read
    (its administrator turns enforcement on; an SSO session ends): the repositories and files
    read afterwards are withheld, and each is named with its link."""
    all_time = key(hub, "all_time")

    def enforce_from_files(phase: str, done: int, total: int) -> None:
        if phase == "files":
            hub.behaviours.configure(sso_enforcement=True)

    hidden = Run(hub, all_time, progress=enforce_from_files)
    assert hub.counters["saml.forbidden"] > 0

    expected = truth(hub.live_data, all_time)
    org_repos = org_repositories(expected)
    org_prs = [
        (repo["name_with_owner"], pr)
        for repo in expected["repositories"]
        if in_org(repo["name_with_owner"])
        for pr in repo["pull_requests"]
    ]
    assert org_repos and all(pr["changed_files"] for _, pr in org_prs)
    report = hidden.report()
    assert linked(sorted(report["incomplete_reasons"])) == sorted(
        [f"stars for {name}: {SAML}" for name in org_repos]
        + [
            f"languages are incomplete for {name}#{pr['number']}: its changed files could not "
            f"be read: {SAML}"
            for name, pr in org_prs
        ]
    )
    assert report["complete"] is False
    # the search and the activity were read before: every pull request is there, the
    # organisation's with their lines but without languages; the rest is the truth
    assert org_repositories(report) == org_repos
    for got, want in zip(report["repositories"], expected["repositories"], strict=True):
        if in_org(want["name_with_owner"]):
            want_prs = [pr | {"languages": {}} for pr in want["pull_requests"]]
            assert got["pull_requests"] == want_prs
        else:
            assert got == want
    for section in ("reviews", "issues", "months", "sizes", "roles", "user"):
        assert report[section] == expected[section], section
    unlisted = replace(
        hub.live_data,
        pull_requests=[
            replace(pr, files=[]) if in_org(pr.repo) else pr for pr in hub.live_data.pull_requests
        ],
    )
    assert report["languages"] == truth(unlisted, all_time)["languages"]
    totals = {k: v for k, v in report["totals"].items() if k != "stars_gained"}
    assert totals == {k: v for k, v in expected["totals"].items() if k != "stars_gained"}


# --------------------------------------------------------------------------- token permissions


def test_a_fine_grained_token_without_stargazers(hub: FakeHub) -> None:
    one_year = key(hub, "1_year")
    hub.behaviours.configure(token_permissions=True)
    fine_grained = hub.issue_token("octocat", "fine_grained")
    refused = Run(hub, one_year, token=fine_grained)
    expected = truth(hub.live_data, one_year)
    names = [repo["name_with_owner"] for repo in expected["repositories"]]
    assert sorted(refused.collection.incomplete_reasons) == sorted(
        f"stars for {name}: the token cannot read stargazers ({BY_PAT})" for name in names
    )
    assert refused.collection.stars_gained == {}
    assert hub.counters["token_permissions.forbidden"] > 0
    # the repositories, nulled whole for their stargazers, are read again without them: all
    # but the stars gained is the truth
    unknown = {"stars_gained": 0, "stars_gained_capped": False}
    seen = expected | {
        "repositories": [repo | unknown for repo in expected["repositories"]],
        "totals": expected["totals"] | {"stars_gained": 0},
    }
    assert rest(refused.report()) == rest(seen)

    helped = Run(hub, one_year, token=fine_grained, fallback=token_for(NON_MEMBER))
    assert helped.fallback_requests > 0
    assert helped.report() == expected


def test_an_app_token_without_contributions_or_social_accounts(hub: FakeHub) -> None:
    one_year = key(hub, "1_year")
    hub.behaviours.configure(token_permissions=True)
    app = hub.issue_token("octocat", "app")
    refused = Run(hub, one_year, token=app)
    assert refused.collection.incomplete_reasons == [
        f"social accounts: the token cannot read them ({BY_APP})",
        f"reviews given: the token cannot read contributions ({BY_APP})",
    ]
    assert refused.collection.reviews == [] and refused.collection.profile.social_accounts == ()
    expected = truth(hub.live_data, one_year)
    assert expected["reviews"]["total"] > 0 and expected["user"]["social_accounts"]
    seen = truth(without_reviews_and_social_accounts(hub.live_data, "octocat"), one_year)
    assert rest(refused.report()) == rest(seen)
    # refused once per span and once for the social accounts: permanent, never retried
    assert hub.counters["token_permissions.forbidden"] == len(spans(one_year.range)) + 1

    helped = Run(hub, one_year, token=app, fallback=token_for(NON_MEMBER))
    assert helped.fallback_requests > 0
    assert helped.report() == expected


# --------------------------------------------------------------------------- private profiles


def test_a_private_profile_is_refused_after_one_probe(hub: FakeHub) -> None:
    hub.behaviours.configure(private_profiles=True)
    with pytest.raises(ProfilePrivate) as caught:
        Run(hub, key(hub, "all_time", PRIVATE_PROFILE))
    assert caught.value.login == PRIVATE_PROFILE and caught.value.reason == "private_profile"
    assert "Make profile private and hide activity" in str(caught.value)
    assert hub.counters["GET /search/issues"] == 1  # one REST probe, refused 422
    assert hub.counters["private_profile.search"] > 1  # GraphQL searches hid it, then REST


def test_an_empty_profile_that_search_answers_is_a_true_empty_report(hub: FakeHub) -> None:
    hub.behaviours.configure(private_profiles=True)
    all_time = key(hub, "all_time", "no-prs")
    empty = Run(hub, all_time)
    assert (empty.collection.pull_requests, empty.collection.incomplete_reasons) == ([], [])
    assert (empty.collection.issues, empty.collection.reviews) == ([], [])
    assert empty.report() == truth(hub.live_data, all_time)
    assert hub.counters["GET /search/issues"] == 1  # the probe, answered 200
    assert hub.counters["private_profile.search"] == 0
    assert empty.requests == empty.hub_requests == 6  # the five of any report, and the probe


def test_a_user_with_activity_is_never_probed(hub: FakeHub) -> None:
    hub.behaviours.configure(private_profiles=True)
    all_time = key(hub, "all_time")
    active = Run(hub, all_time)
    assert hub.counters["GET /search/issues"] == 0
    assert active.report() == truth(hub.live_data, all_time)


@pytest.mark.parametrize("login", ["octo_acme", "-jerry-", "Mixed-Case-Dev", "a"])
def test_the_author_qualifier_takes_only_logins(login: str) -> None:
    assert author_qualifier(login) == f"author:{login}"


@pytest.mark.parametrize("text", ["x y", 'a"b', "a:b", "a author:b", "", "x" * 40, "--"])
def test_the_author_qualifier_refuses_anything_else(text: str) -> None:
    with pytest.raises(InvalidInput):
        author_qualifier(text)


# --------------------------------------------------------------------------- older servers


def test_an_older_enterprise_server_keeps_issue_totals_with_reasons_unknown(
    hub: FakeHub,
) -> None:
    all_time = key(hub, "all_time")
    clean = Run(hub, all_time)
    hub.behaviours.configure(preset="old_enterprise")
    hub.reset_counters()
    old = Run(hub, all_time)
    again = Run(hub, all_time)
    # the failed request paid once per server, not per report
    assert hub.counters["legacy_schema.undefined_field"] == 1
    assert old.hub_requests == clean.hub_requests + 1
    assert again.hub_requests == clean.hub_requests
    # rate limiting off: nothing observed, nothing blocked
    assert hub.counters["rate_limiting_disabled.not_enabled"] > 0
    assert old.client.remaining is None and again.client.remaining is None
    assert old.collection.issues is not None
    assert all(i.state_reason is None and not i.state_reason_known for i in old.collection.issues)

    expected = truth(hub.live_data, all_time, issue_reasons_known=False)
    expected["user"]["social_accounts"] = []  # an older server has no such endpoint
    for run in (old, again):
        report = run.report()
        assert report == expected
        issues = report["issues"]
        assert issues["closed_reason_unknown"] == issues["closed"] > 0
        assert (issues["completed"], issues["not_planned"]) == (0, 0)


# --------------------------------------------------------------------------- the account


def test_a_cached_second_report_reads_the_profile_again_but_not_the_social_accounts(
    hub: FakeHub,
) -> None:
    one_year = key(hub, "1_year")
    cache = MemoryCache()
    first = Run(hub, one_year, cache=cache).collection
    hub.reset_counters()
    second = Run(hub, one_year, cache=cache).collection
    assert second.profile == first.profile
    octocat = hub.live_data.user("octocat")
    assert octocat is not None and first.profile.id == octocat.id
    # octocat has social accounts: the second report had them from the cache
    social = [(account.provider, account.url) for account in second.profile.social_accounts]
    assert social == list(octocat.social_accounts) and social
    assert hub.counters["GET /users/{login}"] == 1
    assert hub.counters["GET /users/{login}/social_accounts"] == 0
