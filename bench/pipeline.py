"""The background pipeline end to end: embedded Redis, a real ``dramatiq actors`` worker
(1 process, 8 threads) and the simulated GitHub over loopback.

Measures GitHub requests and generation time per report through the whole pipeline (first
report of a user, then another period with the Redis cache warm), deduplication of 200
concurrent requests, the limiter's hand-over gap between one user's jobs, and the time to
complete a job whose worker was SIGKILLed (``--no-crash`` skips that ~30 s part).
"""

from __future__ import annotations

import itertools
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from gitbrag.fakehub.data import token_for
from gitbrag.fakehub.server import FakeHub
from gitbrag.jobs.service import Job, ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange, Period
from gitbrag.runtime.redis_server import EmbeddedRedis
from tests.harness import Worker, poll_until, test_settings, worker_env


def _start_worker(env: dict[str, str], workdir: Path) -> Worker:
    return Worker(env, workdir, threads=8).start()


def _wait(service: ReportService, job_id: str, timeout: float = 180) -> Job:
    job = poll_until(
        lambda: service.get_job(job_id),
        lambda job: job is not None and job.finished,
        timeout,
        f"job {job_id} finished",
        interval=0.05,
    )
    assert job is not None
    return job


def _seconds(job: Job) -> float:
    assert job.started_at is not None and job.finished_at is not None
    return round((job.finished_at - job.started_at).total_seconds(), 2)


def main() -> dict[str, Any]:
    crash = "--no-crash" not in sys.argv
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, FakeHub() as hub:
        redis_server = EmbeddedRedis(Path(tmp) / "redis", persistence=False).start()
        # The harness's settings and worker environment: nothing from a developer's .env.
        settings = test_settings(redis_server.url, Path(tmp), hub=hub)
        env = worker_env(settings)
        service = ReportService.from_settings(settings)
        workdir = Path(tmp) / "worker"
        worker = _start_worker(env, workdir)
        try:
            results["reports"] = _reports(service, hub)
            results["dedup"] = _dedup(service, hub)
            results["limiter"] = _limiter(service, hub)
            if crash:
                results["crash_recovery"] = _crash(service, hub, worker, env, workdir)
        finally:
            worker.stop()
            service.redis.close()
            redis_server.stop()
    return results


def _reports(service: ReportService, hub: FakeHub) -> list[dict[str, Any]]:
    rows = []
    plan: tuple[tuple[str, tuple[Period, ...]], ...] = (
        ("octocat", ("5_years", "1_year")),
        ("prolific-bot", ("2_years", "1_year")),
    )
    for login, periods in plan:
        credential = service.store_credential(token_for(login), viewer_id=None, ttl_seconds=3600)
        for order, period in enumerate(periods):
            key = ReportKey(login, DateRange.for_period(period))
            hub.reset_counters()
            job = _wait(service, service.request_report(key, credential).id)
            stored = service.get_report(key)
            rows.append(
                {
                    "user": login,
                    "period": period,
                    "cache": "cold" if order == 0 else "warm",
                    "status": job.status,
                    "pull_requests": stored.report.totals.pull_requests if stored else None,
                    "github_requests": hub.request_count(),
                    "generation_seconds": _seconds(job),
                }
            )
    return rows


def _dedup(service: ReportService, hub: FakeHub) -> dict[str, Any]:
    key = ReportKey("Mixed-Case-Dev", DateRange.for_period("1_year"))
    credential = service.store_credential(token_for("octocat"), viewer_id=None, ttl_seconds=3600)
    ids: list[str] = []
    barrier = threading.Barrier(200)

    def request() -> None:
        barrier.wait()
        ids.append(service.request_report(key, credential).id)

    threads = [threading.Thread(target=request) for _ in range(200)]
    hub.reset_counters()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    job = _wait(service, ids[0])
    return {
        "requests": 200,
        "distinct_jobs": len(set(ids)),
        "seconds_for_200_requests": round(elapsed, 3),
        "status": job.status,
        "github_requests": hub.request_count(),
    }


def _limiter(service: ReportService, hub: FakeHub) -> dict[str, Any]:
    hub.faults.configure(latency_ms=50)
    credential = service.store_credential(token_for("big-diff"), viewer_id=None, ttl_seconds=3600)
    periods: tuple[Period, ...] = ("1_year", "2_years", "5_years", "all_time")
    keys = [ReportKey("big-diff", DateRange.for_period(period)) for period in periods]
    jobs = [_wait(service, job.id) for job in [service.request_report(k, credential) for k in keys]]
    hub.faults.configure(latency_ms=0)
    ordered = sorted(jobs, key=lambda job: job.started_at or job.created_at)
    gaps = [
        (b.started_at - a.finished_at).total_seconds()  # type: ignore[operator]
        for a, b in itertools.pairwise(ordered)
    ]
    return {
        "jobs": len(jobs),
        "overlaps": sum(gap < 0 for gap in gaps),
        "max_handover_gap_seconds": round(max(gaps), 2),
        "mean_handover_gap_seconds": round(sum(gaps) / len(gaps), 2),
    }


def _crash(
    service: ReportService, hub: FakeHub, worker: Worker, env: dict[str, str], workdir: Path
) -> dict[str, Any]:
    hub.faults.configure(latency_ms=150)
    credential = service.store_credential(token_for("star-gazer"), viewer_id=None, ttl_seconds=3600)
    key = ReportKey("star-gazer", DateRange.for_period("5_years"))
    job = service.request_report(key, credential)

    def running() -> bool:
        current = service.get_job(job.id)
        return current is not None and current.status == "running" and hub.request_count() > 2

    poll_until(running, bool, 60, "job running", interval=0.05)
    worker.kill_worker_process()
    killed = time.monotonic()
    worker.stop()
    replacement = _start_worker(env, workdir)
    try:
        done = _wait(service, job.id)
        recovered = time.monotonic() - killed
    finally:
        replacement.stop()
        hub.faults.configure(latency_ms=0)
    return {"status": done.status, "seconds_from_sigkill_to_done": round(recovered, 1)}
