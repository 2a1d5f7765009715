"""What a token may read, in one GraphQL document and one REST request: GitHub's refusals
("Resource not accessible by …") named with GitHub's message, SAML refusals never mistaken for
missing permissions, and the document answered by the simulated GitHub."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from gitbrag.fakehub.data import token_for
from gitbrag.fakehub.server import FakeHub
from gitbrag.github.capabilities import Capabilities, probe_capabilities
from gitbrag.github.client import GitHubClient
from gitbrag.github.queries import TOKEN_CAPABILITIES
from tests.github.gates import BY_APP, BY_PAT, SAML_MESSAGE, Gate
from tests.github.test_client import make_client, run


def answer(
    *,
    contributions: bool = True,
    node: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    if node is None:
        node = {
            "files": {"nodes": [{"path": "a.py"}]},
            "repository": {"stargazers": {"edges": [{"starredAt": "2026-01-01T00:00:00Z"}]}},
        }
    collection = {"pullRequestReviewContributions": {"totalCount": 3}}
    data = {
        "rateLimit": None,
        "me": {"login": "server-bot"},
        "contributions": {"contributionsCollection": collection} if contributions else None,
        "search": {"issueCount": 10, "nodes": [node]},
    }
    return {"data": data, "errors": errors or []}


def forbidden(path: list[str | int], message: str) -> dict[str, Any]:
    return {"type": "FORBIDDEN", "path": path, "message": message}


class GitHub:
    def __init__(self, graphql: dict[str, Any], social: httpx.Response) -> None:
        self.graphql, self.social = graphql, social
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.url.path)
        if request.url.path == "/graphql":
            assert json.loads(request.content)["query"] == TOKEN_CAPABILITIES
            return httpx.Response(200, json=self.graphql)
        return self.social


OK_SOCIAL = httpx.Response(200, json=[])


def probe(github: GitHub) -> Capabilities:
    return run(probe_capabilities(make_client(github)))


def test_a_token_that_reads_everything() -> None:
    github = GitHub(answer(), OK_SOCIAL)
    found = probe(github)
    assert found == Capabilities("server-bot", {}, ())
    assert found.complete and found.describe() == "the token can read everything gitbrag asks for"
    assert github.seen == ["/graphql", "/users/server-bot/social_accounts"]


def test_a_fine_grained_token_without_stargazers() -> None:
    node = {"files": {"nodes": []}, "repository": None}
    path: list[str | int] = ["search", "nodes", 0, "repository", "stargazers"]
    found = probe(GitHub(answer(node=node, errors=[forbidden(path, BY_PAT)]), OK_SOCIAL))
    assert found.lacking == {"stargazers": BY_PAT} and found.unchecked == ()
    assert found.describe() == f"cannot read stargazers ({BY_PAT})"


def test_an_app_token_without_contributions_or_social_accounts() -> None:
    refused = [forbidden(["contributions", "contributionsCollection"], BY_APP)]
    social = httpx.Response(403, json={"message": BY_APP})
    found = probe(GitHub(answer(contributions=False, errors=refused), social))
    assert found.lacking == {"contributions": BY_APP, "social_accounts": BY_APP}
    assert found.unchecked == ()


def test_saml_is_not_a_missing_permission_but_leaves_the_rest_unchecked() -> None:
    hidden = [{"type": "FORBIDDEN", "path": ["search", "nodes", 0], "message": SAML_MESSAGE}]
    found = probe(GitHub(answer(node={}, errors=hidden), OK_SOCIAL))
    assert found.lacking == {}
    assert found.unchecked == ("files", "stargazers")
    assert found.describe() == "unchecked: files, stargazers"


def test_a_server_without_social_accounts_lacks_nothing() -> None:
    found = probe(GitHub(answer(), httpx.Response(404, json={"message": "Not Found"})))
    assert found.complete


def _probe_hub(hub: FakeHub, gate: Gate, token: str) -> tuple[Capabilities, int]:
    async def scenario() -> tuple[Capabilities, int]:
        async with httpx.AsyncClient(transport=gate, timeout=30) as http:
            client = GitHubClient(
                http, token=token, api_url=hub.api_url, graphql_url=hub.graphql_url
            )
            return await probe_capabilities(client), client.requests_made

    return asyncio.run(scenario())


def test_the_simulated_github_answers_the_probe(hub: FakeHub) -> None:
    found, requests = _probe_hub(hub, Gate(hub), token_for("octocat"))
    assert found == Capabilities("octocat", {}, ()) and requests == 2
    app = token_for("no-prs")
    found, _ = _probe_hub(hub, Gate(hub, contributions_refused=frozenset({app})), app)
    assert found == Capabilities("no-prs", {"contributions": BY_APP, "social_accounts": BY_APP})
    fine_grained = token_for("star-gazer")
    gate = Gate(hub, stargazers_refused=frozenset({fine_grained}))
    found, _ = _probe_hub(hub, gate, fine_grained)
    assert found == Capabilities("star-gazer", {"stargazers": BY_PAT})
