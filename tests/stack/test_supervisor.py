"""The supervisor against real child processes (each forks a grandchild, like Dramatiq)."""

from __future__ import annotations

import itertools
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from gitbrag.runtime.supervisor import _POLL_SECONDS, ChildSpec, Supervisor, group_members
from tests.harness import wait_for as harness_wait_for

# A parent that forks a grandchild and, like Dramatiq's master, forwards SIGTERM to it. The
# grandchild logs every SIGTERM it receives, then exits.
FORKING_CHILD = """
import os, signal, sys, time
pid = os.fork()
if pid == 0:
    def on_term(signum, frame):
        with open(sys.argv[1] + ".term", "a") as f:
            f.write("TERM\\n")
        os._exit(0)
    signal.signal(signal.SIGTERM, on_term)
    time.sleep(600)
    os._exit(0)
def forward(signum, frame):
    os.kill(pid, signal.SIGTERM)
    os.waitpid(pid, 0)
    sys.exit(0)
signal.signal(signal.SIGTERM, forward)
with open(sys.argv[1], "a") as f:
    f.write(f"{os.getpid()} {pid}\\n")
time.sleep(600)
"""

# A parent that dies on SIGTERM and leaves its grandchild behind (which never hears of it).
ABANDONING_CHILD = """
import os, sys, time
pid = os.fork()
if pid == 0:
    time.sleep(600)
    os._exit(0)
with open(sys.argv[1], "a") as f:
    f.write(f"{os.getpid()} {pid}\\n")
time.sleep(600)
"""

# Ignores SIGTERM in the leader and in the grandchild: only SIGKILL ends it.
STUBBORN_CHILD = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
pid = os.fork()
if pid == 0:
    time.sleep(600)
    os._exit(0)
with open(sys.argv[1], "a") as f:
    f.write(f"{os.getpid()} {pid}\\n")
time.sleep(600)
"""


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    harness_wait_for(condition, timeout, interval=0.05)


def recorded_pids(path: Path) -> list[tuple[int, int]]:
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    return [(int(a), int(b)) for a, b in (line.split() for line in lines if line.strip())]


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def supervisors() -> Iterator[list[Supervisor]]:
    """Supervisors created by a test; stopped at teardown even when the test fails."""
    created: list[Supervisor] = []
    yield created
    for supervisor in created:
        supervisor.stop()


class _CallOnRecord(logging.Handler):
    def __init__(self, call: Callable[[], None]) -> None:
        super().__init__(logging.WARNING)
        self._call = call

    def emit(self, record: logging.LogRecord) -> None:
        if "ignored SIGTERM" in record.getMessage():
            self._call()


def spec(name: str, script: str, record: Path) -> ChildSpec:
    return ChildSpec(name, (sys.executable, "-c", script, str(record)))


class SleepClock:
    """The supervisor's clock: time passes only while it sleeps (it still really sleeps, so
    its children get that time too). What it waited is then exact, however loaded the
    machine is; time spent scanning processes does not count."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
        self.now += seconds


def test_stop_terminates_children_and_their_forks(
    tmp_path: Path, supervisors: list[Supervisor], caplog: pytest.LogCaptureFixture
) -> None:
    records = {name: tmp_path / f"{name}.pids" for name in ("web", "worker")}
    supervisor = Supervisor([spec(n, FORKING_CHILD, p) for n, p in records.items()])
    supervisors.append(supervisor)
    supervisor.start()
    wait_for(lambda: all(recorded_pids(p) for p in records.values()))
    pids = [pid for p in records.values() for pair in recorded_pids(p) for pid in pair]
    assert all(alive(pid) for pid in pids)

    supervisor.stop()

    # SIGTERM alone was enough: every leader exited by itself, no group had to be killed.
    assert not any(alive(pid) for pid in pids)
    assert supervisor.exit_codes("web") == supervisor.exit_codes("worker") == [0]
    assert "ignored SIGTERM" not in caplog.text
    # Only the leader is signalled: its forks hear SIGTERM once, from it (as Dramatiq expects).
    for record in records.values():
        assert Path(f"{record}.term").read_text().split() == ["TERM"]


def test_forks_left_behind_by_a_stopped_leader_are_killed(
    tmp_path: Path, supervisors: list[Supervisor]
) -> None:
    record = tmp_path / "abandoning.pids"
    supervisor = Supervisor([spec("abandoning", ABANDONING_CHILD, record)], grace_seconds=1.0)
    supervisors.append(supervisor)
    supervisor.start()
    wait_for(lambda: bool(recorded_pids(record)))
    leader, grandchild = recorded_pids(record)[0]

    supervisor.stop()

    assert not alive(leader) and not alive(grandchild)
    assert supervisor.exit_codes("abandoning") == [-signal.SIGTERM]
    assert group_members(leader) == []


def test_sigterm_ignored_escalates_to_sigkill_after_grace(
    tmp_path: Path, supervisors: list[Supervisor]
) -> None:
    record = tmp_path / "stubborn.pids"
    clock = SleepClock()
    supervisor = Supervisor(
        [spec("stubborn", STUBBORN_CHILD, record)],
        grace_seconds=1.0,
        clock=clock,
        sleep=clock.sleep,
    )
    supervisors.append(supervisor)
    supervisor.start()
    wait_for(lambda: bool(recorded_pids(record)))
    leader, grandchild = recorded_pids(record)[0]
    killed_at: list[float] = []
    kill_log = _CallOnRecord(lambda: killed_at.append(clock()))
    logging.getLogger("gitbrag.runtime.supervisor").addHandler(kill_log)
    try:
        supervisor.stop()
    finally:
        logging.getLogger("gitbrag.runtime.supervisor").removeHandler(kill_log)

    # SIGKILL came once the grace period had passed on the supervisor's clock, not before,
    # and at its first look after that.
    assert len(killed_at) == 1
    assert 1.0 <= killed_at[0] <= 1.0 + 2 * _POLL_SECONDS
    assert not alive(leader) and not alive(grandchild)
    assert supervisor.exit_codes("stubborn") == [-signal.SIGKILL]


def test_killed_child_is_restarted_and_its_forks_do_not_survive(
    tmp_path: Path, supervisors: list[Supervisor]
) -> None:
    record = tmp_path / "worker.pids"
    supervisor = Supervisor([spec("worker", FORKING_CHILD, record)], min_backoff=0.1)
    supervisors.append(supervisor)
    stop = threading.Event()
    runner = threading.Thread(target=supervisor.run, args=(stop,))
    runner.start()
    try:
        wait_for(lambda: len(recorded_pids(record)) == 1)
        leader, grandchild = recorded_pids(record)[0]
        os.kill(leader, signal.SIGKILL)

        wait_for(lambda: len(recorded_pids(record)) == 2)
        new_leader, new_grandchild = recorded_pids(record)[1]
        assert supervisor.pid("worker") == new_leader != leader
        assert supervisor.restarts("worker") == 1
        assert supervisor.exit_codes("worker") == [-signal.SIGKILL]
        wait_for(lambda: not alive(grandchild))
        assert alive(new_grandchild)
    finally:
        stop.set()
        runner.join(timeout=15)
    assert not runner.is_alive()
    assert not alive(new_leader) and not alive(new_grandchild)
    assert group_members(new_leader) == []


def test_crash_loop_backs_off_exponentially(tmp_path: Path, supervisors: list[Supervisor]) -> None:
    record = tmp_path / "starts"
    crashing = (
        sys.executable,
        "-c",
        "import sys, time; open(sys.argv[1], 'a').write(f'{time.monotonic()}\\n'); sys.exit(3)",
        str(record),
    )
    supervisor = Supervisor(
        [ChildSpec("crashy", crashing)], min_backoff=0.2, max_backoff=0.8, stable_seconds=60
    )
    supervisors.append(supervisor)
    stop = threading.Event()
    runner = threading.Thread(target=supervisor.run, args=(stop,))
    runner.start()
    try:
        wait_for(lambda: record.exists() and len(record.read_text().split()) >= 5, timeout=15)
    finally:
        stop.set()
        runner.join(timeout=15)
    starts = [float(value) for value in record.read_text().split()]
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # Backoff doubles from 0.2 and is capped at max_backoff...
    assert supervisor.restart_delays("crashy")[:4] == [0.2, 0.4, 0.8, 0.8]
    # ... and the restarts really waited for it (a gap also holds the interpreter's start-up).
    assert gaps[0] >= 0.2
    assert gaps[1] >= 0.4
    assert gaps[2] >= 0.8 and gaps[3] >= 0.8
    # Every instance crashed by itself, except perhaps the last: stop() may have found it
    # between writing its start and exiting, and ended it.
    codes = supervisor.exit_codes("crashy")
    assert set(codes[:-1]) == {3} and codes[-1] in (3, -signal.SIGTERM), codes


def test_child_gets_its_environment_and_own_session(
    tmp_path: Path, supervisors: list[Supervisor]
) -> None:
    out = tmp_path / "env"
    script = (
        "import os, sys; open(sys.argv[1], 'w').write(f\"{os.environ['ONLY']} {os.getsid(0)}\")"
    )
    child = ChildSpec("env", (sys.executable, "-c", script, str(out)), env={"ONLY": "this"})
    supervisor = Supervisor([child])
    supervisors.append(supervisor)
    supervisor.start()
    wait_for(lambda: out.exists() and bool(out.read_text()))
    value, session = out.read_text().split()
    assert value == "this"
    assert int(session) != os.getsid(0)


def test_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        Supervisor([ChildSpec("a", ("true",)), ChildSpec("a", ("true",))])
