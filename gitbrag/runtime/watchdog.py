"""A lifeline for supervised process groups: if the supervisor dies, even by SIGKILL, its
children do not live on as orphans.

:class:`Watchdog` starts ``python -m gitbrag.runtime.watchdog`` in its own session with the read end
of a pipe as its stdin; only the supervisor holds the write end (non-inheritable, so no child
keeps it open). The supervisor tells it which process groups to guard: ``+PGID``, ``^PGID``
for one to end last (the database), ``-PGID`` to forget one. When the supervisor exits
normally it writes ``exit`` and the watchdog leaves quietly. When the pipe reaches end-of-file
without ``exit`` (the supervisor died: the kernel closed its descriptors) the watchdog sends
SIGTERM to every guarded group's leader, waits up to the grace period, SIGKILLs what is left,
then does the same for the ``last`` groups, and exits. No ``prctl``, no polling of the parent.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from typing import TextIO

_EXIT = "exit"


class Watchdog:
    """The supervisor's side of the lifeline."""

    def __init__(self, grace_seconds: float = 10.0) -> None:
        read_end, write_end = os.pipe()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "gitbrag.runtime.watchdog", str(grace_seconds)],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            os.close(read_end)
        self._pipe: TextIO | None = os.fdopen(write_end, "w", buffering=1)

    @property
    def pid(self) -> int:
        return self._process.pid

    def watch(self, pgid: int, *, last: bool = False) -> None:
        """Guard ``pgid``; ``last`` groups (a database) are ended after all the others."""
        self._send(f"{'^' if last else '+'}{pgid}")

    def unwatch(self, pgid: int) -> None:
        self._send(f"-{pgid}")

    def close(self, timeout: float = 5.0) -> None:
        """Normal shutdown: the guarded groups are already stopped; the watchdog just exits."""
        if self._pipe is None:
            return
        self._send(_EXIT)
        self._pipe.close()
        self._pipe = None
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _send(self, line: str) -> None:
        if self._pipe is not None:
            try:
                self._pipe.write(line + "\n")
            except BrokenPipeError:
                self._pipe = None


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def end_groups(pgids: Iterable[int], grace_seconds: float) -> None:
    """SIGTERM each group's leader (it stops its own children, as under the supervisor), wait
    up to ``grace_seconds`` for every group to empty, then SIGKILL whole groups."""
    groups = set(pgids)
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and any(_alive(pgid) for pgid in groups):
        time.sleep(0.1)
    for pgid in groups:
        _signal(pgid, signal.SIGKILL)


def _signal(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def main(argv: list[str]) -> int:
    grace = float(argv[0]) if argv else 10.0
    # Terminal signals are for the supervisor; the watchdog only acts on end-of-file.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    first: set[int] = set()
    last: set[int] = set()
    for raw in sys.stdin:
        line = raw.strip()
        if line == _EXIT:
            return 0
        kind, number = line[:1], line[1:]
        if not number.isdigit():
            continue
        if kind == "+":
            first.add(int(number))
        elif kind == "^":
            last.add(int(number))
        elif kind == "-":
            first.discard(int(number))
            last.discard(int(number))
    end_groups(first, grace)
    end_groups(last, grace)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
