"""The one gate to GitHub: an injected ``httpx.AsyncClient``, retries, rate limits.

Every response is judged by :func:`gitbrag.github.responses.classify` (the status and error
table lives there); this module sends, sleeps and retries accordingly. Transient failures
(5xx, timeouts, connection errors, GraphQL timeouts) are retried up to ``max_attempts``
times with exponential backoff and jitter, and GraphQL retries ask for smaller pages.
Secondary limits are waited out (``Retry-After``); a wait longer than ``max_retry_after``
becomes ``RateLimited`` so a background job can come back later instead of holding a worker.
The token is sent as ``Authorization: Bearer`` and never logged or shown in ``repr``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Final

import httpx

from gitbrag.errors import GitHubError, GitHubUnavailable, RateLimited
from gitbrag.github.responses import Outcome, classify, reset_time

if TYPE_CHECKING:
    from gitbrag.settings import Settings

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

MIN_PAGE_SIZE: Final = 10


def _user_agent() -> str:
    try:
        return f"gitbrag/{version('gitbrag')}"
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "gitbrag"


USER_AGENT: Final = _user_agent()


class GitHubClient:
    """Talks to GitHub's REST and GraphQL APIs (or GitHub Enterprise, or the simulated one).

    ``requests_made`` counts HTTP requests sent (retries included); ``remaining`` and
    ``reset_at`` are the last budget GitHub reported.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        token: str | None,
        api_url: str,
        graphql_url: str,
        max_attempts: int = 6,
        backoff_base: float = 0.5,
        sleep: Sleep = asyncio.sleep,
        max_backoff: float = 30.0,
        secondary_wait: float = 60.0,
        max_retry_after: float = 300.0,
        max_concurrency: int = 4,
        owns_http: bool = False,
    ) -> None:
        self._http = http
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.graphql_url = graphql_url
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.max_backoff = max_backoff
        self.secondary_wait = secondary_wait
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._gate = asyncio.Semaphore(max_concurrency)
        self._owns_http = owns_http
        self._random = random.Random()
        self.requests_made = 0
        self.remaining: int | None = None
        self.reset_at: datetime | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, token: str | None, http: httpx.AsyncClient | None = None
    ) -> GitHubClient:
        """A client for the configured GitHub. Without ``http`` it makes (and owns) one whose
        timeouts come from ``settings.http_timeout_seconds``; close it with ``aclose()``."""
        owns = http is None
        if http is None:
            timeout = settings.http_timeout_seconds
            http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)))
        return cls(
            http,
            token=token,
            api_url=settings.github_api_url,
            graphql_url=settings.graphql_url,
            backoff_base=settings.retry_backoff_seconds,
            owns_http=owns,
        )

    def __repr__(self) -> str:
        auth = "token" if self._token else "anonymous"
        return f"<GitHubClient {self.api_url} {auth} requests={self.requests_made}>"

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> GitHubClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ public calls

    async def graphql(
        self, query: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run a GraphQL document and return its ``data``. Fields GitHub could not resolve
        (``NOT_FOUND``/``FORBIDDEN``) come back as ``None``."""
        payload = await self._request(
            "POST", self.graphql_url, body={"query": query, "variables": dict(variables or {})}
        )
        data: dict[str, Any] = payload["data"]
        self._observe_graphql_budget(data.get("rateLimit"))
        return data

    async def rest_get(
        self, path: str, *, params: Mapping[str, str | int] | None = None, login: str | None = None
    ) -> Any:
        """GET ``path`` under the API root and return the decoded JSON. With ``login``, a 404
        means that user does not exist (``NotFound``)."""
        url = f"{self.api_url}/{path.lstrip('/')}"
        return await self._request("GET", url, params=params, login=login)

    async def viewer_login(self) -> str:
        """The login the token belongs to (``GET /user``); ``Unauthorized`` if it is invalid."""
        user = await self.rest_get("/user")
        if not isinstance(user, dict) or not isinstance(user.get("login"), str):
            raise GitHubError("GitHub answered /user without a login")
        return str(user["login"])

    # ------------------------------------------------------------------ the loop

    def _headers(self) -> dict[str, str]:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": USER_AGENT,
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    async def _request(
        self,
        method: str,
        url: str,
        *,
        body: dict[str, Any] | None = None,
        params: Mapping[str, str | int] | None = None,
        login: str | None = None,
    ) -> Any:
        failures = 0
        waits = 0
        while True:
            payload: Any = None
            try:
                async with self._gate:
                    self.requests_made += 1
                    response = await self._http.request(
                        method, url, json=body, params=params, headers=self._headers()
                    )
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                log.info("GitHub %s %s failed: %s", method, url, type(exc).__name__)
                outcome = Outcome(transient=type(exc).__name__, shrink=True)
            else:
                self._observe_budget(response.headers)
                payload = _decode(response)
                outcome = classify(
                    response.status_code,
                    response.headers,
                    payload,
                    graphql=body is not None,
                    login=login,
                    now=datetime.now(UTC),
                    secondary_wait=self.secondary_wait,
                )
                log.debug("GitHub %s %s -> %s", method, url, response.status_code)
            if outcome.error is not None:
                raise outcome.error
            if outcome.wait_seconds is not None:
                waits += 1
                if outcome.wait_seconds > self.max_retry_after or waits > self.max_attempts * 2:
                    raise RateLimited(datetime.now(UTC) + timedelta(seconds=outcome.wait_seconds))
                log.info("GitHub secondary rate limit: waiting %.1fs", outcome.wait_seconds)
                await self._sleep(outcome.wait_seconds)
                continue
            if outcome.transient is not None:
                failures += 1
                if failures >= self.max_attempts:
                    raise GitHubUnavailable(
                        f"GitHub kept failing ({outcome.transient}) after {failures} attempts"
                    )
                if outcome.shrink and body is not None:
                    body = _smaller_pages(body)
                await self._sleep(self._backoff(failures))
                continue
            return payload

    def _backoff(self, failures: int) -> float:
        """Exponential backoff with "equal jitter": between half and all of the step."""
        step = min(self.max_backoff, self.backoff_base * 2.0 ** (failures - 1))
        return step / 2 + self._random.uniform(0, step / 2)

    def _observe_budget(self, headers: Mapping[str, str]) -> None:
        remaining = headers.get("x-ratelimit-remaining")
        if remaining is not None and remaining.isdigit():
            self.remaining = int(remaining)
            if "x-ratelimit-reset" in headers:
                self.reset_at = reset_time(headers, datetime.now(UTC))

    def _observe_graphql_budget(self, rate_limit: Any) -> None:
        if not isinstance(rate_limit, dict):
            return
        if isinstance(rate_limit.get("remaining"), int):
            self.remaining = rate_limit["remaining"]
        if isinstance(rate_limit.get("resetAt"), str):
            self.reset_at = datetime.fromisoformat(rate_limit["resetAt"].replace("Z", "+00:00"))


def _decode(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _smaller_pages(body: dict[str, Any]) -> dict[str, Any]:
    """Halve the ``$first`` page size (not below ``MIN_PAGE_SIZE``): heavy pages time out."""
    variables = body.get("variables") or {}
    first = variables.get("first")
    if not isinstance(first, int) or first <= MIN_PAGE_SIZE:
        return body
    return {**body, "variables": {**variables, "first": max(MIN_PAGE_SIZE, first // 2)}}
