"""Page views while live-progress streams are open: the time of a page view (and of a job
status poll) with no stream open, then with 500 connections to one job's SSE stream (the caps
raised so all are served, then the default caps: most refused), as ratios within one run.

Streams share one poll of the job per process (``web.live``), so the page view's time should
not move with the number of streams; before that, every stream read Redis in the threadpool
every 0.4 s.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from gitbrag.fakehub import FakeHub, generate
from gitbrag.jobs.service import CredentialRef
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.runtime.background_server import BackgroundServer
from gitbrag.runtime.redis_server import EmbeddedRedis
from tests.harness import test_settings
from web.app import create_app

STREAMS = 500
VIEWS = 200


async def _page_times(url: str, path: str) -> list[float]:
    times = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for _ in range(VIEWS):
            started = time.perf_counter()
            response = await client.get(path)
            times.append(time.perf_counter() - started)
            assert response.status_code < 500
    return times


async def _with_streams(url: str, events: str, path: str) -> tuple[list[float], int]:
    clients = [
        httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(local_address=f"127.0.{1 + n // 250}.{2 + n % 250}"),
            timeout=60,
        )
        for n in range(STREAMS)
    ]
    responses = await asyncio.gather(
        *(client.send(client.build_request("GET", url + events), stream=True) for client in clients)
    )
    open_streams = sum(response.status_code == 200 for response in responses)
    try:
        return await _page_times(url, path), open_streams
    finally:
        for response in responses:
            await response.aclose()
        for client in clients:
            await client.aclose()


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 2),
    }


def _run(tmp: Path, caps: dict[str, int]) -> dict[str, Any]:
    with (
        EmbeddedRedis(tmp / "redis", persistence=False) as redis_server,
        FakeHub(generate(seed=7)) as hub,
    ):
        settings = test_settings(redis_server.url, tmp, hub=hub, **caps)
        app = create_app(settings)
        service = app.state.context.service
        key = ReportKey("octocat", DateRange.for_period("1_year"))
        job = service.request_report(key, CredentialRef("c_bench"), viewer_id="bench")
        server = BackgroundServer(app, name="web")
        url = server.start()
        try:
            pages = {"home": "/", "job": f"/api/jobs/{job.id}"}
            result: dict[str, Any] = {}
            for name, path in pages.items():
                quiet = asyncio.run(_page_times(url, path))
                busy, open_streams = asyncio.run(
                    _with_streams(url, f"/api/jobs/{job.id}/events", path)
                )
                result[name] = {
                    "no_streams": _summary(quiet),
                    f"{STREAMS}_connections": _summary(busy),
                    "streams_served": open_streams,
                    "p50_ratio": round(statistics.median(busy) / statistics.median(quiet), 2),
                }
            return result
        finally:
            server.stop()


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        served = _run(Path(tmp) / "all", {"sse_max_streams": STREAMS})
    with tempfile.TemporaryDirectory() as tmp:
        capped = _run(Path(tmp) / "capped", {})
    return {"all_streams_served": served, "default_caps": capped}
