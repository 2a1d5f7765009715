"""Token kinds (``gitbrag.fakehub.tokens``) and what ``Behaviours.token_permissions`` refuses
fine-grained and GitHub App tokens."""

from __future__ import annotations

import httpx
import pytest

from gitbrag.fakehub import FakeHub
from tests.fakehub.helpers import bearer, post_graphql

CONTRIBUTIONS = """{
  user(login: "Mixed-Case-Dev") { login contributionsCollection { restrictedContributionsCount } }
  viewer { login }
}"""
STARS = """{
  repository(owner: "star-gazer", name: "star-gazer-repo") {
    nameWithOwner stargazers(first: 1) { totalCount } }
  other: repository(owner: "octocat", name: "Hello-World") { nameWithOwner }
}"""


@pytest.mark.parametrize(
    ("kind", "prefix"), [("oauth", "gho_"), ("fine_grained", "github_pat_"), ("app", "ghs_")]
)
def test_tokens_of_every_kind_belong_to_the_account(
    hub: FakeHub, http: httpx.Client, kind: str, prefix: str
) -> None:
    token = hub.issue_token("Mixed-Case-Dev", kind)  # type: ignore[arg-type]
    assert token.startswith(prefix)
    assert http.get("/user", headers=bearer(token)).json()["login"] == "Mixed-Case-Dev"
    over_http = http.post("/_fakehub/tokens", json={"login": "mixed-case-dev", "kind": kind})
    body = over_http.json()
    assert body["kind"] == kind and body["login"] == "Mixed-Case-Dev"
    assert body["token"].startswith(prefix) and body["token"] != token
    for answer in (post_graphql(http, CONTRIBUTIONS, token), post_graphql(http, STARS, token)):
        assert "errors" not in answer.json()  # switch off: every kind reads everything
    assert http.get("/users/octocat/social_accounts", headers=bearer(token)).status_code == 200


def test_app_tokens_cannot_read_contributions_or_social_accounts(
    hub: FakeHub, http: httpx.Client
) -> None:
    hub.behaviours.configure(token_permissions=True)
    app = hub.issue_token("octocat", "app")
    body = post_graphql(http, CONTRIBUTIONS, app).json()
    assert body["data"] == {"user": None, "viewer": {"login": "octocat"}}  # the parent nulled
    assert body["errors"] == [
        {
            "type": "FORBIDDEN",
            "message": "Resource not accessible by integration",
            "locations": [
                {"line": 2, "column": CONTRIBUTIONS.splitlines()[1].index("contrib") + 1}
            ],
            "path": ["user", "contributionsCollection"],
            "extensions": {"saml_failure": False},
        }
    ]
    assert "errors" not in post_graphql(http, STARS, app).json()
    refused = http.get("/users/octocat/social_accounts", headers=bearer(app))
    assert refused.status_code == 403
    assert refused.json() == {
        "message": "Resource not accessible by integration",
        "documentation_url": "https://docs.github.com/rest/users/social-accounts"
        "#list-social-accounts-for-a-user",
        "status": "403",
    }
    assert http.get("/users/octocat", headers=bearer(app)).status_code == 200
    oauth = hub.issue_token("octocat")
    assert "errors" not in post_graphql(http, CONTRIBUTIONS, oauth).json()
    assert hub.counters["token_permissions.forbidden"] == 2


def test_fine_grained_tokens_cannot_read_stargazers(hub: FakeHub, http: httpx.Client) -> None:
    hub.behaviours.configure(token_permissions=True)
    pat = hub.issue_token("octocat", "fine_grained")
    body = post_graphql(http, STARS, pat).json()
    assert body["data"] == {"repository": None, "other": {"nameWithOwner": "octocat/Hello-World"}}
    (error,) = body["errors"]
    assert error["type"] == "FORBIDDEN" and error["path"] == ["repository", "stargazers"]
    assert error["message"] == "Resource not accessible by personal access token"
    assert error["extensions"] == {"saml_failure": False}
    assert "errors" not in post_graphql(http, CONTRIBUTIONS, pat).json()
    assert http.get("/users/octocat/social_accounts", headers=bearer(pat)).status_code == 200
    assert hub.counters["token_permissions.forbidden"] == 1
