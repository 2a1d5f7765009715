"""Redis going away under a real worker (its own persistent Redis, restarted on the same
port): a running job and a job waiting in the delay queue both finish once it is back."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from queue import PriorityQueue

import dramatiq
import pytest
import redis
from dramatiq import Message
from dramatiq.broker import MessageProxy
from dramatiq.worker import ConsumerThread

from actors.broker import RecoveringRedisBroker, build_broker, limiter_of
from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.runtime.redis_server import EmbeddedRedis
from tests.harness import Worker, test_settings, wait_for, worker_env
from tests.pipeline.helpers import wait_finished

CONNECTION_LOST = "Consumer encountered a connection error"


@dataclass
class OwnRedis:
    server: EmbeddedRedis
    service: ReportService
    worker: Worker

    def kill(self) -> None:
        """SIGKILL redis-server (no save: it comes back from its append-only file)."""
        pid = self.server.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not self.server.running, 10, what="redis-server gone")
        self.server.stop()  # reaps it

    def lost_connection(self) -> int:
        return self.worker.log().count(CONNECTION_LOST)


@pytest.fixture
def own_redis(tmp_path: Path, hub: FakeHub) -> Iterator[OwnRedis]:
    server = EmbeddedRedis(tmp_path / "redis", persistence=True).start()
    # Rate-limit resets further than a second away are waited for in the queue.
    settings = test_settings(server.url, tmp_path, hub=hub, github_max_wait_seconds=1.0)
    service = ReportService.from_settings(settings)
    worker = Worker(worker_env(settings), tmp_path / "worker", threads=4, via_gitbrag=True)
    try:
        yield OwnRedis(server, service, worker.start())
    finally:
        worker.stop()
        service.redis.close()
        server.stop()


@pytest.mark.slow
def test_a_job_running_when_redis_dies_finishes_once_it_is_back(
    own_redis: OwnRedis, hub: FakeHub
) -> None:
    hub.faults.configure(latency_ms=150)
    service = own_redis.service
    credential = service.store_credential(hub.token("octocat"), viewer_id=None, ttl_seconds=600)
    key = ReportKey("octocat", DateRange.for_period("5_years"))
    job = service.request_report(key, credential)

    def running() -> bool:
        current = service.get_job(job.id)
        return current is not None and current.status == "running" and hub.request_count() > 0

    wait_for(running, 30)
    before = own_redis.lost_connection()
    own_redis.kill()
    # The worker noticed (its consumers lost Redis) before Redis comes back.
    wait_for(lambda: own_redis.lost_connection() > before, 30, what="the worker saw it")
    own_redis.server.start()

    (done,) = wait_finished(service, [job.id], timeout=120)
    assert done.status == "done", done.error
    stored = service.get_report(key)
    assert stored is not None and stored.complete
    assert service.current_job(key) is None  # the claim was released


@pytest.mark.slow
def test_a_job_waiting_in_the_delay_queue_when_redis_dies_still_runs(
    own_redis: OwnRedis, hub: FakeHub
) -> None:
    """The worker holds delayed messages in memory; Dramatiq drops them when its consumer
    loses Redis, while their ids stay in the live worker's acknowledgements."""
    service = own_redis.service
    token = hub.token("octocat")
    hub.set_budget(token, remaining=0, reset_in=15)  # spent: the job waits for the reset
    credential = service.store_credential(token, viewer_id=None, ttl_seconds=600)
    key = ReportKey("octocat", DateRange.for_period("1_year"))
    job = service.request_report(key, credential)
    redis = service.redis

    def held_by_the_worker() -> bool:
        current = service.get_job(job.id)
        waiting = current is not None and current.status == "waiting_rate_limit"
        fetched = any(
            redis.scard(k) for k in redis.scan_iter("gitbrag:dramatiq:__acks__.*.reports.DQ")
        )
        return waiting and fetched and redis.llen("gitbrag:dramatiq:reports.DQ") == 0

    wait_for(held_by_the_worker, 30, what="the delayed message in the worker's memory")
    before = own_redis.lost_connection()
    own_redis.kill()
    wait_for(lambda: own_redis.lost_connection() > before, 30, what="the worker saw it")
    own_redis.server.start()

    (done,) = wait_finished(service, [job.id], timeout=90)
    assert done.status == "done", done.error
    assert service.get_report(key) is not None


def test_a_message_taking_its_limiter_slot_while_redis_is_down_waits_for_it(
    tmp_path: Path,
) -> None:
    """The per-reported-user limiter takes its slot once Redis is back instead of failing the
    message: failed while Redis is down, its retry and its ack would be lost with the broker
    and the job would stay 'running' until its claim expired."""
    data = tmp_path / "redis"
    server = EmbeddedRedis(data, persistence=True).start()
    broker = build_broker(test_settings(server.url, tmp_path))

    @dramatiq.actor(broker=broker, concurrency_key=lambda message: message.args[0])
    def generate(user: str) -> None:  # never run: only its options matter
        raise AssertionError

    message = MessageProxy(Message(generate.queue_name, generate.actor_name, ("octocat",), {}, {}))
    limiter = limiter_of(broker)
    server.stop()
    back = threading.Timer(1.5, server.start)
    back.start()
    try:
        limiter.before_process_message(broker, message)  # raised LimiterUnavailable before
        assert server.running
        slot = limiter.limiter_for("octocat")
        with slot.acquire(raise_on_failure=False) as acquired:
            assert not acquired  # the slot is held: a second job of octocat defers
        limiter.after_process_message(broker, message)
        with slot.acquire(raise_on_failure=False) as acquired:
            assert acquired
    finally:
        back.join()
        broker.close()
        server.stop()


def test_a_delayed_message_due_while_redis_is_down_reaches_its_queue(tmp_path: Path) -> None:
    """Dramatiq's delay-queue consumer takes a due message out of its memory, then enqueues
    it on its queue: with Redis away, that error used to be "unexpected" for the consumer
    thread, which dropped the message (its id left in this live worker's unacknowledged set,
    its job ``queued`` forever: chaos case 8) or died. The broker now enqueues from a
    consumer thread again until Redis takes it."""
    server = EmbeddedRedis(tmp_path / "redis", persistence=True).start()
    broker = RecoveringRedisBroker(
        client=redis.Redis.from_url(server.url, socket_timeout=1, socket_connect_timeout=1),
        namespace="outage",
    )
    broker.declare_queue("q")
    # Prefetch 1: while it holds the message, the consumer sends Redis nothing.
    thread = ConsumerThread(
        broker=broker, queue_name="q.DQ", prefetch=1, work_queue=PriorityQueue(),
        worker_timeout=100,
    )  # fmt: skip
    client = redis.Redis.from_url(server.url)
    try:
        message = Message(queue_name="q", actor_name="a", args=(), kwargs={}, options={})
        broker.enqueue(message, delay=2500)
        thread.start()
        wait_for(lambda: client.llen("outage:q.DQ") == 0, 10, what="fetched into memory")
        server.stop()  # saved: the fetch survives
        time.sleep(3)  # the message falls due while Redis is away
        server.start()
        wait_for(lambda: client.llen("outage:q") == 1, 30, what="the message on its queue")
        assert thread.is_alive()
        (data,) = client.hvals("outage:q.msgs")
        assert Message.decode(data).message_id == message.message_id
        wait_for(lambda: not client.keys("outage:__acks__.*"), 10, what="the DQ copy acked")
    finally:
        thread.stop()
        thread.join(5)
        client.close()
        broker.close()
        server.stop()
