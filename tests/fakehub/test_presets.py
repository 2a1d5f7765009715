"""The behaviour presets: ``real_github`` (every github.com behaviour, round one's at
realistic levels) and ``old_enterprise`` (an older GitHub Enterprise Server)."""

from __future__ import annotations

import httpx

from gitbrag.fakehub import FakeHub
from gitbrag.fakehub.behaviours import Behaviours
from tests.fakehub.helpers import GraphQL, auth, bearer, post_graphql

OFF = Behaviours().settings()
REAL_GITHUB = {
    **OFF,
    "graphql_rate_limit_type": "RATE_LIMIT",
    "resource_limit_nodes": 10_000,
    "timeout_nodes": 20_000,
    "short_search_pages": "once",
    "max_in_flight": 100,
    "private_profiles": True,
    "sso_enforcement": True,
    "token_permissions": True,
}
OLD_ENTERPRISE = {
    **OFF,
    "legacy_schema": True,
    "rate_limiting_disabled": True,
    "social_accounts_404": True,
}


def test_every_round_two_switch_is_off_by_default() -> None:
    for name in ("private_profiles", "sso_enforcement", "token_permissions", "legacy_schema",
                 "rate_limiting_disabled", "social_accounts_404"):  # fmt: skip
        assert OFF[name] is False, name


def test_presets_start_from_everything_off(hub: FakeHub) -> None:
    hub.behaviours.configure(legacy_schema=True, timeout_nodes=5)
    hub.behaviours.configure(preset="real_github")
    assert hub.behaviours.settings() == REAL_GITHUB
    hub.behaviours.configure(preset="old_enterprise")
    assert hub.behaviours.settings() == OLD_ENTERPRISE
    hub.behaviours.configure(preset="real_github", max_in_flight=3)  # then the arguments
    assert hub.behaviours.settings() == {**REAL_GITHUB, "max_in_flight": 3}
    hub.behaviours.configure(short_search_pages="")  # without a preset: a change on top
    assert hub.behaviours.settings() == {
        **REAL_GITHUB,
        "max_in_flight": 3,
        "short_search_pages": "",
    }


def test_presets_over_http(hub: FakeHub, http: httpx.Client) -> None:
    assert http.post("/_fakehub/behaviours", json={"preset": "real_github"}).json() == REAL_GITHUB
    assert hub.behaviours.sso_enforcement and hub.behaviours.private_profiles
    for bad in ({"preset": "github_2008"}, {"private_profiles": "yes"}, {"preset": 3}):
        assert http.post("/_fakehub/behaviours", json=bad).status_code == 400
    assert http.get("/_fakehub/behaviours").json() == REAL_GITHUB
    http.post("/_fakehub/reset")
    assert http.get("/_fakehub/behaviours").json() == OFF


def test_real_github_shows_every_github_com_behaviour(
    hub: FakeHub, http: httpx.Client, gql: GraphQL
) -> None:
    hub.behaviours.configure(preset="real_github")
    search = "query($q: String!) { search(query: $q, type: ISSUE, first: 100) { issueCount } }"
    assert gql(search, q="author:hidden-hand")["data"]["search"]["issueCount"] == 0
    held = gql('{ repository(owner: "sso-corp", name: "sdk") { name } }')
    assert held["errors"][0]["type"] == "FORBIDDEN"
    app = hub.issue_token("no-prs", "app")
    nulled = post_graphql(
        http, "{ viewer { contributionsCollection { hasAnyRestrictedContributions } } }", app
    )
    assert nulled.json()["data"] is None  # viewer is non-null: the null reaches the root
    nodes = """query($q: String!) { search(query: $q, type: ISSUE, first: 100) {
      nodes { ... on PullRequest { number } } } }"""
    short = gql(nodes, q="is:pr author:big-diff")["data"]["search"]["nodes"]
    assert len(short) == 14  # the first page served is short once
    limited = http.post("/graphql", json={"query": "{ viewer { login } }"}, headers=auth("octocat"))
    assert limited.headers["x-ratelimit-resource"] == "graphql"  # limits stay on
    assert http.get("/users/octocat/social_accounts").status_code == 200  # github.com has it
    counters = hub.counters
    for evidence in ("private_profile.search", "saml.forbidden", "token_permissions.forbidden",
                     "short_search_page"):  # fmt: skip
        assert counters[evidence] > 0, evidence


def test_old_enterprise_shows_every_enterprise_behaviour(
    hub: FakeHub, http: httpx.Client, gql: GraphQL
) -> None:
    hub.behaviours.configure(preset="old_enterprise")
    legacy = gql("{ viewer { socialAccounts(first: 1) { totalCount } } }")
    assert legacy["errors"][0]["extensions"]["code"] == "undefinedField" and "data" not in legacy
    answer = http.get("/users/octocat/social_accounts", headers=auth("octocat"))
    assert answer.status_code == 404 and "x-ratelimit-limit" not in answer.headers
    assert http.get("/rate_limit", headers=auth("octocat")).status_code == 404
    # github.com's behaviours are off: the SSO organisation and private profiles read freely.
    assert "errors" not in gql('{ repository(owner: "sso-corp", name: "sdk") { name } }')
    app = hub.issue_token("octocat", "app")
    assert http.get("/users/octocat/social_accounts", headers=bearer(app)).status_code == 404
    assert hub.counters["legacy_schema.undefined_field"] == 1
    assert hub.counters["social_accounts_404"] == 2
    assert hub.counters["rate_limiting_disabled.not_enabled"] == 1
