"""Accounts about who a report is for and who may read it (part of the ``data`` contract).

Added after everything else, from a random stream of their own, in repositories of their own
(numbered from their own stream too), so the rest of the data set stays exactly as it was:

- ``hidden-hand``: turned on "Make profile private and hide activity" (``private_profile``;
  GitHub docs "Setting your profile to private", changelog 2022-04-21 "Private profiles");
  pull requests, issues opened and reviews given in public repositories, so hiding them is
  observable (``Behaviours.private_profiles``).
- ``sso-corp``: an organisation enforcing SAML single sign-on (``sso_enforced``; docs
  "Authenticating to the REST API: personal access tokens and SAML SSO") with public
  repositories; ``octocat`` and ``Mixed-Case-Dev`` are members, each with three merged pull
  requests, an issue and a review of the other's pull request there, all in the last year.
- ``octo_acme``: an Enterprise Managed User (``handle_shortcode``; docs "Username
  considerations for external authentication") with pull requests in its enterprise's
  organisation ``acme``. Managed users cannot contribute to public repositories on github.com;
  ``acme/handbook`` is public here so that a report of the login has content.
- ``-jerry-``: a legacy login beginning with a hyphen (GitHub no longer issues them), with
  pull requests in its own repository.

``ROUND_TWO_USERS`` lists the people; they are not in ``SAMPLE_USERS`` (whose reports the
round-one tests compare one by one, and whose logins every surface already accepts).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Final

from gitbrag.fakehub.builder import Builder
from gitbrag.fakehub.records import FakePR, IssueStateReason

PRIVATE_PROFILE: Final = "hidden-hand"
SSO_ORG: Final = "sso-corp"
SSO_MEMBERS: Final = ("octocat", "Mixed-Case-Dev")
MANAGED_USER: Final = "octo_acme"
LEADING_HYPHEN: Final = "-jerry-"
ROUND_TWO_USERS: Final[tuple[str, ...]] = (PRIVATE_PROFILE, MANAGED_USER, LEADING_HYPHEN)


def add_identities(b: Builder) -> None:
    """The accounts of the module docstring."""
    original, b.rng = b.rng, random.Random(b.seed * 6_007 + 29)
    _accounts(b)
    jerry = _jerry(b)
    _hidden_hand(b, jerry)
    _octo_acme(b)
    _sso_corp(b)
    _stars(b)
    b.rng = original


def _repo(b: Builder, nwo: str, flavours: tuple[str, ...], about: str, created: datetime) -> None:
    b.repo(nwo, flavours, about, created=created)
    b.late_repos.add(nwo)


def _spread(b: Builder, count: int, start: datetime, end: datetime) -> list[datetime]:
    return sorted(b.moment(start, end) for _ in range(count))


def _after(b: Builder, pr: FakePR, days: int) -> datetime:
    """A moment after ``pr`` opened, within ``days``, before today."""
    end = min(pr.created_at + timedelta(days=days), b.cutoff - timedelta(seconds=1))
    return b.moment(pr.created_at + timedelta(minutes=1), end)


def _accounts(b: Builder) -> None:
    b.user(PRIVATE_PROFILE, name="Hidden Hand", bio="Nothing to see here.", private_profile=True)
    b.user(MANAGED_USER, name="Octo (Acme)", company="@acme")
    b.user(LEADING_HYPHEN, name="Jerry", location="Tallinn", bio="Signed up in 2008.")
    b.org(SSO_ORG, set(SSO_MEMBERS), "SSO Corp", sso_enforced=True)
    b.org("acme", {MANAGED_USER}, "Acme Enterprise")


def _jerry(b: Builder) -> list[FakePR]:
    nwo = "-jerry-/jerry-rig"
    _repo(b, nwo, ("rs", "md", "lock"), "Held together with tape", b.days_ago(2000))
    moments = _spread(b, 2, b.days_ago(900), b.days_ago(366))
    moments += _spread(b, 4, b.days_ago(360), b.days_ago(3))
    return [b.pr(nwo, LEADING_HYPHEN, at, b.files(nwo, b.rng.randint(1, 4))) for at in moments]


def _hidden_hand(b: Builder, jerry: list[FakePR]) -> None:
    nwo = "hidden-hand/quiet-tools"
    _repo(b, nwo, ("py", "md"), "Small tools, quietly", b.days_ago(1500))
    moments = _spread(b, 3, b.days_ago(1000), b.days_ago(366))
    moments += _spread(b, 5, b.days_ago(360), b.days_ago(2))
    for i, created in enumerate(moments):
        repo = (nwo, "-jerry-/jerry-rig")[i % 2]
        b.pr(repo, PRIVATE_PROFILE, created, b.files(repo, b.rng.randint(1, 3)), outcome="merged")
    for i, created in enumerate(_spread(b, 3, b.days_ago(500), b.days_ago(5))):
        closed = created + timedelta(days=2) if i != 1 else None
        reason: IssueStateReason | None = "COMPLETED" if closed is not None else None
        repo = (nwo, "-jerry-/jerry-rig")[i % 2]
        b.issue(repo, PRIVATE_PROFILE, created, "Quietly failing on empty input", closed, reason)
    for pr in jerry[-3:]:  # reviews given, in the last year
        b.review(pr, PRIVATE_PROFILE, "APPROVED", _after(b, pr, 2))


def _octo_acme(b: Builder) -> None:
    nwo = "acme/handbook"
    _repo(b, nwo, ("md", "yml"), "How Acme works", b.days_ago(1200))
    moments = _spread(b, 1, b.days_ago(700), b.days_ago(366))
    moments += _spread(b, 4, b.days_ago(360), b.days_ago(4))
    for created in moments:
        b.pr(nwo, MANAGED_USER, created, b.files(nwo, b.rng.randint(1, 3)))


def _sso_corp(b: Builder) -> None:
    portal, sdk = "sso-corp/portal", "sso-corp/sdk"
    _repo(b, portal, ("ts", "css", "md"), "The customer portal", b.days_ago(900))
    _repo(b, sdk, ("py", "go", "md"), "Client libraries", b.days_ago(900))
    prs: dict[str, list[FakePR]] = {}
    for login in SSO_MEMBERS:
        prs[login] = []
        for i, created in enumerate(_spread(b, 3, b.days_ago(330), b.days_ago(20))):
            nwo = (portal, sdk)[i % 2]
            files = b.files(nwo, b.rng.randint(1, 4))
            prs[login].append(b.pr(nwo, login, created, files, outcome="merged"))
    octocat, mixed = SSO_MEMBERS
    b.review(prs[mixed][0], octocat, "APPROVED", _after(b, prs[mixed][0], 3))
    b.review(prs[octocat][1], mixed, "CHANGES_REQUESTED", _after(b, prs[octocat][1], 3))
    opened = b.days_ago(120)
    closed = opened + timedelta(days=3)
    b.issue(portal, octocat, opened, "SSO login loops on Safari", closed, "COMPLETED")
    b.issue(sdk, mixed, b.days_ago(60), "Document the retry settings")


def _stars(b: Builder) -> None:
    pool = [f"stargazer-{i:04d}" for i in range(1, 1801)]
    for nwo in sorted(b.late_repos):
        repo = b.repos[nwo]
        logins = b.rng.sample(pool, b.rng.randint(5, 30))
        moments = sorted(b.moment(repo.created_at, b.cutoff) for _ in logins)
        repo.stargazers = list(zip(logins, moments, strict=True))
