"""What keeps bad bearer tokens from costing GitHub calls: tokens GitHub rejected lately, and
how many new tokens each client had checked, and had rejected, this minute.

Both are bounded whatever the requests carry:

    gitbrag:bearer-rejected           zset sha256(token) → expiry (epoch s); at most
                                      ``max_rejected`` members, the soonest to expire go first
    gitbrag:limits:validate:<minute>  hash: client name → checks that minute, and
                                      client name + ":rejected" → tokens GitHub rejected;
                                      two minutes alive at most (each expires after 120 s)

A flood of made-up tokens therefore reaches GitHub at most ``per_minute`` times per client
per minute, and never twice for the same token within ``rejected_ttl`` seconds. Valid tokens
are not what the limit is for: an office behind one NAT or a pool of CI runners may have up
to ``checks_per_minute`` new tokens checked a minute, as long as GitHub accepts them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import redis

from gitbrag.stores.connection import key_prefix

REJECTED: Final = "bearer-rejected"
VALIDATIONS_PREFIX: Final = "limits:validate:"
REJECTED_SUFFIX: Final = ":rejected"

# KEYS[1] rejected zset; ARGV[1] digest, ARGV[2] expiry, ARGV[3] now, ARGV[4] cap.
_REJECT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[4])
if excess > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, excess - 1) end
redis.call('EXPIREAT', KEYS[1], math.ceil(tonumber(ARGV[2])))
return 1
"""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ValidationDecision:
    allowed: bool
    retry_after_seconds: int


class BearerChecks:
    def __init__(
        self,
        client: redis.Redis,
        *,
        rejected_ttl: int,
        per_minute: int,
        checks_per_minute: int | None = None,
        max_rejected: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = client
        self._ns = key_prefix(client)
        self.clock = clock
        self.rejected_ttl = rejected_ttl
        self.per_minute = per_minute  # rejected tokens per client
        self.checks_per_minute = checks_per_minute or 30 * per_minute  # all new tokens
        self.max_rejected = max_rejected
        self._reject = client.register_script(_REJECT)

    def rejected(self, token: str, *, now: float | None = None) -> bool:
        """GitHub said 401 for ``token`` less than ``rejected_ttl`` seconds ago."""
        now = self.clock() if now is None else now
        expiry = self._redis.zscore(self._ns + REJECTED, _digest(token))
        return expiry is not None and expiry > now

    def remember_rejected(self, token: str, *, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        self._reject(
            keys=[self._ns + REJECTED],
            args=[_digest(token), now + self.rejected_ttl, now, self.max_rejected],
        )

    def take_validation(self, client: str, *, now: float | None = None) -> ValidationDecision:
        """Count one GitHub check of a new token for ``client`` (a bounded name: a keyed
        digest of its address) in the current minute: refused once ``per_minute`` of its
        tokens were rejected this minute, or beyond ``checks_per_minute`` checks in all."""
        now = self.clock() if now is None else now
        minute = int(now // 60)
        key = f"{self._ns}{VALIDATIONS_PREFIX}{minute}"
        pipe = self._redis.pipeline()
        pipe.hincrby(key, client, 1)
        pipe.hget(key, client + REJECTED_SUFFIX)
        pipe.expire(key, 120)
        used, rejected, _ = pipe.execute()
        retry_after = max(1, int((minute + 1) * 60 - now))
        allowed = int(used) <= self.checks_per_minute and int(rejected or 0) < self.per_minute
        return ValidationDecision(allowed, retry_after)

    def count_rejection(self, client: str, *, now: float | None = None) -> None:
        """GitHub rejected a token ``client`` sent (``take_validation`` counts it)."""
        now = self.clock() if now is None else now
        key = f"{self._ns}{VALIDATIONS_PREFIX}{int(now // 60)}"
        pipe = self._redis.pipeline()
        pipe.hincrby(key, client + REJECTED_SUFFIX, 1)
        pipe.expire(key, 120)
        pipe.execute()
