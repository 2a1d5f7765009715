"""Helpers for talking to the simulated GitHub over loopback, as any client would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gitbrag.fakehub import FakeHub
from tests.fakehub.helpers import GraphQL, auth


@pytest.fixture
def http(hub: FakeHub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hub.url, timeout=10) as client:
        yield client


@pytest.fixture
def gql(http: httpx.Client) -> GraphQL:
    """``gql(query, login="octocat", **variables)`` -> the JSON body (asserts HTTP 200)."""

    def run(query: str, login: str = "octocat", **variables: Any) -> dict[str, Any]:
        response = http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=auth(login)
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return run
