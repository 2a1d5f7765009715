"""``gitbrag fakehub`` serves the simulated GitHub out of process, controllable over HTTP."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Callable

import httpx
import pytest

from gitbrag.fakehub import token_for


def _ignore_sigint() -> None:
    # What a shell without job control (`cmd &` in a script, nohup) hands its background
    # children: SIGINT ignored. `make test` run that way left a fakehub serving forever.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(
    ("sig", "preexec"),
    [
        (signal.SIGINT, None),
        (signal.SIGINT, _ignore_sigint),
        (signal.SIGTERM, None),
    ],
    ids=["SIGINT", "SIGINT inherited ignored", "SIGTERM"],
)
def test_cli_serves_until_interrupted(
    sig: signal.Signals, preexec: Callable[[], None] | None
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "gitbrag", "fakehub", "--port", "0", "--fault-rate", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        match = re.search(r"Simulated GitHub at (http://127\.0\.0\.1:\d+)", first_line)
        assert match, first_line + (process.stderr.read() if process.stderr else "")
        url = match.group(1)
        headers = {"Authorization": f"token {token_for('octocat')}"}
        body = {"query": "{ viewer { login } }"}
        answer = httpx.post(f"{url}/graphql", json=body, headers=headers, timeout=10)
        assert answer.json() == {"data": {"viewer": {"login": "octocat"}}}
        counters = httpx.get(f"{url}/_fakehub/counters", timeout=10).json()
        assert counters["request_count"] == 1
        process.send_signal(sig)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()  # never leave a server behind, whatever failed above
            process.wait()
