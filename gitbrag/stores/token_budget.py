"""Per-token GitHub budgets in Redis, shared by every worker process and the scheduler: the
:class:`~gitbrag.github.budget.TokenBudget` the GitHub client respects.

A token is never a key: it is named by a keyed fingerprint (HMAC-SHA256 with a key derived
from ``SECRET_KEY``), so Redis holds no token, and nobody without the secret key can tell
which token a budget belongs to. Per fingerprint ``<f>``:

- ``gitbrag:gh-token:<f>:in-flight``: a sorted set of request holders scored by the time
  their slot expires. A slot is given back after the request; one left by a killed
  process expires ``holder_ttl`` later, so it leaks no slot for longer than that.
- ``gitbrag:gh-token:<f>:state``: a hash of the primary budget GitHub last reported per
  resource (``core:remaining``, ``core:reset``, ``graphql:...``; resets in epoch ms) and
  ``paused_until`` (a secondary limit asked everybody to stop until then).
- ``gitbrag:gh-token:<f>:minute:<n>``: points spent per API and GraphQL milliseconds in
  minute ``n`` (kept two minutes).

Every decision is one Lua script, so concurrent processes never both take the last slot or
the last point. Times come from the callers (the clients' clocks).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
from dataclasses import dataclass
from typing import Final, cast

import redis

from gitbrag.github.budget import (
    RESOURCE_OF,
    Admission,
    Allowance,
    Api,
    Seen,
    minute_of,
    next_minute,
)
from gitbrag.stores.connection import key_prefix

PREFIX: Final = "gh-token:"
INDEX: Final = "gh-token-index"  # fingerprint → latest reset ms (at most 100 tokens)
STATE_TTL_MS: Final = 2 * 3600 * 1000  # longer than GitHub's hourly window
SLOT_POLL_SECONDS: Final = (0.02, 0.08)  # while every slot is taken

# KEYS: in-flight, state, minute. ARGV: now ms, holder, holder ttl ms, max in flight, api,
# resource, points limit, graphql ms limit, next minute ms.
# Returns {1, 0} admitted; {0, 0} no free slot; {2, ms} wait ms; {3, reset ms} exhausted.
_ACQUIRE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local paused = tonumber(redis.call('HGET', KEYS[2], 'paused_until') or '0')
if paused > now then return {2, paused - now} end
local remaining = redis.call('HGET', KEYS[2], ARGV[6] .. ':remaining')
local reset = tonumber(redis.call('HGET', KEYS[2], ARGV[6] .. ':reset') or '0')
if remaining and tonumber(remaining) <= 0 and reset > now then return {3, reset} end
local points = tonumber(redis.call('HGET', KEYS[3], ARGV[5] .. ':points') or '0')
if points >= tonumber(ARGV[7]) then return {2, tonumber(ARGV[9]) - now} end
if ARGV[5] == 'graphql' then
  local spent = tonumber(redis.call('HGET', KEYS[3], 'graphql:ms') or '0')
  if spent >= tonumber(ARGV[8]) then return {2, tonumber(ARGV[9]) - now} end
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return {0, 0} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[3]))
redis.call('HINCRBY', KEYS[3], ARGV[5] .. ':points', 1)
redis.call('PEXPIRE', KEYS[3], 120000)
if remaining and tonumber(remaining) > 0 then
  redis.call('HINCRBY', KEYS[2], ARGV[6] .. ':remaining', -1)
end
return {1, 0}
"""

# KEYS: in-flight, minute. ARGV: holder, api, elapsed ms.
_RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] == 'graphql' then
  redis.call('HINCRBY', KEYS[2], 'graphql:ms', tonumber(ARGV[3]))
  redis.call('PEXPIRE', KEYS[2], 120000)
end
return 1
"""

# KEYS: state, the fingerprint index. ARGV: resource, remaining, reset ms, state ttl ms,
# fingerprint. Answers can arrive out of order: for the same window keep the lowest remaining;
# a later window replaces it. The index (fingerprint → latest reset ms, capped) is what the
# operations console lists, without scanning the keyspace.
_OBSERVE = """
redis.call('ZADD', KEYS[2], 'GT', tonumber(ARGV[3]), ARGV[5])
redis.call('ZADD', KEYS[2], 'NX', tonumber(ARGV[3]), ARGV[5])
if redis.call('ZCARD', KEYS[2]) > 100 then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -101) end
local known = tonumber(redis.call('HGET', KEYS[1], ARGV[1] .. ':reset') or '0')
local reset = tonumber(ARGV[3])
local remaining = tonumber(ARGV[2])
if reset < known then return 0 end
if reset == known then
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1] .. ':remaining') or remaining)
  if current < remaining then remaining = current end
end
redis.call('HSET', KEYS[1], ARGV[1] .. ':remaining', remaining, ARGV[1] .. ':reset', reset)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
"""

# KEYS: state. ARGV: until ms, state ttl ms.
_PAUSE = """
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused_until') or '0')
if tonumber(ARGV[1]) > paused then redis.call('HSET', KEYS[1], 'paused_until', ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


@dataclass(frozen=True, slots=True)
class BudgetSnapshot:
    """What is known of one token's budget: per resource ``(remaining, reset epoch s)``."""

    resources: dict[str, tuple[int, float]]
    paused_until: float | None
    in_flight: int

    def remaining(self, resource: str, now: float) -> int | None:
        """The resource's remaining budget, or ``None`` if unknown or its window reset."""
        known = self.resources.get(resource)
        if known is None or known[1] <= now:
            return None
        return known[0]

    def blocked_until(self, now: float) -> float | None:
        """Until when (epoch s) nothing can be sent with this token: a secondary-limit pause,
        or a spent primary budget (REST or GraphQL: a report needs both). ``None``: free."""
        blockers = [
            reset for remaining, reset in self.resources.values() if remaining <= 0 and reset > now
        ]
        if self.paused_until is not None and self.paused_until > now:
            blockers.append(self.paused_until)
        return max(blockers, default=None)


@dataclass(frozen=True, slots=True)
class TokenView:
    """One token as the console shows it: never the token, its keyed fingerprint."""

    fingerprint: str
    snapshot: BudgetSnapshot
    minute: dict[str, int]  # this minute: ``<api>:points``, ``graphql:ms``


class TokenBudgets:
    """The budgets of every token, on one Redis (``for_token`` gives one token's)."""

    def __init__(self, client: redis.Redis, *, secret_key: str, allowance: Allowance) -> None:
        self._redis = client
        self._ns = key_prefix(client)
        self._key = hashlib.sha256(b"gitbrag token budget:" + secret_key.encode()).digest()
        self.allowance = allowance
        self._acquire = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)
        self._observe = client.register_script(_OBSERVE)
        self._pause = client.register_script(_PAUSE)

    @property
    def index_key(self) -> str:
        return self._ns + INDEX

    def fingerprints(self, limit: int = 20) -> list[str]:
        """The tokens GitHub reported a budget for lately, by fingerprint, newest first."""
        raw = cast(list[bytes], self._redis.zrevrange(self.index_key, 0, limit - 1))
        return [item.decode() for item in raw]

    def by_fingerprints(self, fingerprints: list[str], now: float) -> list[TokenView]:
        """What the console shows of each token (one pipelined round trip)."""
        pipe = self._redis.pipeline(transaction=False)
        for fingerprint in fingerprints:
            base = self._ns + PREFIX + fingerprint
            pipe.hgetall(base + ":state")
            pipe.zcount(base + ":in-flight", _ms(now), "+inf")
            pipe.hgetall(f"{base}:minute:{minute_of(now)}")
        raw = pipe.execute()
        views = []
        for index, fingerprint in enumerate(fingerprints):
            state, in_flight, minute = raw[3 * index : 3 * index + 3]
            fields = {name.decode(): value.decode() for name, value in state.items()}
            resources = {
                name.removesuffix(":remaining"): (
                    int(value),
                    float(fields.get(name.removesuffix(":remaining") + ":reset", "0")) / 1000,
                )
                for name, value in fields.items()
                if name.endswith(":remaining")
            }
            paused = fields.get("paused_until")
            views.append(
                TokenView(
                    fingerprint,
                    BudgetSnapshot(
                        resources, float(paused) / 1000 if paused else None, int(in_flight)
                    ),
                    {name.decode(): int(value) for name, value in minute.items()},
                )
            )
        return views

    def fingerprint(self, token: str) -> str:
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()[:32]

    def for_token(self, token: str) -> RedisTokenBudget:
        return RedisTokenBudget(self, self._ns + PREFIX + self.fingerprint(token))

    def blocked_until(self, token: str, now: float) -> float | None:
        """See :meth:`BudgetSnapshot.blocked_until`."""
        return self.snapshot(token, now).blocked_until(now)

    def snapshot(self, token: str, now: float) -> BudgetSnapshot:
        base = self._ns + PREFIX + self.fingerprint(token)
        pipe = self._redis.pipeline(transaction=False)
        pipe.hgetall(base + ":state")
        pipe.zcount(base + ":in-flight", _ms(now), "+inf")
        raw, in_flight = cast(tuple[dict[bytes, bytes], int], tuple(pipe.execute()))
        fields = {name.decode(): value.decode() for name, value in raw.items()}
        resources = {}
        for name, value in fields.items():
            if name.endswith(":remaining"):
                resource = name.removesuffix(":remaining")
                reset = float(fields.get(f"{resource}:reset", "0")) / 1000
                resources[resource] = (int(value), reset)
        paused = fields.get("paused_until")
        return BudgetSnapshot(resources, float(paused) / 1000 if paused else None, int(in_flight))


class RedisTokenBudget:
    """One token's :class:`~gitbrag.github.budget.TokenBudget` (calls run in a thread, so a
    slow Redis never stalls the worker's event loop)."""

    def __init__(self, budgets: TokenBudgets, base: str) -> None:
        self._budgets = budgets
        self._base = base
        self._random = random.Random()

    def _acquire_once(self, api: Api, now: float, holder: str) -> tuple[int, int]:
        allowance = self._budgets.allowance
        result = self._budgets._acquire(
            keys=[
                self._base + ":in-flight",
                self._base + ":state",
                f"{self._base}:minute:{minute_of(now)}",
            ],
            args=[
                _ms(now),
                holder,
                _ms(allowance.holder_ttl),
                allowance.max_in_flight,
                api,
                RESOURCE_OF[api],
                allowance.points_per_minute(api),
                _ms(allowance.graphql_seconds_per_minute),
                _ms(next_minute(now)),
            ],
        )
        status, value = cast(list[int], result)
        return int(status), int(value)

    async def acquire(self, api: Api, now: float) -> Admission:
        holder = f"{self._random.getrandbits(64):016x}"
        started = asyncio.get_running_loop().time()
        while True:
            elapsed = asyncio.get_running_loop().time() - started
            status, value = await asyncio.to_thread(self._acquire_once, api, now + elapsed, holder)
            if status == 1:
                return Admission(holder=holder)
            if status == 2:
                return Admission(wait=value / 1000)
            if status == 3:
                return Admission(exhausted_until=value / 1000)
            await asyncio.sleep(self._random.uniform(*SLOT_POLL_SECONDS))

    async def release(self, holder: str, api: Api, seconds: float, now: float) -> None:
        keys = [self._base + ":in-flight", f"{self._base}:minute:{minute_of(now)}"]
        await asyncio.to_thread(self._budgets._release, keys=keys, args=[holder, api, _ms(seconds)])

    async def observe(self, seen: Seen) -> None:
        args: list[str | int] = [
            seen.resource,
            seen.remaining,
            _ms(seen.reset_at),
            STATE_TTL_MS,
            self._base.rsplit(":", 1)[-1],
        ]
        keys = [self._base + ":state", self._budgets.index_key]
        await asyncio.to_thread(self._budgets._observe, keys=keys, args=args)

    async def pause(self, until: float) -> None:
        args = [_ms(until), STATE_TTL_MS]
        await asyncio.to_thread(self._budgets._pause, keys=[self._base + ":state"], args=args)
