"""The key namespace (``GITBRAG_REDIS_NAMESPACE``, :mod:`gitbrag.stores.connection`).

Two stacks share one Redis, each with its own namespace and its own Redis ACL user that may
touch only keys of that namespace (``~<namespace>:*``, without the ``@dangerous`` commands but
``INFO``, as docs/deployment.md suggests): a key of the other stack read or
written by a store, a Lua script, Dramatiq, dramatiq-abort or the limiter would fail with
``NOPERM``, and the stack with it. After a whole run of both (OAuth login, pages, exports,
the API with a bearer token and a rejected one, jobs run by real workers through the limiter,
a cancel, a pre-warming tick, metrics, view counts), every key in Redis belongs to one of the
two namespaces: this is the test that catches a new key spelled without the namespace.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from dramatiq import Message
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.runtime.redis_server import EmbeddedRedis
from gitbrag.settings import Settings
from gitbrag.stores.connection import broker_client, broker_namespace
from gitbrag.stores.sessions import SessionStore
from tests.fixtures.web import METRICS_AUTH, login, settings_for
from tests.harness import Worker, wait_for, worker_env
from web.app import create_app
from web.auth import SESSION_COOKIE

# A plain one and a hash tag (what Redis Cluster needs): both must keep every key inside.
NAMESPACES = ("acme-gitbrag", "{beta}")


@dataclass
class Stack:
    namespace: str
    settings: Settings
    client: TestClient
    service: ReportService
    workdir: Path

    def worker(self) -> Worker:
        return Worker(worker_env(self.settings), self.workdir / "worker", threads=4)


def _acl_user(admin: redis.Redis, server: EmbeddedRedis, namespace: str) -> str:
    """A Redis user allowed every command on the keys of ``namespace`` only; its URL."""
    user, password = f"user-{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    admin.acl_setuser(
        user,
        enabled=True,
        passwords=[f"+{password}"],
        keys=[f"{namespace}:*"],
        channels=["*"],
        commands=["+@all", "-@dangerous", "+info"],  # as docs/deployment.md suggests
    )
    return f"redis://{user}:{quote(password, safe='')}@127.0.0.1:{server.port}/0"


@pytest.fixture
def stacks(
    redis_server: EmbeddedRedis, redis_url: str, hub: FakeHub, tmp_path: Path
) -> Iterator[tuple[Stack, Stack]]:
    admin = redis.Redis.from_url(redis_url)
    made: list[Stack] = []
    clients: list[TestClient] = []
    try:
        for namespace in NAMESPACES:
            settings = settings_for(
                _acl_user(admin, redis_server, namespace),
                hub,
                tmp_path / namespace,
                redis_namespace=namespace,
                github_token=hub.token("octocat"),
                view_flush_seconds=0.2,
                prewarm_min_views=1,
            )
            app = create_app(settings)
            client = TestClient(app, base_url="http://testserver", follow_redirects=False)
            clients.append(client.__enter__())
            made.append(
                Stack(namespace, settings, client, app.state.context.service, tmp_path / namespace)
            )
        yield made[0], made[1]
    finally:
        for client in clients:
            client.__exit__(None, None, None)
        for user in admin.acl_users():
            if user.startswith("user-"):
                admin.acl_deluser(user)
        admin.close()


def _bearer(hub: FakeHub, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {hub.token(user)}"}


def _job_done(stack: Stack, job_id: str) -> bool:
    return bool(stack.client.get(f"/api/jobs/{job_id}").json()["finished"])


def _whole_run(stack: Stack, hub: FakeHub) -> None:
    """Everything a deployment writes to Redis, on a real worker."""
    client = stack.client
    assert login(client, hub, "octocat").status_code == 303
    page = client.get("/user/github/octocat")
    assert page.status_code in (200, 202), page.text
    # The API with bearer tokens: one GitHub accepts (a job), one it rejects (remembered).
    started = client.get(
        "/api/reports/github/big-diff?period=2_years", headers=_bearer(hub, "big-diff")
    )
    assert started.status_code == 202, started.text
    assert (
        client.get(
            "/api/reports/github/octocat",
            headers={"Authorization": "Bearer ghp_not_a_real_token_000"},
        ).status_code
        == 401
    )
    # A long job, cancelled while it runs (dramatiq-abort) or queued.
    long = client.get("/api/reports/github/prolific-bot", headers=_bearer(hub, "prolific-bot"))
    assert long.status_code == 202, long.text
    worker = stack.worker().start()
    try:
        long_id = long.json()["job"]["id"]
        wait_for(
            lambda: client.get(f"/api/jobs/{long_id}").json()["status"] != "queued",
            timeout=60,
            what="the long job to start",
        )
        client.delete(f"/api/jobs/{long_id}", headers=_bearer(hub, "prolific-bot"))
        jobs = [started.json()["job"]["id"], long_id]
        wait_for(lambda: all(_job_done(stack, j) for j in jobs), timeout=90, what="the jobs")
        assert client.get(f"/api/jobs/{jobs[0]}").json()["status"] == "done"
        # The served report: page (rendered and kept), exports, views counted and flushed.
        for path in (
            "/user/github/big-diff?period=2_years",
            "/user/github/big-diff.json?period=2_years",
        ):
            assert client.get(path).status_code == 200
        wait_for(
            lambda: stack.service.stores.views.popular(5, min_views=1) != [],
            timeout=10,
            what="the views flushed",
        )
        # A pre-warming tick, as periodiq's scheduler sends it (the tick guard's key).
        tick: Message[None] = Message(
            queue_name="default",
            actor_name="prewarm_popular_reports",
            args=(),
            kwargs={},
            options={"scheduled_at": datetime.now(UTC).isoformat()},
        )
        stack.service._broker.enqueue(tick)
        wait_for(
            lambda: (
                stack.service.redis.hlen(broker_namespace(stack.service.redis) + ":default.msgs")
                == 0
            ),
            timeout=60,
            what="the pre-warming tick",
        )
        assert client.get("/metrics", headers=METRICS_AUTH).status_code == 200
    finally:
        worker.stop()
    _no_refusal(worker.log())


def _no_refusal(log: str) -> None:
    """Best-effort writes (metrics, view counts) swallow errors: an ACL refusal must not hide
    among them."""
    assert "NOPERM" not in log and "no permissions" not in log, log[-3000:]


def test_two_stacks_on_one_redis_never_meet(
    stacks: tuple[Stack, Stack],
    hub: FakeHub,
    redis_client: redis.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    a, b = stacks
    b_worker = b.worker()  # not started yet: B's jobs wait in B's queue
    _whole_run(a, hub)

    # A's report, session and job are nowhere for B.
    key = ReportKey("big-diff", DateRange.for_period("2_years"))
    assert a.service.get_report(key) is not None and b.service.get_report(key) is None
    session_id = a.client.cookies.get(SESSION_COOKIE)
    assert session_id is not None
    assert SessionStore(a.service.redis, session_ttl=60, bearer_ttl=60).get(session_id) is not None
    assert SessionStore(b.service.redis, session_ttl=60, bearer_ttl=60).get(session_id) is None
    asked = b.client.get(
        "/api/reports/github/big-diff?period=2_years", headers=_bearer(hub, "big-diff")
    )
    assert asked.status_code == 202  # not A's stored report: B starts its own job
    b_job = asked.json()["job"]["id"]

    # A's worker is running and polling its queues; B's job is not in any of them.
    a_worker = a.worker().start()
    try:
        again = a.client.get(
            "/api/reports/github/octocat?period=5_years", headers=_bearer(hub, "octocat")
        )
        assert again.status_code == 202
        a_job = again.json()["job"]["id"]
        wait_for(lambda: _job_done(a, a_job), timeout=60, what="A's job")
        assert b.client.get(f"/api/jobs/{b_job}").json()["status"] == "queued"
        b_queue = broker_namespace(b.service.redis) + ":reports.msgs"
        assert redis_client.hlen(b_queue) == 1
    finally:
        a_worker.stop()
    b_worker.start()
    try:
        wait_for(lambda: _job_done(b, b_job), timeout=60, what="B's job")
        assert b.client.get(f"/api/jobs/{b_job}").json()["status"] == "done"
    finally:
        b_worker.stop()
    for log in (a_worker.log(), b_worker.log(), caplog.text):
        _no_refusal(log)

    # Every key in Redis is one stack's: nothing was written outside a namespace.
    keys = [key.decode() for key in redis_client.scan_iter(count=1000)]
    outside = [key for key in keys if not key.startswith(tuple(f"{n}:" for n in NAMESPACES))]
    assert not outside, f"keys outside every namespace: {sorted(outside)[:20]}"
    for namespace in NAMESPACES:
        assert any(key.startswith(f"{namespace}:dramatiq:") for key in keys)
        assert any(key.startswith(f"{namespace}:report:") for key in keys)


def test_the_broker_client_carries_the_namespace(redis_url: str) -> None:
    client = broker_client(Settings(redis_url=redis_url, redis_namespace="{shop}"))
    assert broker_namespace(client) == "{shop}:dramatiq"
    client.close()
