"""Stopping a foreground process on the signals that mean "stop".

Handlers are installed whatever was there before, as uvicorn and Dramatiq do: a process
started in the background by a shell without job control inherits SIGINT *ignored*, and a
server that kept that disposition could not be stopped with Ctrl-C or SIGINT at all.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

logger = logging.getLogger("gitbrag.runtime.signals")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP (terminal closed) set ``stop``; the previous handlers come
    back afterwards."""

    def handle(signum: int, frame: FrameType | None) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
