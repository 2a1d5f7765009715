"""The data set is a contract: deterministic, relative to today, with the promised content."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from gitbrag.fakehub import SAMPLE_USERS, DataSet, generate, token_for


def _since(data: DataSet, days: int) -> datetime:
    return datetime.combine(data.today - timedelta(days=days), datetime.min.time(), UTC)


def test_same_seed_and_day_give_the_same_data() -> None:
    day = date(2026, 3, 1)
    first, second = generate(7, day), generate(7, day)
    assert first.pull_requests == second.pull_requests
    assert first.repos == second.repos
    assert first.users == second.users
    assert generate(8, day).pull_requests != first.pull_requests


def test_every_event_happens_before_today_and_moves_with_it(fakehub_data: DataSet) -> None:
    cutoff = _since(fakehub_data, 0)
    for pr in fakehub_data.pull_requests:
        assert pr.created_at < cutoff
        assert pr.merged_at is None or pr.created_at <= pr.merged_at < cutoff
        assert pr.closed_at is None or pr.created_at <= pr.closed_at < cutoff
        assert pr.merged_at is None or pr.closed_at == pr.merged_at
        assert fakehub_data.repos[pr.repo].created_at <= pr.created_at
    older = generate(7, fakehub_data.today - timedelta(days=400))
    assert max(pr.created_at for pr in older.pull_requests) < _since(fakehub_data, 400)


def test_octocat_has_every_period_and_every_flavour(fakehub_data: DataSet) -> None:
    prs = fakehub_data.prs_by("OctoCat")
    assert 75 <= len(prs) <= 90
    assert len({pr.repo for pr in prs}) >= 12
    for days in (365, 730, 1825):
        assert any(pr.created_at >= _since(fakehub_data, days) for pr in prs)
    assert min(pr.created_at for pr in prs).year == 2009
    assert {pr.state for pr in prs} == {"MERGED", "OPEN", "CLOSED"}
    assert {"OWNER", "MEMBER", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR"} <= {
        pr.author_association for pr in prs
    }
    titles = [pr.title for pr in prs]
    assert any('<script>alert("x")</script>' in t for t in titles)
    assert any('<b>bold</b> & "quotes"' in t for t in titles)
    paths = {f.path for pr in prs for f in pr.files}
    for wanted in (
        "node_modules/",
        "vendor/",
        "dist/app.min.js",
        ".pb.go",
        "package-lock.json",
        "Cargo.lock",
        "go.sum",
        "Dockerfile",
        "Makefile",
        ".rs",
        ".ts",
        ".md",
    ):
        assert any(wanted in path for path in paths), wanted


def test_pull_request_properties(fakehub_data: DataSet) -> None:
    pr = fakehub_data.prs_by("big-diff")[0]
    assert pr.additions == sum(f.additions for f in pr.files)
    assert pr.deletions == sum(f.deletions for f in pr.files)
    assert pr.changed_files == len(pr.files)
    assert pr.url == f"https://github.com/{pr.repo}/pull/{pr.number}"
    repo = fakehub_data.repos[pr.repo]
    assert repo.url == f"https://github.com/{repo.name_with_owner}"
    assert repo.stargazer_count == len(repo.stargazers)
    numbers = [(p.repo, p.number) for p in fakehub_data.pull_requests]
    assert len(numbers) == len(set(numbers))


def test_special_users(fakehub_data: DataSet) -> None:
    bot = fakehub_data.prs_by("prolific-bot")
    assert len(bot) >= 2400
    assert all(pr.created_at >= _since(fakehub_data, 730) for pr in bot)
    assert sum(pr.created_at >= _since(fakehub_data, 365) for pr in bot) > 1000
    by_month = Counter((pr.created_at.year, pr.created_at.month) for pr in bot)
    months = sorted(by_month)
    assert max(sum(by_month[m] for m in months[i : i + 5]) for i in range(len(months))) > 1000

    mixed = fakehub_data.users["mixed-case-dev"]
    assert mixed.login == "Mixed-Case-Dev"
    assert {p for p, _ in mixed.social_accounts} == {"twitter", "mastodon", "linkedin", "bluesky"}
    assert 25 <= len(fakehub_data.prs_by("mixed-case-dev")) <= 35

    big = [pr.changed_files for pr in fakehub_data.prs_by("big-diff")]
    assert len(big) == 15 and sum(150 <= n <= 700 for n in big) >= 4 and max(big) == 700

    eye = fakehub_data.prs_by("private-eye")
    private = [pr for pr in eye if fakehub_data.repos[pr.repo].is_private]
    assert 10 <= len(private) <= 15 and len(eye) == 25
    assert all("private-eye" in fakehub_data.repos[pr.repo].members for pr in private)

    assert fakehub_data.prs_by("no-prs") == [] and "no-prs" in fakehub_data.users


def test_stars(fakehub_data: DataSet) -> None:
    year_ago = _since(fakehub_data, 365)
    popular = fakehub_data.repos["star-gazer/star-gazer-repo"]
    assert sum(when >= year_ago for _, when in popular.stargazers) > 1000
    assert any(when < year_ago for _, when in popular.stargazers)
    for repo in fakehub_data.repos.values():
        moments = [when for _, when in repo.stargazers]
        assert moments == sorted(moments)
        assert len({login for login, _ in repo.stargazers}) == len(repo.stargazers)
        assert all(login.lower() in fakehub_data.users for login, _ in repo.stargazers)
    spread = fakehub_data.repos["star-gazer/old-constellation"].stargazers
    assert len({when.year for _, when in spread}) >= 10


def test_every_user_has_a_token(fakehub_data: DataSet) -> None:
    people = [u for u in fakehub_data.users.values() if u.type == "User"]
    assert {fakehub_data.tokens[token_for(u.login)] for u in people} == {u.login for u in people}
    assert token_for("OCTOCAT") == token_for("octocat")
    for login in SAMPLE_USERS:
        assert fakehub_data.users[login.lower()].login == login


def test_reviews_and_issues_happen_when_they_can(fakehub_data: DataSet) -> None:
    cutoff = _since(fakehub_data, 0)
    for pr in fakehub_data.pull_requests:
        for review in pr.reviews:
            assert review.author.lower() in fakehub_data.users
            if review.state == "PENDING":
                assert review.submitted_at is None
            else:
                assert review.submitted_at is not None
                assert pr.created_at < review.submitted_at < cutoff
    numbers = [(i.repo, i.number) for i in fakehub_data.issues]
    numbers += [(p.repo, p.number) for p in fakehub_data.pull_requests]
    assert len(numbers) == len(set(numbers))  # issues and PRs share a repository's numbers
    for issue in fakehub_data.issues:
        assert fakehub_data.repos[issue.repo].created_at <= issue.created_at < cutoff
        assert issue.closed_at is None or issue.created_at < issue.closed_at < cutoff
        assert (issue.state_reason == "REOPENED") <= (issue.closed_at is None)
    day = date(2026, 3, 1)
    first, second = generate(7, day), generate(7, day)
    assert first.issues == second.issues
    assert [p.reviews for p in first.pull_requests] == [p.reviews for p in second.pull_requests]


def test_the_heavy_reviewer_and_the_activity_edge_cases(fakehub_data: DataSet) -> None:
    year_ago = _since(fakehub_data, 365)
    heavy = fakehub_data.reviews_by("review-machine")
    given = [
        (pr, r)
        for pr, r in heavy
        if r.submitted_at is not None
        and r.submitted_at >= year_ago
        and pr.author != "review-machine"
        and not fakehub_data.repos[pr.repo].is_private
    ]
    assert len({(pr.repo, pr.number) for pr, _ in given}) > 1400  # past search's 1000 cap
    assert 2000 <= len(given) <= 2600
    assert max(Counter((pr.repo, pr.number) for pr, _ in given).values()) > 100
    assert any(pr.author == "review-machine" for pr, _ in heavy)  # its own pull requests
    assert any(r.state == "PENDING" for _, r in heavy)
    assert any(fakehub_data.repos[pr.repo].is_private for pr, _ in heavy)
    assert {r.state for _, r in given} == {
        "APPROVED",
        "CHANGES_REQUESTED",
        "COMMENTED",
        "DISMISSED",
    }
    assert any(pr.created_at < year_ago <= r.submitted_at for pr, r in given)  # type: ignore[operator]

    edges = {r.submitted_at for _, r in fakehub_data.reviews_by("Mixed-Case-Dev")}
    second = timedelta(seconds=1)
    for day in (365, 500):
        assert {_since(fakehub_data, day), _since(fakehub_data, day) - second} <= edges
    assert {_since(fakehub_data, 29), _since(fakehub_data, 29) - second} <= edges
    octocat = fakehub_data.reviews_by("octocat")
    assert any(pr.author == "octocat" for pr, _ in octocat)
    assert any(fakehub_data.repos[pr.repo].is_private for pr, _ in octocat)
    reasons = {i.state_reason for i in fakehub_data.issues_by("octocat")}
    assert {None, "COMPLETED", "NOT_PLANNED", "DUPLICATE", "REOPENED"} <= reasons
    assert any("<script>" in i.title for i in fakehub_data.issues_by("octocat"))
    eye = fakehub_data.issues_by("private-eye")
    assert any(fakehub_data.repos[i.repo].is_private for i in eye)
    assert any(not fakehub_data.repos[i.repo].is_private for i in eye)
    assert fakehub_data.reviews_by("no-prs") == [] and fakehub_data.issues_by("no-prs") == []
