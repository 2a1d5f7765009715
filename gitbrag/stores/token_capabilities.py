"""What the server's GitHub token can read (``gitbrag.github.capabilities``), probed by one
process a day and shown by every web process's ``/readyz``.

Keys (the token is named by its budget fingerprint, never by itself):

    gitbrag:token-capabilities:{fingerprint}           JSON: login, lacking, unchecked, at
    gitbrag:token-capabilities:{fingerprint}:probing   one process probes (``claim``), 120 s
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Final, cast

import redis

from gitbrag.stores.connection import key_prefix

PREFIX: Final = "token-capabilities:"
PROBE_SECONDS: Final = 120  # a probe that takes longer is taken over by another process


class TokenCapabilityStore:
    def __init__(
        self, client: redis.Redis, fingerprint: Callable[[str], str], *, ttl_seconds: int = 86_400
    ) -> None:
        self._redis = client
        self._ns = key_prefix(client)
        self._fingerprint = fingerprint
        self.ttl_seconds = ttl_seconds

    def _key(self, token: str) -> str:
        return self._ns + PREFIX + self._fingerprint(token)

    def get(self, token: str) -> dict[str, Any] | None:
        """The last probe's findings (``login``, ``lacking``: capability -> GitHub's message,
        ``unchecked``, ``checked_at``), or ``None`` when none is kept."""
        raw = cast(bytes | None, self._redis.get(self._key(token)))
        if raw is None:
            return None
        try:
            found = json.loads(raw)
        except ValueError:
            return None
        return found if isinstance(found, dict) else None

    def claim(self, token: str) -> bool:
        """True for the one process that should probe now (none kept, nobody probing)."""
        if self._redis.exists(self._key(token)):
            return False
        return bool(self._redis.set(self._key(token) + ":probing", "1", nx=True, ex=PROBE_SECONDS))

    def put(
        self, token: str, *, login: str | None, lacking: dict[str, str], unchecked: list[str]
    ) -> dict[str, Any]:
        found = {
            "login": login,
            "lacking": lacking,
            "unchecked": unchecked,
            "checked_at": int(time.time()),
        }
        pipe = self._redis.pipeline()
        pipe.set(self._key(token), json.dumps(found), ex=self.ttl_seconds)
        pipe.delete(self._key(token) + ":probing")
        pipe.execute()
        return found

    def release(self, token: str) -> None:
        """The probe failed (GitHub away): let a later start try again."""
        self._redis.delete(self._key(token) + ":probing")
