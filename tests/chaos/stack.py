"""The chaos stack: every gitbrag process for real, each supervised and logging to its own file.

    Redis        EmbeddedRedis with persistence (AOF + RDB) on a fixed port, restarted by us;
                 or (``topology``) a primary, a replica and three Sentinels
                 (:class:`tests.fixtures.sentinel.SentinelTopology`), failed over by us
    fakehub      ``gitbrag fakehub`` in its own process (controlled over ``/_fakehub/``)
    web-1, web-2 ``gitbrag web --workers 1`` on two ports (two replicas behind a balancer)
    worker-1/2   ``gitbrag worker --processes 1`` (two hosts' workers)
    scheduler    ``gitbrag scheduler`` (exactly one)

The simulated GitHub runs out of process: the load driver and the orchestration run in this
process, and GitHub must not share their interpreter lock (an in-process hub would slow down
whenever the driver is busy, and the other way round); its ``/_fakehub/`` controls do
everything ``FakeHub`` offers in process. Each gitbrag process runs under its own
:class:`~gitbrag.runtime.supervisor.Supervisor` (restarted when it dies, as in ``gitbrag up``),
appending to ``logs/<name>.log`` so the secrets scan reads every line of every instance.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import redis
from redis.sentinel import Sentinel

from gitbrag.runtime.redis_server import EmbeddedRedis, free_port
from gitbrag.runtime.supervisor import ChildSpec, Supervisor
from gitbrag.runtime.watchdog import Watchdog
from gitbrag.settings import Settings
from tests.fixtures.sentinel import SERVICE, SentinelTopology
from tests.harness import (
    FAKEHUB_CLIENT_ID,
    FAKEHUB_CLIENT_SECRET,
    WORKER_READY,
    wait_for,
    worker_env,
)
from tests.harness import test_settings as harness_settings

WEB_COUNT = 2
WORKER_COUNT = 2


@dataclass
class Outage:
    """One Redis outage: when it went down and when it answered again (monotonic)."""

    how: str
    down_at: float
    up_at: float = 0.0


@dataclass
class Kill:
    """One SIGKILLed worker group: when, and when its replacement said it was ready."""

    name: str
    at: float
    ready_at: float = 0.0


@dataclass
class _Process:
    name: str
    supervisor: Supervisor
    log_path: Path
    log: IO[bytes]
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


def _get_json(url: str, payload: dict[str, Any] | None = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class ChaosStack:
    """Start with :meth:`start`, stop with :meth:`stop` (or use it as a context manager)."""

    def __init__(
        self,
        tmp: Path,
        *,
        webs: int = WEB_COUNT,
        workers: int = WORKER_COUNT,
        threads: int = 4,
        latency_ms: float = 60.0,
        topology: SentinelTopology | None = None,
        **overrides: object,
    ) -> None:
        self.tmp = tmp
        self.logs = tmp / "logs"
        self.redis = EmbeddedRedis(tmp / "redis", persistence=True)
        self.topology = topology
        self.web_ports = [free_port() for _ in range(webs)]
        self.worker_names = [f"worker-{n + 1}" for n in range(workers)]
        self.threads = threads
        self.latency_ms = latency_ms
        self.hub_port = free_port()
        self.hub_url = f"http://127.0.0.1:{self.hub_port}"
        self.secret_key = secrets.token_urlsafe(32)
        self.overrides = overrides
        self.outages: list[Outage] = []
        self.kills: list[Kill] = []
        self._processes: dict[str, _Process] = {}
        self._hub: subprocess.Popen[bytes] | None = None
        self._settings: Settings | None = None
        # Ends every process of the stack should this process die without stopping them.
        self._watchdog: Watchdog | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def settings(self) -> Settings:
        assert self._settings is not None, "start the stack first"
        return self._settings

    @property
    def web_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.web_ports]

    def start(self) -> ChaosStack:
        self.logs.mkdir(parents=True, exist_ok=True)
        self._watchdog = Watchdog(grace_seconds=5.0)
        if self.topology is not None:
            self.topology.start()
            redis_url = self.topology.url
            # A new job (and its message) and a final status wait for the replica.
            self.overrides.setdefault("redis_min_replicas", 1)
        else:
            self.redis.start()
            self._watch_redis()
            redis_url = self.redis.url
        self._start_hub()
        values: dict[str, object] = {
            "secret_key": self.secret_key,
            "github_api_url": self.hub_url,
            "github_graphql_url": self.hub_url + "/graphql",
            "github_url": self.hub_url,
            "github_client_id": FAKEHUB_CLIENT_ID,
            "github_client_secret": FAKEHUB_CLIENT_SECRET,
            "http_timeout_seconds": 10.0,
            "retry_backoff_seconds": 0.2,
            "web_workers": 1,
            **self.overrides,
        }
        self._settings = harness_settings(redis_url, self.tmp / "data", **values)
        env = worker_env(self.settings)
        gitbrag = (sys.executable, "-m", "gitbrag")
        for number, port in enumerate(self.web_ports, 1):
            argv = (*gitbrag, "web", "--host", "127.0.0.1", "--port", str(port), "--workers", "1")
            self._supervise(f"web-{number}", argv, env)
        for name in self.worker_names:
            argv = (*gitbrag, "worker", "--processes", "1", "--threads", str(self.threads))
            self._supervise(name, argv, env)
        self._supervise("scheduler", (*gitbrag, "scheduler"), env)
        for url in self.web_urls:
            wait_for(lambda url=url: _answers(url + "/readyz"), 90, what=f"{url} ready")
        for name in self.worker_names:
            wait_for(lambda name=name: self.ready_count(name) >= 1, 90, what=f"{name} ready")
        return self

    def _start_hub(self) -> None:
        log = (self.logs / "fakehub.log").open("ab")
        self._hub = subprocess.Popen(
            [sys.executable, "-m", "gitbrag", "fakehub", "--host", "127.0.0.1",
             "--port", str(self.hub_port), "--latency-ms", str(self.latency_ms)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        log.close()
        assert self._watchdog is not None
        self._watchdog.watch(self._hub.pid)
        wait_for(lambda: _answers(self.hub_url + "/"), 60, what="simulated GitHub ready")

    def _watch_redis(self) -> None:
        if self._watchdog is not None and self.redis.pid is not None:
            self._watchdog.watch(self.redis.pid, last=True)

    def _supervise(self, name: str, argv: tuple[str, ...], env: dict[str, str]) -> None:
        log_path = self.logs / f"{name}.log"
        log = log_path.open("ab")
        # A quick restart after each kill (kills come every 20 s; backoff resets after 10 s up).
        supervisor = Supervisor(
            [ChildSpec(name, argv, env, cwd=str(self.tmp))],
            grace_seconds=10.0,
            min_backoff=0.2,
            stable_seconds=10.0,
            stdout=log,
            stderr=log,
            watchdog=self._watchdog,
        )
        process = _Process(name, supervisor, log_path, log)
        process.thread = threading.Thread(
            target=supervisor.run, args=(process.stop,), name=f"supervise-{name}", daemon=True
        )
        process.thread.start()
        self._processes[name] = process

    def stop(self) -> None:
        for process in self._processes.values():
            process.stop.set()
        for process in self._processes.values():
            if process.thread is not None:
                process.thread.join(timeout=60)
            process.log.close()
        if self._hub is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._hub.pid, signal.SIGTERM)
            try:
                self._hub.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._hub.pid, signal.SIGKILL)
                self._hub.wait()
            self._hub = None
        self.redis.stop()
        if self.topology is not None:
            self.topology.stop()
        if self._watchdog is not None:
            self._watchdog.close()
            self._watchdog = None

    def __enter__(self) -> ChaosStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ logs

    def log_paths(self) -> dict[str, Path]:
        """Every process's log: the gitbrag processes, Redis and the simulated GitHub."""
        paths = {name: process.log_path for name, process in self._processes.items()}
        if self.topology is not None:
            paths.update(self.topology.log_paths())
        else:
            paths["redis"] = self.redis.data_dir / "redis.log"
        paths["fakehub"] = self.logs / "fakehub.log"
        return paths

    def admin_client(self) -> redis.Redis:
        """A plain client of the current primary, for the checks (not gitbrag's)."""
        if self.topology is None:
            return redis.Redis.from_url(self.redis.url)
        sentinels = [("127.0.0.1", node.port) for node in self.topology.sentinels]
        return Sentinel(sentinels, socket_timeout=2).master_for(
            SERVICE, password=self.topology.password, socket_timeout=10
        )

    def log_text(self, name: str) -> str:
        path = self.log_paths()[name]
        return path.read_text(errors="replace") if path.exists() else ""

    def ready_count(self, worker: str) -> int:
        """How many instances of ``worker`` have said they are ready so far."""
        return self.log_text(worker).count(WORKER_READY)

    # ------------------------------------------------------------------ faults: Redis

    def stop_redis(self, how: str) -> Outage:
        """Take Redis down with ``SIGTERM`` (it saves, then exits) or ``SIGKILL``."""
        pid = self.redis.pid
        assert pid is not None and self.redis.running
        outage = Outage(how, time.monotonic())
        os.kill(pid, signal.SIGKILL if how == "SIGKILL" else signal.SIGTERM)
        wait_for(lambda: not self.redis.running, 30, what="redis-server exited")
        self.redis.stop()  # reaps it
        if self._watchdog is not None:
            self._watchdog.unwatch(pid)
        self.outages.append(outage)
        return outage

    def start_redis(self, outage: Outage) -> None:
        """Redis back on the same port, from its append-only file."""
        self.redis.start(timeout=30)
        outage.up_at = time.monotonic()
        self._watch_redis()

    # ------------------------------------------------------------------ faults: workers

    def kill_worker(self, name: str) -> Kill:
        """SIGKILL the worker's whole process group (master and its worker process), as an
        out-of-memory kill of its container would; its supervisor starts a new one."""
        supervisor = self._processes[name].supervisor
        pid = supervisor.pid(name)
        assert pid is not None, f"{name} is not running"
        ready_before = self.ready_count(name)
        kill = Kill(name, time.monotonic())
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        self.kills.append(kill)

        def ready_again() -> None:
            wait_for(lambda: self.ready_count(name) > ready_before, 120, what=f"{name} back")
            kill.ready_at = time.monotonic()

        threading.Thread(target=ready_again, name=f"{name}-ready", daemon=True).start()
        return kill

    def restarts(self, name: str) -> int:
        return self._processes[name].supervisor.restarts(name)

    # ------------------------------------------------------------------ faults: GitHub

    def hub_faults(self, **settings: Any) -> Any:
        return _get_json(self.hub_url + "/_fakehub/faults", settings)

    def hub_behaviours(self, **settings: Any) -> Any:
        return _get_json(self.hub_url + "/_fakehub/behaviours", settings)

    def hub_budget(
        self, token: str, remaining: int, reset_in: float, resource: str | None = None
    ) -> None:
        payload: dict[str, Any] = {"token": token, "remaining": remaining, "reset_in": reset_in}
        if resource is not None:
            payload["resource"] = resource
        _get_json(self.hub_url + "/_fakehub/budget", payload)

    def hub_requests(self) -> int:
        return int(_get_json(self.hub_url + "/_fakehub/counters")["request_count"])

    def hub_tokens(self) -> dict[str, str]:
        users = _get_json(self.hub_url + "/_fakehub/users")
        return {user["login"]: user["token"] for user in users}
