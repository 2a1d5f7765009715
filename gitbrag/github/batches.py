"""Batched GraphQL reads that get smaller when GitHub says they are too big.

The files of many pull requests, the metadata and stargazers of many repositories: one
document asks for up to ``batch`` items, one alias each, with ``first`` nodes per
connection. GitHub may refuse part of it (errors with a ``path``, such as
``RESOURCE_LIMITS_EXCEEDED`` since 2025-09, "Simultaneous use of large first or last
arguments across multiple connections") or all of it (a timeout, a 502). The data that came
is kept; only the failed items are read again, in batches of half as many aliases asking
for half as many nodes, down to one alias asking for one node. An item still failing then
is given up (the caller names it in the report's incomplete reasons).

An item remembers its smaller ``first`` and ``batch``: later pages of a connection that was
too big are read at the size that worked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from gitbrag.errors import GitHubUnavailable
from gitbrag.github.client import BatchAnswer, BatchTooLarge, GitHubClient
from gitbrag.github.tasks import gather_all

log = logging.getLogger(__name__)


class Batchable(Protocol):
    first: int  # nodes per connection this item may ask for
    batch: int  # aliases this item may share a document with


T = TypeVar("T", bound=Batchable)

#: Builds one document for ``items`` asking ``first`` nodes per connection.
Build = Callable[[list[T], int], tuple[str, dict[str, Any]]]


@dataclass(slots=True)
class BatchResult(Generic[T]):
    """Each item read, with its alias's node (``None``: GitHub has nothing there, e.g. a
    ``NOT_FOUND``), and the items given up on."""

    read: list[tuple[T, dict[str, Any] | None]] = field(default_factory=list)
    failed: list[T] = field(default_factory=list)


def _smallest(item: Batchable) -> bool:
    return item.first <= 1 and item.batch <= 1


def _shrink(item: Batchable, aliases: int) -> None:
    """Half the nodes, and half the aliases of the document that failed (``aliases``)."""
    item.first = max(1, item.first // 2)
    item.batch = max(1, min(item.batch, aliases) // 2)


def _chunks(items: list[T]) -> list[list[T]]:
    """Items grouped by their ``(first, batch)``, each group cut into documents of ``batch``."""
    groups: dict[tuple[int, int], list[T]] = {}
    for item in items:
        groups.setdefault((item.first, item.batch), []).append(item)
    return [
        group[i : i + batch]
        for (_, batch), group in groups.items()
        for i in range(0, len(group), batch)
    ]


async def read_batched(client: GitHubClient, items: list[T], build: Build[T]) -> BatchResult[T]:
    """One node per item (alias ``r{i}`` of its document), shrinking what GitHub refuses."""
    result: BatchResult[T] = BatchResult()
    pending = list(items)
    while pending:
        chunks = _chunks(pending)
        answers = await gather_all(_read_one(client, chunk, build) for chunk in chunks)
        pending = []
        for chunk, answer in zip(chunks, answers, strict=True):
            retry: list[T] = []
            if answer is None:
                retry = chunk
            elif isinstance(answer, GitHubUnavailable):
                result.failed += chunk  # not a size problem: smaller would fail alike
                continue
            else:
                for i, item in enumerate(chunk):
                    if f"r{i}" in answer.failed:
                        retry.append(item)
                    else:
                        result.read.append((item, answer.data.get(f"r{i}")))
            for item in retry:
                if _smallest(item):
                    result.failed.append(item)
                else:
                    _shrink(item, len(chunk))
                    pending.append(item)
    return result


async def _read_one(
    client: GitHubClient, chunk: list[T], build: Build[T]
) -> BatchAnswer | GitHubUnavailable | None:
    """The answer for one document; ``None`` when it should be split, or the error when
    GitHub kept failing in a way a smaller document would not fix."""
    first = chunk[0].first
    query, variables = build(chunk, first)
    try:
        return await client.graphql_batch(query, variables, splittable=not _smallest(chunk[0]))
    except BatchTooLarge as exc:
        log.info("batch of %d (first %d) too large for GitHub: %s", len(chunk), first, exc)
        return None
    except GitHubUnavailable as exc:
        if _smallest(chunk[0]):
            return None
        return exc
