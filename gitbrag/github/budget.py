"""A token's shared budget: what every client using one GitHub token must respect together.

GitHub's limits are per token (or per user), not per process: the primary budget
(``x-ratelimit-*``, GraphQL ``rateLimit``), and the secondary limits on concurrent requests,
points per minute (GraphQL and REST counted apart) and GraphQL time per minute. The client
asks a :class:`TokenBudget` before every request and reports back after it; the budget says
whether the request may go now.

``gitbrag.stores.token_budget`` implements the protocol on Redis, shared by every worker
process and the scheduler; :class:`LocalTokenBudget` implements it in one process (the CLI,
tests, and a client given no budget). Both follow :class:`Allowance` the same way:

- at most ``max_in_flight`` requests at once; ``acquire`` waits for a free slot itself
  (a slot left by a process that died expires after ``holder_ttl`` seconds);
- while GitHub's secondary limit asked us to stop (``pause``), nothing is sent;
- once a minute's points (one per request) or GraphQL seconds are spent, nothing more of
  that kind is sent until the next minute. The window is a fixed minute, so the limits are
  half of GitHub's (2,000 GraphQL and 900 REST points, 60 s of GraphQL time per minute) to
  stay under them even across a minute boundary;
- a resource whose last known ``remaining`` is zero is exhausted until its reset time.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

Api = Literal["rest", "graphql"]

#: The rate-limit resource each kind of request spends (``x-ratelimit-resource``).
RESOURCE_OF: Final[dict[str, str]] = {"rest": "core", "graphql": "graphql"}


@dataclass(frozen=True, slots=True)
class Allowance:
    """What one token may spend together across every process using it (the module docstring)."""

    max_in_flight: int = 4
    graphql_points_per_minute: int = 1000
    rest_points_per_minute: int = 450
    graphql_seconds_per_minute: float = 30.0
    holder_ttl: float = 60.0  # seconds an unreleased slot stays taken

    def points_per_minute(self, api: Api) -> int:
        return self.graphql_points_per_minute if api == "graphql" else self.rest_points_per_minute


@dataclass(frozen=True, slots=True)
class Admission:
    """The answer to ``acquire``: a slot (``holder``), or why not yet.

    ``wait`` > 0: try again that many seconds later (paused by a secondary limit, or this
    minute's points or GraphQL time are spent). ``exhausted_until``: the primary budget of
    the resource is spent until then (epoch seconds).
    """

    holder: str | None = None
    wait: float = 0.0
    exhausted_until: float | None = None


@dataclass(frozen=True, slots=True)
class Seen:
    """The primary budget a response reported (``x-ratelimit-*`` or GraphQL ``rateLimit``)."""

    resource: str
    remaining: int
    reset_at: float  # epoch seconds


class TokenBudget(Protocol):
    """The shared state of the one token a client sends. ``now`` is epoch seconds from the
    client's clock."""

    async def acquire(self, api: Api, now: float) -> Admission:
        """Take a slot for one request, waiting while every slot is taken; or say why the
        request must wait (see :class:`Admission`)."""
        ...

    async def release(self, holder: str, api: Api, seconds: float, now: float) -> None:
        """Give the slot back; ``seconds`` is how long GitHub took to answer."""
        ...

    async def observe(self, seen: Seen) -> None:
        """Remember the primary budget GitHub last reported."""
        ...

    async def pause(self, until: float) -> None:
        """GitHub's secondary limit: nobody using this token sends before ``until``."""
        ...


def minute_of(now: float) -> int:
    return math.floor(now / 60)


def next_minute(now: float) -> float:
    return (minute_of(now) + 1) * 60.0


@dataclass
class _Minute:
    index: int = -1
    points: dict[str, int] = field(default_factory=dict)
    graphql_seconds: float = 0.0


class LocalTokenBudget:
    """:class:`TokenBudget` for one process (an asyncio condition guards the slots)."""

    def __init__(self, allowance: Allowance | None = None) -> None:
        self.allowance = allowance or Allowance()
        self._condition = asyncio.Condition()
        self._in_flight: set[str] = set()
        self._ids = itertools.count()
        self._paused_until = 0.0
        self._minute = _Minute()
        self._seen: dict[str, Seen] = {}
        self.max_in_flight_seen = 0

    def _this_minute(self, now: float) -> _Minute:
        if self._minute.index != minute_of(now):
            self._minute = _Minute(minute_of(now))
        return self._minute

    def _refusal(self, api: Api, now: float) -> Admission | None:
        if self._paused_until > now:
            return Admission(wait=self._paused_until - now)
        seen = self._seen.get(RESOURCE_OF[api])
        if seen is not None and seen.remaining <= 0 and seen.reset_at > now:
            return Admission(exhausted_until=seen.reset_at)
        minute = self._this_minute(now)
        over_points = minute.points.get(api, 0) >= self.allowance.points_per_minute(api)
        over_time = (
            api == "graphql" and minute.graphql_seconds >= self.allowance.graphql_seconds_per_minute
        )
        if over_points or over_time:
            return Admission(wait=next_minute(now) - now)
        return None

    async def acquire(self, api: Api, now: float) -> Admission:
        async with self._condition:
            refusal = self._refusal(api, now)
            if refusal is not None:
                return refusal
            await self._condition.wait_for(
                lambda: len(self._in_flight) < self.allowance.max_in_flight
            )
            holder = f"local-{next(self._ids)}"
            self._in_flight.add(holder)
            self.max_in_flight_seen = max(self.max_in_flight_seen, len(self._in_flight))
            minute = self._this_minute(now)
            minute.points[api] = minute.points.get(api, 0) + 1
            seen = self._seen.get(RESOURCE_OF[api])
            if seen is not None and seen.remaining > 0:  # spend it before GitHub says so
                self._seen[seen.resource] = Seen(seen.resource, seen.remaining - 1, seen.reset_at)
            return Admission(holder=holder)

    async def release(self, holder: str, api: Api, seconds: float, now: float) -> None:
        async with self._condition:
            self._in_flight.discard(holder)
            if api == "graphql":
                self._this_minute(now).graphql_seconds += seconds
            self._condition.notify_all()

    async def observe(self, seen: Seen) -> None:
        self._seen[seen.resource] = seen

    async def pause(self, until: float) -> None:
        self._paused_until = max(self._paused_until, until)

    def remaining(self, resource: str) -> Seen | None:
        return self._seen.get(resource)
