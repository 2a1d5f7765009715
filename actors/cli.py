"""``gitbrag worker`` and ``gitbrag scheduler``: the plain Dramatiq and periodiq CLIs on ``actors``.

Both replace the current process (``exec``) so signals from a supervisor reach the real
master process. ``gitbrag worker`` = ``dramatiq actors --processes N --threads N``;
``gitbrag scheduler`` = ``periodiq actors`` with ``TZ=UTC`` (periodiq uses local time).
Run exactly one scheduler; each tick is also guarded in Redis.
"""

from __future__ import annotations

import argparse
import os
import sys


def worker_command(processes: int, threads: int) -> list[str]:
    return [
        sys.executable, "-m", "dramatiq", "actors",
        "--processes", str(processes),
        "--threads", str(threads),
        "--worker-shutdown-timeout", "30000",
    ]  # fmt: skip


def scheduler_command() -> list[str]:
    return [sys.executable, "-c", "import periodiq; periodiq.entrypoint()", "actors"]


def run_worker(args: argparse.Namespace) -> int:
    command = worker_command(args.processes, args.threads)
    os.execv(command[0], command)


def run_scheduler(args: argparse.Namespace) -> int:
    os.environ["TZ"] = "UTC"
    command = scheduler_command()
    os.execve(command[0], command, os.environ)
