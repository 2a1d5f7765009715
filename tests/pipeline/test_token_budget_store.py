"""The per-token GitHub budget on a real Redis: what every process using a token shares.

Two ``TokenBudgets`` objects stand for two processes. Times are passed in (the clients'
clocks), so expiry and minute windows are tested without waiting.
"""

from __future__ import annotations

import asyncio

import pytest
import redis

from gitbrag.github.budget import Allowance, Seen
from gitbrag.stores.token_budget import TokenBudgets
from tests.pipeline.conftest import values_in_redis

TOKEN = "ghp_pipeline_test_token_0001"  # scanned for in plaintext after every pipeline test
NOW = 1_800_000_030.0  # 30 s into a minute


def budgets(client: redis.Redis, **allowance: object) -> TokenBudgets:
    return TokenBudgets(client, secret_key="s3cret", allowance=Allowance(**allowance))  # type: ignore[arg-type]


def test_processes_share_the_in_flight_slots_and_a_dead_holder_expires(
    redis_client: redis.Redis,
) -> None:
    one = budgets(redis_client, max_in_flight=2, holder_ttl=5.0).for_token(TOKEN)
    two = budgets(redis_client, max_in_flight=2, holder_ttl=5.0).for_token(TOKEN)
    assert one._acquire_once("graphql", NOW, "a")[0] == 1
    assert two._acquire_once("rest", NOW, "b")[0] == 1
    assert one._acquire_once("graphql", NOW, "c") == (0, 0)  # full, for either process
    asyncio.run(two.release("b", "rest", 0.1, NOW))
    assert one._acquire_once("graphql", NOW, "c")[0] == 1
    assert two._acquire_once("rest", NOW + 1, "d") == (0, 0)
    # "a" and "c" were never released (their process died): 5 s later their slots are free
    assert two._acquire_once("rest", NOW + 5.5, "d")[0] == 1


def test_acquire_waits_for_a_slot_another_process_frees(redis_client: redis.Redis) -> None:
    one = budgets(redis_client, max_in_flight=1).for_token(TOKEN)
    two = budgets(redis_client, max_in_flight=1).for_token(TOKEN)

    async def scenario() -> str | None:
        first = await one.acquire("graphql", NOW)
        assert first.holder is not None
        waiting = asyncio.ensure_future(two.acquire("graphql", NOW))
        await asyncio.sleep(0)
        assert not waiting.done()
        await one.release(first.holder, "graphql", 0.2, NOW)
        return (await waiting).holder

    assert asyncio.run(scenario()) is not None


def test_a_pause_holds_every_process(redis_client: redis.Redis) -> None:
    one = budgets(redis_client).for_token(TOKEN)
    two = budgets(redis_client).for_token(TOKEN)
    asyncio.run(one.pause(NOW + 60))
    asyncio.run(one.pause(NOW + 10))  # an earlier end never shortens a pause
    admission = asyncio.run(two.acquire("rest", NOW))
    assert admission.holder is None and admission.wait == pytest.approx(60)
    assert asyncio.run(two.acquire("rest", NOW + 60)).holder is not None


def test_a_spent_resource_is_exhausted_until_its_reset(redis_client: redis.Redis) -> None:
    store = budgets(redis_client)
    one, two = store.for_token(TOKEN), budgets(redis_client).for_token(TOKEN)
    asyncio.run(one.observe(Seen("graphql", 2, NOW + 600)))
    assert asyncio.run(two.acquire("graphql", NOW)).holder is not None
    assert asyncio.run(one.acquire("graphql", NOW)).holder is not None
    # both points are spent before GitHub says so
    spent = asyncio.run(two.acquire("graphql", NOW))
    assert spent.holder is None and spent.exhausted_until == pytest.approx(NOW + 600)
    assert asyncio.run(two.acquire("rest", NOW)).holder is not None  # REST is another budget
    assert store.blocked_until(TOKEN, NOW) == pytest.approx(NOW + 600)
    assert asyncio.run(two.acquire("graphql", NOW + 601)).holder is not None


def test_observations_out_of_order_keep_the_lowest_of_a_window(redis_client: redis.Redis) -> None:
    store = budgets(redis_client)
    budget = store.for_token(TOKEN)
    asyncio.run(budget.observe(Seen("graphql", 10, NOW + 600)))
    asyncio.run(budget.observe(Seen("graphql", 50, NOW + 600)))  # an older answer, late
    asyncio.run(budget.observe(Seen("graphql", 40, NOW + 300)))  # the window before
    assert store.snapshot(TOKEN, NOW).remaining("graphql", NOW) == 10
    asyncio.run(budget.observe(Seen("graphql", 4999, NOW + 4200)))  # a new window
    snapshot = store.snapshot(TOKEN, NOW)
    assert snapshot.remaining("graphql", NOW) == 4999
    assert snapshot.remaining("core", NOW) is None
    assert snapshot.remaining("graphql", NOW + 4200) is None  # that window is over


def test_points_and_graphql_time_per_minute(redis_client: redis.Redis) -> None:
    budget = budgets(
        redis_client, graphql_points_per_minute=2, graphql_seconds_per_minute=3.0
    ).for_token(TOKEN)
    first = asyncio.run(budget.acquire("graphql", NOW))
    assert first.holder is not None
    asyncio.run(budget.release(first.holder, "graphql", 3.5, NOW))  # a slow answer
    slow = asyncio.run(budget.acquire("graphql", NOW))
    assert slow.holder is None and slow.wait == pytest.approx(30)  # until the next minute
    assert asyncio.run(budget.acquire("rest", NOW)).holder is not None
    for _ in range(2):
        assert asyncio.run(budget.acquire("graphql", NOW + 30)).holder is not None
    full = asyncio.run(budget.acquire("graphql", NOW + 31))
    assert full.holder is None and full.wait == pytest.approx(59)


def test_tokens_are_never_stored_only_keyed_fingerprints(redis_client: redis.Redis) -> None:
    store = budgets(redis_client)
    asyncio.run(store.for_token(TOKEN).observe(Seen("core", 1, NOW + 60)))
    keys = [key.decode() for key in redis_client.scan_iter("gitbrag:gh-token:*")]
    assert keys == [f"gitbrag:gh-token:{store.fingerprint(TOKEN)}:state"]
    assert all(TOKEN.encode() not in value for _, value in values_in_redis(redis_client))
    other_secret = TokenBudgets(redis_client, secret_key="other", allowance=Allowance())
    assert other_secret.fingerprint(TOKEN) != store.fingerprint(TOKEN)
    assert store.fingerprint(TOKEN) != store.fingerprint(TOKEN + "x")
