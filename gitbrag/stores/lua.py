"""Lua scripts on the async client, run by their digest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError


class LuaScript:
    """A Lua script run by its digest: loaded once, and again after Redis lost it (restart).

    (redis-py's ``Script`` in a pipeline asks ``SCRIPT EXISTS`` on every execution: one more
    round trip per view.)"""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha: str | None = None

    async def __call__(
        self, client: aioredis.Redis, keys: Sequence[str], args: Sequence[str | bytes]
    ) -> Any:
        for attempt in (1, 2):
            if self.sha is None:
                self.sha = await client.script_load(self.source)
            try:
                return await client.evalsha(self.sha, len(keys), *keys, *args)
            except NoScriptError:
                self.sha = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")
