"""The console's audit log: who did what, when, with what outcome (issue 22).

One Redis list, ``gitbrag:admin-audit``, newest first, trimmed to ``AUDIT_CAP`` entries in the
same round trip as each write (bounded memory). Entries are JSON objects of plain text: the
admin's login, the action, its target (a job id, a login, a count) and the outcome; never a
token or a credential.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, cast

import redis

from gitbrag.stores.connection import key_prefix

AUDIT: Final = "admin-audit"
AUDIT_CAP: Final = 1000


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    admin: str
    action: str
    target: str
    outcome: str


class AuditLog:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._key = key_prefix(client) + AUDIT

    def record(self, admin: str, action: str, target: str, outcome: str) -> AuditEntry:
        entry = AuditEntry(datetime.now(UTC), admin, action, target[:200], outcome[:300])
        data = {
            "at": entry.at.isoformat(),
            "admin": admin,
            "action": action,
            "target": entry.target,
            "outcome": entry.outcome,
        }
        pipe = self._redis.pipeline(transaction=False)
        pipe.lpush(self._key, json.dumps(data, separators=(",", ":")))
        pipe.ltrim(self._key, 0, AUDIT_CAP - 1)
        pipe.execute()
        return entry

    def recent(self, count: int = 50) -> list[AuditEntry]:
        raw = cast(list[bytes], self._redis.lrange(self._key, 0, count - 1))
        entries = []
        for item in raw:
            data = json.loads(item)
            entries.append(
                AuditEntry(
                    datetime.fromisoformat(data["at"]),
                    data["admin"],
                    data["action"],
                    data["target"],
                    data["outcome"],
                )
            )
        return entries
