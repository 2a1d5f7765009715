"""How big a batched GraphQL document GitHub takes, learned per GitHub host and kind of batch.

A batched document (:mod:`gitbrag.github.batches`) asks for many items at once, one alias
each, each alias asking for ``first`` nodes of a connection (files of a pull request,
stargazers of a repository...). What GitHub refuses is the *size*: past a node budget it
answers ``RESOURCE_LIMITS_EXCEEDED`` on the aliases past the limit ("Simultaneous use of large
first or last arguments across multiple connections", changelog 2025-09-01), and a document
heavy enough times out whole (a 502/504, or "...may be the result of a timeout"). GitHub
documents a hard ceiling of 500,000 nodes a query and no number for the rest, which has moved
over time: the size is learned instead of written down.

A :class:`Learned` size is the node budget of one document (the sum of its aliases'
``first``): documents start at ``START_NODES`` (what GitHub's limits have let through for
years: 20 aliases of 100 nodes was gitbrag's earlier fixed size, half of it), grow to twice
the budget after ``GROW_AFTER`` documents in a row GitHub took whole while they used most of
it (a document smaller than the budget proves nothing about the budget), and shrink on a
refusal to half the refused size, which is remembered as a ceiling for ``CEILING_SECONDS``
(growth stops short of it; after that GitHub gets to show again what it takes). Every
change goes through the pure :meth:`Learned.accepted` / :meth:`Learned.refused`.

:class:`BatchSizes` is what the client asks; :class:`LocalBatchSizes` keeps it in one
process (the CLI, tests, a client given nothing else), and ``gitbrag.stores.batch_sizes``
keeps it in Redis per GitHub host, shared by every worker, so a worker does not rediscover
GitHub's limit for every report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final, Literal, Protocol

Kind = Literal["files", "stars", "reviews"]
KINDS: Final[tuple[Kind, ...]] = ("files", "stars", "reviews")

START_NODES: Final = 4_000
MIN_NODES: Final = 100  # one alias of a full page: below that, items shrink themselves
MAX_NODES: Final = 50_000  # a tenth of GitHub's documented 500,000-node ceiling
GROW_AFTER: Final = 2  # documents taken whole in a row, each using most of the budget
FULL_ENOUGH: Final = 0.75  # "most of the budget"
CEILING_SECONDS: Final = 6 * 3600.0


@dataclass(frozen=True, slots=True)
class Learned:
    """The node budget of one kind of document on one host (see the module docstring)."""

    nodes: int = START_NODES
    ceiling: int | None = None  # the smallest size refused, until ``ceiling_until``
    ceiling_until: float = 0.0
    streak: int = 0  # documents taken whole in a row at most of the budget

    def limit(self, now: float) -> int | None:
        return self.ceiling if self.ceiling is not None and now < self.ceiling_until else None

    def accepted(self, nodes: int, now: float) -> Learned:
        """GitHub took a document of ``nodes`` whole."""
        if nodes < self.nodes * FULL_ENOUGH:
            return self
        streak = self.streak + 1
        if streak < GROW_AFTER:
            return replace(self, streak=streak)
        grown = min(MAX_NODES, self.nodes * 2)
        limit = self.limit(now)
        if limit is not None and grown >= limit:
            grown = max(self.nodes, (self.nodes + limit) // 2)  # close in on the limit
        return Learned(grown, self.ceiling, self.ceiling_until, 0)

    def refused(self, nodes: int, now: float) -> Learned:
        """GitHub refused (part of) a document of ``nodes``, or timed out on it."""
        limit = self.limit(now)
        ceiling = nodes if limit is None else min(limit, nodes)
        return Learned(
            max(MIN_NODES, min(self.nodes, nodes // 2)), ceiling, now + CEILING_SECONDS, 0
        )


class BatchSizes(Protocol):
    """The node budget of each kind of batched document, learned from GitHub's answers."""

    async def budget(self, kind: Kind) -> int: ...

    async def accepted(self, kind: Kind, nodes: int) -> None: ...

    async def refused(self, kind: Kind, nodes: int) -> None: ...


class LocalBatchSizes:
    """:class:`BatchSizes` in this process (one client's, unless shared on purpose)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._learned: dict[Kind, Learned] = {}

    def learned(self, kind: Kind) -> Learned:
        return self._learned.get(kind, Learned())

    async def budget(self, kind: Kind) -> int:
        return self.learned(kind).nodes

    async def accepted(self, kind: Kind, nodes: int) -> None:
        self._learned[kind] = self.learned(kind).accepted(nodes, self._clock())

    async def refused(self, kind: Kind, nodes: int) -> None:
        self._learned[kind] = self.learned(kind).refused(nodes, self._clock())
