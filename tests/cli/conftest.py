"""``gitbrag report`` against the simulated GitHub over loopback: the environment it reads."""

from __future__ import annotations

import pytest

from gitbrag.fakehub.server import FakeHub


@pytest.fixture
def cli_env(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    """The CLI pointed at the simulated GitHub, with no token of its own in the environment."""
    monkeypatch.setenv("GITBRAG_GITHUB_API_URL", hub.api_url)
    monkeypatch.setenv("GITBRAG_GITHUB_GRAPHQL_URL", hub.graphql_url)
    monkeypatch.delenv("GITBRAG_GITHUB_TOKEN", raising=False)
    return hub
