"""Talking to the simulated GitHub over loopback, as any client would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from gitbrag.fakehub import CLIENT_ID, CLIENT_SECRET, token_for

GraphQL = Callable[..., dict[str, Any]]


def auth(login: str) -> dict[str, str]:
    return {"Authorization": f"bearer {token_for(login)}"}


SEARCH = """
query($q: String!, $first: Int!, $after: String) {
  search(query: $q, type: ISSUE, first: $first, after: $after) {
    issueCount
    pageInfo { hasNextPage endCursor }
    nodes { ... on PullRequest { number createdAt state repository { nameWithOwner isPrivate } } }
  }
}
"""


def search_all(gql: GraphQL, q: str, login: str = "octocat") -> tuple[int, list[dict[str, Any]]]:
    """Page through a search: ``(issueCount, every node returned)``."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        body = gql(SEARCH, login, q=q, first=100, after=after)
        assert "errors" not in body, body
        result = body["data"]["search"]
        nodes += result["nodes"]
        if not result["pageInfo"]["hasNextPage"]:
            return result["issueCount"], nodes
        after = result["pageInfo"]["endCursor"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"bearer {token}"}


def post_graphql(http: httpx.Client, query: str, token: str, **variables: Any) -> httpx.Response:
    """A GraphQL request with any token (``gql`` uses the data set's token of a login)."""
    return http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=bearer(token)
    )


CONTRIBUTIONS = """
query($user: String!, $from: DateTime, $to: DateTime, $first: Int!, $after: String) {
  user(login: $user) {
    contributionsCollection(from: $from, to: $to) {
      startedAt endedAt restrictedContributionsCount hasAnyRestrictedContributions
      pullRequestReviewContributions(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes {
          occurredAt isRestricted
          pullRequestReview { id state submittedAt }
          pullRequest { number author { login } repository { nameWithOwner isPrivate } }
        }
      }
    }
  }
}
"""

# GitHub's 422 when REST search refuses a login (a private profile, or no such user).
CANNOT_SEARCH = {
    "message": "Validation Failed",
    "errors": [
        {
            "message": "The listed users cannot be searched either because the users do not "
            "exist or you do not have permission to view the users.",
            "resource": "Search",
            "field": "q",
            "code": "invalid",
        }
    ],
    "documentation_url": "https://docs.github.com/v3/search/",
    "status": "422",
}

CALLBACK = "http://127.0.0.1:9/auth/callback"


def authorize(http: httpx.Client, login: str, state: str = "s-123") -> dict[str, list[str]]:
    """Follow the consent page as a browser would: GET the page, POST the chosen form."""
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": CALLBACK,
        "state": state,
        "scope": "read:user",
    }
    page = http.get("/login/oauth/authorize", params=params)
    assert page.status_code == 200 and "Sign in to the simulated GitHub" in page.text
    assert f"Authorize as {login}</button>" in page.text
    assert '<form method="post" action="/login/oauth/authorize">' in page.text
    assert f'<input type="hidden" name="state" value="{state}">' in page.text
    approved = http.post("/login/oauth/authorize", data={**params, "login": login})
    assert approved.status_code == 302
    location = approved.headers["location"]
    assert location.startswith(CALLBACK + "?")
    return parse_qs(urlsplit(location).query)


def exchange(http: httpx.Client, code: str, secret: str = CLIENT_SECRET) -> dict[str, str]:
    response = http.post(
        "/login/oauth/access_token",
        data={
            "client_id": CLIENT_ID,
            "client_secret": secret,
            "code": code,
            "redirect_uri": CALLBACK,
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    body: dict[str, str] = response.json()
    return body
