"""The background pipeline end to end: embedded Redis, a real ``dramatiq actors`` worker
(1 process, 8 threads) and the simulated GitHub over loopback.

Measures GitHub requests and generation time per report through the whole pipeline (first
report of a user, then another period with the Redis cache warm), deduplication of 200
concurrent requests, the limiter's hand-over gap between one user's jobs, and the time to
complete a job whose worker was SIGKILLed (``--no-crash`` skips that ~30 s part).
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from gitbrag.fakehub.data import token_for
from gitbrag.fakehub.server import FakeHub
from gitbrag.periods import DateRange, Period, ReportKey
from gitbrag.runtime.redis_server import EmbeddedRedis
from gitbrag.service import Job, ReportService
from gitbrag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "dramatiq", "actors", "-p", "1", "-t", "8"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while "Worker process is ready for action" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(log.read_text(errors="replace"))
        time.sleep(0.1)
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _wait(service: ReportService, job_id: str, timeout: float = 180) -> Job:
    deadline = time.monotonic() + timeout
    while True:
        job = service.get_job(job_id)
        if job is not None and job.finished:
            return job
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} did not finish")
        time.sleep(0.05)


def _seconds(job: Job) -> float:
    assert job.started_at is not None and job.finished_at is not None
    return round((job.finished_at - job.started_at).total_seconds(), 2)


def main() -> dict[str, Any]:
    crash = "--no-crash" not in sys.argv
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, FakeHub() as hub:
        redis_server = EmbeddedRedis(Path(tmp) / "redis", persistence=False).start()
        settings = Settings(
            redis_url=redis_server.url,
            secret_key="bench-secret",
            data_dir=Path(tmp),
            github_api_url=hub.api_url,
            github_graphql_url=hub.graphql_url,
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("GITBRAG_")}
        env.update(
            GITBRAG_REDIS_URL=redis_server.url,
            GITBRAG_SECRET_KEY="bench-secret",
            GITBRAG_DATA_DIR=tmp,
            GITBRAG_GITHUB_API_URL=hub.api_url,
            GITBRAG_GITHUB_GRAPHQL_URL=hub.graphql_url,
            PYTHONPATH=str(ROOT),
            TZ="UTC",
        )
        service = ReportService.from_settings(settings)
        log = Path(tmp) / "worker.log"
        worker = _start_worker(env, log)
        try:
            results["reports"] = _reports(service, hub)
            results["dedup"] = _dedup(service, hub)
            results["limiter"] = _limiter(service, hub)
            if crash:
                results["crash_recovery"] = _crash(service, hub, worker, env, log)
                worker = _start_worker(env, log) if worker.poll() is not None else worker
        finally:
            _stop(worker)
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
    service: ReportService,
    hub: FakeHub,
    worker: subprocess.Popen[bytes],
    env: dict[str, str],
    log: Path,
) -> dict[str, Any]:
    hub.faults.configure(latency_ms=150)
    credential = service.store_credential(token_for("star-gazer"), viewer_id=None, ttl_seconds=3600)
    key = ReportKey("star-gazer", DateRange.for_period("5_years"))
    job = service.request_report(key, credential)
    while (current := service.get_job(job.id)) is None or current.status != "running":
        time.sleep(0.05)
    time.sleep(0.5)
    for child in psutil.Process(worker.pid).children(recursive=True):
        child.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    _stop(worker)
    replacement = _start_worker(env, log)
    try:
        done = _wait(service, job.id)
        recovered = time.monotonic() - killed
    finally:
        _stop(replacement)
        hub.faults.configure(latency_ms=0)
    return {"status": done.status, "seconds_from_sigkill_to_done": round(recovered, 1)}
