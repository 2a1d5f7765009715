"""Following a Sentinel failover at once: each process listens for ``+switch-master``.

A planned failover (``SENTINEL FAILOVER``) promotes the replica within a fraction of a second,
but the old primary stays a writable primary until the Sentinels next look at it and demote it
(about ten seconds later, measured with Redis 7). redis-py's Sentinel pools only ask the
Sentinels again when a connection breaks, so without help every process would keep writing to
the old primary for those seconds — writes the promoted replica never sees, lost when the old
primary is demoted (sessions, job records, reports). So each process runs one daemon thread
(:class:`FailoverWatch`, started on first use and again after a ``fork``) subscribed to the
Sentinels' ``+switch-master`` channel; each switch of our primary bumps :attr:`epoch`, and
the pools (:class:`FollowingSentinelPool` and its asyncio twin) drop their idle connections
and ask the Sentinels again before handing out the next connection. Connections in use are
dropped when returned (redis-py's own check that they lead to the current primary). What was
written in the second between the promotion and the Sentinels' announcement is what
``GITBRAG_REDIS_MIN_REPLICAS`` guards (:func:`gitbrag.stores.connection.replicated`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
import redis.asyncio.sentinel as aioredis_sentinel
from redis.asyncio.connection import SSLConnection as AsyncSSLConnection
from redis.connection import SSLConnection
from redis.sentinel import SentinelConnectionPool, SentinelManagedConnection

from gitbrag.stores.redis_target import RedisTarget

log = logging.getLogger(__name__)
CHANNEL = "+switch-master"


class FailoverWatch:
    """Counts the switches of one service's primary, as the Sentinels announce them."""

    def __init__(self, target: RedisTarget, connect: Callable[[str, int], redis.Redis]) -> None:
        self.target = target
        self._connect = connect  # a Sentinel client (gitbrag.stores.connection makes them)
        self.epoch = 0
        self._lock = threading.Lock()
        self._pid = 0

    def current(self) -> int:
        """The epoch now; starts the listening thread in this process if it is not running."""
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._pid = os.getpid()
                    threading.Thread(
                        target=self._listen_forever, name="sentinel-switch-watch", daemon=True
                    ).start()
        return self.epoch

    def switched(self, message: str) -> None:
        """A ``+switch-master`` payload: ``<service> <old ip> <old port> <new ip> <new port>``."""
        parts = message.split()
        if parts and parts[0] == self.target.service:
            self.epoch += 1
            log.warning("Sentinel: %s moved to %s", self.target.service, " ".join(parts[3:5]))

    def _listen_forever(self) -> None:
        pid = os.getpid()
        turn = 0
        while pid == os.getpid():
            host, port = self.target.nodes[turn % len(self.target.nodes)]
            turn += 1
            try:
                self._listen(host, port)
            except (redis.RedisError, OSError) as exc:
                log.debug("Sentinel %s:%s: %s; trying the next one", host, port, exc)
            time.sleep(0.5)

    def _listen(self, host: str, port: int) -> None:
        sentinel = self._connect(host, port)
        pubsub = sentinel.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
        try:
            pubsub.subscribe(CHANNEL)
            while True:
                message = pubsub.get_message(timeout=1.0)
                if message and message.get("type") == "message":
                    data = message["data"]
                    self.switched(data.decode() if isinstance(data, bytes) else str(data))
        finally:
            pubsub.close()
            sentinel.close()


_WATCHES: dict[tuple[tuple[tuple[str, int], ...], str], FailoverWatch] = {}
_WATCHES_LOCK = threading.Lock()


def watch_for(target: RedisTarget, connect: Callable[[str, int], redis.Redis]) -> FailoverWatch:
    """The process's watch of ``target``'s primary (one per set of Sentinels and service);
    ``connect(host, port)`` makes a client of one Sentinel."""
    key = (target.nodes, target.service)
    with _WATCHES_LOCK:
        if key not in _WATCHES:
            _WATCHES[key] = FailoverWatch(target, connect)
        return _WATCHES[key]


class _ResolvingConnection(SentinelManagedConnection):
    """redis-py's Sentinel connection, asking the Sentinels for the primary on *every*
    (re)connection. redis-py 8 reconnects a connection it dropped (a read timeout, a reset)
    through ``connect_check_health`` straight to the address it had, bypassing the Sentinel
    lookup in ``connect``: after a failover, a command retried on its connection went back to
    the old primary (measured: a frozen primary held each web request for two socket
    timeouts instead of one)."""

    _addressed = False

    def connect_to(self, address: Any) -> None:
        self._addressed = True  # connect_check_health below: the address is fresh
        try:
            super().connect_to(address)  # type: ignore[no-untyped-call]
        finally:
            self._addressed = False

    def connect_check_health(self, *args: Any, **kwargs: Any) -> None:
        if self._sock is None and not self._addressed and self.connection_pool.is_master:
            self.host, self.port = self.connection_pool.get_master_address()
        super().connect_check_health(*args, **kwargs)


class _ResolvingSSLConnection(_ResolvingConnection, SSLConnection):
    pass


class _AsyncResolvingConnection(aioredis_sentinel.SentinelManagedConnection):
    """The asyncio :class:`_ResolvingConnection`."""

    _addressed = False

    async def connect_to(self, address: Any) -> None:
        self._addressed = True
        try:
            await super().connect_to(address)  # type: ignore[no-untyped-call]
        finally:
            self._addressed = False

    async def connect_check_health(self, *args: Any, **kwargs: Any) -> None:
        if not self.is_connected and not self._addressed and self.connection_pool.is_master:
            self.host, self.port = await self.connection_pool.get_master_address()
        await super().connect_check_health(*args, **kwargs)


class _AsyncResolvingSSLConnection(_AsyncResolvingConnection, AsyncSSLConnection):
    pass


def _connection_class(kwargs: dict[str, Any], plain: type, tls: type) -> None:
    kwargs["connection_class"] = tls if kwargs.pop("ssl", False) else plain


class FollowingSentinelPool(SentinelConnectionPool, redis.BlockingConnectionPool):
    """Sentinel's pool (the primary resolved per connection), blocking like the server form's
    (a burst of callers waits for a connection instead of failing), that asks the Sentinels
    again after every announced switch (see the module docstring)."""

    def __init__(self, service_name: str, sentinel_manager: Any, **kwargs: Any) -> None:
        self._watch: FailoverWatch = kwargs.pop("watch")
        self._seen = self._watch.epoch
        _connection_class(kwargs, _ResolvingConnection, _ResolvingSSLConnection)
        super().__init__(service_name, sentinel_manager, **kwargs)  # type: ignore[no-untyped-call]

    @property
    def switches(self) -> int:
        """How many switches of the primary this process has seen announced."""
        return self._watch.current()

    def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        epoch = self._watch.current()
        if epoch != self._seen:
            self._seen = epoch
            self.disconnect(inuse_connections=False)
        return super().get_connection(*args, **kwargs)  # type: ignore[no-untyped-call]


class AsyncFollowingSentinelPool(aioredis_sentinel.SentinelConnectionPool):
    """The asyncio :class:`FollowingSentinelPool`."""

    def __init__(self, service_name: str, sentinel_manager: Any, **kwargs: Any) -> None:
        self._watch: FailoverWatch = kwargs.pop("watch")
        self._seen = self._watch.epoch
        _connection_class(kwargs, _AsyncResolvingConnection, _AsyncResolvingSSLConnection)
        super().__init__(service_name, sentinel_manager, **kwargs)  # type: ignore[no-untyped-call]

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        epoch = self._watch.current()
        if epoch != self._seen:
            self._seen = epoch
            await self.disconnect(inuse_connections=False)
        return await super().get_connection(*args, **kwargs)  # type: ignore[no-untyped-call]
