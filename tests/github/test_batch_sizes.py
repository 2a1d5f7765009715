"""Batch sizes that learn (gitbrag.github.batch_sizes): grow while GitHub takes documents whole,
shrink on refusals and remember a ceiling; and a read that learns, against a GitHub refusing
documents past a node budget."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from gitbrag.github.batch_sizes import (
    CEILING_SECONDS,
    GROW_AFTER,
    MAX_NODES,
    MIN_NODES,
    START_NODES,
    Learned,
    LocalBatchSizes,
)
from gitbrag.github.batches import Size, read_batched
from gitbrag.github.client import GitHubClient
from tests.github.helpers import Sleeps


def test_grows_after_documents_taken_whole_that_used_most_of_it() -> None:
    learned = Learned()
    for _ in range(GROW_AFTER - 1):
        learned = learned.accepted(START_NODES, now=0)
    assert learned.nodes == START_NODES
    assert learned.accepted(START_NODES, now=0).nodes == 2 * START_NODES
    small = Learned()
    for _ in range(10):
        small = small.accepted(START_NODES // 10, now=0)  # proves nothing about the budget
    assert small.nodes == START_NODES


def test_refusals_halve_and_set_a_ceiling_growth_stays_under() -> None:
    refused = Learned(nodes=8_000).refused(8_000, now=0)
    assert (refused.nodes, refused.ceiling) == (4_000, 8_000)
    grown = refused
    for _ in range(GROW_AFTER * 4):
        grown = grown.accepted(grown.nodes, now=1)
    assert START_NODES < grown.nodes < 8_000  # closes in on the ceiling, never reaches it
    later = grown
    for _ in range(GROW_AFTER):
        later = later.accepted(later.nodes, now=CEILING_SECONDS + 1)  # the ceiling expired
    assert later.nodes >= 8_000
    assert Learned(nodes=MIN_NODES).refused(MIN_NODES, now=0).nodes == MIN_NODES
    big = Learned(nodes=MAX_NODES)
    for _ in range(GROW_AFTER):
        big = big.accepted(MAX_NODES, now=0)
    assert big.nodes == MAX_NODES


class NodeLimited:
    """Answers like GitHub's resource limits: aliases past ``limit`` requested nodes fail."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.shapes: list[tuple[int, int]] = []
        self.refused = 0  # documents answered with errors

    def __call__(self, request: httpx.Request) -> httpx.Response:
        variables = json.loads(request.content)["variables"]
        first, names = variables["first"], [v for k, v in variables.items() if k.startswith("n")]
        self.shapes.append((len(names), first))
        data: dict[str, Any] = {}
        errors = []
        for i, name in enumerate(names):
            if (i + 1) * first > self.limit:
                data[f"r{i}"] = None
                errors.append(
                    {"type": "RESOURCE_LIMITS_EXCEEDED", "path": [f"r{i}"], "message": "m"}
                )
            else:
                data[f"r{i}"] = {"name": name}
        self.refused += bool(errors)
        return httpx.Response(200, json={"data": data, "errors": errors})


class Item:
    def __init__(self, name: str) -> None:
        self.name = name
        self.size = Size(100, 100)


def build(items: list[Item], first: int) -> tuple[str, dict[str, Any]]:
    variables: dict[str, Any] = {"first": first} | {f"n{i}": it.name for i, it in enumerate(items)}
    return "query { x }", variables


def _read(github: NodeLimited, sizes: LocalBatchSizes, count: int) -> int:
    sleeps = Sleeps()
    http = httpx.AsyncClient(transport=httpx.MockTransport(github))
    client = GitHubClient(
        http,
        token="t",
        api_url="https://api.test",
        graphql_url="https://api.test/graphql",
        sleep=sleeps,
        clock=sleeps.now,
        batch_sizes=sizes,
    )
    items = [Item(f"i{n}") for n in range(count)]
    result = asyncio.run(read_batched(client, items, build, kind="files"))
    assert not result.failed and len(result.read) == count
    return client.requests_made


def test_what_was_learned_is_not_rediscovered() -> None:
    github = NodeLimited(limit=2_000)
    sizes = LocalBatchSizes(clock=lambda: 0.0)
    first = _read(github, sizes, 60)  # 40 of 100 at first: refused past 2,000 nodes
    assert github.shapes[0] == (40, 100) and github.refused == 1
    assert (sizes.learned("files").nodes, sizes.learned("files").ceiling) == (2_000, 4_000)
    github.shapes.clear()
    again = _read(github, sizes, 60)  # the next report starts at what worked: no refusal
    assert github.refused == 1 and github.shapes == [(20, 100)] * 3
    assert again <= first
