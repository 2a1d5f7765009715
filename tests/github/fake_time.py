"""An injected clock for GitHub clients: sleeping moves it on at once, so waits for rate-limit
resets and ``Retry-After`` cost no real time and are recorded. A ``FakeHub`` built with
``clock=fake.time`` sees the same time, so its budgets reset when the client has waited."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta


class FakeTime:
    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._moment = start or datetime.now(UTC)
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._moment

    def time(self) -> float:
        """Epoch seconds, for ``FakeHub(clock=...)``."""
        return self.now().timestamp()

    async def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._moment += timedelta(seconds=max(0.0, seconds))
        await asyncio.sleep(0)

    @property
    def waited(self) -> float:
        """Seconds slept in total."""
        with self._lock:
            return sum(self.sleeps)
