"""Injectable misbehaviour: random and scripted faults, and added latency.

Kinds: ``"502"`` / ``"504"`` (gateway errors), ``"timeout"`` (GraphQL: HTTP 200 with GitHub's
"Something went wrong while executing your query" error and ``data: null``; REST: a 504),
``"secondary"`` (403 + ``Retry-After: 1`` with GitHub's secondary-rate-limit message).
"""

from __future__ import annotations

import random
import threading
from collections import deque
from typing import Any, Final

FAULT_KINDS: Final[tuple[str, ...]] = ("502", "504", "timeout", "secondary")


class Faults:
    """Thread-safe fault settings. Defaults are off; ``pick()`` decides one request's fate."""

    def __init__(
        self,
        *,
        rate: float = 0.0,
        kinds: tuple[str, ...] | list[str] | set[str] = FAULT_KINDS,
        secondary_every: int = 0,
        latency_ms: float = 0.0,
        seed: int = 0,
    ) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._random = random.Random(seed)
        self._script: deque[str] = deque()
        self._seen = 0
        self.rate = 0.0
        self.kinds: tuple[str, ...] = FAULT_KINDS
        self.secondary_every = 0
        self.latency_ms = 0.0
        self.configure(
            rate=rate, kinds=kinds, secondary_every=secondary_every, latency_ms=latency_ms
        )

    def configure(
        self,
        *,
        rate: float | None = None,
        kinds: tuple[str, ...] | list[str] | set[str] | None = None,
        secondary_every: int | None = None,
        latency_ms: float | None = None,
        seed: int | None = None,
    ) -> None:
        """Change some settings (``None`` keeps the current value)."""
        with self._lock:
            if rate is not None:
                if not 0.0 <= rate <= 1.0:
                    raise ValueError("fault rate must be within [0, 1]")
                self.rate = rate
            if kinds is not None:
                unknown = set(kinds) - set(FAULT_KINDS)
                if unknown or not kinds:
                    raise ValueError(f"fault kinds must be a non-empty subset of {FAULT_KINDS}")
                self.kinds = tuple(k for k in FAULT_KINDS if k in kinds)
            if secondary_every is not None:
                self.secondary_every = max(0, secondary_every)
            if latency_ms is not None:
                self.latency_ms = max(0.0, latency_ms)
            if seed is not None:
                self._seed = seed
                self._random = random.Random(seed)

    def inject(self, *kinds: str) -> None:
        """Script faults: the next ``len(kinds)`` API requests get these, in order."""
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}")
        with self._lock:
            self._script.extend(kinds)

    def reset(self) -> None:
        """Everything off, script emptied, random stream restarted."""
        with self._lock:
            self._script.clear()
            self._seen = 0
            self._random = random.Random(self._seed)
        self.configure(rate=0.0, kinds=FAULT_KINDS, secondary_every=0, latency_ms=0.0)

    def pick(self) -> str | None:
        """The fault for the next API request, or ``None`` for a normal answer."""
        with self._lock:
            self._seen += 1
            if self._script:
                return self._script.popleft()
            if self.secondary_every and self._seen % self.secondary_every == 0:
                return "secondary"
            if self.rate and self._random.random() < self.rate:
                return self._random.choice(self.kinds)
            return None

    def settings(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rate": self.rate,
                "kinds": list(self.kinds),
                "secondary_every": self.secondary_every,
                "latency_ms": self.latency_ms,
                "scripted": list(self._script),
            }
