"""Run ``gitbrag up`` / ``gitbrag demo`` as a real process tree and watch it with psutil."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from gitbrag.runtime.redis_server import free_port
from tests.harness import poll_until, wait_for

__all__ = ["StackProcess", "poll_until", "still_alive"]


class StackProcess:
    """One ``gitbrag up|demo`` process (own session), its log, and its process tree."""

    def __init__(self, command: str, data_dir: Path, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self.data_dir = data_dir
        argv = [sys.executable, "-m", "gitbrag", command, "--host", "127.0.0.1"]
        argv += ["--port", str(self.port)]
        # Only the GITBRAG_* settings the test chooses: none from the developer's shell.
        base = {k: v for k, v in os.environ.items() if not k.startswith("GITBRAG_")}
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            argv,
            env={**base, "GITBRAG_DATA_DIR": str(data_dir), **env},
            cwd=data_dir.parent,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 90.0) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"stack exited early:\n{self.log()[-4000:]}")
            try:
                return self.http.get("/readyz").status_code == 200
            except httpx.TransportError:
                return False

        wait_for(ready, timeout, interval=0.2, what=f"/readyz 200 (log {self.log_path})")

    def wait_announced(self, timeout: float = 90.0) -> None:
        """Wait for the line that tells the user where to open the site (all parts ready)."""
        self.wait_ready(timeout)
        announced = f"gitbrag is running: open {self.url}/"
        poll_until(self.log, lambda log: announced in log, timeout, "the site's address printed")

    def descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def find_child(self, marker: str) -> psutil.Process | None:
        """The direct child whose command line contains ``marker`` (None while it is down)."""
        for child in psutil.Process(self.process.pid).children():
            try:
                if marker in " ".join(child.cmdline()):
                    return child
            except psutil.NoSuchProcess:
                continue
        return None

    def child(self, marker: str) -> psutil.Process:
        found = self.find_child(marker)
        assert found is not None, f"no child running {marker!r}"
        return found

    def terminate(self, timeout: float = 60.0, *, ctrl_c: bool = False) -> int:
        """SIGTERM the stack (or, with ``ctrl_c``, SIGINT its whole process group, as a
        terminal does) and wait for it; returns its exit code."""
        if self.process.poll() is None:
            if ctrl_c:
                os.killpg(self.process.pid, signal.SIGINT)
            else:
                self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.http.close()
            self._log.close()

    def kill_tree(self) -> None:
        """Last-resort cleanup after a failed test: nothing may outlive it."""
        for process in [*self.descendants(), psutil.Process(self.process.pid)]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        self.process.wait(timeout=10)


def still_alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            continue
    return alive


@pytest.fixture
def start_stack(tmp_path: Path) -> Iterator[Callable[..., StackProcess]]:
    """Start ``gitbrag up`` (or ``demo``) with a data dir under ``tmp_path``."""
    started: list[StackProcess] = []

    def start(
        env: dict[str, str], *, command: str = "up", data_dir: Path | None = None
    ) -> StackProcess:
        directory = data_dir or tmp_path / "data"
        stack = StackProcess(command, directory, env, tmp_path / f"{command}.log")
        started.append(stack)
        return stack

    yield start
    for stack in started:
        if stack.process.poll() is None:
            stack.kill_tree()
