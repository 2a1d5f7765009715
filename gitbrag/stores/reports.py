"""Finished reports: one Redis hash per report key, holding the report's JSON as generated and
what the web renders from it.

``gitbrag:report:v2:<report key>`` fields:

    version        content digest of ``json`` (names this stored version: ETags, render cache)
    generated_at   ISO 8601
    complete       "1" / "0"
    json           the report, as ``Report.model_dump_json()`` wrote it (served untouched)
    writes         how many times a report was stored under this key (kept across versions):
                   one per finished generation, so a duplicate generation shows
    art:<curation>:<bundle>:<name>   rendered artifacts of this version under the author's
                                     curation version (``web.serving``), written later
    bundle:<curation>:<bundle>       "1" once every artifact of that bundle is there

A report and its metadata are one value, so a reader never sees a report without its metadata
or a rendering of another version: a new version replaces the whole hash (old renderings go with
it), and an artifact is only written while its version is still the stored one. The write is one
Lua script, so "an incomplete result never replaces a complete one" holds under any concurrency.
Unknown users are remembered briefly (negative cache).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, cast

import redis

from gitbrag.models import Report
from gitbrag.periods import ReportKey

REPORT_PREFIX: Final = "gitbrag:report:v2:"
UNKNOWN_PREFIX: Final = "gitbrag:unknown-user:"
ARTIFACT_FIELD: Final = "art:"  # + curation version + ":" + bundle + ":" + name
BUNDLE_FIELD: Final = "bundle:"  # + curation version + ":" + bundle


def curation_of(rendered_version: str) -> str:
    """The curation part of a rendered version (``"<report version>.<curation version>"``)."""
    return rendered_version.rpartition(".")[2]


def artifact_field(rendered_version: str, name: str) -> str:
    """The hash field of rendering ``name`` of a rendered version."""
    return f"{ARTIFACT_FIELD}{curation_of(rendered_version)}:{name}"


def bundle_field(rendered_version: str, bundle: str) -> str:
    return f"{BUNDLE_FIELD}{curation_of(rendered_version)}:{bundle}"


# KEYS[1] report hash; ARGV[1] complete ("1"/"0"), ARGV[2] ttl seconds, ARGV[3..] fields.
# Refuses to replace a complete report with an incomplete one; returns 1 when written.
_PUT = """
if ARGV[1] == '0' and redis.call('HGET', KEYS[1], 'complete') == '1' then
  return 0
end
local writes = tonumber(redis.call('HGET', KEYS[1], 'writes') or '0') + 1
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'writes', writes, unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""

# KEYS[1] report hash, KEYS[2] the user's curation hash; ARGV[1] the rendered version
# ("<report version>.<curation version>"), ARGV[2] the bundle marker the fields belong to (''
# for none), ARGV[3] how many bundles a version may keep, ARGV[4..] fields. Writes only while
# ARGV[1] is still what a view would read (a rendering of an older report or of earlier
# choices never lands beside the current ones), drops the renderings of other curation
# states, and keeps a bounded number of bundles (one per site address: request data must not
# grow Redis). Used by the web's async store (``gitbrag.stores.serving``).
PUT_ARTIFACTS_SCRIPT: Final = """
local stored = redis.call('HGET', KEYS[1], 'version')
if not stored then
  return 0
end
local curation = redis.call('HGET', KEYS[2], 'version') or '0'
if stored .. '.' .. curation ~= ARGV[1] then
  return 0
end
local art, marker = 'art:' .. curation .. ':', 'bundle:' .. curation .. ':'
local stale, bundles = {}, 0
for _, name in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(name, 1, 4) == 'art:' and string.sub(name, 1, #art) ~= art then
    stale[#stale + 1] = name
  elseif string.sub(name, 1, 7) == 'bundle:' then
    if string.sub(name, 1, #marker) ~= marker then
      stale[#stale + 1] = name
    else
      bundles = bundles + 1
    end
  end
end
for i = 1, #stale, 1000 do
  redis.call('HDEL', KEYS[1], unpack(stale, i, math.min(i + 999, #stale)))
end
local new_bundle = ARGV[2] ~= '' and redis.call('HEXISTS', KEYS[1], ARGV[2]) == 0
if new_bundle and bundles >= tonumber(ARGV[3]) then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
return 1
"""
MAX_BUNDLES: Final = 4


def report_version(report_json: bytes) -> str:
    """The name of one stored version: a digest of its JSON (which includes ``generated_at``)."""
    return hashlib.sha256(report_json).hexdigest()[:20]


@dataclass(frozen=True)
class StoredReport:
    """A cached report and when it was generated."""

    report: Report
    generated_at: datetime
    complete: bool
    version: str = ""

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

    @property
    def retention_seconds(self) -> int:
        return self._retention

    def put(self, key: ReportKey, report: Report) -> bool:
        """Store ``report`` for ``key``; False when a complete report was kept instead."""
        body = report.model_dump_json().encode()
        fields: list[str | bytes] = [
            "version",
            report_version(body),
            "generated_at",
            report.generated_at.isoformat(),
            "complete",
            "1" if report.complete else "0",
            "json",
            body,
        ]
        written = self._put(
            keys=[self.redis_key(key)],
            args=["1" if report.complete else "0", self._retention, *fields],
        )
        return bool(written)

    def get(self, key: ReportKey) -> StoredReport | None:
        raw = cast(
            list[bytes | None],
            self._redis.hmget(self.redis_key(key), ["version", "generated_at", "complete", "json"]),
        )
        version, generated_at, complete, body = raw
        if version is None or generated_at is None or body is None:
            return None
        return StoredReport(
            report=Report.model_validate_json(body),
            generated_at=datetime.fromisoformat(generated_at.decode()),
            complete=complete == b"1",
            version=version.decode(),
        )

    def writes(self, key: ReportKey | str) -> int:
        """How many times a report was stored under ``key`` (0: never, or it expired)."""
        raw = cast(bytes | None, self._redis.hget(self.redis_key(key), "writes"))
        return int(raw) if raw else 0

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
