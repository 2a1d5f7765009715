"""The one gate to GitHub: an injected ``httpx.AsyncClient``, retries, rate limits.

Every response is judged by :func:`gitbrag.github.responses.classify` (the status and error
table lives there); this module sends, waits and retries accordingly:

- Every request first takes a slot from the token's :class:`~gitbrag.github.budget.TokenBudget`
  (shared by every process using the token when it lives in Redis): at most a few requests
  in flight, points and GraphQL time per minute, no request while GitHub's secondary limit
  asked us to pause or while the primary budget is known to be spent.
- Primary and secondary limits are waited out (:mod:`gitbrag.github.waits`) when the wait
  is within ``max_retry_after`` seconds, else ``RateLimited(until)`` lets a background job
  come back later.
- Transient failures (5xx, timeouts, connection errors, GraphQL timeouts) are retried up to
  ``max_attempts`` times with exponential backoff and jitter, asking for smaller pages.
  A batched GraphQL document (:meth:`GitHubClient.graphql_batch`) that fails twice in a
  row where asking for less may help is not retried whole: ``BatchTooLarge`` tells the
  caller to split it.
- What GitHub withholds from the token for good (an organisation's SAML single sign-on, a
  permission the token lacks) comes back with the data as ``denied``
  (:class:`~gitbrag.github.responses.Denial`); a client may carry a ``fallback`` client (the
  server's token) the collector reads such parts again with.
- A server without rate limiting (GitHub Enterprise with it turned off) sends no
  ``x-ratelimit-*`` headers and ``rateLimit: null``: nothing is observed, nothing blocks.

The token is sent as ``Authorization: Bearer`` and never logged or shown in ``repr``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Final

import httpx

from gitbrag.errors import GitHubError, GitHubUnavailable
from gitbrag.github.batch_sizes import BatchSizes, LocalBatchSizes
from gitbrag.github.budget import Allowance, Api, LocalTokenBudget, Seen, TokenBudget
from gitbrag.github.responses import (
    Denial,
    Outcome,
    SsoHint,
    classify,
    denials,
    failed_aliases,
    reset_time,
    sso_hint,
)
from gitbrag.github.waits import Clock, Sleep, Waits

if TYPE_CHECKING:
    from gitbrag.settings import Settings

log = logging.getLogger(__name__)

MIN_PAGE_SIZE: Final = 10
# A batch that fails this often in a row in a way a smaller one may avoid is split (once
# could be a blip: splitting at once would read every later page of its items smaller).
SPLIT_AFTER: Final = 2


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class TokenOwner:
    """The account a token belongs to: its login now, and its immutable account id."""

    login: str
    id: int


def _user_agent() -> str:
    try:
        return f"gitbrag/{version('gitbrag')}"
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "gitbrag"


USER_AGENT: Final = _user_agent()


class BatchTooLarge(GitHubError):
    """A batched GraphQL document failed in a way a smaller one may not (timeout, 502/504):
    the caller should split it. Only raised by :meth:`GitHubClient.graphql_batch`."""


@dataclass(frozen=True, slots=True)
class GraphQLAnswer:
    """A document's ``data``, the parts GitHub withholds from the token for good
    (``denied``), and the ``X-GitHub-SSO`` header, if any."""

    data: dict[str, Any]
    denied: tuple[Denial, ...] = ()
    sso: SsoHint | None = None


@dataclass(frozen=True, slots=True)
class BatchAnswer:
    """A batched document's ``data``, the aliases to retry smaller (alias -> message), and
    the parts GitHub withholds from the token for good (``denied``)."""

    data: dict[str, Any]
    failed: dict[str, str]
    denied: tuple[Denial, ...] = ()


class GitHubClient:
    """Talks to GitHub's REST and GraphQL APIs (or GitHub Enterprise, or the simulated one).

    ``requests_made`` counts HTTP requests sent (retries included), ``rest_requests`` the
    REST ones, and ``graphql_points`` the GraphQL points GitHub charged (``rateLimit.cost``
    of each answer; one where it does not say); ``remaining`` and ``reset_at`` are the last
    budget GitHub reported. ``fallback``: another client (the
    server's token) to read again what GitHub withholds from this one (SAML single sign-on,
    missing permissions); the collector uses it, the client never does by itself.
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
        budget: TokenBudget | None = None,
        clock: Clock = utc_now,
        owns_http: bool = False,
        batch_sizes: BatchSizes | None = None,
    ) -> None:
        self._http = http
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.graphql_url = graphql_url
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._now = clock
        self.budget: TokenBudget = budget or LocalTokenBudget(
            Allowance(max_in_flight=max_concurrency)
        )
        self._waits = Waits(
            self.budget,
            sleep=sleep,
            clock=clock,
            secondary_wait=secondary_wait,
            max_wait=max_retry_after,
        )
        self._owns_http = owns_http
        self._random = random.Random()
        self.requests_made = 0
        self.rest_requests = 0
        self.graphql_points = 0
        self.remaining: int | None = None
        self.reset_at: datetime | None = None
        self.fallback: GitHubClient | None = None
        # How big a batched document GitHub takes here (learned; shared when given).
        self.batch_sizes: BatchSizes = batch_sizes or LocalBatchSizes()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        token: str | None,
        http: httpx.AsyncClient | None = None,
        budget: TokenBudget | None = None,
        batch_sizes: BatchSizes | None = None,
    ) -> GitHubClient:
        """A client for the configured GitHub. Without ``http`` it makes (and owns) one whose
        timeouts come from ``settings.http_timeout_seconds``; close it with ``aclose()``.
        Without ``budget`` the token's limits are kept in this process only, and without
        ``batch_sizes`` what it learns of GitHub's batch limits is its own."""
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
            secondary_wait=settings.github_secondary_wait_seconds,
            max_retry_after=settings.github_max_wait_seconds,
            budget=budget or LocalTokenBudget(settings.token_allowance()),
            owns_http=owns,
            batch_sizes=batch_sizes,
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
        (``NOT_FOUND``/``FORBIDDEN``, SAML, "not accessible") come back as ``None``."""
        return (await self.graphql_answer(query, variables)).data

    async def graphql_answer(
        self, query: str, variables: Mapping[str, Any] | None = None
    ) -> GraphQLAnswer:
        """Like :meth:`graphql`, with what GitHub withholds from the token (``denied``)."""
        payload, headers = await self._request(
            "POST", self.graphql_url, body=_body(query, variables)
        )
        data: dict[str, Any] = payload["data"]
        await self._observe_graphql_budget(data.get("rateLimit"))
        return GraphQLAnswer(data, denials(payload, headers), sso_hint(headers))

    async def graphql_batch(
        self, query: str, variables: Mapping[str, Any], *, splittable: bool = True
    ) -> BatchAnswer:
        """Run a batched document (aliases ``r0``, ``r1``...). Errors with a ``path`` make a
        partial answer: the data that came, and the aliases worth retrying smaller. With
        ``splittable``, a failure a smaller document may avoid raises ``BatchTooLarge``."""
        payload, headers = await self._request(
            "POST", self.graphql_url, body=_body(query, variables), partial=True, split=splittable
        )
        data: dict[str, Any] = payload["data"]
        await self._observe_graphql_budget(data.get("rateLimit"))
        return BatchAnswer(data, failed_aliases(payload), denials(payload, headers))

    async def rest_get(
        self,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        login: str | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """GET ``path`` under the API root and return the decoded JSON. With ``login``, a 404
        means that user does not exist (``NotFound``); with ``missing_ok`` it returns None."""
        url = f"{self.api_url}/{path.lstrip('/')}"
        payload, _ = await self._request(
            "GET", url, params=params, login=login, missing_ok=missing_ok
        )
        return payload

    async def viewer_login(self) -> str:
        """The login the token belongs to (``GET /user``); ``Unauthorized`` if it is invalid."""
        user = await self.rest_get("/user")
        if not isinstance(user, dict) or not isinstance(user.get("login"), str):
            raise GitHubError("GitHub answered /user without a login")
        return str(user["login"])

    async def viewer(self) -> TokenOwner:
        """Who the token belongs to (``GET /user``): the login and GitHub's immutable account
        ``id`` (docs "Get the authenticated user": ``login`` and ``id`` are always there; a
        login can change hands, the id never does). ``Unauthorized`` if the token is invalid."""
        user = await self.rest_get("/user")
        if not isinstance(user, dict) or not isinstance(user.get("login"), str):
            raise GitHubError("GitHub answered /user without a login")
        account = user.get("id")
        if not isinstance(account, int) or isinstance(account, bool):
            raise GitHubError("GitHub answered /user without an account id")
        return TokenOwner(login=str(user["login"]), id=account)

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
        missing_ok: bool = False,
        partial: bool = False,
        split: bool = False,
    ) -> tuple[Any, Mapping[str, str]]:
        """Send until GitHub gives an answer to return (payload and headers), or an error to
        raise. ``partial``: a batched GraphQL document (errors with a path are a partial
        answer); ``split``: raise ``BatchTooLarge`` rather than retry a failure a smaller
        document may avoid."""
        api: Api = "graphql" if body is not None else "rest"
        failures = 0
        waits = 0
        secondary_hits = 0  # secondary limits without Retry-After this request met
        while True:
            payload, headers, outcome = await self._send(
                api, method, url, body, params, login=login, missing_ok=missing_ok, partial=partial
            )
            if outcome.error is not None:
                raise outcome.error
            if outcome.absent:
                return None, headers
            if outcome.primary_reset is not None or outcome.secondary:
                waits += 1
                secondary_hits += outcome.secondary and outcome.retry_after is None
                if outcome.primary_reset is not None:
                    self.remaining, self.reset_at = 0, outcome.primary_reset
                await self._waits.after_limit(api, outcome, waits, secondary_hits)
                continue
            if outcome.transient is not None:
                failures += 1
                log.info("GitHub %s %s: %s (attempt %d)", method, url, outcome.transient, failures)
                if split and outcome.shrink and failures >= SPLIT_AFTER:
                    raise BatchTooLarge(outcome.transient)
                if failures >= self.max_attempts:
                    raise GitHubUnavailable(
                        f"GitHub kept failing ({outcome.transient}) after {failures} attempts"
                    )
                if outcome.shrink and body is not None and not split:
                    body = _smaller_pages(body)  # (a batch is split by its caller instead)
                await self._sleep(self._backoff(failures))
                continue
            return payload, headers

    async def _send(
        self,
        api: Api,
        method: str,
        url: str,
        body: dict[str, Any] | None,
        params: Mapping[str, str | int] | None,
        *,
        login: str | None,
        missing_ok: bool,
        partial: bool,
    ) -> tuple[Any, Mapping[str, str], Outcome]:
        holder = await self._waits.admit(api)
        started = time.monotonic()
        try:
            self.requests_made += 1
            self.rest_requests += api == "rest"
            response = await self._http.request(
                method, url, json=body, params=params, headers=self._headers()
            )
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            return None, {}, Outcome(transient=type(exc).__name__, shrink=True)
        finally:
            await self.budget.release(holder, api, time.monotonic() - started, self._epoch())
        await self._observe_budget(response.headers)
        payload = _decode(response)
        outcome = classify(
            response.status_code,
            response.headers,
            payload,
            graphql=api == "graphql",
            login=login,
            now=self._now(),
            batch=partial,
            missing_ok=missing_ok,
        )
        log.debug("GitHub %s %s -> %s", method, url, response.status_code)
        return payload, response.headers, outcome

    def _backoff(self, failures: int) -> float:
        """Exponential backoff with "equal jitter": between half and all of the step."""
        step = min(self.max_backoff, self.backoff_base * 2.0 ** (failures - 1))
        return step / 2 + self._random.uniform(0, step / 2)

    def _epoch(self) -> float:
        return self._now().timestamp()

    async def _observe_budget(self, headers: Mapping[str, str]) -> None:
        remaining = headers.get("x-ratelimit-remaining")
        if remaining is None or not remaining.isdigit() or "x-ratelimit-reset" not in headers:
            return
        self.remaining = int(remaining)
        self.reset_at = reset_time(headers, self._now())
        resource = headers.get("x-ratelimit-resource") or "core"
        await self.budget.observe(Seen(resource, self.remaining, self.reset_at.timestamp()))

    async def _observe_graphql_budget(self, rate_limit: Any) -> None:
        cost = rate_limit.get("cost") if isinstance(rate_limit, dict) else None
        self.graphql_points += cost if isinstance(cost, int) and cost > 0 else 1
        if not isinstance(rate_limit, dict):
            return
        remaining, reset = rate_limit.get("remaining"), rate_limit.get("resetAt")
        if not isinstance(remaining, int) or not isinstance(reset, str):
            return
        self.remaining = remaining
        self.reset_at = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        await self.budget.observe(Seen("graphql", remaining, self.reset_at.timestamp()))


def _body(query: str, variables: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"query": query, "variables": dict(variables or {})}


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
