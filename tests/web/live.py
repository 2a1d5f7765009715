"""The whole stack, for real browsers: embedded Redis, the simulated GitHub (with latency so
progress is visible), a ``gitbrag worker`` subprocess, and the web app under uvicorn.

Used by the browser tests and by ``python -m tests.screenshots``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from gitbrag.fakehub import DataSet, FakeHub, generate
from gitbrag.runtime.background_server import BackgroundServer
from gitbrag.runtime.redis_server import EmbeddedRedis
from gitbrag.settings import Settings
from web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
SECRET = "live-stack-secret-key"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class LiveStack:
    def __init__(
        self,
        tmp: Path,
        *,
        latency_ms: float = 40.0,
        data: DataSet | None = None,
        demo: bool = False,
    ) -> None:
        self.tmp = tmp
        self.redis = EmbeddedRedis(tmp / "redis", persistence=False)
        self.hub = FakeHub(data or generate(seed=7), latency_ms=latency_ms)
        self.demo = demo
        self.worker: subprocess.Popen[bytes] | None = None
        self.worker_log = tmp / "worker.log"
        self.server: BackgroundServer | None = None
        self.url = ""
        self.settings: Settings | None = None

    def start(self) -> LiveStack:
        self.redis.start()
        self.hub.start()
        self.settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            redis_url=self.redis.url,
            data_dir=self.tmp,
            secret_key=SECRET,
            github_api_url=self.hub.api_url,
            github_url=self.hub.github_url,
            github_client_id="fakehub-client-id",
            github_client_secret="fakehub-client-secret",
            retry_backoff_seconds=0.05,
            demo=self.demo,
        )
        self._start_worker()
        self._start_web()
        return self

    def _start_worker(self) -> None:
        assert self.settings is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith("GITBRAG_")}
        env.update(
            {
                "GITBRAG_REDIS_URL": self.redis.url,
                "GITBRAG_SECRET_KEY": SECRET,
                "GITBRAG_DATA_DIR": str(self.tmp),
                "GITBRAG_GITHUB_API_URL": self.hub.api_url,
                "GITBRAG_GITHUB_GRAPHQL_URL": self.hub.graphql_url,
                "GITBRAG_RETRY_BACKOFF_SECONDS": "0.05",
                "PYTHONPATH": str(ROOT),
                "TZ": "UTC",
            }
        )
        command = [sys.executable, "-m", "gitbrag", "worker", "--processes", "1", "--threads", "2"]
        with self.worker_log.open("wb") as log:
            self.worker = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while "Worker process is ready for action" not in self._log():
            if self.worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{self._log()}")
            time.sleep(0.1)

    def _log(self) -> str:
        return self.worker_log.read_text(errors="replace") if self.worker_log.exists() else ""

    def _start_web(self) -> None:
        assert self.settings is not None
        self.server = BackgroundServer(create_app(self.settings), name="web")
        self.url = self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.worker is not None:
            if self.worker.poll() is None:
                os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(timeout=10)
        self.hub.stop()
        self.redis.stop()

    def __enter__(self) -> LiveStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
