"""Run a fixed set of child commands, restart any that die, and stop them all without orphans.

Contract:

- Every child starts in its own session (``start_new_session=True``), so it leads a process
  group holding everything it forks (Dramatiq's master forks its worker processes; those stay
  in the group).
- Terminal signals (Ctrl-C) reach only the supervisor, which owns the shutdown order.
- A child that exits while the supervisor runs is restarted: first its group is SIGKILLed (the
  remnants of a crashed instance are unsupervised), then it is started again after a backoff
  that doubles on each quick crash (``min_backoff`` up to ``max_backoff``) and resets once the
  child has stayed up for ``stable_seconds``.
- ``stop()`` sends SIGTERM to each child (the group leader) only: a leader such as Dramatiq's
  master forwards it to its own processes, and a second SIGTERM would make those exit hard
  instead of finishing their work. It waits up to ``grace_seconds`` for every member of every
  group to exit, then SIGKILLs whole groups (systemd's ``KillMode=mixed``). When it returns,
  no process started by the supervisor (or forked by one) is alive.
- With a :class:`~gitbrag.runtime.watchdog.Watchdog`, every group is also registered with a separate
  process that ends them all if the supervisor itself dies without stopping them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

import psutil

from gitbrag.runtime.watchdog import Watchdog

logger = logging.getLogger("gitbrag.runtime.supervisor")

_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class ChildSpec:
    """One supervised command. ``env`` replaces the environment when given."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] | None = None
    cwd: str | None = None


@dataclass
class _Child:
    spec: ChildSpec
    backoff: float
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    restarts: int = 0
    exit_codes: list[int] = field(default_factory=list)
    restart_delays: list[float] = field(default_factory=list)


def group_members(pgid: int) -> list[psutil.Process]:
    """The live (non-zombie) processes whose process group is ``pgid``."""
    members: list[psutil.Process] = []
    for process in psutil.process_iter(["status"]):
        try:
            if os.getpgid(process.pid) != pgid:
                continue
            if process.info["status"] == psutil.STATUS_ZOMBIE:
                continue
        except (ProcessLookupError, psutil.Error):
            continue
        members.append(process)
    return members


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class Supervisor:
    """Start, watch and stop a set of child commands (see the module docstring)."""

    def __init__(
        self,
        specs: Sequence[ChildSpec],
        *,
        grace_seconds: float = 10.0,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        stable_seconds: float = 30.0,
        stdout: IO[bytes] | IO[str] | int | None = None,
        stderr: IO[bytes] | IO[str] | int | None = None,
        watchdog: Watchdog | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``clock`` and ``sleep`` measure and pass the grace period and backoffs (tests
        inject their own)."""
        names = [spec.name for spec in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"child names must be unique: {names}")
        self.grace_seconds = grace_seconds
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.stable_seconds = stable_seconds
        self._stdout = stdout
        self._stderr = stderr
        # Told about every group, so the children end even if this process is SIGKILLed.
        self._watchdog = watchdog
        self._clock = clock
        self._sleep = sleep
        self._children = {spec.name: _Child(spec, backoff=min_backoff) for spec in specs}
        self._lock = threading.RLock()
        self._stopping = False

    # -- inspection -------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        return list(self._children)

    def pid(self, name: str) -> int | None:
        """The current pid of child ``name`` (None while it is down)."""
        process = self._children[name].process
        if process is None or process.poll() is not None:
            return None
        return process.pid

    def restarts(self, name: str) -> int:
        return self._children[name].restarts

    def exit_codes(self, name: str) -> list[int]:
        """Return codes of the instances of ``name`` that have exited (negative: signal)."""
        return list(self._children[name].exit_codes)

    def restart_delays(self, name: str) -> list[float]:
        """The backoff chosen before each restart of ``name``, in order."""
        return list(self._children[name].restart_delays)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            self._stopping = False
            for child in self._children.values():
                self._spawn(child)

    def poll(self) -> None:
        """Reap children that exited and restart those whose backoff has elapsed."""
        with self._lock:
            if self._stopping:
                return
            now = self._clock()
            for child in self._children.values():
                process = child.process
                if process is not None:
                    code = process.poll()
                    if code is None:
                        continue
                    self._reap(child, code, now)
                if child.restart_at is not None and now >= child.restart_at:
                    child.restarts += 1
                    self._spawn(child)

    def run(self, stop: threading.Event) -> None:
        """Supervise until ``stop`` is set, then stop every child."""
        try:
            if all(child.process is None for child in self._children.values()):
                self.start()
            while not stop.wait(_POLL_SECONDS):
                self.poll()
        finally:
            self.stop()

    def stop(self) -> None:
        """SIGTERM every leader, wait up to ``grace_seconds``, SIGKILL the groups' leftovers."""
        with self._lock:
            self._stopping = True
            running = [c for c in self._children.values() if c.process is not None]
            for child in running:
                assert child.process is not None
                with contextlib.suppress(ProcessLookupError):
                    child.process.send_signal(signal.SIGTERM)
            deadline = self._clock() + self.grace_seconds
            pgids = [child.process.pid for child in running if child.process is not None]
            self._wait_groups(running, pgids, deadline)
            leftovers = [pgid for pgid in pgids if group_members(pgid)]
            for pgid in leftovers:
                logger.warning("process group %d ignored SIGTERM; killing it", pgid)
                _signal_group(pgid, signal.SIGKILL)
            self._wait_groups(running, pgids, self._clock() + 5.0)
            for child in running:
                assert child.process is not None
                code = child.process.poll()
                if code is not None:
                    child.exit_codes.append(code)
                if self._watchdog is not None:
                    self._watchdog.unwatch(child.process.pid)
                child.process = None
                child.restart_at = None

    def __enter__(self) -> Supervisor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals ---------------------------------------------------------------------------

    def _spawn(self, child: _Child) -> None:
        spec = child.spec
        child.process = subprocess.Popen(
            list(spec.argv),
            env=dict(spec.env) if spec.env is not None else None,
            cwd=spec.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._stdout,
            stderr=self._stderr,
            start_new_session=True,
        )
        child.started_at = self._clock()
        child.restart_at = None
        if self._watchdog is not None:
            self._watchdog.watch(child.process.pid)
        logger.info("started %s (pid %d)", spec.name, child.process.pid)

    def _reap(self, child: _Child, code: int, now: float) -> None:
        assert child.process is not None
        pgid = child.process.pid
        child.exit_codes.append(code)
        child.process = None
        # Whatever the dead leader forked is unsupervised now: end it before starting anew.
        _signal_group(pgid, signal.SIGKILL)
        if self._watchdog is not None:
            self._watchdog.unwatch(pgid)
        if now - child.started_at >= self.stable_seconds:
            child.backoff = self.min_backoff
        delay = child.backoff
        child.restart_delays.append(delay)
        child.backoff = min(self.max_backoff, child.backoff * 2)
        child.restart_at = now + delay
        logger.warning(
            "%s (pid %d) exited with %s; restarting in %.1fs", child.spec.name, pgid, code, delay
        )

    def _wait_groups(self, children: list[_Child], pgids: list[int], deadline: float) -> None:
        while self._clock() < deadline:
            for child in children:
                if child.process is not None:
                    child.process.poll()
            leaders_done = all(
                c.process is None or c.process.returncode is not None for c in children
            )
            if leaders_done and not any(group_members(pgid) for pgid in pgids):
                return
            self._sleep(_POLL_SECONDS)
