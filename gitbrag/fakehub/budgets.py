"""Per-token (or per-address, when anonymous) rate-limit budgets, GitHub style.

Each key has one budget per resource (``core`` for REST, ``graphql``, ``search`` for REST
search). A window starts at the first request and lasts an hour (a minute for ``search``: 30
requests a minute, docs "Rate limits for the REST API"); when ``reset`` (epoch seconds) has
passed the budget refills.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

WINDOW_SECONDS: Final = 3600.0
SEARCH_WINDOW_SECONDS: Final = 60.0
LIMITS: Final[dict[str, int]] = {"core": 5000, "graphql": 5000, "search": 30}
ANONYMOUS_LIMITS: Final[dict[str, int]] = {"core": 60, "graphql": 0, "search": 10}


@dataclass
class Budget:
    resource: str
    limit: int
    remaining: int
    reset_at: float  # epoch seconds

    @property
    def used(self) -> int:
        return self.limit - self.remaining

    @property
    def reset_epoch(self) -> int:
        return math.ceil(self.reset_at)

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(self.reset_epoch),
            "x-ratelimit-resource": self.resource,
        }

    def copy(self) -> Budget:
        return Budget(self.resource, self.limit, self.remaining, self.reset_at)


class Budgets:
    """Thread-safe budgets; ``key`` is a token, or ``"anon:<address>"`` for anonymous calls."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._budgets: dict[tuple[str, str], Budget] = {}

    def _current(self, key: str, resource: str) -> Budget:
        now = self.clock()
        budget = self._budgets.get((key, resource))
        if budget is None or budget.reset_at <= now:
            limits = ANONYMOUS_LIMITS if key.startswith("anon:") else LIMITS
            window = SEARCH_WINDOW_SECONDS if resource == "search" else WINDOW_SECONDS
            budget = Budget(resource, limits[resource], limits[resource], now + window)
            self._budgets[(key, resource)] = budget
        return budget

    def peek(self, key: str, resource: str) -> Budget:
        with self._lock:
            return self._current(key, resource).copy()

    def consume(self, key: str, resource: str, cost: int = 1) -> tuple[bool, Budget]:
        """Spend ``cost`` points if the budget has them: ``(allowed, budget after)``."""
        with self._lock:
            budget = self._current(key, resource)
            if budget.remaining < cost:
                return False, budget.copy()
            budget.remaining -= cost
            return True, budget.copy()

    def set(self, key: str, remaining: int, reset_in: float, resource: str | None = None) -> None:
        """Force a budget (both REST and GraphQL unless ``resource`` is given)."""
        with self._lock:
            for name in (resource,) if resource else ("core", "graphql"):
                budget = self._current(key, name)
                budget.remaining = max(0, min(remaining, budget.limit))
                budget.reset_at = self.clock() + reset_in

    def clear(self) -> None:
        with self._lock:
            self._budgets.clear()
