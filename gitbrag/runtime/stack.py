"""``gitbrag up`` and ``gitbrag demo``: the whole stack in one command.

    gitbrag up
      ├── redis-server   embedded (unless GITBRAG_REDIS_URL), data in GITBRAG_DATA_DIR/redis
      ├── web            gitbrag web --host H --port P   (one process per CPU, or
      │                  GITBRAG_WEB_WORKERS, sharing the port)
      ├── worker         gitbrag worker
      ├── scheduler      gitbrag scheduler        (exactly one)
      └── watchdog       ends all of the above if `gitbrag up` dies (gitbrag.runtime.watchdog)

    gitbrag demo = the same, plus
      └── fakehub        gitbrag fakehub (the simulated GitHub), with GITBRAG_DEMO=1,
                         its own embedded Redis in GITBRAG_DATA_DIR/demo, and every
                         GITBRAG_GITHUB_* setting pointing at the simulated GitHub

The children are supervised (:mod:`gitbrag.runtime.supervisor`): a crashed child is restarted (the
embedded Redis too, on the same port, from its append-only file), and SIGINT/SIGTERM/SIGHUP
stop every child and its forks, then Redis, which saves its data. With no
``GITBRAG_SECRET_KEY`` the stack runs in dev mode: a secret key is generated once and kept in
the data dir, and the children get ``GITBRAG_DEV=1``.
"""

from __future__ import annotations

import argparse
import fcntl
import importlib.util
import logging
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gitbrag.errors import ConfigError, GitBragError
from gitbrag.runtime.redis_server import EmbeddedRedis, free_port
from gitbrag.runtime.signals import stop_on_signals
from gitbrag.runtime.supervisor import ChildSpec, Supervisor
from gitbrag.runtime.watchdog import Watchdog
from gitbrag.settings import Settings

logger = logging.getLogger("gitbrag.runtime.stack")

# Per-request latency of the demo's simulated GitHub, so report progress is visible.
DEMO_LATENCY_MS = 120.0
# The simulated account whose token is the demo's server token (scheduler pre-warming).
DEMO_SERVER_LOGIN = "octocat"
READY_TIMEOUT_SECONDS = 120.0
# How long a child may take to stop after SIGTERM before its whole group is SIGKILLed.
GRACE_SECONDS = 10.0
DEMO_EXTRA_MISSING = (
    "the simulated GitHub needs the demo extra: pip install 'gitbrag[demo]' (make install does)"
)


class StackError(GitBragError):
    """The stack cannot start (port taken, Redis failed); the message is for the user."""


@dataclass
class StackConfig:
    """What to start: derived from settings and the command line, before anything runs."""

    host: str
    port: int
    data_dir: Path
    redis_url: str | None
    dev: bool
    env: dict[str, str] = field(default_factory=dict)
    fakehub_port: int | None = None
    # Which binary the local Redis runs (GITBRAG_REDIS_SERVER, gitbrag.runtime.redis_server).
    redis_server: str = "auto"

    @property
    def site_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"


def _gitbrag(*args: str) -> tuple[str, ...]:
    """The argv running a ``gitbrag`` subcommand with this interpreter (no PATH lookup)."""
    return (sys.executable, "-m", "gitbrag", *args)


def child_specs(config: StackConfig, env: Mapping[str, str]) -> list[ChildSpec]:
    """The supervised commands, in start order."""
    specs: list[ChildSpec] = []
    if config.fakehub_port is not None:
        fakehub = _gitbrag(
            "fakehub", "--host", "127.0.0.1", "--port", str(config.fakehub_port),
            "--latency-ms", str(DEMO_LATENCY_MS),
        )  # fmt: skip
        specs.append(ChildSpec("fakehub", fakehub, env))
    web = _gitbrag("web", "--host", config.host, "--port", str(config.port))
    specs.append(ChildSpec("web", web, env))
    specs.append(ChildSpec("worker", _gitbrag("worker"), env))
    specs.append(ChildSpec("scheduler", _gitbrag("scheduler"), env))
    return specs


def configure(settings: Settings, args: argparse.Namespace, *, demo: bool) -> StackConfig:
    """Resolve host, port, data dir, dev mode and the children's environment."""
    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    data_dir = settings.data_dir.expanduser().resolve()
    env: dict[str, str] = {"GITBRAG_DATA_DIR": str(data_dir)}
    redis_url = settings.redis_url
    if not redis_url and settings.redis_sentinels:
        # Sentinels name the Redis: the children reach it through them, as the URL form.
        redis_url = f"redis+sentinel://{settings.redis_sentinels}/{settings.redis_master}"
    fakehub_port: int | None = None
    if demo:
        require_demo_extra()
        # The demo never touches a real Redis or real reports: its own embedded Redis.
        redis_url = None
        fakehub_port = free_port()
        env.update(demo_environment(fakehub_port))
    dev = settings.dev or not settings.secret_key
    if dev:
        env["GITBRAG_DEV"] = "1"
    env["GITBRAG_HOST"] = host
    env["GITBRAG_PORT"] = str(port)
    # periodiq reads the local time zone; the whole stack runs on UTC.
    env["TZ"] = "UTC"
    env["PYTHONUNBUFFERED"] = "1"
    return StackConfig(
        host, port, data_dir, redis_url, dev, env, fakehub_port, settings.redis_server
    )


def require_demo_extra() -> None:
    """The simulated GitHub runs GraphQL with graphql-core, which only the ``demo`` extra
    installs: say so before starting anything, rather than let its child crash-loop."""
    try:
        installed = importlib.util.find_spec("graphql") is not None
    except ImportError:
        installed = False
    if not installed:
        raise StackError(DEMO_EXTRA_MISSING)


def demo_environment(fakehub_port: int) -> dict[str, str]:
    """Settings that point every GitHub access at the simulated GitHub on ``fakehub_port``."""
    # Imported here: only the demo loads the simulated GitHub's data (its server runs in the
    # `gitbrag fakehub` child); `gitbrag up` and the processes it starts never do.
    from gitbrag.fakehub.data import SAMPLE_USERS, token_for
    from gitbrag.fakehub.state import CLIENT_ID, CLIENT_SECRET

    base = f"http://127.0.0.1:{fakehub_port}"
    env = {
        "GITBRAG_DEMO": "1",
        "GITBRAG_DEMO_USERS": ",".join(SAMPLE_USERS),
        "GITBRAG_GITHUB_API_URL": base,
        "GITBRAG_GITHUB_GRAPHQL_URL": f"{base}/graphql",
        "GITBRAG_GITHUB_URL": base,
        "GITBRAG_GITHUB_CLIENT_ID": CLIENT_ID,
        "GITBRAG_GITHUB_CLIENT_SECRET": CLIENT_SECRET,
    }
    env["GITBRAG_GITHUB_TOKEN"] = token_for(DEMO_SERVER_LOGIN)
    return env


def ensure_port_free(host: str, port: int) -> None:
    """Fail early and clearly rather than let the web child crash-loop on a taken port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise StackError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


@contextmanager
def redis_for(
    config: StackConfig, watchdog: Watchdog
) -> Iterator[tuple[str, EmbeddedRedis | None]]:
    """The Redis URL the children use, and the embedded server behind it (None when
    ``GITBRAG_REDIS_URL`` names one). The embedded server is stopped (and saves) on exit."""
    if config.redis_url:
        yield config.redis_url, None
        return
    directory = config.data_dir / ("demo" if config.fakehub_port is not None else "redis")
    try:
        server = EmbeddedRedis(directory, port=0, persistence=True, server=config.redis_server)
        server.start()
    except (RuntimeError, ConfigError) as exc:
        raise StackError(f"local Redis did not start: {exc}") from exc
    # Which binary runs matters (the embedded 6.2 has CVEs fixed only in 7.x): say so.
    logger.info(
        "local Redis on %s (%s), data in %s",
        server.display_url,
        server.binary.describe(),
        directory,
    )
    assert server.pid is not None
    watchdog.watch(server.pid, last=True)
    try:
        yield server.url, server
    finally:
        server.stop()
        logger.info("embedded Redis stopped, data saved in %s", directory)


class RedisKeeper:
    """Restarts a dead embedded Redis on the same port (its append-only file restores the
    data; the children's clients reconnect), at most once per ``retry_seconds``."""

    def __init__(
        self, server: EmbeddedRedis | None, watchdog: Watchdog, retry_seconds: float = 2.0
    ) -> None:
        self.server = server
        self.watchdog = watchdog
        self.retry_seconds = retry_seconds
        self.restarts = 0
        self._next_attempt = 0.0

    def poll(self) -> None:
        server = self.server
        if server is None or server.running or time.monotonic() < self._next_attempt:
            return
        self._next_attempt = time.monotonic() + self.retry_seconds
        logger.warning("embedded Redis exited; restarting it on port %d", server.port)
        if server.pid is not None:
            self.watchdog.unwatch(server.pid)
        server.stop()  # reaps the dead process
        try:
            server.start()
        except RuntimeError as exc:
            logger.error("embedded Redis did not restart: %s", exc)
            return
        assert server.pid is not None
        self.watchdog.watch(server.pid, last=True)
        self.restarts += 1


@contextmanager
def data_dir_lock(data_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the data dir: two stacks must never run one embedded Redis's
    files at once (a second `make run` in the same checkout is refused, not half-started)."""
    path = data_dir / "stack.lock"
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            raise StackError(
                f"a stack is already running with the data dir {data_dir} (pid {owner}); "
                "stop it first or set GITBRAG_DATA_DIR to another directory"
            ) from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def wait_until_ready(
    url: str, stop: threading.Event, timeout: float, *, any_status: bool = False
) -> bool:
    """Poll ``url`` until it answers 200 (any HTTP answer with ``any_status``), ``stop`` is
    set, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except urllib.error.HTTPError:
            if any_status:
                return True
        except (urllib.error.URLError, OSError):
            pass
        stop.wait(0.25)
    return False


def _announce(config: StackConfig, stop: threading.Event, *, demo: bool) -> None:
    """Say where to open the site once it serves (and, in the demo, its GitHub answers)."""
    ready = wait_until_ready(config.site_url + "/readyz", stop, READY_TIMEOUT_SECONDS)
    if ready and config.fakehub_port is not None:
        hub = f"http://127.0.0.1:{config.fakehub_port}/"
        ready = wait_until_ready(hub, stop, READY_TIMEOUT_SECONDS, any_status=True)
    if not ready:
        if not stop.is_set():
            logger.warning("the stack is not ready yet; see the messages above")
        return
    lines = [f"gitbrag is running: open {config.site_url}/"]
    if demo:
        from gitbrag.fakehub.data import token_for

        lines.append("demo mode: every GitHub call goes to the simulated GitHub; log in with")
        lines.append("its OAuth page and try the sample users listed on the home page")
        lines.append("the API takes a simulated token, for example:")
        token = token_for(DEMO_SERVER_LOGIN)
        lines.append(
            f"  curl -H 'Authorization: Bearer {token}' "
            f"{config.site_url}/api/reports/github/{DEMO_SERVER_LOGIN}"
        )
    lines.append("press Ctrl-C to stop")
    print("\n  ".join(["", *lines, ""]), file=sys.stderr, flush=True)


def supervise(supervisor: Supervisor, redis: RedisKeeper, stop: threading.Event) -> None:
    """Start the children, keep them and the embedded Redis up until ``stop`` is set, then
    stop every child (Redis is stopped last, by :func:`redis_for`)."""
    try:
        supervisor.start()
        while not stop.wait(0.2):
            supervisor.poll()
            redis.poll()
    finally:
        supervisor.stop()


def run_stack(settings: Settings, args: argparse.Namespace, *, demo: bool) -> int:
    """Start everything, supervise until SIGINT/SIGTERM, stop everything. Returns an exit code."""
    try:
        config = configure(settings, args, demo=demo)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        with data_dir_lock(config.data_dir):
            ensure_port_free(config.host, config.port)
            _run_locked(settings, config, demo=demo)
    except StackError as exc:
        print(f"gitbrag: {exc}", file=sys.stderr)
        return 1
    return 0


def _run_locked(settings: Settings, config: StackConfig, *, demo: bool) -> None:
    """Everything after the data dir is ours: dev key, Redis, the supervised children."""
    if config.dev and not settings.secret_key:
        # Generated once, here, before the children race to create it.
        dev_settings = settings.model_copy(update={"dev": True, "data_dir": config.data_dir})
        dev_settings.resolved_secret_key()
        logger.info("dev mode: secret key kept in %s", config.data_dir / "secret_key")
    stop = threading.Event()
    # Ends Redis and every child should this process die without stopping them (SIGKILL, OOM).
    watchdog = Watchdog(grace_seconds=GRACE_SECONDS)
    try:
        with stop_on_signals(stop), redis_for(config, watchdog) as (redis_url, embedded):
            env = {**os.environ, **config.env, "GITBRAG_REDIS_URL": redis_url}
            announcer = threading.Thread(
                target=_announce, args=(config, stop), kwargs={"demo": demo}, daemon=True
            )
            announcer.start()
            supervisor = Supervisor(
                child_specs(config, env), grace_seconds=GRACE_SECONDS, watchdog=watchdog
            )
            supervise(supervisor, RedisKeeper(embedded, watchdog), stop)
    finally:
        watchdog.close()


def _setup_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s [%(name)s] %(message)s", stream=sys.stderr
    )


def run_up(args: argparse.Namespace) -> int:
    """``gitbrag up [--host] [--port]``."""
    _setup_logging()
    return run_stack(Settings(), args, demo=False)


def run_demo(args: argparse.Namespace) -> int:
    """``gitbrag demo [--host] [--port]``."""
    _setup_logging()
    return run_stack(Settings(), args, demo=True)
