"""How every gitbrag process reaches Redis: one client per process, from the settings."""

from __future__ import annotations

import redis

from gitbrag.settings import Settings


def connect(settings: Settings) -> redis.Redis:
    """A synchronous client for ``settings.redis_url`` (bytes in, bytes out).

    Failures surface as ``redis.exceptions.ConnectionError`` (the web layer answers 503).
    """
    if not settings.redis_url:
        raise RuntimeError(
            "GITBRAG_REDIS_URL is not set: start the stack with `gitbrag up` (embedded Redis) "
            "or point GITBRAG_REDIS_URL at a Redis server"
        )
    # A blocking pool: a burst of callers (a web threadpool) waits for a connection instead
    # of failing with "Too many connections".
    pool = redis.BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=64,
        timeout=10,
        decode_responses=False,
        socket_connect_timeout=5,
        socket_timeout=10,
        health_check_interval=30,
    )
    return redis.Redis(connection_pool=pool)
