"""REST endpoints: GitHub's shapes, headers, 401/404 bodies and the anonymous budget."""

from __future__ import annotations

import httpx

from gitbrag.fakehub import FakeHub
from tests.fakehub.helpers import auth

RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used",
                "x-ratelimit-reset", "x-ratelimit-resource")  # fmt: skip


def test_user_profile_like_github(http: httpx.Client, hub: FakeHub) -> None:
    response = http.get("/users/MIXED-case-dev", headers=auth("octocat"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert all(name in response.headers for name in RATE_HEADERS)
    assert response.headers["x-ratelimit-resource"] == "core"
    body = response.json()
    assert body["login"] == "Mixed-Case-Dev" and body["type"] == "User"
    assert body["html_url"] == "https://github.com/Mixed-Case-Dev"
    assert body["avatar_url"] == f"{hub.url}/avatars/Mixed-Case-Dev.svg"
    assert body["blog"] == "mixedcase.dev" and body["twitter_username"] == "MixedCaseDev"
    assert body["created_at"].endswith("Z") and isinstance(body["id"], int)
    assert http.get("/users/no-prs").json()["blog"] == ""  # GitHub's empty blog
    accounts = http.get("/users/mixed-case-dev/social_accounts").json()
    assert accounts[0] == {"provider": "twitter", "url": "https://twitter.com/MixedCaseDev"}
    assert len(accounts) == 4
    assert hub.counters["GET /users/{login}"] == 2 and hub.request_count() == 3


def test_unknown_user_and_hidden_repository_are_404(http: httpx.Client) -> None:
    missing = http.get("/users/nobody-here-at-all", headers=auth("octocat"))
    assert missing.status_code == 404 and missing.json()["message"] == "Not Found"
    assert http.get("/users/nobody-here-at-all/social_accounts").status_code == 404
    assert http.get("/repos/private-eye/secret-lab", headers=auth("octocat")).status_code == 404
    mine = http.get("/repos/private-eye/secret-lab", headers=auth("private-eye")).json()
    assert mine["private"] is True and mine["full_name"] == "private-eye/secret-lab"
    public = http.get("/repos/STAR-GAZER/star-gazer-repo").json()
    assert public["stargazers_count"] == 1700 and public["owner"]["login"] == "star-gazer"


def test_authenticated_user_and_bad_credentials(http: httpx.Client, hub: FakeHub) -> None:
    assert http.get("/user", headers=auth("big-diff")).json()["login"] == "big-diff"
    anonymous = http.get("/user")
    assert anonymous.status_code == 401 and anonymous.json()["message"] == "Requires authentication"
    bad = http.get("/user", headers={"Authorization": "token gho_nope"})
    assert bad.status_code == 401
    assert bad.json()["message"] == "Bad credentials" and "documentation_url" in bad.json()
    hub.revoke(hub.token("big-diff"))
    assert http.get("/users/octocat", headers=auth("big-diff")).status_code == 401


def test_anonymous_budget_is_60_and_rate_limit_endpoint_is_free(http: httpx.Client) -> None:
    first = http.get("/users/octocat")
    assert first.headers["x-ratelimit-limit"] == "60"
    assert first.headers["x-ratelimit-remaining"] == "59"
    limits = http.get("/rate_limit").json()
    assert limits["resources"]["core"]["remaining"] == 59 and limits["rate"]["limit"] == 60
    for _ in range(59):
        assert http.get("/users/octocat").status_code == 200
    refused = http.get("/users/octocat")
    assert refused.status_code == 403 and refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.json()["message"].startswith("API rate limit exceeded for 127.0.0.1.")
    mine = http.get("/rate_limit", headers=auth("octocat")).json()["resources"]
    assert mine["core"]["limit"] == mine["graphql"]["limit"] == 5000


def test_root_lists_endpoints_and_is_not_an_api_request(http: httpx.Client, hub: FakeHub) -> None:
    body = http.get("/").json()
    assert body["graphql_url"] == f"{hub.url}/graphql"
    assert body["current_user_url"] == f"{hub.url}/user"
    assert hub.request_count() == 0


def test_requests_without_user_agent_are_forbidden_like_on_github(hub: FakeHub) -> None:
    with httpx.Client(base_url=hub.url, headers={"User-Agent": ""}) as bare:
        refused = bare.get("/users/octocat")
        assert refused.status_code == 403 and "User-Agent" in refused.text
        assert bare.get("/users/octocat", headers={"User-Agent": "gitbrag"}).status_code == 200
