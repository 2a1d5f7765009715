"""Every server the project starts stops within seconds of SIGINT/SIGTERM, even with a
connection open: uvicorn would otherwise wait for it (an SSE stream lives up to 300 s), and
`gitbrag up` SIGKILLs a child that outlives its grace period.

The ``timeout`` of each wait below only bounds a hang (a server that waits for its streams
would take minutes); none of them measures how fast the shutdown is.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gitbrag.jobs.service import CredentialRef, ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.runtime.background_server import BackgroundServer
from gitbrag.runtime.redis_server import free_port
from tests.harness import poll_until, test_settings, worker_env

HANG_BOUND_SECONDS = 60.0


def _first_event(stream: httpx.Response) -> str:
    """Read the stream until its first ``event:`` line: the response is flowing."""
    for line in stream.iter_lines():
        if line.startswith("event:"):
            return line
    raise AssertionError("the stream ended before its first event")


@pytest.fixture
def queued_job(redis_url: str, tmp_path: Path) -> Iterator[tuple[dict[str, str], str]]:
    """The web's environment and a job that stays queued (no worker): its event stream stays
    open until the job finishes or the stream's 300 s are up."""
    settings = test_settings(redis_url, tmp_path)
    service = ReportService.from_settings(settings)
    job = service.request_report(
        ReportKey("octocat", DateRange.for_period("1_year")), CredentialRef("no-worker")
    )
    yield worker_env(settings), job.id
    service.redis.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_gitbrag_web_stops_with_an_event_stream_open(
    queued_job: tuple[dict[str, str], str], tmp_path: Path, sig: signal.Signals
) -> None:
    env, job_id = queued_job
    port = free_port()
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        web = subprocess.Popen(
            [sys.executable, "-m", "gitbrag", "web", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert web.poll() is None, log.read_text()
            try:
                return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        poll_until(ready, bool, HANG_BOUND_SECONDS, "gitbrag web ready")
        timeout = httpx.Timeout(10.0, read=HANG_BOUND_SECONDS * 2)
        with httpx.stream("GET", f"{base}/api/jobs/{job_id}/events", timeout=timeout) as stream:
            assert _first_event(stream) == "event: job"
            web.send_signal(sig)
            code = web.wait(timeout=HANG_BOUND_SECONDS)
        # A clean shutdown (uvicorn re-raises the signal once it is done: SIGTERM's exit).
        assert code in (0, -sig), log.read_text()
        assert "Finished server process" in log.read_text()
    finally:
        if web.poll() is None:
            web.kill()
            web.wait()


async def _endless_stream(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app whose every response is a never-ending event stream."""
    assert scope["type"] == "http"
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    while True:
        await send({"type": "http.response.body", "body": b"event: tick\n\n", "more_body": True})
        await asyncio.sleep(0.2)


def test_background_server_stops_with_a_stream_open() -> None:
    server = BackgroundServer(_endless_stream, name="endless")
    url = server.start()
    timeout = httpx.Timeout(10.0, read=HANG_BOUND_SECONDS)
    with httpx.stream("GET", url, timeout=timeout) as stream:
        assert _first_event(stream) == "event: tick"
        server.stop()
        assert not server.alive, "the server thread outlived stop()"
