"""A transport in front of the simulated GitHub that answers as github.com does for issue 18's
cases, in the exact shapes of ``/work/design18.md`` (the simulated GitHub learns them too; this
gate lets the client's handling be tested on its own): everything else is the real server.

- ``saml``: for the given tokens, every object of ``organization`` (search nodes, reviewed pull
  requests inside contributions, aliases asking for its repositories) comes back ``null`` with
  a ``FORBIDDEN`` SAML error (every second one without ``extensions``, Homebrew/brew#18778),
  and the answer carries ``X-GitHub-SSO: required; url=…``. ``saml_search`` false leaves
  search and contributions alone (only repositories and files are withheld).
- ``stargazers_refused``: a fine-grained token; ``Repository.stargazers`` is ``FORBIDDEN``
  "Resource not accessible by personal access token", which nulls the repository.
- ``contributions_refused``: a GitHub App token; ``User.contributionsCollection`` is refused
  "by integration" (nulling ``user``), and so are REST social accounts (403).
- ``hidden``: logins whose REST search answers the private-profile 422; ``searchable`` answer
  REST search 200.
- ``old_server``: a document selecting ``stateReason`` fails whole (``undefinedField``), and
  rate limiting is off (no ``x-ratelimit-*``, ``rateLimit: null``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from gitbrag.fakehub.server import FakeHub

SAML_MESSAGE = (
    "Resource protected by organization SAML enforcement. You must grant your OAuth token "
    "access to this organization."
)
BY_PAT = "Resource not accessible by personal access token"
BY_APP = "Resource not accessible by integration"
UNSEARCHABLE = (
    "The listed users cannot be searched either because the users do not exist or you do not "
    "have permission to view the users."
)


def sso_url(organization: str) -> str:
    return f"https://github.com/orgs/{organization}/sso?authorization_request=A5N4Y2TEST"


@dataclass
class Gate(httpx.AsyncBaseTransport):
    hub: FakeHub
    organization: str = ""
    saml_tokens: frozenset[str] = frozenset()
    saml_search: bool = True
    stargazers_refused: frozenset[str] = frozenset()
    contributions_refused: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()
    searchable: frozenset[str] = frozenset()
    old_server: bool = False
    withheld: Counter[str] = field(default_factory=Counter)  # operation -> nulls sent
    rest_searches: list[str] = field(default_factory=list)  # q of each REST search
    undefined_fields: int = 0

    def __post_init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.hub_url = httpx.URL(self.hub.api_url)
        self._errors_sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if request.url.path == "/search/issues":
            return self._rest_search(request)
        if request.url.path.endswith("/social_accounts") and token in self.contributions_refused:
            return httpx.Response(403, json={"message": BY_APP, "documentation_url": "x"})
        body = json.loads(request.content) if request.method == "POST" else None
        if body is not None and self.old_server and "stateReason" in body["query"]:
            self.undefined_fields += 1
            return httpx.Response(200, json=_undefined_field())
        response = await self.inner.handle_async_request(request)
        await response.aread()
        headers = dict(response.headers)
        headers.pop("content-length", None)
        headers.pop("content-encoding", None)
        if self.old_server:
            headers = {k: v for k, v in headers.items() if not k.startswith("x-ratelimit-")}
        if body is None or response.status_code != 200:
            return httpx.Response(response.status_code, headers=headers, content=response.content)
        payload = response.json()
        operation = body["query"].split("query ", 1)[1].split("(", 1)[0].split("{")[0].strip()
        errors: list[dict[str, Any]] = []
        if token in self.saml_tokens:
            self._saml(operation, body["variables"], payload, errors)
            if errors:
                headers["x-github-sso"] = f"required; url={sso_url(self.organization)}"
        if token in self.stargazers_refused and _asks_stars(operation, body["variables"]):
            self._refuse_aliases(operation, payload, errors, "stargazers", BY_PAT)
        if token in self.contributions_refused and operation == "ReviewContributions":
            self._refuse_aliases(operation, payload, errors, "contributionsCollection", BY_APP)
        if operation == "TokenCapabilities":
            self._refuse_probe(token, payload, errors)
        if self.old_server and isinstance(payload.get("data"), dict):
            payload["data"]["rateLimit"] = None
        if errors:
            payload["errors"] = (payload.get("errors") or []) + errors
        return httpx.Response(200, headers=headers, json=payload)

    async def aclose(self) -> None:
        """The client using the gate is done: a fresh connection pool for the next one (each
        collection runs in its own event loop)."""
        await self.inner.aclose()
        self.inner = httpx.AsyncHTTPTransport()

    def _rest_search(self, request: httpx.Request) -> httpx.Response:
        query = request.url.params.get("q", "")
        self.rest_searches.append(query)
        login = query.removeprefix("author:").lower()
        if login in self.hidden:
            body = {
                "message": "Validation Failed",
                "errors": [
                    {"message": UNSEARCHABLE, "resource": "Search", "field": "q", "code": "invalid"}
                ],
                "documentation_url": "https://docs.github.com/v3/search/",
                "status": "422",
            }
            return httpx.Response(422, json=body)
        if login in self.searchable:
            return httpx.Response(
                200, json={"total_count": 0, "incomplete_results": False, "items": []}
            )
        return httpx.Response(404, json={"message": "Not Found"})

    # ------------------------------------------------------------------ SAML

    def _error(self, path: list[str | int], message: str, saml: bool) -> dict[str, Any]:
        self._errors_sent += 1
        error: dict[str, Any] = {
            "type": "FORBIDDEN",
            "path": path,
            "locations": [{"line": 1, "column": 1}],
            "message": message,
        }
        if not saml:
            error["extensions"] = {"saml_failure": False}
        elif self._errors_sent % 2:  # every second SAML error comes without extensions
            error["extensions"] = {"saml_failure": True}
        return error

    def _owned(self, node: Any) -> bool:
        prefix = self.organization.lower() + "/"
        if not isinstance(node, dict):
            return False
        repository = node.get("repository")
        if isinstance(repository, dict):
            return str(repository.get("nameWithOwner", "")).lower().startswith(prefix)
        return str(node.get("nameWithOwner", "")).lower().startswith(prefix)

    def _saml(
        self,
        operation: str,
        variables: dict[str, Any],
        payload: dict[str, Any],
        errors: list[dict[str, Any]],
    ) -> None:
        data = payload.get("data")
        if not isinstance(data, dict):
            return
        for alias in list(data):
            owner = variables.get(f"o{alias[1:]}") if alias[1:].isdigit() else None
            if isinstance(owner, str) and owner.lower() == self.organization.lower():
                data[alias] = None
                self.withheld[operation] += 1
                errors.append(self._error([alias], SAML_MESSAGE, True))
            elif self.saml_search or (alias != "search" and operation != "ReviewContributions"):
                self._walk(operation, data, alias, [alias], errors)

    def _walk(
        self,
        operation: str,
        parent: dict[str, Any] | list[Any],
        key: str | int,
        path: list[str | int],
        errors: list[dict[str, Any]],
    ) -> None:
        node = parent[key]  # type: ignore[index]
        if self._owned(node):
            parent[key] = None  # type: ignore[index]
            self.withheld[operation] += 1
            errors.append(self._error(path, SAML_MESSAGE, True))
            return
        if isinstance(node, dict):
            for name in list(node):
                self._walk(operation, node, name, [*path, name], errors)
        elif isinstance(node, list):
            for index in range(len(node)):
                self._walk(operation, node, index, [*path, index], errors)

    # ------------------------------------------------------------------ token permissions

    def _refuse_aliases(
        self,
        operation: str,
        payload: dict[str, Any],
        errors: list[dict[str, Any]],
        field_name: str,
        message: str,
    ) -> None:
        data = payload.get("data") or {}
        for alias in [name for name in data if name[:1] == "r" and name[1:].isdigit()]:
            if data[alias] is None:
                continue
            data[alias] = None
            self.withheld[operation] += 1
            errors.append(self._error([alias, field_name], message, False))

    def _refuse_probe(
        self, token: str, payload: dict[str, Any], errors: list[dict[str, Any]]
    ) -> None:
        """``queries.TOKEN_CAPABILITIES`` as such tokens get it answered."""
        data = payload.get("data") or {}
        if token in self.contributions_refused and data.get("contributions"):
            data["contributions"] = None
            errors.append(self._error(["contributions", "contributionsCollection"], BY_APP, False))
        nodes = (data.get("search") or {}).get("nodes") or []
        if token in self.stargazers_refused and nodes and nodes[0]:
            nodes[0]["repository"] = None
            path: list[str | int] = ["search", "nodes", 0, "repository", "stargazers"]
            errors.append(self._error(path, BY_PAT, False))


def _asks_stars(operation: str, variables: dict[str, Any]) -> bool:
    return operation == "Stargazers" or (operation == "Repositories" and variables.get("stars"))


def _undefined_field() -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": "Field 'stateReason' doesn't exist on type 'Issue'",
                "locations": [{"line": 12, "column": 9}],
                "path": ["query SearchIssues", "search", "nodes", "... on Issue", "stateReason"],
                "extensions": {
                    "code": "undefinedField",
                    "typeName": "Issue",
                    "fieldName": "stateReason",
                },
            }
        ]
    }
