"""Live-progress streams (issue 11, item 5) against a real uvicorn: 500 concurrent SSE
connections are capped with a clear answer, the open ones share one poll of the job, and
page views go on being served. Counted, not timed (the timing is in ``make bench``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import CredentialRef, Progress, ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.runtime.background_server import BackgroundServer
from tests.fixtures.web import settings_for
from tests.harness import wait_for
from web.app import create_app
from web.live import JobFeeds

TOTAL, PER_CLIENT = 100, 2


@dataclass
class Served:
    url: str
    service: ReportService
    feeds: JobFeeds


@pytest.fixture
def served(redis_url: str, hub: FakeHub, tmp_path: Path) -> Iterator[Served]:
    settings = settings_for(
        redis_url, hub, tmp_path, sse_max_streams=TOTAL, sse_max_streams_per_client=PER_CLIENT
    )
    app = create_app(settings)
    server = BackgroundServer(app, name="web")
    url = server.start()
    try:
        yield Served(url, app.state.context.service, app.state.context.feeds)
    finally:
        server.stop()


def _hgetalls(client: redis.Redis) -> int:
    stats = client.info("commandstats")
    return int(stats.get("cmdstat_hgetall", {}).get("calls", 0))


async def _open(url: str, address: str) -> tuple[int, dict[str, object], httpx.Response | None]:
    """One stream from ``address``: (status, first data or 429 body, the open response)."""
    client = httpx.AsyncClient(
        transport=httpx.AsyncHTTPTransport(local_address=address), timeout=30
    )
    response = await client.send(client.build_request("GET", url), stream=True)
    if response.status_code != 200:
        body = json.loads(await response.aread())
        body["retry_after"] = response.headers.get("retry-after")
        await response.aclose()
        await client.aclose()
        return response.status_code, body, None
    # One line iterator for the stream's whole life: an abandoned one closes the connection.
    response.extensions["client"] = client
    response.extensions["lines"] = response.aiter_lines()
    return 200, await _next_event(response), response


async def _next_event(response: httpx.Response) -> dict[str, object]:
    lines: AsyncIterator[str] = response.extensions["lines"]
    async for line in lines:
        if line.startswith("data: "):
            data: dict[str, object] = json.loads(line.removeprefix("data: "))
            return data
    raise AssertionError("stream ended")


async def _close(response: httpx.Response) -> None:
    await response.aclose()
    await response.extensions["client"].aclose()


def test_500_streams_are_capped_share_one_poll_and_leave_pages_served(
    served: Served, redis_client: redis.Redis
) -> None:
    service = served.service
    key = ReportKey("octocat", DateRange.for_period("1_year"))
    job = service.request_report(key, CredentialRef("c_nobody"), viewer_id="v")
    events = f"{served.url}/api/jobs/{job.id}/events"

    async def scenario() -> None:
        # Per client: a third stream from one address is refused, whatever the total.
        own = [await _open(events, "127.0.0.200") for _ in range(3)]
        assert [status for status, _, _ in own] == [200, 200, 429]
        for _, _, response in own:
            if response is not None:
                await _close(response)
        wait_for(lambda: served.feeds.stats().streams == 0, timeout=10)

        # 500 at once, two per address from 250 addresses: the total cap decides.
        addresses = [f"127.0.{1 + n // 250}.{2 + n % 250}" for n in range(250)] * 2
        opened = await asyncio.gather(*(_open(events, address) for address in addresses))
        accepted = [response for status, _, response in opened if status == 200]
        refused = [body for status, body, _ in opened if status == 429]
        assert len(accepted) == TOTAL and len(refused) == 500 - TOTAL
        for body in refused:  # a clear answer: what happened, when to retry, what to do
            assert body["state"] == "too_many_streams"
            assert body["poll"] == f"/api/jobs/{job.id}" and body["retry_after"] == "30"
        stats = served.feeds.stats()
        assert (stats.streams, stats.feeds) == (TOTAL, 1)  # one feed for 100 watchers

        # Page views are served meanwhile (the threadpool is not held by the streams).
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as pages:
            assert (await pages.get("/")).status_code == 200
            generating = await pages.get("/user/github/octocat")  # someone's job runs
            assert generating.status_code == 200 and job.id in generating.text
            assert (await pages.get(f"/api/jobs/{job.id}")).json()["status"] == "queued"

        # One poll per tick for all of them: Redis reads follow the polls, not the watchers.
        polls, reads = served.feeds.stats().polls, _hgetalls(redis_client)
        wait_for(lambda: served.feeds.stats().polls >= polls + 10, timeout=30)
        polls_made = served.feeds.stats().polls - polls
        assert _hgetalls(redis_client) - reads <= polls_made + 1  # 100 streams: ~1 read a poll
        assert served.feeds.stats().max_concurrent_reads == 1

        # A change reaches every open stream; the end closes them all and frees the places.
        service.stores.jobs.mark_running(job.id)
        service.stores.jobs.set_progress(job.id, Progress("search", 3, 10))
        updates = await asyncio.gather(*(_next_event(response) for response in accepted))
        assert {update["status"] for update in updates} == {"running"}
        service.lifecycle.finish(job.id, str(key), "done")
        finals = await asyncio.gather(*(_next_event(response) for response in accepted))
        assert {final["status"] for final in finals} == {"done"}
        await asyncio.gather(*(_close(response) for response in accepted))

    asyncio.run(scenario())
    wait_for(lambda: served.feeds.stats().streams == 0, timeout=10, what="places released")
    assert served.feeds.stats().feeds == 0
