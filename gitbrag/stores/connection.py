"""How every gitbrag process reaches Redis, and the one place redis-py's errors are translated.

- :func:`connect` is the stores' client: a connection failure or timeout raises
  :class:`~gitbrag.errors.StoreUnavailable` (chained to redis-py's error), so nothing above
  the stores handles redis-py exceptions. :func:`async_connect` is its asyncio twin (the
  web's page views, :mod:`gitbrag.stores.serving`), with the same translation.
- :func:`broker_client` is a plain redis-py client for Dramatiq and its plugins (the broker,
  the limiter's and dramatiq-abort's backends): they handle redis-py's own exceptions (a
  consumer reconnects on ``ConnectionError``) and must see them unchanged.
- :func:`ping` and :func:`wait_until_answers` are how a process waits out a Redis restart;
  :func:`local_server_answers` and :func:`shutdown_local_server` are what the
  readiness probes and :class:`~gitbrag.runtime.redis_server.EmbeddedRedis` ask of Redis.
"""

from __future__ import annotations

import time
from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline as AsyncPipeline
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.retry import Retry

from gitbrag.errors import ConfigError, StoreUnavailable
from gitbrag.settings import Settings

# redis-py's errors that mean "Redis cannot serve us now" (BusyLoadingError is a
# ConnectionError; OutOfMemoryError is a write refused at maxmemory under `noeviction`, which
# the deployment chooses so the broker's keys are never evicted); public for the Dramatiq
# side, which gets plain redis-py clients (``broker_client``).
REDIS_UNAVAILABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.OutOfMemoryError,
)
_UNAVAILABLE = REDIS_UNAVAILABLE

# A pooled connection that Redis closed while it sat idle (a Redis restart; health checks run
# only every 30 s) fails its next command once: such a command is retried at once on a fresh
# connection. redis-py's pools otherwise retry nothing: a web process would answer 503 until
# its health checks replaced every idle connection, long after Redis was back. A Redis that is
# really away still fails fast: the retry's connect is refused.
_ONE_RECONNECT = 1


def _unavailable(exc: Exception) -> StoreUnavailable:
    return StoreUnavailable(f"Redis unreachable: {exc}")


class _StorePipeline(Pipeline):
    def execute(self, raise_on_error: bool = True) -> list[Any]:
        try:
            return super().execute(raise_on_error)
        except _UNAVAILABLE as exc:
            raise _unavailable(exc) from exc


class StoreClient(redis.Redis):
    """A redis-py client whose unavailability errors are :class:`StoreUnavailable`
    (commands, scripts, ``scan_iter`` and pipelines alike)."""

    def execute_command(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except _UNAVAILABLE as exc:
            raise _unavailable(exc) from exc

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Pipeline:
        return _StorePipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )


class _AsyncStorePipeline(AsyncPipeline):
    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        try:
            return await super().execute(raise_on_error)
        except _UNAVAILABLE as exc:
            raise _unavailable(exc) from exc


class AsyncStoreClient(aioredis.Redis):
    """The asyncio :class:`StoreClient`: unavailability errors are :class:`StoreUnavailable`."""

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        try:
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except _UNAVAILABLE as exc:
            raise _unavailable(exc) from exc

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> AsyncPipeline:
        return _AsyncStorePipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )


def async_connect(url: str, *, max_connections: int = 64) -> AsyncStoreClient:
    """An asyncio client of the stores for ``url`` (bytes in, bytes out), made in the event
    loop that uses it; a Redis that does not answer raises ``StoreUnavailable``."""
    pool = aioredis.ConnectionPool.from_url(
        url,
        max_connections=max_connections,
        socket_connect_timeout=5,
        socket_timeout=10,
        health_check_interval=30,
        retry=AsyncRetry(NoBackoff(), _ONE_RECONNECT),
    )
    client = AsyncStoreClient(connection_pool=pool)
    client.auto_close_connection_pool = True  # the client owns its pool (redis-py's from_pool)
    return client


def _pool(settings: Settings) -> redis.BlockingConnectionPool:
    if not settings.redis_url:
        raise ConfigError(
            "GITBRAG_REDIS_URL is not set: start the stack with `gitbrag up` (embedded Redis) "
            "or point GITBRAG_REDIS_URL at a Redis server"
        )
    # A blocking pool: a burst of callers (a web threadpool) waits for a connection instead
    # of failing with "Too many connections".
    return redis.BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=64,
        timeout=10,
        decode_responses=False,
        socket_connect_timeout=5,
        socket_timeout=10,
        health_check_interval=30,
        retry=Retry(NoBackoff(), _ONE_RECONNECT),
    )


def connect(settings: Settings) -> StoreClient:
    """The stores' client for ``settings.redis_url`` (bytes in, bytes out). Connecting is
    lazy; a Redis that does not answer raises ``StoreUnavailable`` (the web answers 503).
    Raises ``ConfigError`` when no URL is configured."""
    return StoreClient(connection_pool=_pool(settings))


def broker_client(settings: Settings) -> redis.Redis:
    """A plain redis-py client for Dramatiq and its plugins (see the module docstring)."""
    return redis.Redis(connection_pool=_pool(settings))


def ping(client: redis.Redis) -> None:
    """Raise ``StoreUnavailable`` unless Redis answers PING."""
    try:
        client.ping()
    except _UNAVAILABLE as exc:
        raise _unavailable(exc) from exc


def wait_until_answers(client: redis.Redis, timeout: float) -> None:
    """Return once Redis answers PING (backing off up to 2 s between tries);
    ``StoreUnavailable`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pause = 0.2
    while True:
        try:
            ping(client)
            return
        except StoreUnavailable:
            if time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(2.0, pause * 2)


def local_server_answers(port: int, password: str | None = None) -> bool:
    """Whether a Redis on 127.0.0.1:``port`` answers PING now (a starting server does not)."""
    client = redis.Redis(
        port=port, password=password, socket_connect_timeout=0.5, socket_timeout=1.0
    )
    try:
        return bool(client.ping())
    except redis.exceptions.ConnectionError:
        return False
    finally:
        client.close()


def shutdown_local_server(
    port: int, password: str | None = None, *, save: bool, timeout: float
) -> None:
    """Ask the Redis on 127.0.0.1:``port`` to shut down (``SAVE`` first with ``save``)."""
    # No retries: the server closing the connection is the success case.
    client = redis.Redis(
        port=port, password=password, socket_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )
    try:
        client.shutdown(save=save, nosave=not save)
    except redis.exceptions.RedisError:
        pass  # the connection drops when the server exits
    finally:
        client.close()
