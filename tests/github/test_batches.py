"""Batched reads shrink what GitHub refuses: failed aliases are retried in batches of half as
many aliases asking for half as many nodes, down to one and one, then given up."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from gitbrag.github.batches import GROW_AFTER, BatchResult, Size, read_batched
from gitbrag.github.client import GitHubClient
from tests.github.helpers import Sleeps


@dataclass(eq=False)
class Item:
    name: str
    size: Size = field(default_factory=lambda: Size(100, 20))


def build(items: list[Item], first: int) -> tuple[str, dict[str, Any]]:
    aliases = " ".join(f"r{i}" for i in range(len(items)))
    variables: dict[str, Any] = {"first": first} | {f"n{i}": it.name for i, it in enumerate(items)}
    return f"query {{ {aliases} }}", variables


class FakeGitHub:
    """Answers batches like GitHub's resource limits: connections past ``budget`` requested
    nodes fail with a path; names in ``broken`` always fail; ``status`` answers everything."""

    def __init__(self, budget: int, broken: frozenset[str] = frozenset(), status: int = 200):
        self.budget = budget
        self.broken = broken
        self.status = status
        self.shapes: list[tuple[int, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        variables = json.loads(request.content)["variables"]
        first = variables["first"]
        names = [variables[f"n{i}"] for i in range(len(variables) - 1)]
        self.shapes.append((len(names), first))
        if self.status != 200:
            return httpx.Response(self.status)
        data: dict[str, Any] = {}
        errors = []
        for i, name in enumerate(names):
            if (i + 1) * first > self.budget or name in self.broken:
                data[f"r{i}"] = None
                errors.append(
                    {"type": "RESOURCE_LIMITS_EXCEEDED", "path": [f"r{i}", "x"], "message": "m"}
                )
            else:
                data[f"r{i}"] = {"name": name, "first": first}
        return httpx.Response(200, json={"data": data, "errors": errors})


def read(github: FakeGitHub, items: list[Item]) -> BatchResult[Item]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(github))
    sleeps = Sleeps()
    client = GitHubClient(
        http,
        token="t",
        api_url="https://api.test",
        graphql_url="https://api.test/graphql",
        sleep=sleeps,
        clock=sleeps.now,
        max_attempts=3,
    )
    return asyncio.run(read_batched(client, items, build))


def test_the_data_that_came_is_kept_and_only_failed_aliases_shrink() -> None:
    items = [Item(f"i{n}") for n in range(20)]
    github = FakeGitHub(budget=500)
    result = read(github, items)
    assert result.failed == []
    assert sorted(node["name"] for _, node in result.read if node) == sorted(i.name for i in items)
    # 20x100: r0..r4 fit; the 15 others go again as 10x50 (all fit) and 5x50 (all fit)
    assert github.shapes[0] == (20, 100)
    assert sorted(github.shapes[1:]) == [(5, 50), (10, 50)]
    assert {i.size.first for i in items[:5]} == {100}
    assert {i.size.first for i in items[5:]} == {50}


def test_an_alias_that_keeps_failing_is_given_up_at_one_by_one() -> None:
    items = [Item("good"), Item("bad")]
    github = FakeGitHub(budget=10_000, broken=frozenset({"bad"}))
    result = read(github, items)
    assert [item.name for item in result.failed] == ["bad"]
    assert [(item.name, node["first"]) for item, node in result.read if node] == [("good", 100)]
    bad_shapes = github.shapes[1:]
    assert bad_shapes[-1] == (1, 1)
    assert [first for _, first in bad_shapes] == [50, 25, 12, 6, 3, 1]


def test_github_down_is_not_a_size_problem() -> None:
    items = [Item(f"i{n}") for n in range(4)]
    github = FakeGitHub(budget=10_000, status=503)
    result = read(github, items)
    assert len(result.failed) == 4 and result.read == []
    assert github.shapes == [(4, 100)] * 3  # retried whole, never split


def test_a_gateway_timeout_splits_the_batch() -> None:
    class Flaky(FakeGitHub):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            variables = json.loads(request.content)["variables"]
            if len(variables) - 1 > 2:
                self.shapes.append((len(variables) - 1, variables["first"]))
                return httpx.Response(504)
            return super().__call__(request)

    items = [Item(f"i{n}") for n in range(8)]
    github = Flaky(budget=10_000)
    result = read(github, items)
    assert result.failed == [] and len(result.read) == 8
    # twice as it was (once could be a blip), then twice as two halves
    assert github.shapes[:4] == [(8, 100), (8, 100), (4, 50), (4, 50)]


def test_an_item_grows_back_after_pages_read_well() -> None:
    size = Size(100, 20)
    size.shrink(20)
    size.shrink(10)
    assert (size.first, size.batch) == (25, 5)
    for _ in range(GROW_AFTER):
        size.read_well()
    assert (size.first, size.batch) == (50, 10)
    for _ in range(3 * GROW_AFTER):
        size.read_well()
    assert (size.first, size.batch) == (100, 20)  # never past where it started
    size.read_well()
    size.shrink(7)
    assert (size.first, size.batch, size.good_reads) == (50, 3, 0)
