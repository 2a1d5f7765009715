"""The round-two accounts of the data set contract (``gitbrag.fakehub.identity_data``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gitbrag.fakehub import SAMPLE_USERS, DataSet, token_for
from gitbrag.fakehub.data import ROUND_TWO_USERS
from gitbrag.report.logins import validate_username


def _public(data: DataSet, nwo: str) -> bool:
    return not data.repos[nwo].is_private


def test_round_two_users_are_people_with_tokens_apart_from_the_sample_users(
    fakehub_data: DataSet,
) -> None:
    assert ROUND_TWO_USERS == ("hidden-hand", "octo_acme", "-jerry-")
    assert not set(ROUND_TWO_USERS) & set(SAMPLE_USERS)
    for login in ROUND_TWO_USERS:
        user = fakehub_data.users[login.lower()]
        assert user.login == login and user.type == "User"
        assert fakehub_data.tokens[token_for(login)] == login
        assert validate_username(login) == login  # the login rules of issue 18 accept them
    ids = [u.id for u in fakehub_data.users.values()]
    assert len(ids) == len(set(ids))


def test_the_private_profile_has_public_activity_to_hide(fakehub_data: DataSet) -> None:
    hidden = fakehub_data.users["hidden-hand"]
    assert hidden.private_profile
    assert [u.login for u in fakehub_data.users.values() if u.private_profile] == ["hidden-hand"]
    prs = fakehub_data.prs_by("hidden-hand")
    issues = fakehub_data.issues_by("hidden-hand")
    reviews = [
        (pr, r) for pr, r in fakehub_data.reviews_by("hidden-hand") if pr.author != "hidden-hand"
    ]
    assert len(prs) >= 5 and len(issues) >= 2 and len(reviews) >= 2
    year_ago = datetime.combine(fakehub_data.today, datetime.min.time(), UTC) - timedelta(365)
    assert sum(pr.created_at >= year_ago for pr in prs) >= 3
    assert all(_public(fakehub_data, pr.repo) for pr in prs)
    assert all(_public(fakehub_data, i.repo) for i in issues)
    assert all(_public(fakehub_data, pr.repo) for pr, _ in reviews)
    assert any(r.submitted_at is not None and r.submitted_at >= year_ago for _, r in reviews)


def test_the_sso_organisation_and_its_members_activity(fakehub_data: DataSet) -> None:
    org = fakehub_data.users["sso-corp"]
    assert org.type == "Organization" and org.sso_enforced
    assert org.members == {"octocat", "Mixed-Case-Dev"}
    assert [u.login for u in fakehub_data.users.values() if u.sso_enforced] == ["sso-corp"]
    repos = [r for r in fakehub_data.repos.values() if r.owner == "sso-corp"]
    assert len(repos) >= 2 and not any(r.is_private for r in repos)
    year_ago = datetime.combine(fakehub_data.today, datetime.min.time(), UTC) - timedelta(365)
    for member in ("octocat", "Mixed-Case-Dev"):
        prs = [pr for pr in fakehub_data.prs_by(member) if pr.repo.startswith("sso-corp/")]
        assert len(prs) == 3 and all(pr.state == "MERGED" for pr in prs)
        assert all(pr.created_at >= year_ago and pr.author_association == "MEMBER" for pr in prs)
        issues = [i for i in fakehub_data.issues_by(member) if i.repo.startswith("sso-corp/")]
        assert len(issues) == 1
        given = [
            (pr, r)
            for pr, r in fakehub_data.reviews_by(member)
            if pr.repo.startswith("sso-corp/") and pr.author != member
        ]
        assert len(given) == 1 and given[0][1].submitted_at is not None
    assert not any(
        pr.repo.startswith("sso-corp/")
        for login in SAMPLE_USERS
        if login not in ("octocat", "Mixed-Case-Dev")
        for pr in fakehub_data.prs_by(login)
    )


def test_managed_and_legacy_hyphen_logins_have_pull_requests(fakehub_data: DataSet) -> None:
    for login in ("octo_acme", "-jerry-"):
        prs = fakehub_data.prs_by(login)
        assert len(prs) >= 4 and all(_public(fakehub_data, pr.repo) for pr in prs)
    assert {pr.repo for pr in fakehub_data.prs_by("-jerry-")} == {"-jerry-/jerry-rig"}
    assert {pr.repo for pr in fakehub_data.prs_by("octo_acme")} == {"acme/handbook"}
    assert fakehub_data.users["acme"].members == {"octo_acme"}
