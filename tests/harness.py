"""One harness for a live gitbrag in tests and benchmarks: settings, worker processes, the
whole stack for browsers, and waiting for events.

Isolated from the developer's checkout and shell, which the README asks to hold a ``.env``:

- :func:`test_settings` builds ``Settings`` with ``_env_file=None``, from explicit values only;
- :func:`isolate_test_process` (called by ``tests/conftest.py``) drops every ``GITBRAG_*``
  variable from the test process and turns ``.env`` reading off for every ``Settings()`` it
  builds;
- :class:`Worker` processes run in a temporary directory, not the checkout (so no ``.env``),
  with an environment scrubbed of ``GITBRAG_*`` and then given exactly the test's settings
  (:func:`worker_env`).

Nothing sleeps for a fixed time: :func:`wait_for` polls for the event it is told about.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import psutil
import redis

from gitbrag.runtime.redis_server import EmbeddedRedis
from gitbrag.settings import Settings

if TYPE_CHECKING:
    from gitbrag.fakehub import DataSet, FakeHub
    from gitbrag.runtime.background_server import BackgroundServer

ROOT = Path(__file__).resolve().parents[1]
SECRET = "harness-secret-key-of-at-least-32-bytes"
# The simulated GitHub's OAuth app (gitbrag.fakehub.state).
FAKEHUB_CLIENT_ID = "fakehub-client-id"
FAKEHUB_CLIENT_SECRET = "fakehub-client-secret"
WORKER_READY = "Worker process is ready for action"

T = TypeVar("T")


# --------------------------------------------------------------------------- waiting


def poll_until(
    fetch: Callable[[], T],
    accept: Callable[[T], object],
    timeout: float,
    what: str = "condition",
    *,
    interval: float = 0.1,
) -> T:
    """Call ``fetch`` until ``accept`` takes its answer; that answer. ``timeout`` only bounds
    a hang: it is never what a test measures."""
    deadline = time.monotonic() + timeout
    while True:
        last = fetch()
        if accept(last):
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not met within {timeout} s, last answer {last!r}")
        time.sleep(interval)


def wait_for(
    predicate: Callable[[], object],
    timeout: float,
    interval: float = 0.1,
    what: str = "condition",
) -> None:
    poll_until(predicate, bool, timeout, what, interval=interval)


# --------------------------------------------------------------------------- settings


def isolate_test_process() -> None:
    """No ``GITBRAG_*`` from the developer's shell and no ``.env`` from the checkout reach the
    settings this process builds."""
    for name in [name for name in os.environ if name.startswith("GITBRAG_")]:
        # Kept: which redis-server binary the tests run against (CI runs the Redis suites
        # against each: the default pick, the embedded one, Valkey; gitbrag.runtime.redis_server).
        if name != "GITBRAG_REDIS_SERVER":
            del os.environ[name]
    Settings.model_config["env_file"] = None


def test_settings(
    redis_url: str, data_dir: Path, *, hub: FakeHub | None = None, **overrides: object
) -> Settings:
    """Settings for a test (or benchmark) stack: the given Redis and data dir, a fixed secret
    key, no server token, short GitHub backoffs, and the simulated GitHub's URLs and OAuth
    app when ``hub`` is given. Never read from ``.env`` or the environment."""
    values: dict[str, object] = {
        "redis_url": redis_url,
        "data_dir": data_dir,
        "secret_key": SECRET,
        "github_token": None,
        "retry_backoff_seconds": 0.05,
        # Starlette's TestClient asks for http://testserver (web.hosts: loopback names and
        # these only, without a PUBLIC_URL)
        "allowed_hosts": "testserver",
    }
    if hub is not None:
        values.update(
            github_api_url=hub.api_url,
            github_graphql_url=hub.graphql_url,
            github_url=hub.github_url,
            github_client_id=FAKEHUB_CLIENT_ID,
            github_client_secret=FAKEHUB_CLIENT_SECRET,
        )
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


test_settings.__test__ = False  # type: ignore[attr-defined]  # not a test, despite its name


def _env_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a process that must see exactly ``settings``: the current one
    without any ``GITBRAG_*``, then every setting spelled out (``extra`` last)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("GITBRAG_")}
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"GITBRAG_{name.upper()}"] = _env_value(value)
    env.update(PYTHONPATH=str(ROOT), TZ="UTC", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


# --------------------------------------------------------------------------- Redis, read whole


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


# --------------------------------------------------------------------------- processes


class Worker:
    """One Dramatiq master with one worker process (``dramatiq actors`` or ``gitbrag
    worker``), started in ``workdir`` with ``env``, logging to a file there."""

    def __init__(
        self, env: dict[str, str], workdir: Path, *, threads: int = 8, via_gitbrag: bool = False
    ) -> None:
        if via_gitbrag:
            self.command = [sys.executable, "-m", "gitbrag", "worker", "--processes", "1"]
        else:
            self.command = [sys.executable, "-m", "dramatiq", "actors", "-p", "1"]
        self.command += ["--threads" if via_gitbrag else "-t", str(threads)]
        self.env = env
        self.workdir = workdir
        self.log_path = workdir / f"worker-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> Worker:
        """Start and wait until the worker process says it is ready."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.workdir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        process = self.process

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"worker exited at start:\n{self.log()}")
            return WORKER_READY in self.log()

        wait_for(ready, timeout, what=f"worker ready (log {self.log_path})")
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def children(self) -> list[psutil.Process]:
        return psutil.Process(self.pid).children(recursive=True)

    def kill_worker_process(self) -> None:
        """SIGKILL the process that runs the actors (not the master)."""
        for child in self.children():
            child.send_signal(signal.SIGKILL)

    def stop(self) -> None:
        """SIGKILL the whole group (tests never need the graceful path here)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None


# --------------------------------------------------------------------------- the whole stack


class LiveStack:
    """Embedded Redis, the simulated GitHub (with latency, so progress is visible), a
    ``gitbrag worker`` and the web app under uvicorn: what the browser tests, the screenshots
    and the benchmarks drive."""

    def __init__(
        self,
        tmp: Path,
        *,
        latency_ms: float = 40.0,
        data: DataSet | None = None,
        demo: bool = False,
        threads: int = 2,
        web: bool = True,
        **overrides: Any,
    ) -> None:
        from gitbrag.fakehub import FakeHub, generate

        self.tmp = tmp
        self.redis = EmbeddedRedis(tmp / "redis", persistence=False)
        self.hub = FakeHub(data or generate(seed=7), latency_ms=latency_ms)
        self.demo = demo
        self.threads = threads
        self.serve_web = web
        self.overrides = overrides
        self.worker: Worker | None = None
        self.server: BackgroundServer | None = None
        self.url = ""
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        assert self._settings is not None, "start the stack first"
        return self._settings

    def start(self) -> LiveStack:
        self.redis.start()
        self.hub.start()
        if self.demo:  # what `gitbrag demo` tells the web: the simulated GitHub's sample users
            from gitbrag.fakehub import SAMPLE_USERS

            self.overrides.setdefault("demo_users", ",".join(SAMPLE_USERS))
        self._settings = test_settings(
            self.redis.url, self.tmp, hub=self.hub, demo=self.demo, **self.overrides
        )
        self.worker = self.start_worker()
        if self.serve_web:
            from gitbrag.runtime.background_server import BackgroundServer
            from web.app import create_app

            self.server = BackgroundServer(create_app(self.settings), name="web")
            self.url = self.server.start()
        return self

    def start_worker(self, *, via_gitbrag: bool = True) -> Worker:
        env = worker_env(self.settings)
        worker = Worker(env, self.tmp / "worker", threads=self.threads, via_gitbrag=via_gitbrag)
        return worker.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.worker is not None:
            self.worker.stop()
        self.hub.stop()
        self.redis.stop()

    def __enter__(self) -> LiveStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
