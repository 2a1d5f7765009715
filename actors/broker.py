"""The one Dramatiq broker, built with every middleware before any actor module is imported.

Middleware (in processing order): Dramatiq's defaults (AgeLimit, TimeLimit,
ShutdownNotifications, Callbacks, Pipelines, Retries), CurrentMessage (actors read their
message id = job id), AsyncIO (the collector is async), Abortable (dramatiq-abort), Periodiq
(scheduled actors), then :class:`~actors.limiter.ReportedUserLimiter` — last, so messages that
Abortable cancels or Periodiq skips never take a slot.

Crash recovery is tuned here rather than with a watchdog: a worker whose heartbeat is older
than ``broker_heartbeat_timeout_ms`` (20 s) is dead, and the maintenance pass that requeues a
dead worker's unacked messages runs on ``broker_maintenance_chance`` per million broker
commands (5 %, i.e. every couple of seconds for an idle worker instead of ~13 minutes), so a
SIGKILLed job is redelivered about 20-30 s after the kill once any worker polls the queue.
The redelivered message has the same id, which still owns the job claim, so it simply runs.

``GITBRAG_STUB_BROKER=1`` builds a :class:`~dramatiq.brokers.stub.StubBroker` with stub
backends for unit tests.
"""

from __future__ import annotations

import os

import dramatiq
from dramatiq import Broker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO, CurrentMessage
from dramatiq.rate_limits.backends import RedisBackend as LimiterRedisBackend
from dramatiq.rate_limits.backends import StubBackend as LimiterStubBackend
from dramatiq_abort import Abortable
from dramatiq_abort import backends as abort_backends
from periodiq import PeriodiqMiddleware

from actors.limiter import ReportedUserLimiter
from gitbrag.lifecycle import DRAMATIQ_NAMESPACE
from gitbrag.settings import Settings, get_settings
from gitbrag.stores.connection import broker_client, connect
from gitbrag.stores.limiter_slots import LimiterSlots
from gitbrag.stores.worker_metrics import WorkerMetricsStore


def build_broker(settings: Settings, *, stub: bool = False) -> Broker:
    """A broker with the full middleware stack; ``stub`` for in-memory unit tests."""
    limiter_backend: LimiterRedisBackend | LimiterStubBackend
    abort_backend: abort_backends.RedisBackend | abort_backends.StubBackend
    broker: Broker
    metrics: WorkerMetricsStore | None = None
    slots: LimiterSlots | None = None
    if stub:
        broker = StubBroker()
        limiter_backend = LimiterStubBackend()  # type: ignore[no-untyped-call]
        abort_backend = abort_backends.StubBackend()
    else:
        # Dramatiq and its plugins get plain redis-py clients (they handle its errors
        # themselves); gitbrag's own stores get the store client.
        client = broker_client(settings)
        broker = RedisBroker(  # type: ignore[no-untyped-call]
            client=client,
            namespace=DRAMATIQ_NAMESPACE,
            heartbeat_timeout=settings.broker_heartbeat_timeout_ms,
            maintenance_chance=settings.broker_maintenance_chance,
            dead_message_ttl=settings.dead_message_ttl_ms,
        )
        limiter_backend = LimiterRedisBackend(client=client)
        stores = connect(settings)
        metrics = WorkerMetricsStore(stores)
        slots = LimiterSlots(stores)
        abort_backend = abort_backends.RedisBackend(client=broker_client(settings))
    broker.add_middleware(CurrentMessage())
    broker.add_middleware(AsyncIO())
    broker.add_middleware(Abortable(backend=abort_backend))
    broker.add_middleware(PeriodiqMiddleware(skip_delay=settings.periodiq_skip_delay_seconds))
    broker.add_middleware(
        ReportedUserLimiter(
            backend=limiter_backend,
            limit=settings.reported_user_concurrency,
            slot_ttl_ms=settings.limiter_slot_ttl_seconds * 1000,
            metrics=metrics,
            slots=slots,
        )
    )
    return broker


def limiter_of(broker: Broker) -> ReportedUserLimiter:
    for middleware in broker.middleware:
        if isinstance(middleware, ReportedUserLimiter):
            return middleware
    raise LookupError("the broker has no ReportedUserLimiter")


broker = build_broker(get_settings(), stub=os.environ.get("GITBRAG_STUB_BROKER") == "1")
dramatiq.set_broker(broker)
