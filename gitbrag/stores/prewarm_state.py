"""Pre-warming as the operations console sees and steers it (issue 22):

* ``gitbrag:prewarm-control``: a hash, ``paused`` (``1`` while an admin paused pre-warming),
  ``by`` and ``at`` (who paused or resumed it, when). The scheduler's tick reads it first.
* ``gitbrag:prewarm-last``: the last tick's choices as JSON: when, the budget it had, the
  report keys it sent and those it skipped, each with why (``fresh``, ``running``,
  ``unknown_user``, ``capacity``: past what the token keeps fresh, ``budget``, ``queue_full``,
  ``paused``, ``no_server_token``), at most
  ``MAX_LISTED`` each.

Two keys of bounded size; writes are plain ``HSET``/``SET`` (pause and resume are idempotent).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, cast

import redis

from gitbrag.stores.connection import key_prefix

CONTROL: Final = "prewarm-control"
LAST: Final = "prewarm-last"
MAX_LISTED: Final = 50


@dataclass(frozen=True, slots=True)
class PrewarmControl:
    paused: bool
    by: str | None
    at: datetime | None


@dataclass
class PrewarmRun:
    at: datetime
    budget: int | None = None
    sent: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (report key, why)
    skipped_total: int = 0

    def skip(self, report_key: str, why: str) -> None:
        self.skipped_total += 1
        if len(self.skipped) < MAX_LISTED:
            self.skipped.append((report_key, why))


class PrewarmState:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._control = key_prefix(client) + CONTROL
        self._last = key_prefix(client) + LAST

    def set_paused(self, paused: bool, by: str) -> bool:
        """Pause or resume; returns whether this call changed the state."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.hget(self._control, "paused")
        pipe.hset(
            self._control,
            mapping={
                "paused": "1" if paused else "0",
                "by": by,
                "at": datetime.now(UTC).isoformat(),
            },
        )
        before = cast(list[object], pipe.execute())[0]
        return (before == b"1") != paused

    def control(self) -> PrewarmControl:
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self._control))
        at = raw.get(b"at")
        return PrewarmControl(
            paused=raw.get(b"paused") == b"1",
            by=raw[b"by"].decode() if b"by" in raw else None,
            at=datetime.fromisoformat(at.decode()) if at else None,
        )

    def paused(self) -> bool:
        return self._redis.hget(self._control, "paused") == b"1"

    def record(self, run: PrewarmRun) -> None:
        data = {
            "at": run.at.isoformat(),
            "budget": run.budget,
            "sent": run.sent[:MAX_LISTED],
            "sent_total": len(run.sent),
            "skipped": run.skipped,
            "skipped_total": run.skipped_total,
        }
        self._redis.set(self._last, json.dumps(data, separators=(",", ":")))

    def last(self) -> PrewarmRun | None:
        raw = cast(bytes | None, self._redis.get(self._last))
        if raw is None:
            return None
        data = json.loads(raw)
        return PrewarmRun(
            at=datetime.fromisoformat(data["at"]),
            budget=data.get("budget"),
            sent=list(data.get("sent", [])),
            skipped=[(key, why) for key, why in data.get("skipped", [])],
            skipped_total=int(data.get("skipped_total", 0)),
        )
