"""`make run` with no settings at all serves the home page; Ctrl-C stops everything.

The Makefile's install step is skipped when the venv is already installed (its stamp is
newer than pyproject.toml), as on CI after `make test` installed it; the fresh-clone path
(venv creation + install) is the same target with the stamp missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import psutil
import pytest

from gitbrag.runtime.redis_server import free_port
from tests.stack.conftest import still_alive

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_make_run_serves_the_home_page_with_no_settings(tmp_path: Path) -> None:
    make = shutil.which("make")
    assert make, "make is part of the documented quick start"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITBRAG_", "MAKE", "MFLAGS"))}
    # Only where to listen and where to keep data differ from a bare `make run`.
    env.update(GITBRAG_PORT=str(port), GITBRAG_DATA_DIR=str(tmp_path / "data"))
    log = (tmp_path / "make.log").open("wb")
    process = subprocess.Popen(
        [make, "-C", str(ROOT), "run"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        home: httpx.Response | None = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                home = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                if home.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        output = (tmp_path / "make.log").read_text(errors="replace")
        assert home is not None and home.status_code == 200, output[-3000:]
        assert "<html" in home.text.lower()
        assert "demo" not in home.text.lower(), "only `gitbrag demo` is labelled a demo"
        assert (tmp_path / "data" / "secret_key").is_file(), "dev mode kept a secret key"
        tree = psutil.Process(process.pid).children(recursive=True)
        assert any("redis-server" in " ".join(p.cmdline()) for p in tree)

        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal
        process.wait(timeout=60)
        # make may exit before `gitbrag up` has finished stopping its children.
        psutil.wait_procs(tree, timeout=30)
        assert still_alive(tree) == []
        assert (tmp_path / "data" / "redis" / "dump.rdb").is_file(), "Redis saved its data"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
