"""The watchdog ends guarded process groups when its supervisor dies, and only then."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import psutil
import pytest

from gitbrag.runtime.watchdog import Watchdog
from tests.stack.conftest import poll_until, still_alive

SLEEPER = (sys.executable, "-c", "import time; time.sleep(600)")

# A supervisor with a watchdog, running one child that forks a grandchild; prints its pids.
SUPERVISED = textwrap.dedent(
    """
    import sys, time
    from gitbrag.runtime.supervisor import ChildSpec, Supervisor
    from gitbrag.runtime.watchdog import Watchdog
    script = "import os, time\\npid = os.fork()\\ntime.sleep(600)"
    watchdog = Watchdog(grace_seconds=1.0)
    supervisor = Supervisor([ChildSpec("child", (sys.executable, "-c", script))],
                            watchdog=watchdog)
    supervisor.start()
    print(watchdog.pid, supervisor.pid("child"), flush=True)
    time.sleep(600)
    """
)


def _processes(pid: int) -> list[psutil.Process]:
    try:
        return [psutil.Process(pid)]
    except psutil.NoSuchProcess:
        return []


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(SLEEPER, start_new_session=True)
    yield process
    if process.poll() is None:
        process.kill()
    process.wait()


def test_supervisor_killed_by_sigkill_takes_its_children_along() -> None:
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISED], stdout=subprocess.PIPE, text=True
    )
    try:
        assert supervisor.stdout is not None
        watchdog_pid, child_pid = map(int, supervisor.stdout.readline().split())
        child = psutil.Process(child_pid)
        family = [child, *poll_until(child.children, bool, 10, "grandchild forked")]
        watchdog = psutil.Process(watchdog_pid)

        supervisor.send_signal(signal.SIGKILL)
        supervisor.wait()

        _, alive = psutil.wait_procs([*family, watchdog], timeout=10)
        assert alive == [] and still_alive(family) == []
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()


def test_normal_close_leaves_groups_alone(sleeper: subprocess.Popen[bytes]) -> None:
    watchdog = Watchdog(grace_seconds=1.0)
    watchdog.watch(sleeper.pid)
    watchdog.close()
    assert not psutil.pid_exists(watchdog.pid), "the watchdog exited and was reaped"
    time.sleep(0.3)
    assert sleeper.poll() is None, "closing the watchdog must not end what it guarded"


def test_unwatched_groups_survive_and_watched_ones_end(
    sleeper: subprocess.Popen[bytes],
) -> None:
    guarded = subprocess.Popen(SLEEPER, start_new_session=True)
    try:
        _watch_from_a_dying_owner(guarded, sleeper)
    finally:
        if guarded.poll() is None:
            guarded.kill()
            guarded.wait()


def _watch_from_a_dying_owner(
    guarded: subprocess.Popen[bytes], sleeper: subprocess.Popen[bytes]
) -> None:
    # The watchdog's owner is a short-lived process that dies without saying goodbye.
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, sys\nfrom gitbrag.runtime.watchdog import Watchdog\n"
            "w = Watchdog(grace_seconds=1.0)\n"
            f"w.watch({guarded.pid}); w.watch({sleeper.pid}); w.unwatch({sleeper.pid})\n"
            "print(w.pid, flush=True)\nos._exit(0)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    watchdog_pid = int(owner.stdout.readline())
    owner.wait()
    assert guarded.wait(timeout=10) == -signal.SIGTERM
    poll_until(lambda: still_alive(_processes(watchdog_pid)), lambda a: a == [], 10, "exited")
    assert sleeper.poll() is None
    os.kill(sleeper.pid, signal.SIGKILL)
