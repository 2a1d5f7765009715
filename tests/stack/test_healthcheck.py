"""The container probes against a real Redis and a real HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gitbrag.runtime.healthcheck import check_broker, check_web, main
from gitbrag.runtime.redis_server import EmbeddedRedis, free_port
from gitbrag.settings import Settings


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Broken(_Health):
    status = 500


def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def healthy_port() -> Iterator[int]:
    yield from serve(_Health)


@pytest.fixture
def broken_port() -> Iterator[int]:
    yield from serve(_Broken)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis"), persistence=False) as server:
        yield server.url


def test_web_probe(healthy_port: int, broken_port: int) -> None:
    assert check_web(Settings(port=healthy_port)) is None
    assert "answered 500" in (check_web(Settings(port=broken_port)) or "")
    assert "unreachable" in (check_web(Settings(port=free_port())) or "")


def test_broker_probe(redis_url: str) -> None:
    assert check_broker(Settings(redis_url=redis_url)) is None
    down = check_broker(Settings(redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    assert down is not None and down.startswith("Redis unreachable")
    assert "GITBRAG_REDIS_URL is not set" in (check_broker(Settings(redis_url=None)) or "")


def test_exit_codes(
    redis_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    monkeypatch.setenv("GITBRAG_REDIS_URL", redis_url)
    assert main(["worker"]) == 0
    assert main(["scheduler"]) == 0
    monkeypatch.setenv("GITBRAG_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    assert main(["worker"]) == 1
    assert "unhealthy: Redis unreachable" in capsys.readouterr().err
    monkeypatch.setenv("GITBRAG_PORT", str(free_port()))
    assert main(["web"]) == 1
    assert main(["nonsense"]) == 2
    assert main([]) == 2
