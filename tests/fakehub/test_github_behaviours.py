"""The GitHub behaviours the simulated GitHub can show, each off by default: every rate-limit
shape, resource limits, big-query timeouts, short search pages, huge pull requests, the
GHES social-accounts 404, a concurrency limit, and their controls over HTTP."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from gitbrag.fakehub import DataSet, FakeHub
from gitbrag.fakehub.behaviours import Behaviours
from tests.fakehub.helpers import GraphQL, auth

VIEWER = {"query": "{ viewer { login } }"}
FILES = """query($o: String!, $n: String!, $p: Int!, $first: Int!) {
  r0: repository(owner: $o, name: $n) { pullRequest(number: $p) { changedFiles additions
    files(first: $first) { totalCount nodes { path } } } }
  r1: repository(owner: $o, name: $n) { pullRequest(number: $p) {
    files(first: $first) { totalCount nodes { path } } } }
}"""


def _huge(data: DataSet) -> tuple[Any, Any]:
    prs = data.prs_by("giant-diff")
    capped = next(pr for pr in prs if len(pr.files) == 3500)
    too_large = next(pr for pr in prs if pr.diff_too_large)
    return capped, too_large


def test_rate_limit_shapes_look_like_github(http: httpx.Client, hub: FakeHub) -> None:
    hub.faults.inject(
        "secondary_no_retry_after", "secondary_429", "secondary_graphql", "abuse", "secondary"
    )
    plain = http.post("/graphql", json=VIEWER, headers=auth("octocat"))
    assert plain.status_code == 403 and "retry-after" not in plain.headers
    assert "secondary rate limit" in plain.json()["message"]
    too_many = http.get("/users/octocat", headers=auth("octocat"))
    assert too_many.status_code == 429 and "retry-after" not in too_many.headers
    inside = http.post("/graphql", json=VIEWER, headers=auth("octocat"))
    assert inside.status_code == 200
    assert "secondary rate limit" in inside.json()["errors"][0]["message"]
    abuse = http.get("/users/octocat", headers=auth("octocat"))
    assert abuse.status_code == 403 and "abuse detection mechanism" in abuse.json()["message"]
    graphql_secondary_as_rest = http.get("/users/octocat", headers=auth("octocat"))
    assert graphql_secondary_as_rest.headers["retry-after"] == "1"


@pytest.mark.parametrize("shape", ["RATE_LIMITED", "RATE_LIMIT"])
def test_a_primary_fault_spends_the_budget_until_the_reset(
    http: httpx.Client, hub: FakeHub, shape: str
) -> None:
    hub.behaviours.configure(graphql_rate_limit_type=shape, primary_reset_seconds=30)
    hub.faults.inject("primary")
    for _ in range(2):  # the fault, then the spent budget
        refused = http.post("/graphql", json=VIEWER, headers=auth("octocat"))
        assert refused.status_code == 200 and refused.headers["x-ratelimit-remaining"] == "0"
        (error,) = refused.json()["errors"]
        assert error["type"] == shape and error["code"] == "graphql_rate_limit"
        assert abs(int(refused.headers["x-ratelimit-reset"]) - time.time() - 30) < 3
    rest = http.get("/users/octocat", headers=auth("octocat"))
    assert rest.status_code == 403 and rest.headers["x-ratelimit-remaining"] == "0"
    assert http.post("/graphql", json=VIEWER, headers=auth("big-diff")).status_code == 200


def test_periodic_faults_every_nth_request(http: httpx.Client, hub: FakeHub) -> None:
    hub.faults.configure(every={"secondary_429": 2, "abuse": 3})
    codes = [http.get("/users/octocat", headers=auth("octocat")).status_code for _ in range(6)]
    assert codes == [200, 429, 403, 429, 200, 429]


def test_resource_limits_fail_the_connections_past_the_limit_with_a_path(
    gql: GraphQL, hub: FakeHub, fakehub_data: DataSet
) -> None:
    pr = max(fakehub_data.prs_by("big-diff"), key=lambda p: p.changed_files)
    owner, name = pr.repo.split("/")
    hub.behaviours.configure(resource_limit_nodes=150)
    body = gql(FILES, o=owner, n=name, p=pr.number, first=100)
    assert len(body["data"]["r0"]["pullRequest"]["files"]["nodes"]) == 100  # kept
    assert body["data"]["r1"]["pullRequest"]["files"] is None
    (error,) = body["errors"]
    assert error["type"] == "RESOURCE_LIMITS_EXCEEDED"
    assert error["path"] == ["r1", "pullRequest", "files"]
    smaller = gql(FILES, o=owner, n=name, p=pr.number, first=50)
    assert "errors" not in smaller and hub.counters["resource_limits"] == 1


def test_big_queries_time_out_whole(gql: GraphQL, hub: FakeHub, fakehub_data: DataSet) -> None:
    pr = max(fakehub_data.prs_by("big-diff"), key=lambda p: p.changed_files)
    owner, name = pr.repo.split("/")
    hub.behaviours.configure(timeout_nodes=150)
    body = gql(FILES, o=owner, n=name, p=pr.number, first=100)
    assert body["data"] is None and "may be the result of a timeout" in body["errors"][0]["message"]
    assert "errors" not in gql(FILES, o=owner, n=name, p=pr.number, first=75)


def test_huge_pull_requests(gql: GraphQL, fakehub_data: DataSet) -> None:
    capped, too_large = _huge(fakehub_data)
    owner, name = capped.repo.split("/")
    files = gql(FILES, o=owner, n=name, p=capped.number, first=1)["data"]["r0"]["pullRequest"]
    assert files["changedFiles"] == 3500 and files["files"]["totalCount"] == 3000
    big = gql(FILES, o=owner, n=name, p=too_large.number, first=100)
    assert "errors" not in big  # no error: just no files
    node = big["data"]["r0"]["pullRequest"]
    assert node["files"] is None and node["changedFiles"] == 0
    assert node["additions"] == too_large.additions > 30_000


def test_short_search_pages(gql: GraphQL, hub: FakeHub) -> None:
    query = """query($q: String!) { search(query: $q, type: ISSUE, first: 100) {
      issueCount nodes { ... on PullRequest { number } } } }"""
    q = "is:pr author:octocat is:public"
    full = gql(query, q=q)["data"]["search"]
    hub.behaviours.configure(short_search_pages="once")
    first = gql(query, q=q)["data"]["search"]
    second = gql(query, q=q)["data"]["search"]
    assert first["issueCount"] == full["issueCount"] == len(full["nodes"])
    assert first["nodes"] == full["nodes"][:-1] and second == full
    hub.behaviours.configure(short_search_pages="always")
    assert gql(query, q=q)["data"]["search"]["nodes"] == full["nodes"][:-1]


def test_social_accounts_404_like_ghes_before_3_9(http: httpx.Client, hub: FakeHub) -> None:
    assert http.get("/users/Mixed-Case-Dev/social_accounts", headers=auth("octocat")).json()
    hub.behaviours.configure(social_accounts_404=True)
    gone = http.get("/users/Mixed-Case-Dev/social_accounts", headers=auth("octocat"))
    assert gone.status_code == 404
    assert http.get("/users/Mixed-Case-Dev", headers=auth("octocat")).status_code == 200


def test_in_flight_requests_are_counted_and_limited(hub: FakeHub) -> None:
    hub.faults.configure(latency_ms=500)  # the four requests overlap
    hub.behaviours.configure(max_in_flight=2)

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=hub.url, timeout=10) as client:
            calls = [client.get("/users/octocat", headers=auth("octocat")) for _ in range(4)]
            return sorted(r.status_code for r in await asyncio.gather(*calls))

    statuses = asyncio.run(burst())
    peak = hub.max_in_flight(hub.token("octocat"))
    assert peak >= 3 and statuses.count(403) >= 1 and statuses.count(200) >= 2
    assert hub.counters["secondary.concurrency"] == statuses.count(403)


def test_behaviours_over_http_and_reset(http: httpx.Client, hub: FakeHub) -> None:
    assert http.get("/_fakehub/behaviours").json() == Behaviours().settings()
    changed = http.post("/_fakehub/behaviours", json={"timeout_nodes": 500}).json()
    assert changed["timeout_nodes"] == 500 and hub.behaviours.timeout_nodes == 500
    for bad in ({"nope": 1}, {"timeout_nodes": -1}, {"short_search_pages": "sometimes"}):
        assert http.post("/_fakehub/behaviours", json=bad).status_code == 400
    assert http.post("/_fakehub/faults", json={"every": {"primary": 5}}).json()["every"] == {
        "primary": 5
    }
    assert http.post("/_fakehub/faults", json={"every": {"teapot": 5}}).status_code == 400
    http.get("/users/octocat", headers=auth("octocat"))
    assert http.get("/_fakehub/in_flight").json() == {"max_in_flight": {"octocat": 1}}
    http.post("/_fakehub/reset")
    assert hub.behaviours.timeout_nodes == 0 and hub.faults.every == {}
    assert http.get("/_fakehub/in_flight").json() == {"max_in_flight": {}}
