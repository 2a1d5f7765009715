"""Helpers shared by the GitHub client and collector tests: a client over
``httpx.MockTransport`` answering scripted responses on an injected clock, and collections from
the simulated GitHub over loopback (optionally through a transport that breaks or alters
chosen queries)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx

from gitbrag.fakehub.data import token_for
from gitbrag.fakehub.server import FakeHub
from gitbrag.github.cache import MemoryCache
from gitbrag.github.client import GitHubClient
from gitbrag.github.collect import collect
from gitbrag.github.progress import ProgressCallback
from gitbrag.report.keys import ReportKey
from gitbrag.report.records import Collection
from tests.github.fake_time import FakeTime

T = TypeVar("T")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
Handler = Callable[[httpx.Request], httpx.Response]


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


class Sleeps(list[float]):
    """An injected clock: ``now()`` starts at ``NOW`` and every sleep is recorded and moves
    it on (nothing really waits)."""

    def __init__(self, start: datetime = NOW) -> None:
        super().__init__()
        self.moment = start

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.moment += timedelta(seconds=seconds)

    def now(self) -> datetime:
        return self.moment


def make_client(handler: Handler, *, token: str | None = "s3cret-token", **kw: Any) -> GitHubClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    sleep = kw.setdefault("sleep", Sleeps())
    if isinstance(sleep, Sleeps):
        kw.setdefault("clock", sleep.now)
    return GitHubClient(
        http, token=token, api_url="https://api.test", graphql_url="https://api.test/graphql", **kw
    )


def scripted(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler answering with ``responses`` in order, recording the requests."""
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


def ok_data(data: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.Response(200, json={"data": data if data is not None else {"ok": True}})


# --------------------------------------------------------------------------- the simulated GitHub


def client_for(hub: FakeHub, http: httpx.AsyncClient, token: str | None, **kw: Any) -> GitHubClient:
    """A client on an injected clock (waits for limits cost no real time)."""
    kw.setdefault("backoff_base", 0.001)
    if "sleep" not in kw:
        fake = FakeTime()
        kw.update(sleep=fake.sleep, clock=fake.now)
    return GitHubClient(http, token=token, api_url=hub.api_url, graphql_url=hub.graphql_url, **kw)


def collect_with(
    hub: FakeHub,
    key: ReportKey,
    *,
    token: str | None = None,
    cache: MemoryCache | None = None,
    progress: ProgressCallback | None = None,
    stars_cap: int = 1000,
    **client_options: Any,
) -> tuple[Collection, int]:
    """Collect ``key`` as its own user (default token) and return the requests it took."""

    async def scenario() -> tuple[Collection, int]:
        async with httpx.AsyncClient(timeout=30) as http:
            client = client_for(hub, http, token or token_for(key.username), **client_options)
            collection = await collect(
                client, key, progress=progress, cache=cache, stars_cap=stars_cap
            )
            return collection, client.requests_made

    return run(scenario())


ACTIVITY_OPERATIONS = ("SearchIssues", "ReviewContributions", "PullRequestReviews")


def activity_requests(hub: FakeHub) -> int:
    """Requests for reviews given and issues opened, as the simulated GitHub counted them."""
    return sum(hub.counters[f"operation.{name}"] for name in ACTIVITY_OPERATIONS)


Rewrite = Callable[[str, dict[str, Any]], dict[str, Any] | None]


class Meddler(httpx.AsyncBaseTransport):
    """Forwards to the hub; GraphQL documents named in ``fail`` get a 502, and ``rewrite``
    may change a GraphQL answer (by operation name) before the client sees it."""

    def __init__(self, fail: set[str], rewrite: Rewrite | None = None) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.fail = fail
        self.rewrite = rewrite
        self.failed_shapes: list[tuple[int, int]] = []  # (aliases, first) of each 502

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        operation = ""
        if request.method == "POST":
            body = json.loads(request.content)
            query = body["query"]
            operation = query.split("query ", 1)[1].split("(", 1)[0].strip()
            if operation in self.fail:
                aliases = sum(1 for name in body["variables"] if name.startswith("o"))
                self.failed_shapes.append((aliases, body["variables"].get("first", 0)))
                return httpx.Response(502, json={"message": "Server Error"})
        response = await self.inner.handle_async_request(request)
        if not operation or self.rewrite is None:
            return response
        await response.aread()
        changed = self.rewrite(operation, response.json())
        if changed is None:
            return response
        return httpx.Response(response.status_code, headers=response.headers, json=changed)

    async def aclose(self) -> None:
        await self.inner.aclose()


def collect_through(hub: FakeHub, transport: Meddler, key: ReportKey) -> Collection:
    async def scenario() -> Collection:
        async with httpx.AsyncClient(transport=transport, timeout=30) as http:
            client = GitHubClient(
                http,
                token=token_for(key.username),
                api_url=hub.api_url,
                graphql_url=hub.graphql_url,
                max_attempts=2,
                backoff_base=0.001,
            )
            return await collect(client, key)

    return asyncio.run(scenario())
