"""The operations console under a busy history (issue 22): ``/admin`` and its live part with
10,000 finished jobs and 500 queued, over HTTP (uvicorn on loopback, an admin's session).

* Setup: 10,000 finished job records (done, failed, cancelled, not_found, over the last day,
  for 2,000 logins) written as ``JobStore.finish`` leaves them (the record, the finished-job
  indexes, the counters), and 500 jobs requested through ``ReportService`` (real claims and
  real messages on the ready queue; no worker consumes them).
* Measured: ``REQUESTS`` sequential GETs of each page (the console, filtered by state, by
  login, by age, and the polled live part): p50, p99 and max in ms; and every command Redis
  ran while the pages were read (``MONITOR``): none may be ``KEYS`` or ``SCAN``.

Writes ``bench/results/admin_console.json``.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import redis

from gitbrag.fakehub import FakeHub
from gitbrag.fakehub.records import token_for
from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.runtime.background_server import BackgroundServer
from gitbrag.runtime.redis_server import EmbeddedRedis
from gitbrag.stores.connection import key_prefix
from gitbrag.stores.job_index import index_finished
from gitbrag.stores.job_stats import record_ended
from gitbrag.stores.jobs import JOB_PREFIX
from gitbrag.stores.throughput import record_ended as count_ended
from tests.fixtures.web import login
from tests.harness import test_settings
from web.app import create_app

FINISHED = 10_000
QUEUED = 500
REQUESTS = 200
BUDGET_MS = 50.0
PAGES = (
    "/admin",
    "/admin?state=failed",
    "/admin?login=user-7",
    "/admin?age=1h",
    "/admin/live",
)


def _finished_jobs(client: redis.Redis, ttl: int) -> None:
    rng = random.Random(22)
    ns = key_prefix(client)
    now = datetime.now(UTC)
    pipe = client.pipeline(transaction=False)
    for n in range(FINISHED):
        status = rng.choices(["done", "failed", "cancelled", "not_found"], [80, 10, 5, 5])[0]
        finished = now - timedelta(seconds=rng.uniform(0, 86_400))
        started = finished - timedelta(seconds=rng.uniform(1, 300))
        login_name = f"user-{n % 2000}"
        job_id = f"bench-{n:05d}"
        pipe.hset(
            ns + JOB_PREFIX + job_id,
            mapping={
                "id": job_id,
                "status": status,
                "report_key": f"{login_name}:2_years:merged-open",
                "created_at": (started - timedelta(seconds=2)).isoformat(),
                "started_at": started.isoformat(),
                "finished_at": finished.isoformat(),
                "error": "GitHub is unavailable" if status == "failed" else "",
                "viewer_id": "session:abc" if n % 2 else "",
                "deliveries": 1,
                "phase": "build",
                "done": 1,
                "total": 1,
            },
        )
        pipe.expire(ns + JOB_PREFIX + job_id, ttl)
        run = (finished - started).total_seconds()
        record_ended(pipe, ns, status, run)
        index_finished(
            pipe,
            ns,
            job_id,
            status=status,
            login=login_name,
            finished_ms=int(finished.timestamp() * 1000),
            ttl_seconds=ttl,
        )
        count_ended(pipe, ns, finished, status, run)
        if len(pipe) > 5000:
            pipe.execute()
    pipe.execute()


def _monitor(url: str, seen: list[str], stop: threading.Event, ready: threading.Event) -> None:
    client = redis.Redis.from_url(url)
    with client.monitor() as monitor:
        ready.set()
        for event in monitor.listen():
            command = str(event.get("command", "")).lower()
            if command == "echo monitor-stop":
                return
            seen.append(command.split(" ", 1)[0].strip('"'))


def main() -> dict[str, Any]:
    results: dict[str, Any] = {"finished_jobs": FINISHED, "queued_jobs": QUEUED}
    with tempfile.TemporaryDirectory() as tmp_name, FakeHub() as hub:
        tmp = Path(tmp_name)
        server = EmbeddedRedis(tmp / "redis", persistence=False).start()
        settings = test_settings(
            server.url, tmp, hub=hub, admin_logins="octocat", allowed_hosts="127.0.0.1"
        )
        service = ReportService.from_settings(settings)
        web = BackgroundServer(create_app(settings), name="web")
        try:
            _finished_jobs(service.redis, settings.job_record_ttl_seconds)
            credential = service.store_credential(
                token_for("octocat"), viewer_id=None, ttl_seconds=3600
            )
            for n in range(QUEUED):
                key = ReportKey(f"queued-{n}", DateRange.for_period("2_years"))
                service.request_report(key, credential)
            url = web.start()
            with httpx.Client(base_url=url, follow_redirects=False, timeout=30) as client:
                answer = login(client, hub, "octocat", "/admin")  # type: ignore[arg-type]
                assert answer.status_code == 303, answer.text
                for path in PAGES:  # warm up (templates compiled, connections open)
                    assert client.get(path).status_code == 200, path
                seen: list[str] = []
                stop, ready = threading.Event(), threading.Event()
                watcher = threading.Thread(
                    target=_monitor, args=(server.url, seen, stop, ready), daemon=True
                )
                watcher.start()
                ready.wait(5)
                for path in PAGES:
                    assert client.get(path).status_code == 200
                redis.Redis.from_url(server.url).echo("monitor-stop")
                watcher.join(5)
                results["redis_commands_per_page_scripts_included"] = round(
                    len(seen) / len(PAGES), 1
                )
                results["keyspace_scans"] = sum(1 for c in seen if c in ("keys", "scan"))
                pages: dict[str, Any] = {}
                for path in PAGES:
                    times = []
                    for _ in range(REQUESTS):
                        started = time.perf_counter()
                        response = client.get(path)
                        times.append((time.perf_counter() - started) * 1000)
                        assert response.status_code == 200
                    times.sort()
                    pages[path] = {
                        "p50_ms": round(statistics.median(times), 1),
                        "p99_ms": round(times[int(len(times) * 0.99) - 1], 1),
                        "max_ms": round(times[-1], 1),
                        "bytes": len(response.content),
                    }
                results["pages"] = pages
                worst = max(page["p99_ms"] for page in pages.values())
                results["worst_p99_ms"] = worst
                results["budget_p99_ms"] = BUDGET_MS
                results["load_average_1m"] = round(os.getloadavg()[0], 2)
                results["cpus"] = os.cpu_count()
                results["within_budget"] = worst < BUDGET_MS and results["keyspace_scans"] == 0
        finally:
            web.stop()
            server.stop()
    return results
