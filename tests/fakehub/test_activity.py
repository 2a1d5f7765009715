"""The simulated GitHub's reviews, issues and contributionsCollection, over loopback GraphQL,
checked against brute force over the data set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gitbrag.fakehub import DataSet, FakeHub
from gitbrag.fakehub.activity_data import HEAVY_REVIEWER
from gitbrag.fakehub.records import FakePR, iso
from tests.fakehub.helpers import CONTRIBUTIONS, GraphQL, search_all

REVIEWS = """
query(
  $owner: String!, $name: String!, $number: Int!, $author: String,
  $states: [PullRequestReviewState!]
) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviews(first: 100, author: $author, states: $states) {
        totalCount nodes { id state submittedAt author { login } }
      }
    }
  }
}
"""

ISSUES = """
query($q: String!, $after: String) {
  search(query: $q, type: ISSUE, first: 100, after: $after) {
    issueCount
    pageInfo { hasNextPage endCursor }
    nodes {
      __typename
      ... on Issue { number state stateReason closedAt repository { nameWithOwner isPrivate } }
      ... on PullRequest { number }
    }
  }
}
"""


def _span(data: DataSet, days: int) -> tuple[datetime, datetime]:
    end = datetime.combine(data.today, datetime.min.time(), UTC) - timedelta(seconds=1)
    return end - timedelta(days=days) + timedelta(seconds=1), end


def contributions(
    gql: GraphQL, login: str, start: datetime, end: datetime, viewer: str | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The collection's fields and every contribution node, paged to the end."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        body = gql(
            CONTRIBUTIONS,
            viewer or login,
            user=login,
            first=100,
            after=after,
            **{"from": iso(start), "to": iso(end)},
        )
        assert "errors" not in body, body
        collection = body["data"]["user"]["contributionsCollection"]
        page = collection["pullRequestReviewContributions"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return collection, nodes
        after = page["pageInfo"]["endCursor"]


def newest_reviews_in(
    data: DataSet, login: str, start: datetime, end: datetime
) -> dict[tuple[str, int], tuple[FakePR, datetime]]:
    """Per PR, the newest review ``login`` submitted from ``start`` to ``end`` (inclusive)."""
    newest: dict[tuple[str, int], tuple[FakePR, datetime]] = {}
    for pr, review in data.reviews_by(login):
        when = review.submitted_at
        if when is None or not start <= when <= end:
            continue
        key = (pr.repo, pr.number)
        if key not in newest or when > newest[key][1]:
            newest[key] = (pr, when)
    return newest


def test_one_contribution_per_pull_request_reviewed_newest_first(
    gql: GraphQL, fakehub_data: DataSet
) -> None:
    start, end = _span(fakehub_data, 365)
    collection, nodes = contributions(gql, HEAVY_REVIEWER, start, end)
    expected = newest_reviews_in(fakehub_data, HEAVY_REVIEWER, start, end)
    public = {k: v for k, v in expected.items() if not fakehub_data.repos[k[0]].is_private}
    assert len(public) > 1000  # past what any one search returns
    keys = [
        (n["pullRequest"]["repository"]["nameWithOwner"], n["pullRequest"]["number"]) for n in nodes
    ]
    assert len(keys) == len(set(keys))
    # the heavy reviewer belongs to bot-farm: its private repository is listed, not restricted
    assert set(keys) == set(expected)
    assert any(n["pullRequest"]["repository"]["isPrivate"] for n in nodes)
    assert collection["restrictedContributionsCount"] == 0
    for node, key in zip(nodes, keys, strict=True):
        assert (
            node["occurredAt"] == node["pullRequestReview"]["submittedAt"] == iso(expected[key][1])
        )
        assert node["isRestricted"] is False
    occurred = [n["occurredAt"] for n in nodes]
    assert occurred == sorted(occurred, reverse=True)
    assert (collection["startedAt"], collection["endedAt"]) == (iso(start), iso(end))


def test_contributions_in_repositories_the_viewer_cannot_see_are_only_counted(
    gql: GraphQL, fakehub_data: DataSet
) -> None:
    start = datetime(2008, 1, 1, tzinfo=UTC)
    _, end = _span(fakehub_data, 0)
    counted = 0
    while start < end:
        stop = min(end, start + timedelta(days=365))
        collection, nodes = contributions(gql, "private-eye", start, stop, viewer="no-prs")
        assert not any(n["pullRequest"]["repository"]["isPrivate"] for n in nodes)
        counted += collection["restrictedContributionsCount"]
        own, own_nodes = contributions(gql, "private-eye", start, stop)
        assert own["restrictedContributionsCount"] == 0
        assert len(own_nodes) >= len(nodes)
        start = stop + timedelta(seconds=1)
    private = {"private-eye/secret-lab", "eye-corp/internal-tools"}
    reviewed = {
        (pr.repo, pr.number)
        for pr, review in fakehub_data.reviews_by("private-eye")
        if pr.repo in private and review.submitted_at is not None
    }
    opened = [i for i in fakehub_data.issues_by("private-eye") if i.repo in private]
    prs = [pr for pr in fakehub_data.prs_by("private-eye") if pr.repo in private]
    assert counted == len(reviewed) + len(opened) + len(prs) > 0


def test_a_span_over_one_year_is_refused(gql: GraphQL, fakehub_data: DataSet) -> None:
    _, end = _span(fakehub_data, 0)
    year = {"from": iso(end - timedelta(days=365)), "to": iso(end)}
    assert "errors" not in gql(CONTRIBUTIONS, user="octocat", first=1, **year)
    longer = {"from": iso(end - timedelta(days=365, seconds=1)), "to": iso(end)}
    body = gql(CONTRIBUTIONS, user="octocat", first=1, **longer)
    assert body["data"] == {"user": None}
    assert "must not exceed 1 year" in body["errors"][0]["message"]
    start = end - timedelta(days=1)
    body = gql(CONTRIBUTIONS, user="octocat", first=1, **{"from": iso(end), "to": iso(start)})
    assert "errors" in body
    defaults = gql(CONTRIBUTIONS, user="octocat", first=1)["data"]["user"][
        "contributionsCollection"
    ]
    started = datetime.fromisoformat(defaults["startedAt"].replace("Z", "+00:00"))
    ended = datetime.fromisoformat(defaults["endedAt"].replace("Z", "+00:00"))
    assert ended - started == timedelta(days=365)  # from defaults to a year before to


def test_span_bounds_are_inclusive_to_the_second(gql: GraphQL, fakehub_data: DataSet) -> None:
    pr, review = next(
        (pr, r) for pr, r in fakehub_data.reviews_by("Mixed-Case-Dev") if r.submitted_at
    )
    when = review.submitted_at
    assert when is not None
    for start, end, found in (
        (when, when, True),
        (when - timedelta(days=3), when, True),
        (when, when + timedelta(days=3), True),
        (when + timedelta(seconds=1), when + timedelta(days=3), False),
        (when - timedelta(days=3), when - timedelta(seconds=1), False),
    ):
        _, nodes = contributions(gql, "mixed-case-dev", start, end)
        keys = {
            (n["pullRequest"]["repository"]["nameWithOwner"], n["pullRequest"]["number"])
            for n in nodes
        }
        assert ((pr.repo, pr.number) in keys) is found, (start, end)


def test_pull_request_reviews_by_author_state_and_pending_visibility(
    gql: GraphQL, fakehub_data: DataSet
) -> None:
    pr, _ = next(
        (pr, r) for pr, r in fakehub_data.reviews_by(HEAVY_REVIEWER) if r.state == "PENDING"
    )
    owner, name = pr.repo.split("/")
    variables = {"owner": owner, "name": name, "number": pr.number}
    mine = gql(REVIEWS, HEAVY_REVIEWER, author=HEAVY_REVIEWER.upper(), **variables)
    nodes = mine["data"]["repository"]["pullRequest"]["reviews"]["nodes"]
    assert [n["state"] for n in nodes] == ["PENDING"] and nodes[0]["submittedAt"] is None
    theirs = gql(REVIEWS, "octocat", author=HEAVY_REVIEWER, **variables)
    assert theirs["data"]["repository"]["pullRequest"]["reviews"]["nodes"] == []

    marathon = max(fakehub_data.pull_requests, key=lambda p: len(p.reviews))
    owner, name = marathon.repo.split("/")
    variables = {"owner": owner, "name": name, "number": marathon.number}
    everyone = gql(REVIEWS, "octocat", **variables)["data"]["repository"]["pullRequest"]["reviews"]
    assert everyone["totalCount"] == len(marathon.reviews) > 100
    times = [n["submittedAt"] for n in everyone["nodes"]]
    assert times == sorted(times)  # oldest first
    approved = gql(REVIEWS, "octocat", states=["APPROVED"], **variables)
    listed = approved["data"]["repository"]["pullRequest"]["reviews"]["nodes"]
    assert len(listed) == sum(1 for r in marathon.reviews if r.state == "APPROVED")
    assert all(n["state"] == "APPROVED" for n in listed)


def issues_found(gql: GraphQL, q: str, login: str = "octocat") -> tuple[int, list[dict[str, Any]]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        result = gql(ISSUES, login, q=q, after=after)["data"]["search"]
        nodes += result["nodes"]
        if not result["pageInfo"]["hasNextPage"]:
            return result["issueCount"], nodes
        after = result["pageInfo"]["endCursor"]


def test_issue_search_kinds_visibility_and_state_reasons(
    hub: FakeHub, gql: GraphQL, fakehub_data: DataSet
) -> None:
    mine = fakehub_data.issues_by("octocat")
    public = [i for i in mine if not fakehub_data.repos[i.repo].is_private]
    assert len(public) < len(mine)
    count, nodes = issues_found(gql, "is:issue author:octocat is:public")
    assert count == len(public) and {n["__typename"] for n in nodes} == {"Issue"}
    assert not any(n["repository"]["isPrivate"] for n in nodes)
    stranger, _ = issues_found(gql, "is:issue author:octocat", login="no-prs")
    assert stranger == len(public)
    member, _ = issues_found(gql, "is:issue author:octocat", login="private-eye")
    assert member == len(mine)  # private-eye belongs to eye-corp
    both, kinds = issues_found(gql, "author:octocat is:public")
    assert {n["__typename"] for n in kinds} == {"Issue", "PullRequest"}
    assert both == len(public) + sum(
        1 for pr in fakehub_data.prs_by("octocat") if not fakehub_data.repos[pr.repo].is_private
    )
    reasons = {(n["state"], n["stateReason"]) for n in nodes}
    assert {("OPEN", None), ("OPEN", "REOPENED"), ("CLOSED", "COMPLETED")} <= reasons
    assert ("CLOSED", "NOT_PLANNED") in reasons and ("CLOSED", None) in reasons
    assert not any(reason == "DUPLICATE" for _, reason in reasons)
    closed, _ = issues_found(gql, "is:issue author:octocat is:public is:closed")
    assert closed == sum(1 for i in public if i.closed_at is not None)


def test_duplicates_read_as_not_planned_unless_asked(gql: GraphQL, fakehub_data: DataSet) -> None:
    duplicate = next(i for i in fakehub_data.issues if i.state_reason == "DUPLICATE")
    query = """
    query($q: String!) { search(query: $q, type: ISSUE, first: 100) { nodes { ... on Issue {
      number plain: stateReason asked: stateReason(enableDuplicate: true) } } } }
    """
    q = f"is:issue repo:{duplicate.repo} author:{duplicate.author}"
    nodes = gql(query, duplicate.author, q=q)["data"]["search"]["nodes"]
    node = next(n for n in nodes if n["number"] == duplicate.number)
    assert (node["plain"], node["asked"]) == ("NOT_PLANNED", "DUPLICATE")


def test_operations_are_counted_by_name(hub: FakeHub, gql: GraphQL) -> None:
    hub.reset_counters()
    gql("query Named { viewer { login } }")
    gql("{ viewer { login } }")
    assert hub.counters["operation.Named"] == 1
    assert hub.counters["operation.anonymous"] == 1


def test_reviewed_by_search_has_the_1000_cap(
    hub: FakeHub, gql: GraphQL, fakehub_data: DataSet
) -> None:
    """Search's ``reviewed-by:`` (the plan docs/reviews-and-issues.md weighs against
    contributions) answers like GitHub: pull requests with a submitted review, capped."""
    login = HEAVY_REVIEWER
    reviewed = {
        (pr.repo, pr.number)
        for pr, review in fakehub_data.reviews_by(login)
        if review.submitted_at is not None
        and pr.author != login
        and not fakehub_data.repos[pr.repo].is_private
    }
    count, nodes = search_all(gql, f"is:pr reviewed-by:{login} -author:{login} is:public", login)
    assert count == len(reviewed) > 1000
    assert len(nodes) == 1000  # the cap: the rest only through narrower windows
    assert {(n["repository"]["nameWithOwner"], n["number"]) for n in nodes} <= reviewed
    since = datetime.combine(fakehub_data.today - timedelta(days=30), datetime.min.time(), UTC)
    recent, _ = search_all(
        gql, f"is:pr reviewed-by:{login} -author:{login} is:public updated:>={iso(since)}", login
    )
    assert recent == sum(
        1
        for pr in fakehub_data.pull_requests
        if (pr.repo, pr.number) in reviewed and pr.updated_at >= since
    )
