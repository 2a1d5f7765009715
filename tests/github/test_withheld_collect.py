"""Collections through issue 18's answers (``tests/github/gates.py`` in front of the simulated
GitHub): what GitHub withholds is read with the fallback token or named exactly (organisation,
count, link), a private profile is refused, an older Enterprise Server's issues keep their
totals with the reasons unknown, and the profile follows the account, not the login."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from gitbrag.errors import InvalidInput, ProfilePrivate
from gitbrag.fakehub.data import token_for
from gitbrag.fakehub.server import FakeHub
from gitbrag.github.cache import MemoryCache
from gitbrag.github.client import GitHubClient
from gitbrag.github.collect import collect
from gitbrag.github.reviews import spans
from gitbrag.github.windows import author_qualifier
from gitbrag.periods import DateRange, ReportKey
from gitbrag.records import Collection
from gitbrag.report import build_report
from tests.github.gates import BY_APP, BY_PAT, Gate, sso_url

ALL_TIME = ReportKey("octocat", DateRange.for_period("all_time"), include_closed=True)
ONE_YEAR = ReportKey("octocat", DateRange.for_period("1_year"), include_closed=True)
ORG = "octo-org"
SAML = (
    f"the organisation {ORG} enforces SAML single sign-on and the token has no SSO session for "
    f"it; authorise the token at {sso_url(ORG)}"
)
NOW = datetime(2026, 11, 29, tzinfo=UTC)


class Run:
    """One collection through a gate: the collection and the requests of each client."""

    def __init__(
        self,
        gate: Gate,
        key: ReportKey,
        *,
        token: str | None = None,
        fallback: str | None = None,
        cache: MemoryCache | None = None,
    ) -> None:
        async def scenario() -> None:
            async with httpx.AsyncClient(transport=gate, timeout=30) as http:
                self.client = self._client(gate.hub, http, token or token_for(key.username))
                if fallback is not None:
                    self.client.fallback = self._client(gate.hub, http, fallback)
                self.collection = await collect(self.client, key, cache=cache)

        asyncio.run(scenario())

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


def in_org(name: str) -> bool:
    return name.lower().startswith(ORG + "/")


def without_org(collection: Collection) -> dict[str, Any]:
    """What a collection holds outside the organisation."""
    assert collection.issues is not None and collection.reviews is not None
    return {
        "pull_requests": [pr for pr in collection.pull_requests if not in_org(pr.repository)],
        "repositories": {k: v for k, v in collection.repositories.items() if not in_org(k)},
        "stars": {k: v for k, v in collection.stars_gained.items() if not in_org(k)},
        "issues": [i for i in collection.issues if not in_org(i.repository)],
        "reviews": sorted(
            (r.id for r in collection.reviews if not in_org(r.repository)),
        ),
    }


# --------------------------------------------------------------------------- SAML SSO


def test_saml_hidden_work_is_named_with_organisation_count_and_link(hub: FakeHub) -> None:
    clean = Run(Gate(hub), ALL_TIME).collection
    assert clean.issues is not None and clean.reviews is not None
    org_prs = [pr for pr in clean.pull_requests if in_org(pr.repository)]
    org_issues = [i for i in clean.issues if in_org(i.repository)]
    assert org_prs and org_issues and any(in_org(r.repository) for r in clean.reviews)

    gate = Gate(hub, organization=ORG, saml_tokens=frozenset({token_for("octocat")}))
    hidden = Run(gate, ALL_TIME).collection

    assert without_org(hidden) == without_org(clean)
    assert not any(in_org(pr.repository) for pr in hidden.pull_requests)
    assert gate.withheld["SearchPullRequests"] == len(org_prs)
    assert gate.withheld["SearchIssues"] == len(org_issues)
    reviewed = gate.withheld["ReviewContributions"]
    assert reviewed > 0
    assert hidden.incomplete_reasons == [
        f"{len(org_prs)} pull requests: {SAML}",
        f"{reviewed} pull requests reviewed: {SAML}",
        f"{len(org_issues)} issues: {SAML}",
    ]
    report = build_report(hidden, ALL_TIME, NOW)
    assert not report.complete and report.incomplete_reasons[:3] == hidden.incomplete_reasons


def test_saml_hidden_work_is_read_with_the_fallback_token(hub: FakeHub) -> None:
    clean = Run(Gate(hub), ALL_TIME)
    gate = Gate(hub, organization=ORG, saml_tokens=frozenset({token_for("octocat")}))
    helped = Run(gate, ALL_TIME, fallback=token_for("no-prs"))
    assert helped.collection.incomplete_reasons == []
    assert helped.collection == clean.collection
    # every stage met the refusal and went to the fallback: search, activity, files, stars
    assert {"SearchPullRequests", "SearchIssues", "ReviewContributions"} <= set(gate.withheld)
    assert {"Repositories", "PullRequestFiles"} <= set(gate.withheld)
    assert helped.fallback_requests > 0
    assert helped.requests <= clean.requests + 2  # (cursors of re-read windows aside)


def test_a_fallback_refused_too_leaves_the_parts_named(hub: FakeHub) -> None:
    both = frozenset({token_for("octocat"), token_for("Mixed-Case-Dev")})
    gate = Gate(hub, organization=ORG, saml_tokens=both)
    alone = Run(gate, ALL_TIME).collection
    helped = Run(gate, ALL_TIME, fallback=token_for("Mixed-Case-Dev")).collection
    assert helped.incomplete_reasons == alone.incomplete_reasons
    assert helped.pull_requests == alone.pull_requests


def test_saml_on_repositories_and_files_names_each_one(hub: FakeHub) -> None:
    clean = Run(Gate(hub), ALL_TIME).collection
    gate = Gate(
        hub, organization=ORG, saml_tokens=frozenset({token_for("octocat")}), saml_search=False
    )
    hidden = Run(gate, ALL_TIME).collection
    org_repos = sorted(name for name in clean.repositories if in_org(name))
    assert org_repos
    assert sorted(hidden.incomplete_reasons) == sorted(
        f"stars for {name}: {SAML}" for name in org_repos
    )
    report = build_report(hidden, ALL_TIME, NOW)
    unread = [r for r in report.incomplete_reasons if r.startswith("languages are incomplete")]
    with_files = [pr for pr in hidden.pull_requests if in_org(pr.repository) and pr.changed_files]
    assert with_files and len(unread) == len(with_files)
    assert all(r.endswith(f": its changed files could not be read: {SAML}") for r in unread)


# --------------------------------------------------------------------------- token permissions


def test_a_fine_grained_token_without_stargazers(hub: FakeHub) -> None:
    clean = Run(Gate(hub), ONE_YEAR).collection
    gate = Gate(hub, stargazers_refused=frozenset({token_for("octocat")}))
    refused = Run(gate, ONE_YEAR)
    assert sorted(refused.collection.incomplete_reasons) == sorted(
        f"stars for {name}: the token cannot read stargazers ({BY_PAT})"
        for name in clean.repositories
    )
    assert refused.collection.stars_gained == {}
    # the repositories, nulled whole for their stargazers, are read again without them
    assert refused.collection.repositories == clean.repositories
    assert refused.collection.pull_requests == clean.pull_requests
    helped = Run(gate, ONE_YEAR, fallback=token_for("no-prs")).collection
    assert helped == clean


def test_an_app_token_without_contributions_or_social_accounts(hub: FakeHub) -> None:
    clean = Run(Gate(hub), ONE_YEAR).collection
    app = token_for("octocat")
    gate = Gate(hub, contributions_refused=frozenset({app}))
    refused = Run(gate, ONE_YEAR)
    assert refused.collection.incomplete_reasons == [
        f"social accounts: the token cannot read them ({BY_APP})",
        f"reviews given: the token cannot read contributions ({BY_APP})",
    ]
    assert refused.collection.reviews == [] and refused.collection.profile.social_accounts == ()
    assert refused.collection.pull_requests == clean.pull_requests
    assert gate.withheld["ReviewContributions"] == len(spans(ONE_YEAR.range))  # never retried
    helped = Run(gate, ONE_YEAR, fallback=token_for("no-prs")).collection
    assert helped == clean


# --------------------------------------------------------------------------- private profiles


def test_a_private_profile_is_refused_after_one_probe(hub: FakeHub) -> None:
    gate = Gate(hub, hidden=frozenset({"no-prs"}))
    with pytest.raises(ProfilePrivate) as caught:
        Run(gate, ReportKey("no-prs", DateRange.for_period("all_time")))
    assert caught.value.login == "no-prs" and caught.value.reason == "private_profile"
    assert "Make profile private and hide activity" in str(caught.value)
    assert gate.rest_searches == ["author:no-prs"]


def test_an_empty_profile_that_search_answers_is_a_true_empty_report(hub: FakeHub) -> None:
    gate = Gate(hub, searchable=frozenset({"no-prs"}))
    empty = Run(gate, ReportKey("no-prs", DateRange.for_period("all_time")))
    assert (empty.collection.pull_requests, empty.collection.incomplete_reasons) == ([], [])
    assert (empty.collection.issues, empty.collection.reviews) == ([], [])
    assert gate.rest_searches == ["author:no-prs"]
    assert empty.requests == 6  # the five of any report, and the one probe


def test_a_user_with_activity_is_never_probed(hub: FakeHub) -> None:
    gate = Gate(hub, hidden=frozenset({"octocat"}))  # would be refused, if asked
    Run(gate, ALL_TIME)
    assert gate.rest_searches == []


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
    clean = Run(Gate(hub), ALL_TIME)
    gate = Gate(hub, old_server=True)
    old = Run(gate, ALL_TIME)
    again = Run(gate, ALL_TIME)
    assert gate.undefined_fields == 1  # learned once per server, not per report
    assert old.requests == clean.requests + 1 and again.requests == clean.requests
    assert old.client.remaining is None  # rate limiting off: nothing observed, nothing blocked
    assert clean.collection.issues is not None and old.collection.issues is not None
    assert [(i.repository, i.number, i.state) for i in old.collection.issues] == [
        (i.repository, i.number, i.state) for i in clean.collection.issues
    ]
    assert all(i.state_reason is None and not i.state_reason_known for i in old.collection.issues)
    assert old.collection.pull_requests == clean.collection.pull_requests
    assert old.collection.incomplete_reasons == []
    issues = build_report(old.collection, ALL_TIME, NOW).issues
    truth = build_report(clean.collection, ALL_TIME, NOW).issues
    assert issues is not None and truth is not None
    assert (issues.total, issues.open, issues.closed) == (truth.total, truth.open, truth.closed)
    assert issues.closed_reason_unknown == truth.closed > 0
    assert (issues.completed, issues.not_planned) == (0, 0)


# --------------------------------------------------------------------------- the account


def test_a_cached_second_report_reads_the_profile_again_but_not_the_social_accounts(
    hub: FakeHub,
) -> None:
    cache = MemoryCache()
    first = Run(Gate(hub), ONE_YEAR, cache=cache).collection
    hub.reset_counters()
    second = Run(Gate(hub), ONE_YEAR, cache=cache).collection
    assert second.profile == first.profile and first.profile.id is not None
    assert first.profile.social_accounts  # octocat has some: they came from the cache
    assert hub.counters["GET /users/{login}"] == 1
    assert hub.counters["GET /users/{login}/social_accounts"] == 0
