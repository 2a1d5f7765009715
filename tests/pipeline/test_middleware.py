"""The limiter middleware and broker wiring on the StubBroker variant (in-process worker)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator

import dramatiq
import pytest
from dramatiq import Worker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage
from dramatiq.rate_limits.backends import StubBackend as LimiterStubBackend
from dramatiq_abort import Abortable
from periodiq import PeriodiqMiddleware

from actors.broker import build_broker, limiter_of
from actors.limiter import ReportedUserLimiter
from gitbrag.settings import Settings


@pytest.fixture
def stub_broker() -> Iterator[StubBroker]:
    broker = build_broker(Settings(limiter_slot_ttl_seconds=30), stub=True)
    assert isinstance(broker, StubBroker)
    broker.emit_after("process_boot")
    previous = dramatiq.get_broker()
    dramatiq.set_broker(broker)
    worker = Worker(broker, worker_timeout=50, worker_threads=4)
    worker.start()
    try:
        yield broker
    finally:
        worker.stop()
        broker.close()
        dramatiq.set_broker(previous)


def test_stub_variant_has_every_middleware_in_order(stub_broker: StubBroker) -> None:
    assert isinstance(stub_broker, StubBroker)
    kinds = [type(middleware) for middleware in stub_broker.middleware]
    for required in (CurrentMessage, Abortable, PeriodiqMiddleware, ReportedUserLimiter):
        assert required in kinds
    assert kinds.index(ReportedUserLimiter) > kinds.index(Abortable)
    assert kinds.index(ReportedUserLimiter) > kinds.index(PeriodiqMiddleware)


def test_a_waiting_message_checks_again_within_the_limiter_retry_setting() -> None:
    """``GITBRAG_LIMITER_RETRY_SECONDS``: a deferred message is back in between half of it and
    all of it (the default, one second: 0.5-1 s)."""
    assert limiter_of(build_broker(Settings(), stub=True)).recheck_ms == (500, 1000)
    slower = build_broker(Settings(limiter_retry_seconds=3.0), stub=True)
    assert limiter_of(slower).recheck_ms == (1500, 3000)


def test_limiter_serialises_one_key_without_using_retries(stub_broker: StubBroker) -> None:
    spans: dict[str, list[tuple[float, float]]] = {"alice": [], "bob": []}
    lock = threading.Lock()

    @dramatiq.actor(
        broker=stub_broker,
        concurrency_key=lambda message: message.args[0],
        max_retries=0,  # a deferral must never count as a retry
    )
    def work(user: str, number: int) -> None:
        started = time.monotonic()
        time.sleep(0.3)
        with lock:
            spans[user].append((started, time.monotonic()))

    for number in range(3):
        work.send("alice", number)
    work.send("bob", 0)
    stub_broker.join(work.queue_name, timeout=20_000)

    assert len(spans["alice"]) == 3 and len(spans["bob"]) == 1
    alice = sorted(spans["alice"])
    for (_, previous_end), (next_start, _) in itertools.pairwise(alice):
        assert next_start >= previous_end
        assert next_start - previous_end < 3.0
    bob_start, bob_end = spans["bob"][0]
    assert any(start < bob_end and bob_start < end for start, end in alice)
    assert limiter_of(stub_broker).deferrals > 0
    assert not stub_broker.dead_letters


def test_slot_is_released_when_the_actor_fails(stub_broker: StubBroker) -> None:
    @dramatiq.actor(broker=stub_broker, concurrency_key=lambda message: "carol", max_retries=0)
    def explode() -> None:
        raise ValueError("boom")

    explode.send()
    stub_broker.join(explode.queue_name, timeout=10_000, fail_fast=False)
    limiter = limiter_of(stub_broker).limiter_for("carol")
    # The failed job gave the slot back.
    with limiter.acquire(raise_on_failure=False) as acquired:
        assert acquired


class _BrokenBackend(LimiterStubBackend):
    def add(self, *args: object, **kwargs: object) -> bool:
        raise ConnectionError("Redis went away")


def test_limiter_backend_failure_never_runs_the_actor_unguarded(stub_broker: StubBroker) -> None:
    limiter_of(stub_broker).backend = _BrokenBackend()  # type: ignore[no-untyped-call]
    ran: list[int] = []

    @dramatiq.actor(broker=stub_broker, concurrency_key=lambda message: "dave", max_retries=0)
    def guarded() -> None:
        ran.append(1)

    guarded.send()
    stub_broker.join(guarded.queue_name, timeout=10_000, fail_fast=False)
    assert ran == []
    assert len(stub_broker.dead_letters) == 1
