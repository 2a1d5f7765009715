"""Talking to the simulated GitHub over loopback, as any client would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from gitbrag.fakehub import token_for

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
