"""The one Dramatiq broker, built with every middleware before any actor module is imported.

Middleware (in processing order): Dramatiq's defaults (AgeLimit, TimeLimit,
ShutdownNotifications, Callbacks, Pipelines, Retries), CurrentMessage (actors read their
message id = job id), AsyncIO (the collector is async), Abortable (dramatiq-abort),
:class:`~actors.cancels.FinishSkippedCancels` (a cancelled job whose message Abortable skips
still ends ``cancelled``), Periodiq
(scheduled actors), then :class:`~actors.limiter.ReportedUserLimiter` — last, so messages that
Abortable cancels or Periodiq skips never take a slot.

Crash recovery is tuned here rather than with a watchdog: a worker whose heartbeat is older
than ``broker_heartbeat_timeout_ms`` (10 s) is dead, and the maintenance pass that requeues a
dead worker's unacked messages runs on ``broker_maintenance_chance`` per million broker
commands (10 %, i.e. every second or two for an idle worker instead of ~13 minutes), so a
SIGKILLed job is redelivered about 10-13 s after the kill; its reported user's limiter slot
expires about then too (``limiter_slot_ttl_seconds``, 12 s), and the job runs again. The
redelivered message has the same id, which still owns the job claim, so it simply runs.

A live worker writes its heartbeat on every broker command (each consumer polls at least every
second, and a worker's delay-queue consumer is never saturated), so 10 s of silence means death
— except while Redis itself was away (restarted, failing over): then every worker was silent,
and the first one back must not take the others for dead and redeliver their running jobs.
:class:`RecoveringRedisBroker` therefore runs no maintenance until a full heartbeat timeout
after the last connection error it saw, long enough for every live worker to beat again.

A Redis restart (or failover) must not strand delayed messages (limiter deferrals, rate-limit waits,
retries): Dramatiq's delay-queue consumer drops the messages it holds in memory when it loses
its connection, while their ids stay in this live worker's acknowledgement set, where the
maintenance pass (which recovers only dead workers' messages) never looks.
:class:`RecoveringRedisBroker`'s replacement consumer puts them back on their queue first.

A failover can lose the other end of a fetch, too. Replication is asynchronous: a message
fetched on the old primary (its id moved into this worker's acknowledgement set, replicated),
then acknowledged there — after it ran, or when the limiter or a retry sent a copy on to the
delay queue — in the last moments before the replica was promoted, is still in this worker's
set on the new primary, with no copy anywhere else and nothing in this process holding it.
Its job would stay ``queued`` or ``running`` forever (this worker is alive: no maintenance
pass ever takes its messages back). So :class:`RecoveringRedisBroker` keeps the ids its
consumers hold (fetched, not yet acknowledged, rejected or requeued), and once a connection
error or a Sentinel switch has passed (the same heartbeat timeout later, when no write can
still go to the old primary), each consumer puts back on its queue every id of its set that
this process no longer holds. A redelivered job whose final status did survive does nothing
(:meth:`gitbrag.jobs.lifecycle.JobLifecycle.start`).

``GITBRAG_STUB_BROKER=1`` builds a :class:`~dramatiq.brokers.stub.StubBroker` with stub
backends for unit tests.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

import dramatiq
from dramatiq import Broker, Consumer, Message
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name
from dramatiq.errors import ConnectionClosed
from dramatiq.middleware import AsyncIO, CurrentMessage
from dramatiq.rate_limits.backends import RedisBackend as LimiterRedisBackend
from dramatiq.rate_limits.backends import StubBackend as LimiterStubBackend
from dramatiq.worker import ConsumerThread
from dramatiq_abort import Abortable
from dramatiq_abort import backends as abort_backends
from periodiq import PeriodiqMiddleware

from actors.cancels import FinishSkippedCancels
from actors.limiter import ReportedUserLimiter
from actors.worker import worker_context
from gitbrag.settings import Settings, get_settings
from gitbrag.stores.connection import (
    REDIS_UNAVAILABLE,
    abort_namespace,
    broker_client,
    broker_namespace,
    connect,
    limiter_prefix,
    primary_switches,
    verify_server,
)
from gitbrag.stores.console import register_worker
from gitbrag.stores.limiter_slots import LimiterSlots
from gitbrag.stores.worker_metrics import WorkerMetricsStore

log = logging.getLogger(__name__)


class _NoticingConsumer(Consumer):
    """A consumer of the Redis broker (``consume``'s, wrapped), telling its broker when a delay
    queue lost its connection (Dramatiq's consumer thread then drops the delayed messages it
    held in memory).

    Dramatiq's consumer turns only ``redis.ConnectionError`` into ``ConnectionClosed``, the
    error its consumer thread recovers from; every other way Redis is unavailable (a read
    timeout from a frozen primary, ``READONLY`` from a demoted one) is "unexpected" there: the
    thread closes the consumer, which requeues through Redis, fails again, and the thread dies
    (its queue is never consumed again in this process). So every one of them is turned into
    ``ConnectionClosed`` here, and an acknowledgement is then retried, not given up."""

    def __init__(self, broker: RecoveringRedisBroker, queue_name: str, inner: Consumer) -> None:
        self.broker = broker
        self.queue_name = queue_name
        self.inner = inner

    def __next__(self) -> MessageProxy | None:
        try:
            self.broker.settle(self.queue_name)
            return next(self.inner)
        except (ConnectionClosed, *REDIS_UNAVAILABLE) as exc:
            self.broker.note_outage()
            if self.queue_name == dq_name(self.queue_name):
                self.broker.note_dropped_delays(self.queue_name)
            if isinstance(exc, ConnectionClosed):
                raise
            raise ConnectionClosed(exc) from None  # type: ignore[no-untyped-call]

    def ack(self, message: MessageProxy) -> None:
        with _closed_when_unavailable():
            self.inner.ack(message)

    def nack(self, message: MessageProxy) -> None:
        with _closed_when_unavailable():
            self.inner.nack(message)

    def requeue(self, messages: Iterable[MessageProxy]) -> None:
        with _closed_when_unavailable():
            self.inner.requeue(messages)

    def close(self) -> None:
        self.inner.close()


@contextlib.contextmanager
def _closed_when_unavailable() -> Iterator[None]:
    try:
        yield
    except REDIS_UNAVAILABLE as exc:
        raise ConnectionClosed(exc) from None  # type: ignore[no-untyped-call]


class RecoveringRedisBroker(RedisBroker):
    """A :class:`~dramatiq.brokers.redis.RedisBroker` whose delay-queue consumer, restarted
    after a connection error, first requeues the delayed messages its predecessor fetched
    (see the module docstring).

    It also holds back the maintenance pass for a heartbeat timeout after any connection
    error or Sentinel switch, and then puts back the messages whose acknowledgement went to
    a primary that is gone (:meth:`settle`; see the module docstring).

    Beyond Dramatiq's public API this leans on four details of its Redis broker, pinned by
    ``tests/pipeline/test_dramatiq_seams.py`` so an upgrade that changes them fails loudly:
    the set of a consumer's unacknowledged message ids (:meth:`unacked_key`), the broker's
    ``requeue`` script (``do_requeue``), which puts such ids back on their queue,
    ``_should_do_maintenance(command)``, asked before every command whether this one runs the
    maintenance pass, and ``_dispatch(command)(queue, *args)``, through which every command
    goes (``fetch`` returns encoded messages; ``ack``, ``nack``, ``requeue`` take their ids).
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)  # type: ignore[no-untyped-call]
        self._dropped: set[str] = set()
        self._dropped_lock = threading.Lock()
        self._last_outage = time.monotonic()  # a process starting may have missed one
        # Per queue: the ``redis_message_id``s this process's consumers fetched and have not
        # acknowledged, rejected or requeued yet; the outages seen, and how many of them each
        # queue's unacknowledged set was settled after (see the module docstring).
        self._held: dict[str, set[str]] = defaultdict(set)
        self._held_lock = threading.RLock()  # settle() requeues through _dispatch
        self._outages = 1
        self._settled: dict[str, int] = {}
        self._switches = primary_switches(self.client)

    def note_outage(self) -> None:
        """A command failed to reach Redis, or the primary changed: hold maintenance back and
        settle the unacknowledged sets afterwards (see the class docstring)."""
        self._last_outage = time.monotonic()
        self._outages += 1

    def settle(self, queue_name: str) -> None:
        """Once the outage or switch is a heartbeat timeout past, put back on ``queue_name``
        the ids in this process's unacknowledged set that none of its consumers holds: their
        acknowledgement (and what was sent before it) went to a primary that is gone."""
        switches = primary_switches(self.client)
        if switches != self._switches:
            self._switches = switches
            self.note_outage()
        outages = self._outages
        if self._settled.get(queue_name) == outages or not self.maintenance_allowed():
            return
        try:
            with self._held_lock:
                members = cast(set[bytes], self.client.smembers(self.unacked_key(queue_name)))
                orphans = {member.decode() for member in members} - self._held[queue_name]
                if orphans:
                    self.do_requeue(queue_name, *orphans)
        except REDIS_UNAVAILABLE as exc:
            raise ConnectionClosed(exc) from None  # type: ignore[no-untyped-call]
        self._settled[queue_name] = outages
        if orphans:
            log.warning(
                "%d message(s) of %s acknowledged on a primary that is gone: back on the queue",
                len(orphans),
                queue_name,
            )

    def maintenance_allowed(self) -> bool:
        timeout_seconds = float(self.heartbeat_timeout) / 1000
        return time.monotonic() - self._last_outage >= timeout_seconds

    def _should_do_maintenance(self, command: str) -> int:
        if not self.maintenance_allowed():
            return 0
        return int(super()._should_do_maintenance(command))

    def _dispatch(self, command: str) -> Callable[..., Any]:
        dispatch = super()._dispatch(command)  # type: ignore[no-untyped-call]

        def noticing(queue_name: str, *args: Any) -> Any:
            try:
                if command != "fetch":
                    result = dispatch(queue_name, *args)
                else:  # the ids go into the set and into _held as one step for settle()
                    with self._held_lock:
                        result = dispatch(queue_name, *args)
                        self._held[queue_name].update(_redis_ids(result))
            except REDIS_UNAVAILABLE:
                self.note_outage()
                raise
            if command in ("ack", "nack", "requeue"):
                with self._held_lock:
                    self._held[queue_name].difference_update(str(arg) for arg in args)
            return result

        return noticing

    def enqueue(self, message: Message[Any], *, delay: int | None = None) -> Message[Any]:
        """Dramatiq's enqueue; from a consumer thread (moving a delayed message whose time has
        come onto its queue), again until Redis takes it. That thread already took the message
        out of its memory: an error would lose it there, while its id stays in this worker's
        unacknowledged set (and it is an "unexpected" error, which kills the thread: see
        :class:`_NoticingConsumer`). Everywhere else the caller gets the error."""
        thread = threading.current_thread()
        if not isinstance(thread, ConsumerThread):
            return super().enqueue(message, delay=delay)
        pause = 0.2
        while True:
            try:
                return super().enqueue(message, delay=delay)
            except REDIS_UNAVAILABLE:
                if not thread.running:
                    raise
                time.sleep(pause)
                pause = min(2.0, pause * 2)

    def unacked_key(self, queue_name: str) -> str:
        """The set of ``queue_name``'s message ids this broker's consumers fetched and have
        not acknowledged yet (Dramatiq's own key)."""
        return f"{self.namespace}:__acks__.{self.broker_id}.{queue_name}"

    def note_dropped_delays(self, queue_name: str) -> None:
        with self._dropped_lock:
            self._dropped.add(queue_name)
        with self._held_lock:  # no longer held: consume() puts every one of them back
            self._held[queue_name].clear()

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> Consumer:
        with self._dropped_lock:
            dropped = queue_name in self._dropped
        if dropped:
            try:
                members = cast(set[bytes], self.client.smembers(self.unacked_key(queue_name)))
                held = [member.decode() for member in members]
                if held:
                    self.do_requeue(queue_name, *held)
            except REDIS_UNAVAILABLE as exc:
                # Still down: the consumer thread tries again a few seconds later.
                raise ConnectionClosed(exc) from None  # type: ignore[no-untyped-call]
            with self._dropped_lock:
                self._dropped.discard(queue_name)
        if not queue_name.endswith(".DQ"):  # a consumer of the queue: a worker (console)
            register_worker(self.client, self.namespace, self.broker_id, prefetch // 2 or 1)
        return _NoticingConsumer(self, queue_name, super().consume(queue_name, prefetch, timeout))


def _redis_ids(fetched: Any) -> list[str]:
    """The ``redis_message_id``s of the messages a ``fetch`` returned (encoded messages)."""
    ids = []
    for data in fetched or ():
        with contextlib.suppress(Exception):  # Dramatiq's consumer warns about bad entries
            ids.append(str(Message.decode(data).options["redis_message_id"]))
    return ids


def build_broker(settings: Settings, *, stub: bool = False) -> Broker:
    """A broker with the full middleware stack; ``stub`` for in-memory unit tests."""
    limiter_backend: LimiterRedisBackend | LimiterStubBackend
    abort_backend: abort_backends.RedisBackend | abort_backends.StubBackend
    broker: Broker
    metrics: WorkerMetricsStore | None = None
    slots: LimiterSlots | None = None
    slot_prefix = "gitbrag:limiter:"
    if stub:
        broker = StubBroker()
        limiter_backend = LimiterStubBackend()  # type: ignore[no-untyped-call]
        abort_backend = abort_backends.StubBackend()
    else:
        # Refuses a Redis Cluster reached without the cluster form; logs what Redis is.
        verify_server(settings)
        # Dramatiq and its plugins get plain redis-py clients (they handle its errors
        # themselves); gitbrag's own stores get the store client. Every key is in the
        # settings' namespace (gitbrag.stores.connection).
        client = broker_client(settings)
        broker = RecoveringRedisBroker(
            client=client,
            namespace=broker_namespace(client),
            heartbeat_timeout=settings.broker_heartbeat_timeout_ms,
            maintenance_chance=settings.broker_maintenance_chance,
            dead_message_ttl=settings.dead_message_ttl_ms,
        )
        limiter_backend = LimiterRedisBackend(client=client)
        slot_prefix = limiter_prefix(client)
        stores = connect(settings)
        metrics = WorkerMetricsStore(stores)
        slots = LimiterSlots(stores)
        aborts = broker_client(settings)
        abort_backend = abort_backends.RedisBackend(
            client=aborts, namespace=abort_namespace(aborts)
        )
    broker.add_middleware(CurrentMessage())
    broker.add_middleware(AsyncIO())
    broker.add_middleware(Abortable(backend=abort_backend))
    if not stub:
        broker.add_middleware(FinishSkippedCancels(lifecycle=lambda: worker_context().lifecycle))
    broker.add_middleware(PeriodiqMiddleware(skip_delay=settings.periodiq_skip_delay_seconds))
    broker.add_middleware(
        ReportedUserLimiter(
            backend=limiter_backend,
            limit=settings.reported_user_concurrency,
            slot_ttl_ms=settings.limiter_slot_ttl_seconds * 1000,
            recheck_ms=_recheck_ms(settings.limiter_retry_seconds),
            key_prefix=slot_prefix,
            metrics=metrics,
            slots=slots,
        )
    )
    return broker


def _recheck_ms(seconds: float) -> tuple[int, int]:
    """When a message waiting for its reported user's slot checks again: between half of
    ``limiter_retry_seconds`` and all of it (jitter, so waiting messages do not move as one)."""
    return max(1, int(seconds * 500)), max(1, int(seconds * 1000))


def limiter_of(broker: Broker) -> ReportedUserLimiter:
    for middleware in broker.middleware:
        if isinstance(middleware, ReportedUserLimiter):
            return middleware
    raise LookupError("the broker has no ReportedUserLimiter")


broker = build_broker(get_settings(), stub=os.environ.get("GITBRAG_STUB_BROKER") == "1")
dramatiq.set_broker(broker)
