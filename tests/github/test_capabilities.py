"""What a token may read, in two GraphQL documents and one REST request: GitHub's refusals
("Resource not accessible by …") named with GitHub's message, in the shapes GraphQL's null
propagation gives them (a refused non-null field nulls its parent up to the nearest nullable
object), SAML refusals never mistaken for missing permissions, and the documents answered by
the simulated GitHub."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from gitbrag.fakehub.data import token_for
from gitbrag.fakehub.server import FakeHub
from gitbrag.github.capabilities import Capabilities, probe_capabilities
from gitbrag.github.client import GitHubClient
from gitbrag.github.queries import TOKEN_CAPABILITIES, TOKEN_CONTRIBUTIONS
from tests.github.helpers import make_client, run

# GitHub's own words (docs "Permissions required for fine-grained personal access tokens" and
# "... for GitHub Apps"; docs "Authenticating to the REST API" for SAML SSO).
BY_PAT = "Resource not accessible by personal access token"
BY_APP = "Resource not accessible by integration"
SAML_MESSAGE = (
    "Resource protected by organization SAML enforcement. You must grant your OAuth token "
    "access to this organization."
)
FILES_NODE: dict[str, Any] = {"files": {"nodes": [{"path": "a.py"}]}}
STARS_NODE: dict[str, Any] = {
    "repository": {"stargazers": {"edges": [{"starredAt": "2026-01-01T00:00:00Z"}]}}
}


def answer(
    *,
    node: dict[str, Any] | None = FILES_NODE,
    stars: dict[str, Any] | None = STARS_NODE,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``TOKEN_CAPABILITIES`` answered: ``node``/``stars`` the first search node of each
    search (``None``: nulled)."""
    data = {
        "rateLimit": None,
        "me": {"login": "server-bot"},
        "search": {"issueCount": 10, "nodes": [node]},
        "stars": {"nodes": [stars]},
    }
    return {"data": data, "errors": errors or []}


def contributions(*, refused: str | None = None) -> dict[str, Any]:
    """``TOKEN_CONTRIBUTIONS`` answered, or refused ``refused`` (which nulls ``user``)."""
    if refused is not None:
        error = forbidden(["contributions", "contributionsCollection"], refused)
        return {"data": {"rateLimit": None, "contributions": None}, "errors": [error]}
    collection = {"pullRequestReviewContributions": {"totalCount": 3}}
    return {"data": {"rateLimit": None, "contributions": {"contributionsCollection": collection}}}


def forbidden(path: list[str | int], message: str) -> dict[str, Any]:
    return {"type": "FORBIDDEN", "path": path, "message": message}


class GitHub:
    def __init__(
        self,
        graphql: dict[str, Any],
        social: httpx.Response,
        contributed: dict[str, Any] | None = None,
    ) -> None:
        self.graphql, self.social = graphql, social
        self.contributed = contributed or contributions()
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/graphql":
            self.seen.append(request.url.path)
            return self.social
        body = json.loads(request.content)
        if body["query"] == TOKEN_CONTRIBUTIONS:
            self.seen.append(f"/graphql contributions of {body['variables']['login']}")
            return httpx.Response(200, json=self.contributed)
        assert body["query"] == TOKEN_CAPABILITIES
        self.seen.append("/graphql")
        return httpx.Response(200, json=self.graphql)


OK_SOCIAL = httpx.Response(200, json=[])


def probe(github: GitHub) -> Capabilities:
    return run(probe_capabilities(make_client(github)))


def test_a_token_that_reads_everything() -> None:
    github = GitHub(answer(), OK_SOCIAL)
    found = probe(github)
    assert found == Capabilities("server-bot", {}, ())
    assert found.complete and found.describe() == "the token can read everything gitbrag asks for"
    assert github.seen == [
        "/graphql",
        "/graphql contributions of server-bot",
        "/users/server-bot/social_accounts",
    ]


def test_a_fine_grained_token_without_stargazers() -> None:
    """``PullRequest.repository`` is non-null: the refused stargazers null the whole node of
    the stars search, and the files, read in the other search, are still checked."""
    path: list[str | int] = ["stars", "nodes", 0, "repository", "stargazers"]
    found = probe(GitHub(answer(stars=None, errors=[forbidden(path, BY_PAT)]), OK_SOCIAL))
    assert found.lacking == {"stargazers": BY_PAT} and found.unchecked == ()
    assert found.describe() == f"cannot read stargazers ({BY_PAT})"


def test_an_app_token_without_contributions_or_social_accounts() -> None:
    social = httpx.Response(403, json={"message": BY_APP})
    github = GitHub(answer(), social, contributions(refused=BY_APP))
    found = probe(github)
    assert found.lacking == {"contributions": BY_APP, "social_accounts": BY_APP}
    assert found.unchecked == ()
    assert found.describe() == (
        f"cannot read contributions ({BY_APP}); cannot read social_accounts ({BY_APP})"
    )


def test_saml_is_not_a_missing_permission_but_leaves_the_rest_unchecked() -> None:
    hidden = [
        {"type": "FORBIDDEN", "path": ["search", "nodes", 0], "message": SAML_MESSAGE},
        {"type": "FORBIDDEN", "path": ["stars", "nodes", 0], "message": SAML_MESSAGE},
    ]
    found = probe(GitHub(answer(node=None, stars=None, errors=hidden), OK_SOCIAL))
    assert found.lacking == {}
    assert found.unchecked == ("files", "stargazers")
    assert found.describe() == "unchecked: files, stargazers"


def test_a_server_without_social_accounts_lacks_nothing() -> None:
    found = probe(GitHub(answer(), httpx.Response(404, json={"message": "Not Found"})))
    assert found.complete


def _probe_hub(hub: FakeHub, token: str) -> tuple[Capabilities, int]:
    async def scenario() -> tuple[Capabilities, int]:
        async with httpx.AsyncClient(timeout=30) as http:
            client = GitHubClient(
                http, token=token, api_url=hub.api_url, graphql_url=hub.graphql_url
            )
            return await probe_capabilities(client), client.requests_made

    return asyncio.run(scenario())


def test_the_simulated_github_answers_the_probe(hub: FakeHub) -> None:
    """The simulated GitHub with ``token_permissions`` on: an OAuth token reads everything, a
    GitHub App token lacks contributions and social accounts, a fine-grained one stargazers;
    two GraphQL documents and one REST request each."""
    hub.behaviours.configure(token_permissions=True)
    found, requests = _probe_hub(hub, token_for("octocat"))
    assert found == Capabilities("octocat", {}, ()) and requests == 3
    assert hub.counters["token_permissions.forbidden"] == 0
    found, requests = _probe_hub(hub, hub.issue_token("no-prs", "app"))
    assert found == Capabilities("no-prs", {"contributions": BY_APP, "social_accounts": BY_APP})
    assert requests == 3 and hub.counters["token_permissions.forbidden"] == 2
    found, requests = _probe_hub(hub, hub.issue_token("star-gazer", "fine_grained"))
    assert found == Capabilities("star-gazer", {"stargazers": BY_PAT})
    assert requests == 3 and hub.counters["token_permissions.forbidden"] == 3
