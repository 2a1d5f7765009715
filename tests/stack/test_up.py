"""`gitbrag up` end to end: real embedded Redis, web, worker and scheduler processes, with the
simulated GitHub (in this test process) over loopback."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import pytest
import redis

from gitbrag.fakehub import DataSet, FakeHub
from gitbrag.fakehub.data import token_for
from gitbrag.runtime.redis_server import EmbeddedRedis
from tests.stack.conftest import StackProcess, poll_until, still_alive

pytestmark = pytest.mark.slow

# A killed worker's message comes back after the broker's heartbeat timeout, on one of its
# randomly chosen maintenance passes, and the per-user slot after its TTL: all tightened (they
# are settings) so the crash test takes seconds rather than the defaults' tens of seconds.
FAST_RECOVERY = {
    "GITBRAG_BROKER_HEARTBEAT_TIMEOUT_MS": "5000",
    "GITBRAG_BROKER_MAINTENANCE_CHANCE": "300000",
    "GITBRAG_LIMITER_SLOT_TTL_SECONDS": "6",
}


def github_env(hub: FakeHub) -> dict[str, str]:
    return {
        "GITBRAG_GITHUB_API_URL": hub.api_url,
        "GITBRAG_GITHUB_GRAPHQL_URL": hub.graphql_url,
        "GITBRAG_GITHUB_URL": hub.github_url,
        "GITBRAG_RETRY_BACKOFF_SECONDS": "0.05",
    }


@pytest.fixture
def slow_hub(fakehub_data: DataSet) -> Iterator[FakeHub]:
    """The simulated GitHub answering every request after 150 ms: jobs last long enough to kill."""
    with FakeHub(fakehub_data, latency_ms=150) as hub:
        yield hub


def report_api(stack: StackProcess, login: str, token: str) -> Callable[[], Any]:
    def fetch() -> Any:
        response = stack.http.get(
            f"/api/reports/github/{login}", headers={"Authorization": f"Bearer {token}"}
        )
        return response.status_code, response.json()

    return fetch


def test_up_generates_through_the_worker_stops_cleanly_and_keeps_the_report(
    start_stack: Callable[..., StackProcess], hub: FakeHub
) -> None:
    stack = start_stack(github_env(hub))
    stack.wait_ready()
    names = {" ".join(p.cmdline()) for p in stack.descendants()}
    assert any("redis-server" in n for n in names)
    assert any(" web " in n for n in names)
    assert any("dramatiq actors" in n for n in names)
    assert sum("periodiq" in n for n in names) == 1, "exactly one scheduler"
    stack.wait_announced()

    fetch = report_api(stack, "octocat", token_for("octocat"))
    status, body = fetch()
    assert status == 202 and body["state"] == "generating", body
    job_id = body["job"]["id"]
    status, body = poll_until(fetch, lambda r: r[0] == 200, 90, "report generated")
    report = body["report"]
    assert body["state"] == "fresh"
    assert report["username"] == "octocat" and report["totals"]["pull_requests"] > 0
    job = stack.http.get(f"/api/jobs/{job_id}").json()
    assert job["status"] == "done" and job["started_at"] and job["finished_at"]
    assert hub.request_count() > 0, "the worker collected from the simulated GitHub"

    tree = stack.descendants()
    assert len(tree) >= 5  # redis, web, worker master + process, scheduler
    assert stack.terminate() == 0
    assert still_alive(tree) == [], "no child process may outlive `gitbrag up`"
    assert "data saved" in stack.log()
    # The embedded Redis asks for a password (kept in the data dir); no log line shows it.
    password = (stack.data_dir / "redis" / "redis_password").read_text()
    assert len(password) >= 32 and password not in stack.log()
    assert "local Redis on redis://127.0.0.1:" in stack.log()

    requests_before = hub.request_count()
    again = start_stack(github_env(hub))
    again.wait_ready()
    status, body = report_api(again, "octocat", token_for("octocat"))()
    assert status == 200 and body["state"] == "fresh"
    assert body["report"]["generated_at"] == report["generated_at"]
    assert hub.request_count() == requests_before, "served from Redis, not regenerated"
    tree = again.descendants()
    assert again.terminate() == 0
    assert still_alive(tree) == []


def test_killed_worker_is_restarted_and_the_running_job_completes(
    start_stack: Callable[..., StackProcess], slow_hub: FakeHub
) -> None:
    stack = start_stack({**github_env(slow_hub), **FAST_RECOVERY})
    stack.wait_ready()
    worker = stack.child("dramatiq")
    worker_processes = worker.children(recursive=True)
    assert worker_processes, "Dramatiq's master forks its worker processes"

    fetch = report_api(stack, "prolific-bot", token_for("prolific-bot"))
    status, body = fetch()
    assert status == 202, body
    job_id = body["job"]["id"]

    def job() -> dict[str, Any]:
        answer: dict[str, Any] = stack.http.get(f"/api/jobs/{job_id}").json()
        return answer

    poll_until(
        job,
        lambda j: j["status"] == "running" and j["progress"] and j["percent"] < 50,
        60,
        "job running, less than half done",
    )
    killed_at, killed_wall = time.monotonic(), datetime.now(UTC)
    worker.send_signal(signal.SIGKILL)

    restarted = poll_until(
        lambda: stack.find_child("dramatiq"),
        lambda child: child is not None and child.pid != worker.pid,
        20,
        "worker restarted",
    ).pid
    assert still_alive(worker_processes) == [], "the dead master's processes were killed"
    assert f"worker (pid {worker.pid}) exited with -9" in stack.log()
    requests_at_restart = slow_hub.request_count()

    status, body = poll_until(fetch, lambda r: r[0] == 200, 120, "job completed after the crash")
    recovered_in = time.monotonic() - killed_at
    assert body["report"]["totals"]["pull_requests"] > 1000
    finished = job()
    assert finished["status"] == "done"
    assert datetime.fromisoformat(finished["finished_at"]) > killed_wall
    assert slow_hub.request_count() > requests_at_restart, "the new worker redid the collection"
    assert stack.child("dramatiq").pid == restarted
    print(f"job completed {recovered_in:.1f}s after its worker was SIGKILLed")

    tree = stack.descendants()
    assert stack.terminate() == 0
    assert still_alive(tree) == []


def test_killed_embedded_redis_is_restarted_with_its_data(
    start_stack: Callable[..., StackProcess], hub: FakeHub
) -> None:
    stack = start_stack(github_env(hub))
    stack.wait_announced()
    fetch = report_api(stack, "big-diff", token_for("big-diff"))
    assert fetch()[0] == 202
    _, body = poll_until(fetch, lambda r: r[0] == 200, 90, "report generated")
    time.sleep(1.5)  # the append-only file is flushed every second
    redis = stack.child("redis-server")

    redis.send_signal(signal.SIGKILL)

    poll_until(
        lambda: stack.find_child("redis-server"),
        lambda child: child is not None and child.pid != redis.pid,
        15,
        "embedded Redis restarted",
    )
    poll_until(lambda: stack.http.get("/readyz").status_code, lambda s: s == 200, 30, "ready")
    _, again = poll_until(fetch, lambda r: r[0] == 200, 30, "report served again")
    assert again["report"]["generated_at"] == body["report"]["generated_at"]
    assert "embedded Redis exited; restarting it" in stack.log()
    tree = stack.descendants()
    assert stack.terminate() == 0
    assert still_alive(tree) == []


def test_up_uses_a_configured_redis_and_leaves_it_running(
    start_stack: Callable[..., StackProcess], hub: FakeHub, tmp_path: Path
) -> None:
    with EmbeddedRedis(tmp_path / "external", persistence=False) as external:
        stack = start_stack({**github_env(hub), "GITBRAG_REDIS_URL": external.url})
        stack.wait_announced()
        assert stack.find_child("redis-server") is None, "no embedded Redis with a URL"
        fetch = report_api(stack, "no-prs", token_for("no-prs"))
        poll_until(fetch, lambda r: r[0] == 200, 60, "report generated")
        tree = stack.descendants()
        assert stack.terminate() == 0
        assert still_alive(tree) == []
        assert external.running, "a Redis the stack did not start is not stopped by it"
        client = redis.Redis.from_url(external.url)
        assert any(b"no-prs" in key for key in client.keys("*")), "the report went there"
        client.close()


def test_sigkilled_stack_leaves_no_orphans(
    start_stack: Callable[..., StackProcess], hub: FakeHub, tmp_path: Path
) -> None:
    stack = start_stack(github_env(hub))
    stack.wait_announced()
    tree = stack.descendants()
    assert len(tree) >= 6  # redis, web, worker master + process, scheduler, watchdog

    stack.process.send_signal(signal.SIGKILL)  # no chance to stop anything itself
    stack.process.wait(timeout=10)

    _, alive = psutil.wait_procs(tree, timeout=30)
    assert alive == [], "the watchdog ended every child, Redis included"
    log = (tmp_path / "data" / "redis" / "redis.log").read_text()
    assert "Received SIGTERM" in log and "ready to exit" in log, "Redis shut down cleanly"
    assert "Worker has been shut down" in stack.log(), "workers stopped before Redis"
