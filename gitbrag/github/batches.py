"""Batched GraphQL reads that get smaller when GitHub says they are too big.

The files of many pull requests, the metadata and stargazers of many repositories: one
document asks for up to ``batch`` items, one alias each, with ``first`` nodes per
connection. GitHub may refuse part of it (errors with a ``path``, such as
``RESOURCE_LIMITS_EXCEEDED`` since 2025-09, "Simultaneous use of large first or last
arguments across multiple connections") or all of it (a timeout, a 502). The data that came
is kept; only the failed items are read again, in batches of half as many aliases asking
for half as many nodes, down to one alias asking for one node. An item still failing then
is given up (the caller names it in the report's incomplete reasons).

How many aliases a document holds is bounded twice: by the item's ``batch`` and, for a
``kind`` of batch, by the node budget GitHub takes for it on this host, learned from its
answers (:mod:`gitbrag.github.batch_sizes`: documents taken whole grow it, refusals shrink
it, and every worker shares what was learned). A group of items asking ``first`` nodes each
goes in documents of at most ``budget // first`` aliases.

An item remembers its smaller size (:class:`Size`): later pages of a connection that was too
big are read at the size that worked. After ``GROW_AFTER`` pages read in a row it tries twice
the size again, up to where it started: a timeout or a 502 is often a blip, and a 3,000-file
pull request read one file per request for good would spend the token's budget for nothing.

What GitHub withholds from the token for good (an organisation's SAML single sign-on, a
permission the token lacks: :class:`~gitbrag.github.responses.Denial`) is never retried
smaller. Items with a denial under their alias are read again with the client's
``fallback`` (the server's token) if it has one, and that answer replaces theirs; what the
fallback cannot read either stays in ``denied`` for the caller to name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Generic, Protocol, TypeVar

from gitbrag.errors import GitHubError, GitHubUnavailable
from gitbrag.github.batch_sizes import Kind
from gitbrag.github.client import BatchAnswer, BatchTooLarge, GitHubClient
from gitbrag.github.responses import Denial
from gitbrag.github.tasks import gather_all

log = logging.getLogger(__name__)

GROW_AFTER: Final = 4  # pages read in a row at a smaller size before trying twice the size


@dataclass(slots=True)
class Size:
    """How much one item may ask for: ``first`` nodes per connection, in documents of at
    most ``batch`` aliases; ``full_*`` is where it started."""

    first: int
    batch: int
    full_first: int = 0
    full_batch: int = 0
    good_reads: int = 0

    def __post_init__(self) -> None:
        self.full_first = self.full_first or self.first
        self.full_batch = self.full_batch or self.batch

    @property
    def smallest(self) -> bool:
        return self.first <= 1 and self.batch <= 1

    def shrink(self, aliases: int) -> None:
        """Half the nodes, and half the aliases of the document that failed (``aliases``)."""
        self.first = max(1, self.first // 2)
        self.batch = max(1, min(self.batch, aliases) // 2)
        self.good_reads = 0

    def read_well(self) -> None:
        """A page came back: after ``GROW_AFTER`` in a row, try twice the size."""
        self.good_reads += 1
        if self.good_reads >= GROW_AFTER and self.first < self.full_first:
            self.first = min(self.full_first, self.first * 2)
            self.batch = min(self.full_batch, self.batch * 2)
            self.good_reads = 0


class Batchable(Protocol):
    size: Size


T = TypeVar("T", bound=Batchable)

#: Builds one document for ``items`` asking ``first`` nodes per connection.
Build = Callable[[list[T], int], tuple[str, dict[str, Any]]]


@dataclass(slots=True)
class BatchResult(Generic[T]):
    """Each item read, with its alias's node (``None``: GitHub has nothing there, e.g. a
    ``NOT_FOUND``), the items given up on, and the items read whose node GitHub withholds
    (in part) from the token, with the denials under their alias."""

    read: list[tuple[T, dict[str, Any] | None]] = field(default_factory=list)
    failed: list[T] = field(default_factory=list)
    denied: list[tuple[T, tuple[Denial, ...]]] = field(default_factory=list)

    def denials_of(self, item: T) -> tuple[Denial, ...]:
        return next((found for held, found in self.denied if held is item), ())


def _chunks(items: list[T], budget: int | None = None) -> list[list[T]]:
    """Items cut into documents of at most their ``batch`` aliases.

    Without a node ``budget``, items are grouped by their ``(first, batch)``. With one, a
    request is worth more than nodes: items at their full size are packed largest page
    first, each document asking its first item's ``first`` of every alias (a smaller item
    gets a page larger than it needs) while the aliases times that stay within ``budget``;
    items GitHub made smaller keep their groups (they must not be asked more than worked).
    A document always holds at least one alias.
    """
    groups: dict[tuple[int, int], list[T]] = {}
    packable: list[T] = []
    for item in items:
        if budget is not None and item.size.first >= item.size.full_first:
            packable.append(item)
        else:
            groups.setdefault((item.size.first, item.size.batch), []).append(item)
    chunks = []
    for (first, batch), group in groups.items():
        if budget is not None:
            batch = max(1, min(batch, budget // max(1, first)))
        chunks += [group[i : i + batch] for i in range(0, len(group), batch)]
    packable.sort(key=lambda item: -item.size.first)
    chunk: list[T] = []
    for item in packable:
        cap = min([item.size.batch, *(held.size.batch for held in chunk)])
        first = chunk[0].size.first if chunk else item.size.first
        if chunk and (len(chunk) >= cap or (len(chunk) + 1) * first > (budget or 0)):
            chunks.append(chunk)
            chunk = []
        chunk.append(item)
    if chunk:
        chunks.append(chunk)
    return chunks


def nodes_of(chunk: list[T]) -> int:
    """The nodes a document of ``chunk`` asks for (its aliases times their ``first``)."""
    return len(chunk) * chunk[0].size.first


async def read_batched(
    client: GitHubClient, items: list[T], build: Build[T], *, kind: Kind | None = None
) -> BatchResult[T]:
    """One node per item (alias ``r{i}`` of its document), shrinking what GitHub refuses;
    what it withholds from the token read again with ``client.fallback``. With ``kind``,
    documents hold at most the node budget learned for that kind on this host, and what
    GitHub takes or refuses is learned from (``client.batch_sizes``)."""
    result = await _read_all(client, items, build, kind)
    fallback = client.fallback
    if not result.denied or fallback is None:
        return result
    denied = [item for item, _ in result.denied]
    try:
        again = await _read_all(fallback, denied, build, kind)
    except GitHubError as exc:  # the fallback's trouble: the parts stay named as withheld
        log.warning("the fallback token could not read %d withheld parts: %s", len(denied), exc)
        return result
    recovered = {id(item): node for item, node in again.read if not again.denials_of(item)}
    return BatchResult(
        [(item, recovered.get(id(item), node)) for item, node in result.read],
        result.failed,
        [(item, found) for item, found in result.denied if id(item) not in recovered],
    )


async def _read_all(
    client: GitHubClient, items: list[T], build: Build[T], kind: Kind | None
) -> BatchResult[T]:
    """:func:`read_batched` with one client."""
    result: BatchResult[T] = BatchResult()
    pending = list(items)
    sizes = client.batch_sizes
    while pending:
        budget = await sizes.budget(kind) if kind is not None else None
        chunks = _chunks(pending, budget)
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
                        continue
                    item.size.read_well()
                    result.read.append((item, answer.data.get(f"r{i}")))
                    found = tuple(d for d in answer.denied if d.alias == f"r{i}")
                    if found:
                        result.denied.append((item, found))
            if kind is not None and retry:
                await sizes.refused(kind, nodes_of(chunk))
            elif kind is not None:
                await sizes.accepted(kind, nodes_of(chunk))
            for item in retry:
                if item.size.smallest:
                    result.failed.append(item)
                else:
                    item.size.shrink(len(chunk))
                    pending.append(item)
    return result


async def _read_one(
    client: GitHubClient, chunk: list[T], build: Build[T]
) -> BatchAnswer | GitHubUnavailable | None:
    """The answer for one document; ``None`` when it should be split, or the error when
    GitHub kept failing in a way a smaller document would not fix."""
    first = chunk[0].size.first
    smallest = chunk[0].size.smallest
    query, variables = build(chunk, first)
    try:
        return await client.graphql_batch(query, variables, splittable=not smallest)
    except BatchTooLarge as exc:
        log.info("batch of %d (first %d) too large for GitHub: %s", len(chunk), first, exc)
        return None
    except GitHubUnavailable as exc:
        if smallest:
            return None
        return exc
