"""Per-reported-user concurrency: at most ``limit`` running jobs per GitHub user.

A Dramatiq middleware around :class:`dramatiq.rate_limits.ConcurrentRateLimiter` (Redis
backend). Actors opt in with the ``concurrency_key`` option, a function of the message
returning the key (the reported username) or None. What it guarantees:

* Contention never raises a plain exception from ``before_process_message`` (which Dramatiq
  swallows, running the actor anyway) and never burns retries or backs off exponentially:
  the message is re-enqueued with a short jittered delay (``recheck_ms``) and skipped, so a
  waiting job starts within about a second or two of the slot freeing and is never
  dead-lettered for waiting. The copy keeps its ``message_id``, so aborts still reach it.
* The slot is released in ``after_process_message`` *and* ``after_skip_message``, only by a
  message that acquired it (this middleware goes after Abortable and Periodiq, whose skips
  then never acquire). It is taken and given back through the limiter's public
  ``acquire()`` context manager, entered in one hook and closed in the other.
* The slot's TTL is short (``slot_ttl_ms``) and renewed by a heartbeat thread while its
  holder runs, so a SIGKILLed worker frees it within one TTL, while a job running longer
  than the TTL (or the time limit) keeps it. With ``limit > 1`` the counter is shared: a
  dead holder's unit is only reclaimed when every holder of that key has stopped.

Each deferral is counted in ``deferrals`` (this process) and, given a ``metrics`` store, in
Redis for the web's ``/metrics`` (best effort: recording never fails the message).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq import Broker, Middleware
from dramatiq.broker import MessageProxy
from dramatiq.logging import get_logger
from dramatiq.middleware import MiddlewareError, SkipMessage
from dramatiq.rate_limits import ConcurrentRateLimiter, RateLimiterBackend

from gitbrag.stores.connection import REDIS_UNAVAILABLE, wait_until_answers
from gitbrag.stores.limiter_slots import LimiterSlots
from gitbrag.stores.worker_metrics import WorkerMetricsStore

ConcurrencyKey = Callable[[MessageProxy], str | None]


class LimiterUnavailable(MiddlewareError):
    """The limiter's backend failed: the message fails this attempt (and is retried)."""


@dataclass(frozen=True, slots=True)
class _Slot:
    """A slot a running message holds: ``key`` (renewed while held), ``release`` (closing the
    limiter's ``acquire()`` gives it back)."""

    key: str
    release: ExitStack


class ReportedUserLimiter(Middleware):
    def __init__(
        self,
        *,
        backend: RateLimiterBackend,
        limit: int = 1,
        slot_ttl_ms: int = 30_000,
        recheck_ms: tuple[int, int] = (500, 1000),
        key_prefix: str = "gitbrag:limiter:",
        metrics: WorkerMetricsStore | None = None,
        slots: LimiterSlots | None = None,
        redis_wait_seconds: float = 300.0,
    ) -> None:
        self.backend = backend
        # How long taking a slot waits for a Redis that went away (see ``_take``).
        self.redis_wait_seconds = redis_wait_seconds
        self.metrics = metrics
        # Renews the held slots' TTL; None (the stub backend's in-memory slots) skips it.
        self.slots = slots
        self.limit = limit
        self.slot_ttl_ms = slot_ttl_ms
        self.recheck_ms = recheck_ms
        self.key_prefix = key_prefix
        self._held: dict[tuple[str, str], _Slot] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self.deferrals = 0
        self.logger = get_logger(__name__, type(self))  # type: ignore[no-untyped-call]
        self._deferred: set[str] = set()
        # The worker logs every skipped message at WARNING; a deferral is routine, not news.
        logging.getLogger("dramatiq.worker.WorkerThread").addFilter(self._quiet_deferrals)

    @property
    def actor_options(self) -> set[str]:
        return {"concurrency_key", "concurrency_limit"}

    @staticmethod
    def _slot_id(message: MessageProxy) -> tuple[str, str]:
        return message.message_id, str(message.options.get("redis_message_id", ""))

    def limiter_for(self, key: str, limit: int | None = None) -> ConcurrentRateLimiter:
        return ConcurrentRateLimiter(  # type: ignore[no-untyped-call]
            self.backend, self.key_prefix + key, limit=limit or self.limit, ttl=self.slot_ttl_ms
        )

    # ------------------------------------------------------------------ hooks

    def after_worker_boot(self, broker: Broker, worker: dramatiq.Worker) -> None:
        self._stop.clear()
        self._renewer = threading.Thread(
            target=self._renew_forever, name="limiter-renewer", daemon=True
        )
        self._renewer.start()

    def before_worker_shutdown(self, broker: Broker, worker: dramatiq.Worker) -> None:
        self._stop.set()

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        actor = broker.get_actor(message.actor_name)
        key_function: ConcurrencyKey | None = actor.options.get("concurrency_key")
        if key_function is None:
            return
        key = key_function(message)
        if key is None:
            return
        limiter = self.limiter_for(key, actor.options.get("concurrency_limit"))
        try:
            slot = self._take(limiter)
        except Exception as exc:
            # Anything but a MiddlewareError would be swallowed and the actor run unguarded.
            raise LimiterUnavailable(f"could not take the slot for {key}: {exc}") from exc
        if slot is not None:
            with self._lock:
                self._held[self._slot_id(message)] = slot
            self._name_holder(lambda s: s.held(slot.key, message.message_id))
            return
        delay = random.randint(*self.recheck_ms)
        self.deferrals += 1
        if self.metrics is not None:
            self.metrics.incr_limiter_waits()
        self.logger.debug(
            "%s is busy; message %s re-checks in %d ms", key, message.message_id, delay
        )
        broker.enqueue(message.copy(), delay=delay)
        with self._lock:
            if len(self._deferred) > 10_000:  # WARNING logging is off: nobody consumes these
                self._deferred.clear()
            self._deferred.add(str(message.options.get("redis_message_id", message.message_id)))
        raise SkipMessage(f"concurrency slot for {key} is taken")

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any | None = None,
        exception: BaseException | None = None,
    ) -> None:
        self._release(message)

    def after_skip_message(self, broker: Broker, message: MessageProxy) -> None:
        self._release(message)

    # ------------------------------------------------------------------ internals

    def _take(self, limiter: ConcurrentRateLimiter) -> _Slot | None:
        """``limiter``'s slot, or ``None`` while others hold it; if Redis is away, taken once
        it answers again (failing the message while Redis is down would lose it: the Retries
        middleware's retry and the worker's ack both go to the dead broker, and the message
        would sit in this live worker's acks, its job ``running``, until its claim expired).
        """
        try:
            return _hold(limiter)
        except REDIS_UNAVAILABLE:
            client = getattr(self.backend, "client", None)
            if client is None:
                raise
            self.logger.warning("Redis is unavailable; taking the slot once it answers")
            wait_until_answers(client, self.redis_wait_seconds)
            return _hold(limiter)

    def _quiet_deferrals(self, record: logging.LogRecord) -> bool:
        if record.msg != "Message %s was skipped." or not record.args:
            return True
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        options = getattr(args[0], "options", {})
        ident = str(options.get("redis_message_id", getattr(args[0], "message_id", "")))
        with self._lock:
            if ident in self._deferred:
                self._deferred.discard(ident)
                return False
        return True

    def _release(self, message: MessageProxy) -> None:
        with self._lock:
            slot = self._held.pop(self._slot_id(message), None)
        if slot is not None:
            slot.release.close()
            self._name_holder(lambda s: s.released(slot.key, message.message_id))

    def _name_holder(self, write: Callable[[LimiterSlots], None]) -> None:
        """Name a slot's holder for the operations console (best effort: never fails a job)."""
        if self.slots is None:
            return
        try:
            write(self.slots)
        except Exception:
            self.logger.debug("could not name a slot's holder", exc_info=True)

    def _renew_forever(self) -> None:
        interval = max(0.2, self.slot_ttl_ms / 3000)
        while not self._stop.wait(interval):
            with self._lock:
                keys = {slot.key for slot in self._held.values()}
            if self.slots is None or not keys:
                continue
            try:
                self.slots.renew(keys, self.slot_ttl_ms)
            except Exception:  # Redis briefly away: the next beat tries again
                self.logger.warning("could not renew concurrency slots", exc_info=True)


def _hold(limiter: ConcurrentRateLimiter) -> _Slot | None:
    """Enter ``limiter.acquire()`` and keep it open while the slot is held (closing it
    releases the slot); ``None`` when the slot was not free."""
    release = ExitStack()
    if release.enter_context(limiter.acquire(raise_on_failure=False)):
        return _Slot(limiter.key, release)
    release.close()
    return None
