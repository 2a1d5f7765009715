"""Finished reports: versioned JSON envelopes, one Redis key per report key.

A report and its metadata live in one value, so a reader never sees a report without its
metadata; the write is one Lua script, so "an incomplete result never replaces a complete
one" holds under any concurrency. Unknown users are remembered briefly (negative cache).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, cast

import redis

from gitbrag.models import Report
from gitbrag.periods import ReportKey

ENVELOPE_VERSION: Final = 1
REPORT_PREFIX: Final = "gitbrag:report:"
UNKNOWN_PREFIX: Final = "gitbrag:unknown-user:"

# KEYS[1] report key; ARGV[1] envelope, ARGV[2] complete ("1"/"0"), ARGV[3] ttl seconds.
# Refuses to replace a complete report with an incomplete one; returns 1 when written.
_PUT = """
local current = redis.call('GET', KEYS[1])
if ARGV[2] == '0' and current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and decoded['complete'] then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[3]))
return 1
"""


@dataclass(frozen=True)
class StoredReport:
    """A cached report and when it was generated."""

    report: Report
    generated_at: datetime
    complete: bool

    def age_seconds(self, now: datetime | None = None) -> float:
        now = now or datetime.now(UTC)
        return max(0.0, (now - self.generated_at).total_seconds())


class ReportStore:
    def __init__(self, client: redis.Redis, *, retention_seconds: int, not_found_ttl: int) -> None:
        self._redis = client
        self._retention = retention_seconds
        self._not_found_ttl = not_found_ttl
        self._put = client.register_script(_PUT)

    @staticmethod
    def redis_key(key: ReportKey | str) -> str:
        return REPORT_PREFIX + str(key)

    def put(self, key: ReportKey, report: Report) -> bool:
        """Store ``report`` for ``key``; False when a complete report was kept instead."""
        envelope = {
            "version": ENVELOPE_VERSION,
            "generated_at": report.generated_at.isoformat(),
            "complete": report.complete,
            "report": report.model_dump(mode="json"),
        }
        written = self._put(
            keys=[self.redis_key(key)],
            args=[json.dumps(envelope), "1" if report.complete else "0", self._retention],
        )
        return bool(written)

    def get(self, key: ReportKey) -> StoredReport | None:
        raw = cast(bytes | None, self._redis.get(self.redis_key(key)))
        if raw is None:
            return None
        envelope = json.loads(raw)
        if envelope.get("version") != ENVELOPE_VERSION:
            return None  # an older layout: treat as missing, it will be regenerated
        return StoredReport(
            report=Report.model_validate(envelope["report"]),
            generated_at=datetime.fromisoformat(envelope["generated_at"]),
            complete=bool(envelope["complete"]),
        )

    def delete(self, key: ReportKey | str) -> None:
        self._redis.delete(self.redis_key(key))

    def exists(self, key: ReportKey | str) -> bool:
        return bool(self._redis.exists(self.redis_key(key)))

    def touch(self, key: ReportKey | str) -> None:
        """Push back expiry of a report somebody looked at."""
        self._redis.expire(self.redis_key(key), self._retention)

    def mark_unknown_user(self, username: str, reason: str = "no_user") -> None:
        """GitHub has no report for ``username``: ``reason`` is ``no_user`` or
        ``organization`` (the login is an organisation's). Remembered briefly."""
        self._redis.set(UNKNOWN_PREFIX + username.lower(), reason, ex=self._not_found_ttl)

    def is_unknown_user(self, username: str) -> bool:
        return bool(self._redis.exists(UNKNOWN_PREFIX + username.lower()))

    def unknown_user_reason(self, username: str) -> str | None:
        """Why ``username`` has no report (``no_user``/``organization``), if recently seen."""
        raw = cast(bytes | None, self._redis.get(UNKNOWN_PREFIX + username.lower()))
        if raw is None:
            return None
        return "no_user" if raw == b"1" else raw.decode()
