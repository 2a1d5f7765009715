"""Older GitHub Enterprise Server: a schema without ``Issue.stateReason`` and
``User.socialAccounts`` (``Behaviours.legacy_schema``), and API rate limiting turned off
(``Behaviours.rate_limiting_disabled``); GitHub's ``undefinedField`` answer to any field a
schema lacks."""

from __future__ import annotations

import httpx

from gitbrag.fakehub import FakeHub
from tests.fakehub.helpers import GraphQL, auth

ISSUES = """query Issues($q: String!) {
  search(query: $q, type: ISSUE, first: 5) {
    issueCount nodes { ... on Issue { number stateReason } } }
}"""
FRAGMENT = """query Issues($q: String!) {
  search(query: $q, type: ISSUE, first: 5) { nodes { ...Why } }
}
fragment Why on Issue { number why: stateReason }"""
SOCIAL = '{ user(login: "Mixed-Case-Dev") { login socialAccounts(first: 5) { totalCount } } }'
PLAIN = """query Issues($q: String!) {
  search(query: $q, type: ISSUE, first: 5) { issueCount nodes { ... on Issue { number state } } }
}"""
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used",
                "x-ratelimit-reset", "x-ratelimit-resource")  # fmt: skip


def _at(query: str, needle: str) -> dict[str, int]:
    """Where ``needle`` first appears in ``query`` (1-based line and column)."""
    before = query[: query.index(needle)]
    return {"line": before.count("\n") + 1, "column": len(before) - before.rfind("\n")}


def _undefined(
    type_name: str, field: str, location: dict[str, int], path: list[str]
) -> dict[str, object]:
    return {
        "message": f"Field '{field}' doesn't exist on type '{type_name}'",
        "locations": [location],
        "path": path,
        "extensions": {"code": "undefinedField", "typeName": type_name, "fieldName": field},
    }


def test_a_field_github_lacks_fails_the_document_whole_in_githubs_shape(
    gql: GraphQL, hub: FakeHub
) -> None:
    query = "query Me { viewer { login starsGiven } }"
    path = ["query Me", "viewer", "starsGiven"]
    body = gql(query)
    assert body == {"errors": [_undefined("User", "starsGiven", _at(query, "starsGiven"), path)]}
    assert hub.counters["viewer"] == 0 and hub.counters["legacy_schema.undefined_field"] == 0


def test_switch_off_the_newer_fields_are_there(gql: GraphQL) -> None:
    issues = gql(ISSUES, q="is:issue author:octocat is:closed")
    assert "errors" not in issues and issues["data"]["search"]["nodes"]
    assert gql(SOCIAL)["data"]["user"]["socialAccounts"]["totalCount"] == 4


def test_legacy_schema_lacks_state_reason_and_social_accounts(
    hub: FakeHub, http: httpx.Client, gql: GraphQL
) -> None:
    hub.behaviours.configure(legacy_schema=True)
    response = http.post(
        "/graphql",
        json={"query": ISSUES, "variables": {"q": "is:issue author:octocat"}},
        headers=auth("octocat"),
    )
    assert response.status_code == 200
    path = ["query Issues", "search", "nodes", "... on Issue", "stateReason"]
    assert response.json() == {
        "errors": [_undefined("Issue", "stateReason", _at(ISSUES, "stateReason"), path)]
    }
    fragment = gql(FRAGMENT, q="is:issue author:octocat")
    assert fragment == {
        "errors": [
            _undefined("Issue", "stateReason", _at(FRAGMENT, "why:"), ["fragment Why", "why"])
        ]
    }
    social = gql(SOCIAL)
    assert social == {
        "errors": [
            _undefined(
                "User",
                "socialAccounts",
                _at(SOCIAL, "socialAccounts"),
                ["query", "user", "socialAccounts"],
            )
        ]
    }
    assert hub.counters["legacy_schema.undefined_field"] == 3
    assert hub.counters["search"] == hub.counters["user"] == 0  # nothing was executed
    plain = gql(PLAIN, q="is:issue author:octocat is:closed")
    assert "errors" not in plain and plain["data"]["search"]["issueCount"] > 0
    # The REST endpoint is ``social_accounts_404``'s business, not the schema's.
    assert http.get("/users/Mixed-Case-Dev/social_accounts").status_code == 200


def test_rate_limiting_disabled_sends_no_headers_and_never_limits(
    hub: FakeHub, http: httpx.Client
) -> None:
    hub.behaviours.configure(rate_limiting_disabled=True)
    hub.set_budget(hub.token("octocat"), remaining=0, reset_in=3600)
    hub.faults.inject("primary")  # no budget to spend: a normal answer
    rest = http.get("/users/octocat", headers=auth("octocat"))
    assert rest.status_code == 200 and not any(h in rest.headers for h in RATE_HEADERS)
    graphql = http.post(
        "/graphql",
        json={"query": "{ viewer { login } rateLimit { limit remaining resetAt } }"},
        headers=auth("octocat"),
    )
    assert graphql.json() == {"data": {"viewer": {"login": "octocat"}, "rateLimit": None}}
    assert not any(h in graphql.headers for h in RATE_HEADERS)
    limits = http.get("/rate_limit", headers=auth("octocat"))
    assert limits.status_code == 404
    assert limits.json() == {
        "message": "Rate limiting is not enabled.",
        "documentation_url": "https://docs.github.com/enterprise-server@latest/rest",
    }
    for _ in range(70):  # past the anonymous 60 and search's 30
        anonymous = http.get("/search/issues", params={"q": "author:no-prs"})
        assert anonymous.status_code == 200 and "x-ratelimit-limit" not in anonymous.headers
    refused = http.get("/user", headers={"Authorization": "token gho_nope"})
    assert refused.status_code == 401 and "x-ratelimit-limit" not in refused.headers
    assert hub.counters["rate_limiting_disabled.not_enabled"] == 2
    assert hub.counters["rate_limited"] == 0 and hub.counters["fault.primary"] == 0
    hub.behaviours.configure(rate_limiting_disabled=False)
    back = http.get("/users/octocat", headers=auth("octocat"))
    assert back.status_code == 403 and back.headers["x-ratelimit-remaining"] == "0"
