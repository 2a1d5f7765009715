"""Keeping the per-reported-user concurrency slots of running jobs alive, and knowing who
holds them.

The slots themselves are Dramatiq's ``ConcurrentRateLimiter`` counters (on its Redis
backend), keyed by the limiter's key prefix + the reported username. They expire after a
short TTL so a SIGKILLed worker frees its slot; while a holder runs, the limiter middleware
(:mod:`actors.limiter`) pushes that expiry forward here, all keys in one round trip.

The middleware also names each slot's holder in one hash, ``gitbrag:limiter-holders``
(slot key → ``{"job", "worker", "since"}``), so the operations console lists held slots
without scanning the keyspace, and an admin can release a slot whose holder is gone
(:meth:`LimiterSlots.release_stuck`). The hash holds at most one entry per held slot; an
entry whose slot expired is dropped when read.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, cast

import redis

from gitbrag.stores.connection import key_prefix, register_script

HOLDERS: Final = "limiter-holders"
MAX_LISTED: Final = 500

# KEYS[1] the slot, KEYS[2] the holders hash; ARGV[1] the holder entry the admin saw. Drops
# the slot only while that same holder is named (a new holder's slot is never taken away).
_RELEASE_STUCK = """
local holder = redis.call('HGET', KEYS[2], KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[2], KEYS[1])
return redis.call('DEL', KEYS[1]) + 1
"""


@dataclass(frozen=True, slots=True)
class HeldSlot:
    key: str
    login: str
    job_id: str
    worker: str
    since: datetime
    expires_in: float | None  # seconds; None: the slot is gone
    raw: str  # the holder entry, as stored (a release names it)


class LimiterSlots:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._holders = key_prefix(client) + HOLDERS
        self._release_stuck = register_script(client, _RELEASE_STUCK)

    def renew(self, keys: Iterable[str], ttl_ms: int) -> None:
        """Set the expiry of every slot key in ``keys`` to ``ttl_ms`` from now."""
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.pexpire(key, ttl_ms)
        pipe.execute()

    def held(self, key: str, job_id: str) -> None:
        """``job_id`` (in this process) took slot ``key``."""
        entry = {
            "job": job_id,
            "worker": f"{socket.gethostname()}:{os.getpid()}",
            "since": datetime.now(UTC).isoformat(),
        }
        self._redis.hset(self._holders, key, json.dumps(entry, separators=(",", ":")))

    def released(self, key: str, job_id: str) -> None:
        """``job_id`` gave slot ``key`` back (only its own entry is dropped)."""
        raw = cast(bytes | None, self._redis.hget(self._holders, key))
        if raw is not None and json.loads(raw).get("job") == job_id:
            self._redis.hdel(self._holders, key)

    def holders(self, prefix: str) -> list[HeldSlot]:
        """The held slots (``prefix``: the limiter's key prefix), with their expiry; entries
        whose slot expired are dropped."""
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self._holders))
        items = sorted(raw.items())[:MAX_LISTED]
        pipe = self._redis.pipeline(transaction=False)
        for key, _ in items:
            pipe.pttl(key)
        ttls = cast(list[int], pipe.execute()) if items else []
        slots, gone = [], []
        for (key, value), ttl in zip(items, ttls, strict=True):
            if ttl == -2:
                gone.append(key)
                continue
            entry = json.loads(value)
            slots.append(
                HeldSlot(
                    key=key.decode(),
                    login=key.decode().removeprefix(prefix),
                    job_id=str(entry.get("job", "")),
                    worker=str(entry.get("worker", "")),
                    since=datetime.fromisoformat(entry["since"]),
                    expires_in=ttl / 1000 if ttl >= 0 else None,
                    raw=value.decode(),
                )
            )
        if gone:
            self._redis.hdel(self._holders, *gone)
        return slots

    def release_stuck(self, key: str, holder: str | None) -> bool:
        """Drop slot ``key`` if ``holder`` (the entry the admin saw; ``None``: no entry)
        still holds it. False when another holder took it since (idempotent)."""
        return bool(self._release_stuck(keys=[key, self._holders], args=[holder or ""]))
