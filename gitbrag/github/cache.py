"""Caching of data GitHub will not change under us (an account's social accounts, repository
metadata, the files of finished pull requests, stargazer timelines).

The collector only needs :class:`ImmutableCache`; ``gitbrag.stores.cache`` implements it on
Redis, :class:`MemoryCache` implements it in-process for the CLI and tests. Values are
JSON-able (dicts, lists, strings, numbers) so every implementation can serialise them.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any, Final, Protocol

# Namespaces and how long their entries live (seconds). Social accounts are keyed by the
# account's immutable id, never by login (a login can change hands).
SOCIAL_ACCOUNTS: Final = "social_accounts"
REPOSITORY: Final = "repository"
PR_FILES: Final = "pr_files"
STARGAZERS: Final = "stargazers"
SEARCHABLE: Final = "searchable"  # an account with no activity that REST search answers

SOCIAL_ACCOUNTS_TTL: Final = 3600
REPOSITORY_TTL: Final = 6 * 3600
PR_FILES_TTL: Final = 30 * 86_400
STARGAZERS_TTL: Final = 30 * 86_400
# GitHub's search allows 30 requests a minute per token: an empty account regenerated often
# must not spend one each time. An account that hides its activity later is seen within this.
SEARCHABLE_TTL: Final = 3600


class ImmutableCache(Protocol):
    """A namespaced key/value store with per-entry expiry. Misses return ``None``."""

    async def get(self, namespace: str, key: str) -> Any | None: ...

    async def get_many(self, namespace: str, keys: list[str]) -> dict[str, Any]:
        """The entries found for ``keys`` (misses are left out), in one round trip."""
        ...

    async def set(self, namespace: str, key: str, value: Any, ttl_seconds: int) -> None: ...


class MemoryCache:
    """A dict-based :class:`ImmutableCache`. Values are deep-copied in and out, like a real
    store would serialise them, so callers can never mutate what is cached."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[tuple[str, str], tuple[float, Any]] = {}

    async def get(self, namespace: str, key: str) -> Any | None:
        entry = self._entries.get((namespace, key))
        if entry is None:
            return None
        expires_at, value = entry
        if expires_at <= self._clock():
            del self._entries[(namespace, key)]
            return None
        return copy.deepcopy(value)

    async def get_many(self, namespace: str, keys: list[str]) -> dict[str, Any]:
        found = {key: await self.get(namespace, key) for key in keys}
        return {key: value for key, value in found.items() if value is not None}

    async def set(self, namespace: str, key: str, value: Any, ttl_seconds: int) -> None:
        self._entries[(namespace, key)] = (self._clock() + ttl_seconds, copy.deepcopy(value))

    def __len__(self) -> int:
        return len(self._entries)
