"""The simulated GitHub's data changing between two collections (``gitbrag.fakehub.changes``),
seen over loopback as a client sees it: ``updatedAt`` and the ``updated:`` qualifier, the
``sort:updated-*`` orders, a push's new head, visibility, renames that redirect, stars; and the
control endpoint that makes the same changes out of process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from gitbrag.fakehub import FakeHub
from gitbrag.fakehub.changes import ChangeError
from gitbrag.fakehub.records import iso
from tests.fakehub.helpers import GraphQL, auth

PULL_REQUEST = """
query($o: String!, $n: String!, $p: Int!) {
  repository(owner: $o, name: $n) {
    nameWithOwner isPrivate stargazerCount
    pullRequest(number: $p) {
      state updatedAt headRefOid additions changedFiles mergedAt url
    }
  }
}
"""

UPDATED = """
query($q: String!) {
  search(query: $q, type: ISSUE, first: 100) {
    issueCount
    nodes {
      ... on PullRequest { number updatedAt repository { nameWithOwner } }
      ... on Issue { number updatedAt repository { nameWithOwner } }
    }
  }
}
"""

NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)  # after every event of the data set


def _open_pr(hub: FakeHub, login: str = "octocat") -> tuple[str, int]:
    pr = next(
        p
        for p in hub.live_data.prs_by(login)
        if p.state == "OPEN" and not hub.live_data.repos[p.repo].is_private
    )
    return pr.repo, pr.number


def _pull_request(gql: GraphQL, repo: str, number: int) -> dict[str, Any]:
    owner, name = repo.split("/")
    body = gql(PULL_REQUEST, o=owner, n=name, p=number)
    assert "errors" not in body, body
    return dict(body["data"]["repository"])


def _updated_since(gql: GraphQL, moment: datetime, login: str = "octocat") -> set[tuple[str, int]]:
    q = f"is:pr author:{login} is:public updated:>={iso(moment)} sort:updated-desc"
    body = gql(UPDATED, q=q)
    return {
        (n["repository"]["nameWithOwner"], n["number"]) for n in body["data"]["search"]["nodes"]
    }


def test_a_merge_moves_updated_at_and_shows_in_updated_searches(hub: FakeHub, gql: GraphQL) -> None:
    repo, number = _open_pr(hub)
    before = _pull_request(gql, repo, number)["pullRequest"]
    assert _updated_since(gql, NOW - timedelta(hours=1)) == set()
    hub.change("merge_pull_request", NOW, repo=repo, number=number)
    after = _pull_request(gql, repo, number)["pullRequest"]
    assert (after["state"], after["mergedAt"], after["updatedAt"]) == ("MERGED", iso(NOW), iso(NOW))
    assert after["headRefOid"] == before["headRefOid"]  # a merge keeps the head
    assert _updated_since(gql, NOW) == {(repo, number)}
    assert _updated_since(gql, NOW + timedelta(seconds=1)) == set()  # inclusive to the second


def test_a_push_changes_head_files_and_lines(hub: FakeHub, gql: GraphQL) -> None:
    repo, number = _open_pr(hub)
    before = _pull_request(gql, repo, number)["pullRequest"]
    hub.change(
        "push_to_pull_request",
        NOW,
        repo=repo,
        number=number,
        files=[["src/new.py", 40, 2], ["README.md", 3, 0]],
    )
    after = _pull_request(gql, repo, number)["pullRequest"]
    assert after["headRefOid"] != before["headRefOid"] and len(after["headRefOid"]) == 40
    assert (after["additions"], after["changedFiles"], after["updatedAt"]) == (43, 2, iso(NOW))
    with pytest.raises(ChangeError, match="merged"):
        hub.change("merge_pull_request", NOW, repo=repo, number=number)
        hub.change("push_to_pull_request", NOW, repo=repo, number=number, files=[["a", 1, 1]])


def test_sort_updated_orders_by_last_change(hub: FakeHub, gql: GraphQL) -> None:
    prs = [p for p in hub.live_data.prs_by("octocat") if not hub.live_data.repos[p.repo].is_private]
    oldest = min(prs, key=lambda p: p.updated_at)
    hub.change(
        "submit_review",
        NOW,
        repo=oldest.repo,
        number=oldest.number,
        author="Mixed-Case-Dev",
        state="APPROVED",
    )
    body = gql(UPDATED, q="is:pr author:octocat is:public sort:updated-desc")
    nodes = body["data"]["search"]["nodes"]
    assert (nodes[0]["repository"]["nameWithOwner"], nodes[0]["number"]) == (
        oldest.repo,
        oldest.number,
    )
    stamps = [n["updatedAt"] for n in nodes]
    assert stamps == sorted(stamps, reverse=True)
    ascending = gql(UPDATED, q="is:pr author:octocat is:public sort:updated-asc")["data"]["search"][
        "nodes"
    ]
    assert [n["updatedAt"] for n in ascending] == sorted(stamps)
    assert body["data"]["search"]["issueCount"] == len(prs)


def test_a_repository_made_private_leaves_public_searches(hub: FakeHub, gql: GraphQL) -> None:
    repo, number = _open_pr(hub)
    count = gql(UPDATED, q="is:pr author:octocat is:public")["data"]["search"]["issueCount"]
    in_repo = sum(1 for p in hub.live_data.prs_by("octocat") if p.repo == repo)
    hub.change("set_visibility", repo=repo, private=True)
    after = gql(UPDATED, q="is:pr author:octocat is:public")["data"]["search"]["issueCount"]
    assert after == count - in_repo
    outsider = gql(
        PULL_REQUEST, login="star-gazer", o=repo.split("/")[0], n=repo.split("/")[1], p=number
    )
    assert outsider["data"]["repository"] is None  # not a member: NOT_FOUND
    assert outsider["errors"][0]["type"] == "NOT_FOUND"
    assert _pull_request(gql, repo, number)["isPrivate"] is True  # its owner still sees it
    assert _updated_since(gql, NOW - timedelta(days=1)) == set()  # its PRs were not updated


def test_a_renamed_repository_redirects_and_moves_its_urls(hub: FakeHub, gql: GraphQL) -> None:
    repo, number = _open_pr(hub)
    owner = repo.split("/")[0]
    hub.change("rename_repository", repo=repo, name="renamed-once")
    hub.change("rename_repository", repo=f"{owner}/renamed-once", name="renamed-twice")
    for old in (repo, f"{owner}/renamed-once"):
        moved = _pull_request(gql, old, number)
        assert moved["nameWithOwner"] == f"{owner}/renamed-twice"
        assert (
            moved["pullRequest"]["url"] == f"https://github.com/{owner}/renamed-twice/pull/{number}"
        )
    found = gql(UPDATED, q=f"is:pr author:octocat repo:{owner}/renamed-twice")
    assert found["data"]["search"]["issueCount"] > 0
    assert hub.counters["repository.redirect"] >= 2
    with pytest.raises(ChangeError, match="exists"):
        other = next(
            r for r in hub.live_data.repos if r.startswith(owner + "/") and "renamed" not in r
        )
        hub.change("rename_repository", repo=other, name="renamed-twice")


def test_stars_come_and_go_with_their_time(hub: FakeHub, gql: GraphQL) -> None:
    repo, number = _open_pr(hub)
    before = _pull_request(gql, repo, number)["stargazerCount"]
    hub.change("star", NOW, repo=repo, logins=["stargazer-1799", "stargazer-1800"])
    assert _pull_request(gql, repo, number)["stargazerCount"] == before + 2
    newest = hub.live_data.repos[repo].stargazers[-1]
    assert newest == ("stargazer-1800", NOW)
    hub.change("unstar", NOW, repo=repo, logins=["stargazer-1799"])
    assert _pull_request(gql, repo, number)["stargazerCount"] == before + 1


def test_new_items_take_the_next_number_and_reviews_can_be_dismissed(
    hub: FakeHub, gql: GraphQL
) -> None:
    repo, _ = _open_pr(hub)
    taken = [p.number for p in hub.live_data.pull_requests if p.repo == repo]
    taken += [i.number for i in hub.live_data.issues if i.repo == repo]
    hub.change(
        "open_pull_request", NOW, repo=repo, author="octocat", title="New", files=[["a.py", 1, 0]]
    )
    hub.change("open_issue", NOW, repo=repo, author="octocat", title="Broken")
    new_pr = hub.live_data.pull_requests[-1]
    new_issue = hub.live_data.issues[-1]
    assert (new_pr.number, new_issue.number) == (max(taken) + 1, max(taken) + 2)
    hub.change("close_issue", NOW, repo=repo, number=new_issue.number, reason="NOT_PLANNED")
    q = f"is:issue author:octocat updated:>={iso(NOW)}"
    assert gql(UPDATED, q=q)["data"]["search"]["issueCount"] == 1
    reviewed = next(
        p
        for p in hub.live_data.pull_requests
        if any(r.author == "octocat" and r.submitted_at for r in p.reviews)
    )
    review = next(r for r in reviewed.reviews if r.author == "octocat" and r.submitted_at)
    hub.change("dismiss_review", NOW, repo=reviewed.repo, number=reviewed.number, review=review.id)
    changed = next(
        p
        for p in hub.live_data.pull_requests
        if (p.repo, p.number) == (reviewed.repo, reviewed.number)
    )
    assert next(r for r in changed.reviews if r.id == review.id).state == "DISMISSED"
    q = f"is:pr reviewed-by:octocat updated:>={iso(NOW)}"
    assert gql(UPDATED, q=q)["data"]["search"]["issueCount"] >= 1


def test_reset_undoes_every_change(hub: FakeHub, gql: GraphQL) -> None:
    repo, number = _open_pr(hub)
    hub.change("merge_pull_request", NOW, repo=repo, number=number)
    hub.change("set_visibility", repo=repo, private=True)
    hub.reset()
    assert hub.live_data is hub.data
    assert _pull_request(gql, repo, number)["pullRequest"]["state"] == "OPEN"


def test_the_control_endpoint_makes_changes_and_refuses_bad_ones(
    hub: FakeHub, http: httpx.Client, gql: GraphQL
) -> None:
    repo, number = _open_pr(hub)
    done = http.post(
        "/_fakehub/change",
        json={"change": "merge_pull_request", "repo": repo, "number": number, "at": iso(NOW)},
    )
    assert done.status_code == 200, done.text
    assert _pull_request(gql, repo, number)["pullRequest"]["mergedAt"] == iso(NOW)
    for bad in (
        {"change": "merge_pull_request", "repo": repo, "number": number},  # merged already
        {"change": "explode"},
        {"change": "merge_pull_request", "repo": "no/such", "number": 1},
        {"change": "set_visibility", "repo": repo, "private": "yes"},
        {"change": "star", "repo": repo, "logins": ["nobody-at-all"]},
        {"change": "merge_pull_request", "repo": repo, "number": number, "colour": "red"},
        {"change": "merge_pull_request", "repo": repo, "number": number, "at": "2030-01-01"},
        {},
    ):
        refused = http.post("/_fakehub/change", json=bad, headers=auth("octocat"))
        assert refused.status_code == 400, (bad, refused.text)
        assert refused.json()["error"]
