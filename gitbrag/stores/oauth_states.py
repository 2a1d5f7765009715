"""OAuth ``state`` values of logins in progress, in two keys whatever the traffic.

``GET /auth/login`` needs no account, so one key per login (the former ``oauth-state:<state>``)
let anyone create keys at request rate. Here every pending login lives in

    gitbrag:oauth-states     zset state → expiry (epoch s)
    gitbrag:oauth-return     hash state → the local path to return to

at most ``max_pending`` of them: expired ones are dropped on every new login, and beyond the
cap the oldest pending login goes (its user clicks "Log in" again). A state is single-use
(taken and deleted atomically) and refused once expired.
"""

from __future__ import annotations

import secrets
import time
from typing import Final, cast

import redis

from gitbrag.stores.connection import key_prefix

STATES: Final = "oauth-states"
RETURNS: Final = "oauth-return"

# KEYS[1] states, [2] returns; ARGV[1] state, [2] return_to, [3] now, [4] expiry, [5] cap.
_ISSUE = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[3], 'LIMIT', 0, 1000)
if #expired > 0 then
  redis.call('ZREM', KEYS[1], unpack(expired))
  redis.call('HDEL', KEYS[2], unpack(expired))
end
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[5]) + 1
if excess > 0 then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, math.min(excess, 1000) - 1)
  redis.call('ZREM', KEYS[1], unpack(oldest))
  redis.call('HDEL', KEYS[2], unpack(oldest))
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local ttl = math.ceil(tonumber(ARGV[4]) - tonumber(ARGV[3]))
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
return 1
"""

# KEYS[1] states, [2] returns; ARGV[1] state, [2] now. The return_to of a live state, once.
_CONSUME = """
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expiry then return false end
local return_to = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if tonumber(expiry) <= tonumber(ARGV[2]) then return false end
return return_to
"""


class OAuthStates:
    def __init__(self, client: redis.Redis, *, ttl: int = 600, max_pending: int = 10_000) -> None:
        self.ttl = ttl
        self.max_pending = max_pending
        self._keys = [key_prefix(client) + STATES, key_prefix(client) + RETURNS]
        self._issue = client.register_script(_ISSUE)
        self._consume = client.register_script(_CONSUME)

    def issue(self, return_to: str, *, now: float | None = None) -> str:
        """A fresh state remembering where to go after login."""
        now = time.time() if now is None else now
        state = secrets.token_urlsafe(32)
        self._issue(keys=self._keys, args=[state, return_to, now, now + self.ttl, self.max_pending])
        return state

    def consume(self, state: str, *, now: float | None = None) -> str | None:
        """The ``return_to`` of a valid, unexpired state, deleting it; ``None`` otherwise."""
        if not state or len(state) > 128:
            return None
        now = time.time() if now is None else now
        raw = cast(bytes | None, self._consume(keys=self._keys, args=[state, now]))
        return raw.decode() if raw else None
