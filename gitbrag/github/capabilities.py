"""What a token may read, asked once (at startup, for the server's token).

Fine-grained personal access tokens and GitHub App tokens may lack permissions a classic
token has. GitHub then answers the field with ``FORBIDDEN`` "Resource not accessible by
personal access token" / "by integration", which nulls the field's whole parent object,
inside an otherwise good answer (docs "Permissions required for fine-grained personal access
tokens" and "… for GitHub Apps"). Reports name such parts as incomplete
(:mod:`gitbrag.github.withheld`); this probe says up front which ones the token will lose.

:func:`probe_capabilities` sends two GraphQL documents: ``queries.TOKEN_CAPABILITIES`` (the
viewer's login; one merged public pull request from search with its changed files; the same
search again for its repository's stargazers), then, knowing the login,
``queries.TOKEN_CONTRIBUTIONS`` (the login's ``contributionsCollection``, through
``user(login:)``) and one REST request for its social accounts. Each capability sits where
GraphQL's null propagation cannot carry its refusal onto another one: a refused
``contributionsCollection`` under the non-null ``viewer`` would null the whole answer, and a
refused ``stargazers`` nulls its non-null ``repository`` and so the whole search node
(GraphQL specification, "Errors and Non-Null Fields": a non-null field's error nulls the
parent, up to the nearest nullable one; GitHub's schema makes ``Query.viewer``,
``User.contributionsCollection`` and ``PullRequest.repository`` non-null).
A capability GitHub refused is ``lacking``, with GitHub's message; one the probe could not
reach (no login, search found nothing, SAML hid the pull request) is ``unchecked``. SAML
refusals are not the token's permissions and are never reported as lacking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from gitbrag.errors import NotAccessible
from gitbrag.github.client import GitHubClient
from gitbrag.github.queries import TOKEN_CAPABILITIES, TOKEN_CONTRIBUTIONS
from gitbrag.github.responses import Denial

CAPABILITIES: Final = ("search", "contributions", "files", "stargazers", "social_accounts")


@dataclass(frozen=True, slots=True)
class Capabilities:
    """``lacking``: capability -> GitHub's message; ``unchecked``: capabilities the probe
    could not reach; ``login``: whose token it is, if GitHub said."""

    login: str | None
    lacking: dict[str, str] = field(default_factory=dict)
    unchecked: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Every capability checked and granted."""
        return not self.lacking and not self.unchecked

    def describe(self) -> str:
        """One line for a log or ``/ready``: what the token lacks, in GitHub's words."""
        if self.complete:
            return "the token can read everything gitbrag asks for"
        parts = [f"cannot read {name} ({message})" for name, message in self.lacking.items()]
        if self.unchecked:
            parts.append(f"unchecked: {', '.join(self.unchecked)}")
        return "; ".join(parts)


def _capability(denial: Denial) -> str | None:
    """Which capability a refused path is about (``None``: not one the probe asks)."""
    names = [step for step in denial.path if isinstance(step, str)]
    if names[:1] == ["contributions"]:
        return "contributions"
    if names[:1] in (["search"], ["stars"]):
        for name in ("stargazers", "files"):
            if name in names:
                return name
        return "search" if len(names) == 1 else None
    return None


def _first_node(data: dict[str, Any], alias: str) -> dict[str, Any] | None:
    search = data.get(alias)
    nodes = search.get("nodes") if isinstance(search, dict) else None
    return next((n for n in nodes or () if isinstance(n, dict)), None)


def _reached(data: dict[str, Any]) -> set[str]:
    """Capabilities the answers show readable."""
    reached = set()
    contributions = data.get("contributions")
    if isinstance(contributions, dict) and contributions.get("contributionsCollection"):
        reached.add("contributions")
    if isinstance(data.get("search"), dict):
        reached.add("search")
    node = _first_node(data, "search")
    if node is not None and "files" in node:  # (null without an error: a huge diff)
        reached.add("files")
    repository = (_first_node(data, "stars") or {}).get("repository")
    if isinstance(repository, dict) and isinstance(repository.get("stargazers"), dict):
        reached.add("stargazers")
    return reached


async def probe_capabilities(client: GitHubClient) -> Capabilities:
    """What ``client``'s token cannot read, in three requests (two without a login; see the
    module docstring). GitHub errors other than these refusals (a bad token, an outage)
    propagate."""
    answer = await client.graphql_answer(TOKEN_CAPABILITIES)
    data = dict(answer.data)
    denied = list(answer.denied)
    me = data.get("me")
    login = me.get("login") if isinstance(me, dict) else None
    social: str | None = None  # GitHub's refusal of the social accounts, if any
    reached: set[str] = set()
    if isinstance(login, str):
        contributions = await client.graphql_answer(TOKEN_CONTRIBUTIONS, {"login": login})
        data["contributions"] = contributions.data.get("contributions")
        denied += contributions.denied
        try:
            await client.rest_get(f"/users/{login}/social_accounts", missing_ok=True)
            reached.add("social_accounts")
        except NotAccessible as refused:
            social = refused.github_message
    else:
        login = None
    lacking: dict[str, str] = {}
    for denial in denied:
        name = _capability(denial)
        if name is not None and denial.kind != "saml":
            lacking.setdefault(name, denial.message)
    if social is not None:
        lacking["social_accounts"] = social
    reached |= _reached(data)
    unchecked = tuple(name for name in CAPABILITIES if name not in reached and name not in lacking)
    return Capabilities(login, lacking, unchecked)
