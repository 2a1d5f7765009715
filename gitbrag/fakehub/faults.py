"""Injectable misbehaviour: random, periodic and scripted faults, and added latency.

Kinds: ``"502"`` / ``"504"`` (gateway errors), ``"timeout"`` (GraphQL: HTTP 200 with GitHub's
"Something went wrong while executing your query" error and ``data: null``; REST: a 504),
and rate limits in every shape GitHub sends them:

- ``"secondary"``: 403 + ``Retry-After: 1`` with GitHub's secondary-rate-limit message;
- ``"secondary_no_retry_after"``: the same 403 without ``Retry-After``;
- ``"secondary_429"``: 429 without ``Retry-After`` (GitHub's REST docs allow 403 or 429);
- ``"secondary_graphql"``: GraphQL HTTP 200 with the secondary-limit message as an error
  (REST: the 403);
- ``"abuse"``: 403 with the older "abuse detection mechanism" wording GitHub Enterprise
  still sends, ``Retry-After: 1``;
- ``"primary"``: the token's budget is spent until ``Behaviours.primary_reset_seconds``
  from now; this request and every one until the reset get GitHub's primary-limit answer
  (GraphQL 200 with the ``Behaviours.graphql_rate_limit_type`` error, REST 403).

Random faults (``rate``) pick from ``kinds`` (default: the gateway errors, ``timeout`` and
``secondary``); ``every`` maps a kind to a period (every Nth API request gets it).
"""

from __future__ import annotations

import random
import threading
from collections import deque
from typing import Any, Final

FAULT_KINDS: Final[tuple[str, ...]] = (
    "502",
    "504",
    "timeout",
    "secondary",
    "secondary_no_retry_after",
    "secondary_429",
    "secondary_graphql",
    "abuse",
    "primary",
)
DEFAULT_KINDS: Final[tuple[str, ...]] = ("502", "504", "timeout", "secondary")


class Faults:
    """Thread-safe fault settings. Defaults are off; ``pick()`` decides one request's fate."""

    def __init__(
        self,
        *,
        rate: float = 0.0,
        kinds: tuple[str, ...] | list[str] | set[str] = DEFAULT_KINDS,
        secondary_every: int = 0,
        every: dict[str, int] | None = None,
        latency_ms: float = 0.0,
        seed: int = 0,
    ) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._random = random.Random(seed)
        self._script: deque[str] = deque()
        self._seen = 0
        self.rate = 0.0
        self.kinds: tuple[str, ...] = DEFAULT_KINDS
        self.secondary_every = 0
        self.every: dict[str, int] = {}
        self.latency_ms = 0.0
        self.configure(
            rate=rate,
            kinds=kinds,
            secondary_every=secondary_every,
            every=every,
            latency_ms=latency_ms,
        )

    def configure(
        self,
        *,
        rate: float | None = None,
        kinds: tuple[str, ...] | list[str] | set[str] | None = None,
        secondary_every: int | None = None,
        every: dict[str, int] | None = None,
        latency_ms: float | None = None,
        seed: int | None = None,
    ) -> None:
        """Change some settings (``None`` keeps the current value)."""
        if every is not None:
            unknown = set(every) - set(FAULT_KINDS)
            if unknown or not all(isinstance(n, int) and n >= 0 for n in every.values()):
                raise ValueError(f"every maps fault kinds {FAULT_KINDS} to periods >= 0")
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
            if every is not None:
                self.every = {kind: n for kind, n in every.items() if n}
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
        self.configure(rate=0.0, kinds=DEFAULT_KINDS, secondary_every=0, every={}, latency_ms=0.0)

    def pick(self) -> str | None:
        """The fault for the next API request, or ``None`` for a normal answer."""
        with self._lock:
            self._seen += 1
            if self._script:
                return self._script.popleft()
            if self.secondary_every and self._seen % self.secondary_every == 0:
                return "secondary"
            for kind, period in self.every.items():
                if self._seen % period == 0:
                    return kind
            if self.rate and self._random.random() < self.rate:
                return self._random.choice(self.kinds)
            return None

    def settings(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rate": self.rate,
                "kinds": list(self.kinds),
                "secondary_every": self.secondary_every,
                "every": dict(self.every),
                "latency_ms": self.latency_ms,
                "scripted": list(self._script),
            }
