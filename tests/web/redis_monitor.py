"""Every command Redis runs while a block runs (``MONITOR``): for tests that must show a
request path writes (or reads) nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import redis


@contextmanager
def monitored(redis_url: str) -> Iterator[list[str]]:
    """Every command Redis runs meanwhile (``MONITOR``), as lower-case command lines."""
    seen: list[str] = []
    client = redis.Redis.from_url(redis_url)
    ready = threading.Event()

    def watch() -> None:
        with client.monitor() as monitor:
            ready.set()
            for event in monitor.listen():
                command = str(event.get("command", "")).lower()
                if command == "echo monitor-stop":
                    return
                seen.append(command)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    ready.wait(5)
    try:
        yield seen
    finally:
        client.echo("monitor-stop")
        thread.join(5)
