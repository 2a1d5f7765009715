"""``GitHubClient.viewer()``: who a token belongs to, login and immutable account id, as
``GET /user`` answers (docs "Get the authenticated user"), over ``httpx.MockTransport`` and the
simulated GitHub."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from gitbrag.errors import GitHubError, Unauthorized
from gitbrag.fakehub import FakeHub
from gitbrag.github.client import GitHubClient, TokenOwner


def _client(handler: httpx.MockTransport | None = None, **kw: object) -> GitHubClient:
    http = httpx.AsyncClient(transport=handler)
    return GitHubClient(
        http,
        token="s3cret-token",
        api_url="https://api.test",
        graphql_url="https://api.test/graphql",
        **kw,  # type: ignore[arg-type]
    )


def _answering(status: int, body: object) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/user"
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handler)


def test_viewer_is_the_login_and_the_account_id() -> None:
    # The shape of GitHub's answer (trimmed): login as GitHub spells it, numeric id.
    body = {"login": "Octo_Acme", "id": 583231, "node_id": "MDQ6VXNlcjU4MzIzMQ==", "type": "User"}
    client = _client(_answering(200, body))
    assert asyncio.run(client.viewer()) == TokenOwner(login="Octo_Acme", id=583231)
    assert asyncio.run(_client(_answering(200, body)).viewer_login()) == "Octo_Acme"


@pytest.mark.parametrize(
    "body",
    [{"login": "octocat"}, {"login": "octocat", "id": "583231"}, {"login": "x", "id": True}, []],
)
def test_an_answer_without_an_account_id_is_an_error(body: object) -> None:
    with pytest.raises(GitHubError):
        asyncio.run(_client(_answering(200, body)).viewer())


def test_a_rejected_token_is_unauthorized() -> None:
    client = _client(_answering(401, {"message": "Bad credentials"}))
    with pytest.raises(Unauthorized):
        asyncio.run(client.viewer())


def test_viewer_against_the_simulated_github(hub: FakeHub) -> None:
    expected = hub.data.user("Mixed-Case-Dev")
    assert expected is not None

    async def ask() -> TokenOwner:
        async with httpx.AsyncClient() as http:
            client = GitHubClient(
                http,
                token=hub.token("Mixed-Case-Dev"),
                api_url=hub.api_url,
                graphql_url=hub.graphql_url,
            )
            return await client.viewer()

    assert asyncio.run(ask()) == TokenOwner(login="Mixed-Case-Dev", id=expected.id)
