"""Pipeline fixtures: settings and a service on the test Redis, and real worker processes.

Workers are ``python -m dramatiq <module>`` subprocesses in their own process group, with
``GITBRAG_*`` pointing at the test Redis (and the simulated GitHub when a test passes its
URLs); every one is killed in teardown.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
import redis

from gitbrag.fakehub import DataSet, FakeHub
from gitbrag.service import ReportService
from gitbrag.settings import Settings

# Importing ``actors`` in this process (pre-warm and middleware tests) builds the StubBroker
# variant; worker subprocesses get a clean GITBRAG_* environment (see ``worker_env``).
os.environ.setdefault("GITBRAG_STUB_BROKER", "1")

ROOT = Path(__file__).resolve().parents[2]
SECRET = "pipeline-test-secret-key"


@dataclass
class Pipeline:
    settings: Settings
    service: ReportService
    env: dict[str, str]
    tmp: Path
    workers: list[Worker] = field(default_factory=list)

    def start_worker(
        self,
        *,
        threads: int = 8,
        via_gitbrag: bool = False,
        extra_env: dict[str, str] | None = None,
    ) -> Worker:
        """``dramatiq actors -p 1 -t N`` (or ``gitbrag worker --processes 1 --threads N``)."""
        worker = Worker(threads, {**self.env, **(extra_env or {})}, self.tmp, via_gitbrag)
        self.workers.append(worker)
        return worker.start()


class Worker:
    """One ``dramatiq`` master with one worker process."""

    def __init__(self, threads: int, env: dict[str, str], tmp: Path, via_gitbrag: bool) -> None:
        self.command = (
            [
                sys.executable,
                "-m",
                "gitbrag",
                "worker",
                "--processes",
                "1",
                "--threads",
                str(threads),
            ]
            if via_gitbrag
            else [sys.executable, "-m", "dramatiq", "actors", "-p", "1", "-t", str(threads)]
        )
        self.env = env
        self.log_path = tmp / f"worker-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Worker:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while "Worker process is ready for action" not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{self.log()}")
            time.sleep(0.1)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def children(self) -> list[psutil.Process]:
        assert self.process is not None
        return psutil.Process(self.process.pid).children(recursive=True)

    def kill_worker_process(self) -> None:
        """SIGKILL the process that runs the actors (not the master)."""
        for child in self.children():
            child.send_signal(signal.SIGKILL)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None


def pipeline_settings(redis_url: str, tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "redis_url": redis_url,
        "secret_key": SECRET,
        "data_dir": tmp,
        "github_token": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def worker_env(settings: Settings) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("GITBRAG_")}
    env.update(
        {
            "GITBRAG_REDIS_URL": str(settings.redis_url),
            "GITBRAG_SECRET_KEY": SECRET,
            "GITBRAG_DATA_DIR": str(settings.data_dir),
            "GITBRAG_GITHUB_API_URL": settings.github_api_url,
            "GITBRAG_GITHUB_GRAPHQL_URL": settings.graphql_url,
            "GITBRAG_RETRY_BACKOFF_SECONDS": "0.05",
            "PYTHONPATH": str(ROOT),
            "TZ": "UTC",
        }
    )
    if settings.github_token:
        env["GITBRAG_GITHUB_TOKEN"] = settings.github_token
    return env


def values_in_redis(client: redis.Redis) -> Iterator[tuple[bytes, bytes]]:
    """Every (key, stored bytes) pair in the keyspace, whatever the key's type."""
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        values: list[Any] = [key]
        if kind == b"string":
            values.append(client.get(key) or b"")
        elif kind == b"hash":
            for field_name, value in client.hgetall(key).items():
                values += [field_name, value]
        elif kind == b"list":
            values += client.lrange(key, 0, -1)
        elif kind == b"set":
            values += list(client.smembers(key))
        elif kind == b"zset":
            values += list(client.zrange(key, 0, -1))
        for value in values:
            yield key, value


TEST_TOKENS = ("ghp_pipeline_test_token_0001", "ghp_limiter")


@pytest.fixture(autouse=True)
def no_plaintext_tokens(fakehub_data: DataSet, redis_server: object) -> Iterator[None]:
    """After every pipeline test, scan all of Redis: no GitHub token may appear in plaintext."""
    yield
    from gitbrag.runtime.redis_server import EmbeddedRedis

    assert isinstance(redis_server, EmbeddedRedis)
    tokens = [token.encode() for token in (*fakehub_data.tokens, *TEST_TOKENS)]
    client = redis.Redis.from_url(redis_server.url)
    try:
        leaks = [key for key, value in values_in_redis(client) if any(t in value for t in tokens)]
    finally:
        client.close()
    assert not leaks, f"plaintext GitHub tokens in Redis keys {sorted(set(leaks))[:5]}"


@pytest.fixture
def pipeline(redis_url: str, tmp_path: Path) -> Iterator[Pipeline]:
    yield from _pipeline(pipeline_settings(redis_url, tmp_path), tmp_path)


@pytest.fixture
def hub_pipeline(redis_url: str, tmp_path: Path, hub: FakeHub) -> Iterator[Pipeline]:
    """A pipeline whose workers talk to the simulated GitHub."""
    settings = pipeline_settings(
        redis_url, tmp_path, github_api_url=hub.api_url, github_graphql_url=hub.graphql_url
    )
    yield from _pipeline(settings, tmp_path)


def _pipeline(settings: Settings, tmp_path: Path) -> Iterator[Pipeline]:
    service = ReportService.from_settings(settings)
    state = Pipeline(settings, service, worker_env(settings), tmp_path)
    try:
        yield state
    finally:
        for worker in state.workers:
            worker.stop()
        service.redis.close()
