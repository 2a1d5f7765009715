"""An ASGI app served by uvicorn in a daemon thread (the simulated GitHub, test stacks)."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn

# Open responses (streams, slow requests) get this long after stop() before uvicorn cancels
# them; a server that still runs after that is forced to exit.
GRACEFUL_SHUTDOWN_SECONDS = 3


class BackgroundServer:
    """Serve ``app`` on ``host:port`` (0 = any free port) until ``stop()``.

    ``start()`` returns once the socket accepts connections; ``url`` is then the real address.
    ``stop()`` returns within seconds, open connections or not.
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "asgi",
        **options: Any,
    ):
        """``options``: more ``uvicorn.Config`` settings (``forwarded_allow_ips``, ...)."""
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            **options,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=True)
        self.host = host
        self.name = name
        self.url = ""

    def start(self, timeout: float = 15.0) -> str:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} failed to start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{self.host}:{port}"
        return self.url

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving: connections get ``GRACEFUL_SHUTDOWN_SECONDS``, then the server is
        forced to exit (as a second Ctrl-C would)."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout=timeout)
