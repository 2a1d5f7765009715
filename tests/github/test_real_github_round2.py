"""Real people on real GitHub, round 2 (issue 18's "must show"): one case per behaviour, each
report compared with what is true for that account — equal, or marked incomplete with the
exact organisation and count, or refused with the right reason.

Every case runs against the simulated GitHub with the behaviour switched on (the counter named
in the case proves it happened), and the truth comes from the data set itself
(``tests/oracles/report.py``, plain loops over the records, never the code under test). The
organisation's items a case expects to be missing are taken out of the data set before the
oracle runs, so "the rest of the report" is checked too.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from gitbrag.errors import NotFound, ProfilePrivate
from gitbrag.fakehub import DataSet, FakeHub, token_for
from gitbrag.fakehub.identity_data import LEADING_HYPHEN, MANAGED_USER, PRIVATE_PROFILE, SSO_ORG
from gitbrag.github.cache import MemoryCache
from gitbrag.github.client import GitHubClient
from gitbrag.github.collect import collect
from gitbrag.report.builder import build_report
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from tests.oracles.report import expected_report

PERIOD = "1_year"
SSO_URL = re.compile(
    rf"https://github\.com/orgs/{SSO_ORG}/sso\?authorization_request=[A-Za-z0-9_-]+"
)
GENERATED_AT = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
NON_MEMBER = "star-gazer"  # a token from outside the SAML organisation (the "server token")


@dataclass
class Run:
    """One report: its JSON (or the error GitHub's answers led to), and the requests made."""

    report: dict[str, Any] | None
    error: Exception | None
    requests: int


def generate(
    hub: FakeHub, login: str, token: str, *, fallback: str | None = None, cache: bool = True
) -> Run:
    key = ReportKey(login, DateRange.for_period(PERIOD, hub.data.today))

    async def scenario() -> Run:
        async with httpx.AsyncClient(timeout=30) as http:

            def client(secret: str) -> GitHubClient:
                return GitHubClient(
                    http,
                    token=secret,
                    api_url=hub.api_url,
                    graphql_url=hub.graphql_url,
                    backoff_base=0.001,
                )

            github = client(token)
            if fallback is not None:
                github.fallback = client(fallback)
            try:
                collection = await collect(github, key, cache=MemoryCache() if cache else None)
            except NotFound as error:
                return Run(None, error, github.requests_made)
            report = build_report(collection, key, GENERATED_AT).model_dump(mode="json")
            return Run(report, None, github.requests_made)

    return asyncio.run(scenario())


def truth(data: DataSet, login: str) -> dict[str, Any]:
    date_range = DateRange.for_period(PERIOD, data.today)
    return expected_report(data, login, date_range.since, date_range.until, PERIOD, False)


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    report = dict(report)
    report.pop("generated_at")
    report.pop("highlights")
    user = dict(report["user"])
    user.pop("avatar_url")
    user.pop("html_url")
    report["user"] = user
    return report


def without_organisation(data: DataSet, organisation: str) -> DataSet:
    """The data set as a token that cannot read ``organisation`` sees it."""
    prefix = organisation.lower() + "/"

    def outside(repository: str) -> bool:
        return not repository.lower().startswith(prefix)

    return replace(
        data,
        repos={name: repo for name, repo in data.repos.items() if outside(name)},
        pull_requests=[pr for pr in data.pull_requests if outside(pr.repo)],
        issues=[issue for issue in data.issues if outside(issue.repo)],
    )


def missing_in(data: DataSet, login: str, organisation: str) -> dict[str, int]:
    """How many of ``login``'s pull requests, issues and reviewed pull requests of the period
    live in ``organisation`` (straight from the records)."""
    date_range = DateRange.for_period(PERIOD, data.today)
    prefix = organisation.lower() + "/"

    def counted(repository: str, created: Any) -> bool:
        return repository.lower().startswith(prefix) and date_range.contains(created)

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
            if pr.state != "CLOSED" and counted(pr.repo, pr.created_at)
        ),
        "issues": sum(
            1 for issue in data.issues_by(login) if counted(issue.repo, issue.created_at)
        ),
        "pull requests reviewed": len(reviewed),
    }


def saml_reasons(counts: dict[str, int]) -> list[str]:
    why = (
        f"the organisation {SSO_ORG} enforces SAML single sign-on and the token has no SSO "
        "session for it; authorise the token at <url>"
    )
    return sorted(
        f"{count:,} {noun if count != 1 else noun.replace('requests', 'request').removesuffix('s')}"
        f": {why}"
        for noun, count in counts.items()
        if count
    )


def normalised_reasons(reasons: list[str]) -> list[str]:
    return sorted(SSO_URL.sub("<url>", reason) for reason in reasons)


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Case:
    """Switch a behaviour on (``setup``), report ``login`` with a token of ``token`` (a login
    whose token to use, or a callable making one), and ``check`` the run."""

    setup: Callable[[FakeHub], None]
    login: str
    check: Callable[[FakeHub, Run], None]
    evidence: str  # the simulated GitHub's counter proving the behaviour was shown
    token: Callable[[FakeHub], str] | None = None
    fallback: Callable[[FakeHub], str] | None = None


def behave(**switches: Any) -> Callable[[FakeHub], None]:
    return lambda hub: hub.behaviours.configure(**switches)


def equals_truth(login: str | None = None, **options: Any) -> Callable[[FakeHub, Run], None]:
    def check(hub: FakeHub, run: Run) -> None:
        assert run.error is None, run.error
        assert run.report is not None
        expected = truth(hub.live_data, login or run.report["username"])
        for name, value in options.items():
            expected[name] = value(expected) if callable(value) else value
        assert comparable(run.report) == expected

    return check


def refused_private(hub: FakeHub, run: Run) -> None:
    assert isinstance(run.error, ProfilePrivate), run.error
    assert run.error.reason == "private_profile"
    assert "Make profile private and hide activity" in str(run.error)


def saml_incomplete(login: str) -> Callable[[FakeHub, Run], None]:
    def check(hub: FakeHub, run: Run) -> None:
        assert run.error is None, run.error
        assert run.report is not None
        counts = missing_in(hub.live_data, login, SSO_ORG)
        assert counts["pull requests"] > 0  # there was something to withhold
        expected = truth(without_organisation(hub.live_data, SSO_ORG), login)
        got = comparable(run.report)
        assert got.pop("complete") is False
        assert normalised_reasons(got.pop("incomplete_reasons")) == saml_reasons(counts)
        expected.pop("complete"), expected.pop("incomplete_reasons")
        assert got == expected

    return check


def token_incomplete(reasons: Callable[[DataSet], list[str]]) -> Callable[[FakeHub, Run], None]:
    """The report names exactly ``reasons`` (GitHub's permission messages); what the token
    could read equals the truth."""

    def check(hub: FakeHub, run: Run) -> None:
        assert run.error is None, run.error
        assert run.report is not None
        assert run.report["complete"] is False
        assert sorted(run.report["incomplete_reasons"]) == sorted(reasons(hub.live_data))

    return check


def stars_refused(data: DataSet) -> list[str]:
    """A fine-grained token without stargazers: the stars of every repository, named."""
    report = truth(data, "octocat")
    return [
        f"stars for {repo['name_with_owner']}: the token cannot read stargazers (Resource not "
        "accessible by personal access token)"
        for repo in report["repositories"]
    ]


def contributions_refused(data: DataSet) -> list[str]:
    return [
        "reviews given: the token cannot read contributions (Resource not accessible by "
        "integration)",
        "social accounts: the token cannot read them (Resource not accessible by integration)",
    ]


def kind(login: str, token_kind: str) -> Callable[[FakeHub], str]:
    return lambda hub: hub.issue_token(login, token_kind)  # type: ignore[arg-type]


def authorised(hub: FakeHub, login: str) -> None:
    hub.behaviours.configure(sso_enforcement=True)
    hub.grant_sso(login, SSO_ORG)


def rename_then_report_old(hub: FakeHub) -> None:
    hub.rename("Mixed-Case-Dev", "case-renamed")


def rename_and_reregister(hub: FakeHub) -> None:
    hub.rename("Mixed-Case-Dev", "case-renamed")
    hub.register("Mixed-Case-Dev", name="Someone Else")


def renamed_account(hub: FakeHub, run: Run) -> None:
    equals_truth("case-renamed")(hub, run)
    assert run.report is not None
    assert run.report["user"]["id"] == hub.data.user("Mixed-Case-Dev").id  # type: ignore[union-attr]


def another_person(hub: FakeHub, run: Run) -> None:
    """The released login, registered by someone new: their (empty) report, never the first
    holder's — another account id, no pull requests."""
    assert run.error is None, run.error
    assert run.report is not None
    first = hub.data.user("Mixed-Case-Dev")
    assert first is not None
    assert run.report["user"]["id"] != first.id
    assert run.report["user"]["name"] == "Someone Else"
    assert run.report["totals"]["pull_requests"] == 0
    assert run.report["complete"] is True


def no_such_user(hub: FakeHub, run: Run) -> None:
    assert isinstance(run.error, NotFound) and not isinstance(run.error, ProfilePrivate)
    assert run.error.reason == "no_user"


def old_enterprise_truth(hub: FakeHub, run: Run) -> None:
    assert run.error is None, run.error
    assert run.report is not None
    date_range = DateRange.for_period(PERIOD, hub.data.today)
    expected = expected_report(
        hub.live_data,
        "octocat",
        date_range.since,
        date_range.until,
        PERIOD,
        False,
        issue_reasons_known=False,
    )
    expected["user"]["social_accounts"] = []  # an older server has no such endpoint
    assert comparable(run.report) == expected
    assert run.report["issues"]["closed_reason_unknown"] == run.report["issues"]["closed"] > 0


CASES: dict[str, Case] = {
    "private profile: refused, never a report of zeros": Case(
        behave(private_profiles=True), PRIVATE_PROFILE, refused_private, "private_profile.search"
    ),
    "an account with no activity is not mistaken for a private one": Case(
        behave(private_profiles=True), "no-prs", equals_truth(), "GET /search/issues"
    ),
    "SAML SSO organisation, the viewer's token only: named, counted, linked": Case(
        behave(sso_enforcement=True), "octocat", saml_incomplete("octocat"), "saml.forbidden"
    ),
    "SAML SSO organisation, read with the server token instead": Case(
        behave(sso_enforcement=True),
        "Mixed-Case-Dev",
        equals_truth(),
        "saml.forbidden",
        fallback=lambda hub: token_for(NON_MEMBER),
    ),
    "SAML SSO organisation, the token authorised": Case(
        lambda hub: authorised(hub, "octocat"),
        "octocat",
        equals_truth(),
        "graphql",
    ),
    "Enterprise Managed User login (underscore)": Case(
        behave(), MANAGED_USER, equals_truth(), "graphql"
    ),
    "legacy login beginning with a hyphen": Case(
        behave(), LEADING_HYPHEN, equals_truth(), "graphql"
    ),
    "renamed account, reported under its new login": Case(
        rename_then_report_old,
        "case-renamed",
        renamed_account,
        "rename",
        token=lambda hub: token_for("Mixed-Case-Dev"),  # tokens follow the account
    ),
    "renamed account, its old login": Case(
        rename_then_report_old, "Mixed-Case-Dev", no_such_user, "rename.old_login"
    ),
    "old login registered again by someone else": Case(
        rename_and_reregister, "Mixed-Case-Dev", another_person, "register"
    ),
    "older Enterprise Server: no stateReason or socialAccounts, rate limiting off": Case(
        lambda hub: hub.behaviours.configure(preset="old_enterprise"),
        "octocat",
        old_enterprise_truth,
        "legacy_schema.undefined_field",
    ),
    "fine-grained token without stargazers": Case(
        behave(token_permissions=True),
        "octocat",
        token_incomplete(stars_refused),
        "token_permissions.forbidden",
        token=kind("octocat", "fine_grained"),
    ),
    "GitHub App token without contributions or social accounts": Case(
        behave(token_permissions=True),
        "octocat",
        token_incomplete(contributions_refused),
        "token_permissions.forbidden",
        token=kind("octocat", "app"),
    ),
    "GitHub App token, read with a classic token instead": Case(
        behave(token_permissions=True),
        "octocat",
        equals_truth(),
        "token_permissions.forbidden",
        token=kind("octocat", "app"),
        fallback=lambda hub: token_for(NON_MEMBER),
    ),
}


@pytest.mark.parametrize("behaviour", list(CASES))
def test_reports_are_true_for_the_account(hub: FakeHub, behaviour: str) -> None:
    case = CASES[behaviour]
    case.setup(hub)
    token = case.token(hub) if case.token else token_for(case.login)
    fallback = case.fallback(hub) if case.fallback else None
    run = generate(hub, case.login, token, fallback=fallback)
    assert hub.counters[case.evidence] > 0, f"the simulated GitHub never showed {behaviour!r}"
    case.check(hub, run)


def test_every_case_fails_against_a_kinder_github(hub: FakeHub) -> None:
    """The behaviours matter: with each switched off, the private profile, the SAML
    organisation and the token kinds give a report equal to the truth (so the cases above test
    the switches, not the data)."""
    assert generate(hub, PRIVATE_PROFILE, token_for(PRIVATE_PROFILE)).report is not None
    assert missing_in(hub.data, "octocat", SSO_ORG)["pull requests"] > 0
    equals_truth()(hub, generate(hub, "octocat", token_for("octocat")))
    equals_truth()(hub, generate(hub, "octocat", hub.issue_token("octocat", "app")))
