"""Redis memory per cached report: what to give Redis (``maxmemory``) for the reports kept.

A stack on the simulated GitHub (embedded Redis, a ``gitbrag worker``) generates a small and a
big report through the real pipeline, then the web renders each (page, JSON export, card):
Redis's ``MEMORY USAGE`` of each report's hash (the report JSON and its renderings), of the
GitHub cache entries it left (``gh:``), and the server's ``used_memory`` before and after.
Writes ``bench/results/report_memory.json``; ``docs/deployment.md`` quotes it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import httpx
import redis

from bench.pipeline import _start_worker, _wait
from gitbrag.fakehub.data import token_for
from gitbrag.fakehub.server import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.runtime.background_server import BackgroundServer
from gitbrag.runtime.redis_server import EmbeddedRedis
from gitbrag.stores.cache import CACHE_PREFIX
from gitbrag.stores.connection import key_prefix
from tests.harness import test_settings, worker_env
from web.app import create_app

REPORTS = (("octocat", "5_years"), ("prolific-bot", "2_years"))


def _kib(value: int) -> float:
    return round(value / 1024, 1)


def main() -> dict[str, Any]:
    results: dict[str, Any] = {"reports": {}}
    with tempfile.TemporaryDirectory() as tmp_name, FakeHub() as hub:
        tmp = Path(tmp_name)
        server = EmbeddedRedis(tmp / "redis", persistence=False).start()
        results["redis"] = server.binary.describe()
        settings = test_settings(server.url, tmp, hub=hub)
        service = ReportService.from_settings(settings)
        admin = redis.Redis.from_url(server.url)
        web = BackgroundServer(create_app(settings), name="web")
        try:
            baseline = int(admin.info("memory")["used_memory"])
            worker = _start_worker(worker_env(settings), tmp / "worker")
            url = web.start()
            try:
                for login, period in REPORTS:
                    key = ReportKey(login, DateRange.for_period(period))  # type: ignore[arg-type]
                    credential = service.store_credential(
                        token_for(login), viewer_id=None, ttl_seconds=3600
                    )
                    job = _wait(service, service.request_report(key, credential).id)
                    stored = service.get_report(key)
                    assert job.status == "done" and stored is not None, job
                    query = f"period={period}"
                    for path in (f"/user/github/{login}", f"/user/github/{login}.json",
                                 f"/user/github/{login}/card.svg"):  # fmt: skip
                        assert httpx.get(f"{url}{path}?{query}", timeout=60).status_code == 200
                    report_bytes = int(admin.memory_usage(service.stores.reports.redis_key(key)))
                    results["reports"][f"{login}/{period}"] = {
                        "pull_requests": stored.report.totals.pull_requests,
                        "report_hash_kib": _kib(report_bytes),
                    }
            finally:
                worker.stop()
                web.stop()
            cache = [
                int(admin.memory_usage(name) or 0)
                for name in admin.scan_iter(key_prefix(admin) + CACHE_PREFIX + "*", count=1000)
            ]
            results["github_cache_entries"] = len(cache)
            results["github_cache_kib"] = _kib(sum(cache))
            results["used_memory_growth_kib"] = _kib(
                int(admin.info("memory")["used_memory"]) - baseline
            )
        finally:
            admin.close()
            service.redis.close()
            server.stop()
    return results
