"""SAML SSO enforcement (``Behaviours.sso_enforcement``): members' tokens without an SSO
session cannot read what ``sso-corp`` owns, on every path; everyone else reads as usual."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from gitbrag.fakehub import DataSet, FakeHub
from tests.fakehub.helpers import CONTRIBUTIONS, GraphQL, auth

SAML = (
    "Resource protected by organization SAML enforcement. You must grant your OAuth token "
    "access to this organization."
)
REQUIRED = re.compile(
    r"^required; url=https://github\.com/orgs/sso-corp/sso\?authorization_request=[A-Z2-7]{20,}$"
)
SEARCH = """query($q: String!) { search(query: $q, type: ISSUE, first: 100) {
  issueCount
  nodes { ... on PullRequest { number repository { nameWithOwner } }
          ... on Issue { number repository { nameWithOwner } } }
} }"""
REPOSITORIES = """{
  held: repository(owner: "sso-corp", name: "portal") {
    nameWithOwner stargazerCount stargazers(first: 5) { totalCount } }
  open: repository(owner: "octocat", name: "Hello-World") { nameWithOwner }
}"""


def _graphql(http: httpx.Client, query: str, login: str, **variables: Any) -> httpx.Response:
    response = http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=auth(login)
    )
    assert response.status_code == 200
    return response


def _held(data: DataSet, login: str, kind: str) -> list[Any]:
    items = data.prs_by(login) if kind == "pr" else data.issues_by(login)
    return [i for i in items if i.repo.startswith("sso-corp/")]


@pytest.fixture
def enforced(hub: FakeHub) -> FakeHub:
    hub.behaviours.configure(sso_enforcement=True)
    return hub


def test_switch_off_members_read_the_organisation(http: httpx.Client, gql: GraphQL) -> None:
    response = _graphql(http, REPOSITORIES, "octocat")
    assert "errors" not in response.json() and "x-github-sso" not in response.headers
    assert http.get("/repos/sso-corp/portal", headers=auth("octocat")).status_code == 200
    nodes = gql(SEARCH, q="is:pr author:octocat")["data"]["search"]["nodes"]
    assert any(n["repository"]["nameWithOwner"].startswith("sso-corp/") for n in nodes)


@pytest.mark.parametrize("kind", ["pr", "issue"])
def test_search_nodes_of_the_organisation_are_null_and_still_counted(
    enforced: FakeHub, http: httpx.Client, fakehub_data: DataSet, kind: str
) -> None:
    q = f"is:{kind} author:octocat is:public"
    free = _graphql(http, SEARCH, "big-diff", q=q).json()  # not a member: reads everything
    assert "errors" not in free
    expected = free["data"]["search"]["nodes"]
    held = [
        i
        for i, n in enumerate(expected)
        if n["repository"]["nameWithOwner"].startswith("sso-corp/")
    ]
    assert len(held) == len(_held(fakehub_data, "octocat", kind)) > 0
    response = _graphql(http, SEARCH, "octocat", q=q)
    body = response.json()
    assert REQUIRED.match(response.headers["x-github-sso"])
    search = body["data"]["search"]
    assert search["issueCount"] == free["data"]["search"]["issueCount"]  # still counted
    assert search["nodes"] == [None if i in held else n for i, n in enumerate(expected)]
    assert [e["path"] for e in body["errors"]] == [["search", "nodes", i] for i in held]
    for number, error in enumerate(body["errors"]):
        assert error["type"] == "FORBIDDEN" and error["message"] == SAML
        assert error["locations"] and "data" not in error
        if number % 2 == 0:
            assert error["extensions"] == {"saml_failure": True}
        else:  # every second one comes without extensions (Homebrew/brew#18778)
            assert "extensions" not in error
    assert enforced.counters["saml.forbidden"] == len(held)


def test_every_path_to_the_organisation_is_refused_alike(
    enforced: FakeHub, http: httpx.Client, fakehub_data: DataSet
) -> None:
    response = _graphql(http, REPOSITORIES, "Mixed-Case-Dev")
    body = response.json()
    assert body["data"] == {"held": None, "open": {"nameWithOwner": "octocat/Hello-World"}}
    (error,) = body["errors"]
    assert error["path"] == ["held"] and error["type"] == "FORBIDDEN"
    assert error["extensions"] == {"saml_failure": True}
    assert REQUIRED.match(response.headers["x-github-sso"])
    pr = _held(fakehub_data, "Mixed-Case-Dev", "pr")[0]
    owner, name = pr.repo.split("/")
    files = _graphql(
        http,
        """query($o: String!, $n: String!, $p: Int!) { repository(owner: $o, name: $n) {
          pullRequest(number: $p) { files(first: 10) { totalCount } } } }""",
        "octocat",
        o=owner,
        n=name,
        p=pr.number,
    ).json()
    assert files["data"] == {"repository": None} and files["errors"][0]["path"] == ["repository"]
    reviewed = _graphql(http, CONTRIBUTIONS, "octocat", user="octocat", first=100).json()
    nodes = reviewed["data"]["user"]["contributionsCollection"]["pullRequestReviewContributions"]
    assert nodes["nodes"].count(None) == 1  # its review in sso-corp, nulled
    (error,) = reviewed["errors"]
    where = nodes["nodes"].index(None)
    assert error["path"][:-1] == [
        "user",
        "contributionsCollection",
        "pullRequestReviewContributions",
        "nodes",
        where,
    ]
    assert error["path"][-1] in ("pullRequestReview", "pullRequest", "repository")
    assert error["message"] == SAML
    seen_by_outsider = _graphql(http, CONTRIBUTIONS, "big-diff", user="octocat", first=100).json()
    assert "errors" not in seen_by_outsider


def test_an_sso_session_lifts_the_refusal(enforced: FakeHub, http: httpx.Client) -> None:
    enforced.grant_sso("octocat", "sso-corp")
    response = _graphql(http, REPOSITORIES, "octocat")
    assert "errors" not in response.json() and "x-github-sso" not in response.headers
    assert http.get("/repos/sso-corp/portal", headers=auth("octocat")).status_code == 200
    still = _graphql(http, REPOSITORIES, "Mixed-Case-Dev")  # a session is per account
    assert still.json()["data"]["held"] is None
    granted = http.post("/_fakehub/sso", json={"login": "mixed-case-dev", "org": "SSO-CORP"})
    assert granted.json() == {"ok": True}
    assert "errors" not in _graphql(http, REPOSITORIES, "Mixed-Case-Dev").json()
    for bad in ({"login": "octocat"}, {"login": "octocat", "org": "octocat"}, {"org": "sso-corp"}):
        assert http.post("/_fakehub/sso", json=bad).status_code == 400
    enforced.reset()  # sessions end with a reset
    enforced.behaviours.configure(sso_enforcement=True)
    assert _graphql(http, REPOSITORIES, "octocat").json()["data"]["held"] is None


def test_rest_refuses_the_repository_and_search_leaves_the_organisation_out(
    enforced: FakeHub, http: httpx.Client, fakehub_data: DataSet
) -> None:
    refused = http.get("/repos/sso-corp/portal", headers=auth("octocat"))
    assert refused.status_code == 403
    assert refused.json() == {
        "message": SAML,
        "documentation_url": "https://docs.github.com/articles/authenticating-to-a-github-"
        "organization-with-saml-single-sign-on/",
        "status": "403",
    }
    assert REQUIRED.match(refused.headers["x-github-sso"])
    assert http.get("/repos/sso-corp/portal", headers=auth("big-diff")).status_code == 200
    assert http.get("/repos/sso-corp/portal").status_code == 200  # anonymous: public
    q = {"q": "is:pr author:octocat is:public", "per_page": 100}
    outsider = http.get("/search/issues", params=q, headers=auth("big-diff"))
    member = http.get("/search/issues", params=q, headers=auth("octocat"))
    assert "x-github-sso" not in outsider.headers
    org_id = fakehub_data.users["sso-corp"].id
    assert member.headers["x-github-sso"] == f"partial-results; organizations={org_id}"
    held = len(_held(fakehub_data, "octocat", "pr"))
    assert member.json()["total_count"] == outsider.json()["total_count"] - held
    assert not any("sso-corp/" in i["html_url"] for i in member.json()["items"])
    assert enforced.counters["saml.forbidden"] == 1
    assert enforced.counters["saml.partial_results"] == 1
