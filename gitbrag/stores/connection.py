"""How every gitbrag process reaches Redis, the key namespace, and the one place redis-py's
errors are translated.

**One factory.** Every Redis client of every process comes from this module, for the three
forms of :mod:`gitbrag.stores.redis_target` (one server, the primary named by Sentinels, a
Cluster); ``tests/stack/test_one_redis_factory.py`` fails when another module builds one.

- :func:`connect` is the stores' client: a connection failure or timeout raises
  :class:`~gitbrag.errors.StoreUnavailable` (chained to redis-py's error), so nothing above
  the stores handles redis-py exceptions. :func:`async_connect` is its asyncio twin (the
  web's page views, :mod:`gitbrag.stores.serving`), with the same translation.
- :func:`broker_client` is a plain redis-py client for Dramatiq and its plugins (the broker,
  the limiter's and dramatiq-abort's backends): they handle redis-py's own exceptions (a
  consumer reconnects on ``ConnectionError``) and must see them unchanged.
- With Sentinels, each client is ``redis.sentinel.Sentinel(...).master_for(...)``: a new
  connection asks the Sentinels for the primary, a failover's ``READONLY`` answer from the
  demoted primary closes the connection (redis-py's ``SentinelManagedConnection``), idle
  connections to the old primary are dropped once the new one is known, and every
  ``register_script`` script loads itself again after ``NOSCRIPT``. Until the Sentinels
  agree, calls fail fast with ``StoreUnavailable`` (the web answers 503).
- :func:`ping` and :func:`wait_until_answers` are how a process waits out a Redis restart or
  a failover; :func:`verify_server` refuses a Cluster reached without the cluster form;
  :func:`local_server_answers` and :func:`shutdown_local_server` are what the readiness
  probes and :class:`~gitbrag.runtime.redis_server.EmbeddedRedis` ask of a local Redis.

**The key namespace** (``GITBRAG_REDIS_NAMESPACE``, default ``gitbrag``). Every key gitbrag
writes starts with the namespace and a colon, so deployments sharing a Redis never meet. A
store spells its key constants *without* it and prefixes them with :func:`key_prefix` of the
client it was given (the factory stamps each client with the namespace)::

    REPORT_PREFIX: Final = "report:v2:"          # the constant: no namespace
    self._ns = key_prefix(client)                # "gitbrag:" (in the store's __init__)
    self._redis.get(self._ns + REPORT_PREFIX + key)

A Lua script that builds keys inside itself (instead of receiving them in ``KEYS``) is
registered with :func:`register_script`, which defines ``NS`` (the prefix) on its first line:
write ``NS .. 'job:' .. id``. Dramatiq's own keys (queues, acknowledgements, heartbeats) live
under :func:`broker_namespace` (``gitbrag:dramatiq``), dramatiq-abort's under
:func:`abort_namespace`, the limiter's slots under :func:`limiter_prefix`; periodiq's tick
guard is a store. ``tests/pipeline/test_namespace.py`` scans the keyspace after a whole run
and fails on any key without the prefix; on Redis Cluster the namespace must be a hash tag
(``{gitbrag}``), so that all of them share one slot (Dramatiq's scripts build keys inside).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar, cast

import redis
import redis.asyncio as aioredis
import redis.asyncio.sentinel as aioredis_sentinel
import redis.sentinel as redis_sentinel
from redis.asyncio.client import Pipeline as AsyncPipeline
from redis.asyncio.cluster import ClusterNode as AsyncClusterNode
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.cluster import ClusterNode, RedisCluster
from redis.retry import Retry
from redis.sentinel import SentinelConnectionPool

from gitbrag.errors import ConfigError, StoreUnavailable
from gitbrag.settings import DEFAULT_NAMESPACE, Settings
from gitbrag.stores.failover_watch import (
    AsyncFollowingSentinelPool,
    FollowingSentinelPool,
    watch_for,
)
from gitbrag.stores.redis_target import RedisTarget, target_of

log = logging.getLogger(__name__)
R = TypeVar("R", bound=redis.Redis)
C = TypeVar("C")

# Dramatiq's namespace under gitbrag's: ``<namespace>:dramatiq`` (:func:`broker_namespace`).
DRAMATIQ_SUFFIX: Final = "dramatiq"  # gitbrag.jobs.lifecycle.DRAMATIQ_NAMESPACE

# redis-py's errors that mean "Redis cannot serve us now" (BusyLoadingError is a
# ConnectionError; OutOfMemoryError is a write refused at maxmemory under `noeviction`, which
# the deployment chooses so the broker's keys are never evicted); public for the Dramatiq
# side, which gets plain redis-py clients (``broker_client``).
REDIS_UNAVAILABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.OutOfMemoryError,
    # A primary demoted by a failover, reached without Sentinel; a Cluster electing a new
    # primary for the slot.
    redis.exceptions.ReadOnlyError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.TryAgainError,
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


class _StoreClusterPipelineMixin:
    def execute(self, raise_on_error: bool = True) -> list[Any]:
        try:
            return super().execute(raise_on_error)  # type: ignore[misc,no-any-return]
        except _UNAVAILABLE as exc:
            raise _unavailable(exc) from exc


_TRANSLATING: dict[type, type] = {}


def _translating(pipeline_class: type, mixin: type = _StoreClusterPipelineMixin) -> type:
    if pipeline_class not in _TRANSLATING:
        _TRANSLATING[pipeline_class] = type(
            f"Store{pipeline_class.__name__}", (mixin, pipeline_class), {}
        )
    return _TRANSLATING[pipeline_class]


class StoreClusterClient(RedisCluster):
    """:class:`StoreClient` for a Redis Cluster (the ``redis+cluster://`` form)."""

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().execute_command(*args, **kwargs)  # type: ignore[no-untyped-call]
        except _UNAVAILABLE as exc:
            raise _unavailable(exc) from exc

    def pipeline(self, transaction: Any = None, shard_hint: Any = None) -> Any:
        pipe = super().pipeline(transaction, shard_hint)  # type: ignore[no-untyped-call]
        # redis-py builds its ClusterPipeline from a dozen internals: rather than repeat them,
        # the one it built gets our execute() (which translates the errors).
        pipe.__class__ = _translating(type(pipe))
        return pipe


class _AsyncStoreClusterPipelineMixin:
    async def execute(self, raise_on_error: bool = True, allow_redirections: bool = True) -> Any:
        try:
            return await super().execute(raise_on_error, allow_redirections)  # type: ignore[misc]
        except _UNAVAILABLE as exc:
            raise _unavailable(exc) from exc


class AsyncStoreClusterClient(AsyncRedisCluster):
    """:class:`AsyncStoreClient` for a Redis Cluster."""

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().execute_command(*args, **kwargs)
        except _UNAVAILABLE as exc:
            raise _unavailable(exc) from exc

    def pipeline(self, transaction: Any = None, shard_hint: Any = None) -> Any:
        pipe = super().pipeline(transaction, shard_hint)
        pipe.__class__ = _translating(type(pipe), _AsyncStoreClusterPipelineMixin)
        return pipe


def key_prefix(client: Any) -> str:
    """What every key this client's store writes starts with: the namespace and a colon. A
    client the factory did not make (a test's plain one) has the default namespace."""
    return f"{getattr(client, 'namespace', DEFAULT_NAMESPACE)}:"


def register_script(client: Any, source: str) -> Any:
    """``client.register_script(source)`` with ``NS`` (the key prefix) defined first, for
    scripts that build keys from it (``NS .. 'job:' .. id``). redis-py's ``Script`` runs by
    digest and loads itself again after ``NOSCRIPT`` (a restart, a failover, a flush)."""
    return client.register_script(f"local NS = '{key_prefix(client)}'\n{source}")


def broker_namespace(client: Any) -> str:
    """The Dramatiq broker's namespace for this client's keys: ``<namespace>:dramatiq``."""
    return key_prefix(client) + DRAMATIQ_SUFFIX


def abort_namespace(client: Any) -> str:
    """dramatiq-abort's key prefix: ``<namespace>:aborts:``."""
    return key_prefix(client) + "aborts:"


def limiter_prefix(client: Any) -> str:
    """The per-reported-user limiter's slot keys: ``<namespace>:limiter:<login>``."""
    return key_prefix(client) + "limiter:"


def _stamp(client: C, settings: Settings) -> C:
    client.namespace = settings.redis_namespace  # type: ignore[attr-defined]
    client.min_replicas = settings.redis_min_replicas  # type: ignore[attr-defined]
    client.replica_wait_ms = settings.redis_replica_wait_ms  # type: ignore[attr-defined]
    return client


BARRIER: Final = "replication-barrier"


def replicated(client: Any) -> None:
    """Return once every write this process made so far would survive a failover; raise
    ``StoreUnavailable`` (and make the pool ask the Sentinels again) when it might not.
    Nothing to do unless ``GITBRAG_REDIS_MIN_REPLICAS`` asks for it.

    For the writes a failover must not lose (a job handed to a user, a job's final status):
    replication is asynchronous, and Sentinel promotes a replica that may lack the primary's
    last writes. The replication stream is one ordered log, so a small write followed by
    ``WAIT`` on the same connection (one pipeline) proves every earlier write of any
    connection is on the replicas. A primary with no replica connected (its replica died,
    or was just promoted away from it) cannot prove that; its writes are safe only if it is
    the primary the Sentinels name and no failover is under way (nothing can be promoted
    over it then), which is asked of the Sentinels. So a primary left alone keeps serving,
    and the old primary of a planned failover, in the second before every process moves to
    the new one, refuses."""
    wanted = int(getattr(client, "min_replicas", 0))
    if wanted <= 0:
        return
    try:
        info = cast(dict[str, Any], client.info("replication"))
    except _UNAVAILABLE as exc:
        raise _unavailable(exc) from exc
    # Replicas still loading their first copy (a demoted primary resyncing) acknowledge
    # nothing yet: only those online count.
    connected = sum(
        1
        for name, value in info.items()
        if name.startswith("slave") and isinstance(value, dict) and value.get("state") == "online"
    )
    if connected == 0:
        if _sentinels_name_this_primary(client):
            return
        _ask_the_sentinels_again(client)
        raise StoreUnavailable("Redis: this primary has no replica and may be failing over")
    wanted = min(wanted, connected)
    pipe = client.pipeline(transaction=False)
    pipe.set(key_prefix(client) + BARRIER, b"1", px=60_000)
    pipe.execute_command("WAIT", wanted, int(getattr(client, "replica_wait_ms", 1000)))
    _, acknowledged = pipe.execute()
    if int(acknowledged) < wanted:
        _ask_the_sentinels_again(client)
        raise StoreUnavailable(
            f"Redis replicated a write to {acknowledged} of {wanted} replicas in time"
        )


def primary_switches(client: Any) -> int:
    """How many switches of ``client``'s primary the Sentinels announced to this process (0
    without Sentinels). When it changes, the writes made just before may be lost with the old
    primary (:mod:`gitbrag.stores.failover_watch`)."""
    pool = getattr(client, "connection_pool", None)
    return pool.switches if isinstance(pool, FollowingSentinelPool) else 0


def _sentinels_name_this_primary(client: Any) -> bool:
    """Whether a majority of the Sentinels name the primary this client is connected to and
    none is failing it over. True without Sentinels (nothing promotes a replica then)."""
    pool = getattr(client, "connection_pool", None)
    if not isinstance(pool, SentinelConnectionPool):
        return True
    manager, service = pool.sentinel_manager, pool.service_name
    agree, asked = 0, len(manager.sentinels)
    for sentinel in manager.sentinels:
        try:
            state = cast(dict[str, Any], sentinel.sentinel_master(service))
        except redis.RedisError:
            continue
        if "failover_in_progress" in str(state.get("flags", "")):
            return False
        if (str(state.get("ip")), int(state.get("port", 0))) == pool.master_address:
            agree += 1
    return agree > asked // 2


def _ask_the_sentinels_again(client: Any) -> None:
    pool = getattr(client, "connection_pool", None)
    if isinstance(pool, SentinelConnectionPool):
        pool.disconnect()


# Every connection to a Redis server: bytes in and out, a bounded connect, a read timeout
# longer than any blocking command gitbrag or dramatiq-abort sends, and one immediate retry
# on a fresh connection (see _ONE_RECONNECT).
def _timeouts() -> dict[str, Any]:
    return {
        "socket_connect_timeout": 5,
        "socket_timeout": 10,
        "health_check_interval": 30,
        "decode_responses": False,
    }


def _sentinel(target: RedisTarget, module: Any) -> Any:
    return module.Sentinel(
        list(target.nodes),
        sentinel_kwargs={"socket_connect_timeout": 2, "socket_timeout": 2,
                         **target.sentinel_options()},
        socket_connect_timeout=2,
    )  # fmt: skip


def _sentinel_subscriber(target: RedisTarget) -> Callable[[str, int], redis.Redis]:
    """How the failover watch connects to one Sentinel (to listen for ``+switch-master``)."""

    def connect_to(host: str, port: int) -> redis.Redis:
        return redis.Redis(
            host=host,
            port=port,
            socket_connect_timeout=2,
            socket_timeout=5,
            health_check_interval=2,
            **target.sentinel_options(),
        )

    return connect_to


def _cluster_nodes(target: RedisTarget, node_class: Any) -> list[Any]:
    return [node_class(host, port) for host, port in target.nodes]


def _sync_client(settings: Settings, client_class: type[R]) -> R:
    target = target_of(settings)
    options = {**_timeouts(), **target.connection_options()}
    if target.kind == "sentinel":
        client = _sentinel(target, redis_sentinel).master_for(
            target.service,
            redis_class=client_class,
            connection_pool_class=FollowingSentinelPool,
            watch=watch_for(target, _sentinel_subscriber(target)),
            db=target.db,
            max_connections=64,
            timeout=10,
            retry=Retry(NoBackoff(), _ONE_RECONNECT),
            **options,
        )
        return _stamp(cast(R, client), settings)
    if target.kind == "cluster":
        cluster_class = StoreClusterClient if client_class is StoreClient else RedisCluster
        cluster = cluster_class(
            startup_nodes=_cluster_nodes(target, ClusterNode), max_connections=64, **options
        )
        # RedisCluster is not a redis.Redis, but offers every command the stores use.
        return _stamp(cast(R, cluster), settings)
    assert target.url is not None
    # A blocking pool: a burst of callers (a web threadpool) waits for a connection instead
    # of failing with "Too many connections".
    pool = redis.BlockingConnectionPool.from_url(
        target.url,
        max_connections=64,
        timeout=10,
        retry=Retry(NoBackoff(), _ONE_RECONNECT),
        **{key: value for key, value in options.items() if value is not None},
    )
    return _stamp(client_class(connection_pool=pool), settings)


def connect(settings: Settings) -> StoreClient:
    """The stores' client for the settings' Redis (bytes in, bytes out). Connecting is lazy;
    a Redis that does not answer raises ``StoreUnavailable`` (the web answers 503). Raises
    ``ConfigError`` when no Redis is configured."""
    return _sync_client(settings, StoreClient)


def broker_client(settings: Settings) -> redis.Redis:
    """A plain redis-py client for Dramatiq and its plugins (see the module docstring)."""
    return _sync_client(settings, redis.Redis)


def async_connect(settings: Settings, *, max_connections: int = 64) -> AsyncStoreClient:
    """An asyncio client of the stores (bytes in, bytes out), made in the event loop that
    uses it; a Redis that does not answer raises ``StoreUnavailable``."""
    target = target_of(settings)
    options = {**_timeouts(), **target.connection_options()}
    retry = AsyncRetry(NoBackoff(), _ONE_RECONNECT)
    if target.kind == "sentinel":
        client = _sentinel(target, aioredis_sentinel).master_for(
            target.service,
            redis_class=AsyncStoreClient,
            connection_pool_class=AsyncFollowingSentinelPool,
            watch=watch_for(target, _sentinel_subscriber(target)),
            db=target.db,
            max_connections=max_connections,
            retry=retry,
            **options,
        )
        return _stamp(cast(AsyncStoreClient, client), settings)
    if target.kind == "cluster":
        cluster = AsyncStoreClusterClient(
            startup_nodes=_cluster_nodes(target, AsyncClusterNode),
            max_connections=max_connections,
            **{key: value for key, value in options.items() if key != "health_check_interval"},
        )
        return _stamp(cast(AsyncStoreClient, cluster), settings)
    assert target.url is not None
    pool = aioredis.ConnectionPool.from_url(
        target.url,
        max_connections=max_connections,
        retry=retry,
        **{key: value for key, value in options.items() if value is not None},
    )
    client = AsyncStoreClient(connection_pool=pool)
    client.auto_close_connection_pool = True  # the client owns its pool (redis-py's from_pool)
    return _stamp(client, settings)


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What a Redis server says it is (``INFO server``/``INFO cluster``)."""

    name: str  # "redis" or "valkey"
    version: str
    cluster: bool

    def __str__(self) -> str:
        return f"{self.name.capitalize()} {self.version}" + (" (cluster)" if self.cluster else "")


def server_info(client: Any) -> ServerInfo:
    """The server behind ``client``; ``StoreUnavailable`` when it does not answer."""
    try:
        info = cast(dict[str, Any], client.info("server"))
        cluster = cast(dict[str, Any], client.info("cluster"))
    except _UNAVAILABLE as exc:
        raise _unavailable(exc) from exc
    if isinstance(client, RedisCluster):  # one node's answer (or, per node, {name: info})
        first = next(iter(info.values()), None)
        info = first if isinstance(first, dict) else info
        cluster = {"cluster_enabled": 1}
    name = str(info.get("server_name") or "redis")
    version = str(info.get("valkey_version") or info.get("redis_version") or "?")
    return ServerInfo(name, version, bool(int(cluster.get("cluster_enabled", 0))))


def verify_server(settings: Settings) -> ServerInfo | None:
    """Check, once at a process's start, that the configured Redis can serve gitbrag, and say
    what it is (for the log). Raises ``ConfigError`` for a Redis Cluster reached through the
    server or Sentinel form (its keys would be spread over slots the client cannot follow).
    ``None`` when Redis does not answer now: processes start without Redis and wait for it."""
    client = connect(settings)
    try:
        info = server_info(client)
    except StoreUnavailable as exc:
        log.warning("Redis (%s) does not answer yet: %s", target_of(settings).display, exc)
        return None
    finally:
        client.close()
    target = target_of(settings)
    if info.cluster and target.kind != "cluster":
        raise ConfigError(
            f"{target.display} is a Redis Cluster node: use GITBRAG_REDIS_URL=redis+cluster://"
            "host:port,... with a hash-tag namespace (GITBRAG_REDIS_NAMESPACE={gitbrag})"
        )
    log.info("Redis: %s at %s, key namespace %r", info, target.display, settings.redis_namespace)
    return info


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
