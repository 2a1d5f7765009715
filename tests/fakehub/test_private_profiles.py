"""Private profiles (``Behaviours.private_profiles``) and REST ``GET /search/issues``."""

from __future__ import annotations

from typing import Any

import httpx

from gitbrag.fakehub import DataSet, FakeHub
from tests.fakehub.helpers import CANNOT_SEARCH, CONTRIBUTIONS, GraphQL, auth

HIDDEN = "hidden-hand"
# The keys of an item in GitHub's answer (shared/github/rest-recordings/search-issues.json).
RECORDED_ITEM_KEYS = {
    "url", "repository_url", "labels_url", "comments_url", "events_url", "html_url", "id",
    "node_id", "number", "title", "user", "labels", "state", "locked", "assignee",
    "assignees", "milestone", "comments", "created_at", "updated_at", "closed_at",
    "author_association", "active_lock_reason", "body", "reactions", "timeline_url",
    "performed_via_github_app", "state_reason", "score",
}  # fmt: skip
SEARCH = """query($q: String!) { search(query: $q, type: ISSUE, first: 100) {
  issueCount pageInfo { hasNextPage }
  nodes { ... on PullRequest { number } ... on Issue { number } }
} }"""


def _rest_search(http: httpx.Client, q: str, login: str = "octocat", **params: Any) -> Any:
    return http.get("/search/issues", params={"q": q, **params}, headers=auth(login))


def _window(data: DataSet) -> tuple[str, str]:
    start = data.today.replace(year=data.today.year - 1)
    return start.isoformat(), data.today.isoformat()


def test_switch_off_a_private_profile_is_searched_like_anyone(
    gql: GraphQL, http: httpx.Client, fakehub_data: DataSet
) -> None:
    prs = fakehub_data.prs_by(HIDDEN)
    found = gql(SEARCH, q=f"is:pr author:{HIDDEN}")["data"]["search"]
    assert found["issueCount"] == len(prs) > 0
    rest = _rest_search(http, f"is:pr author:{HIDDEN}")
    assert rest.status_code == 200 and rest.json()["total_count"] == len(prs)
    reviews = gql(CONTRIBUTIONS, user=HIDDEN, first=10)["data"]["user"]
    assert reviews["contributionsCollection"]["pullRequestReviewContributions"]["totalCount"] > 0


def test_private_profile_hides_activity_without_an_error(
    hub: FakeHub, gql: GraphQL, http: httpx.Client, fakehub_data: DataSet
) -> None:
    hub.behaviours.configure(private_profiles=True)
    for q in (f"is:pr author:{HIDDEN}", f"is:issue author:{HIDDEN}", f"reviewed-by:{HIDDEN}"):
        body = gql(SEARCH, q=q)
        assert body == {
            "data": {"search": {"issueCount": 0, "pageInfo": {"hasNextPage": False}, "nodes": []}}
        }, q
    own = gql(SEARCH, HIDDEN, q=f"is:pr author:{HIDDEN}")  # the account's own token too
    assert own["data"]["search"]["issueCount"] == 0
    collection = gql(CONTRIBUTIONS, user=HIDDEN, first=10)
    assert "errors" not in collection
    contributions = collection["data"]["user"]["contributionsCollection"]
    assert contributions["pullRequestReviewContributions"]["totalCount"] == 0
    assert contributions["pullRequestReviewContributions"]["nodes"] == []
    assert contributions["restrictedContributionsCount"] == 0
    profile = gql('{ user(login: "hidden-hand") { login name databaseId } }')
    assert profile == {
        "data": {
            "user": {
                "login": HIDDEN,
                "name": "Hidden Hand",
                "databaseId": hub.data.users[HIDDEN].id,
            }
        }
    }
    rest_profile = http.get(f"/users/{HIDDEN}", headers=auth("octocat"))
    assert rest_profile.status_code == 200 and rest_profile.json()["login"] == HIDDEN
    # Other people's activity, and searches not naming the user, are untouched.
    jerry = gql(SEARCH, q="is:pr repo:-jerry-/jerry-rig")["data"]["search"]
    in_repo = [pr for pr in fakehub_data.pull_requests if pr.repo == "-jerry-/jerry-rig"]
    assert jerry["issueCount"] == len(in_repo)
    assert gql(SEARCH, q="is:pr author:octocat")["data"]["search"]["issueCount"] > 0
    assert hub.counters["private_profile.search"] == 4
    assert hub.counters["private_profile.contributions"] == 1


def test_rest_search_refuses_a_private_profile_with_422(hub: FakeHub, http: httpx.Client) -> None:
    hub.behaviours.configure(private_profiles=True)
    refused = _rest_search(http, f"author:{HIDDEN}", per_page=1)
    assert refused.status_code == 422 and refused.json() == CANNOT_SEARCH
    assert refused.headers["content-type"] == "application/json; charset=utf-8"
    assert _rest_search(http, f"is:pr reviewed-by:{HIDDEN}").json() == CANNOT_SEARCH
    assert hub.counters["private_profile.search"] == 2
    assert _rest_search(http, "author:no-prs", per_page=1).status_code == 200


def test_rest_search_refuses_a_login_that_does_not_exist(hub: FakeHub, http: httpx.Client) -> None:
    for q in ("author:nobody-by-this-name", "is:pr -author:nobody-by-this-name"):
        refused = _rest_search(http, q)
        assert refused.status_code == 422 and refused.json() == CANNOT_SEARCH
    missing = _rest_search(http, "")
    assert missing.status_code == 422 and missing.json()["errors"][0]["code"] == "missing"
    unsupported = _rest_search(http, "author:octocat is:teapot")
    assert (
        unsupported.status_code == 422 and "is:teapot" in unsupported.json()["errors"][0]["message"]
    )
    assert hub.counters["private_profile.search"] == 0


def test_rest_search_answers_like_github(
    hub: FakeHub, http: httpx.Client, fakehub_data: DataSet
) -> None:
    since, until = _window(fakehub_data)
    q = f"is:pr author:octocat is:public created:{since}..{until}"
    expected = sorted(
        (
            pr
            for pr in fakehub_data.prs_by("octocat")
            if not fakehub_data.repos[pr.repo].is_private
            and since <= pr.created_at.date().isoformat() <= until
        ),
        key=lambda pr: pr.created_at,
        reverse=True,
    )
    first = _rest_search(http, q, per_page=10)
    assert first.status_code == 200
    assert first.headers["x-ratelimit-resource"] == "search"
    assert first.headers["x-ratelimit-limit"] == "30"
    body = first.json()
    assert set(body) == {"total_count", "incomplete_results", "items"}
    assert body["total_count"] == len(expected) > 10 and body["incomplete_results"] is False
    item, pr = body["items"][0], expected[0]
    assert set(item) >= RECORDED_ITEM_KEYS
    assert (item["number"], item["title"], item["html_url"]) == (pr.number, pr.title, pr.url)
    assert item["user"]["login"] == "octocat" and item["user"]["id"] == 583231
    assert item["repository_url"] == f"{hub.url}/repos/{pr.repo}"
    assert item["pull_request"]["merged_at"] == (
        pr.merged_at.strftime("%Y-%m-%dT%H:%M:%SZ") if pr.merged_at else None
    )
    assert 'rel="next"' in first.headers["link"] and 'rel="last"' in first.headers["link"]
    numbers: list[int] = []
    for page in range(1, 100):
        items = _rest_search(http, q, per_page=10, page=page).json()["items"]
        numbers += [i["number"] for i in items]
        if len(items) < 10:
            break
    assert numbers == [pr.number for pr in expected]
    issues = _rest_search(http, "is:issue author:octocat is:public", per_page=100).json()
    assert issues["items"] and all("pull_request" not in i for i in issues["items"])
    assert {i["state_reason"] for i in issues["items"]} >= {None, "completed", "not_planned"}
    past = _rest_search(http, "is:pr author:prolific-bot", per_page=100, page=11)
    assert past.status_code == 422 and past.json()["message"].startswith("Only the first 1000")
    assert hub.counters["GET /search/issues"] >= 4


def test_rest_search_has_its_own_budget_of_30_a_minute(hub: FakeHub, http: httpx.Client) -> None:
    for _ in range(30):
        assert _rest_search(http, "author:no-prs").status_code == 200
    refused = _rest_search(http, "author:no-prs")
    assert refused.status_code == 403 and refused.headers["x-ratelimit-remaining"] == "0"
    reset = int(refused.headers["x-ratelimit-reset"])
    assert 50 <= reset - hub.state.clock() <= 61
    assert http.get("/users/octocat", headers=auth("octocat")).status_code == 200  # core
