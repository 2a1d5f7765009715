"""Finished reports: one Redis hash per report key, holding the report's JSON as generated and
what the web renders from it.

``gitbrag:report:v2:<report key>`` fields (``gitbrag:``: the namespace, as in every key below):

    version        content digest of ``json`` (names this stored version: ETags, render cache)
    generated_at   ISO 8601
    complete       "1" / "0"
    json           the report, as ``Report.model_dump_json()`` wrote it (served untouched)
    writes         how many times a report was stored under this key (kept across versions):
                   one per finished generation, so a duplicate generation shows
    account        GitHub's account id of the report's user (absent in reports made before
                   it was recorded: those are served as before until regenerated)
    art:<curation>:<bundle>:<name>   rendered artifacts of this version under the author's
                                     curation version (``web.serving``), written later
    bundle:<curation>:<bundle>       "1" once every artifact of that bundle is there

A report and its metadata are one value, so a reader never sees a report without its metadata
or a rendering of another version: a new version replaces the whole hash (old renderings go with
it), and an artifact is only written while its version is still the stored one. The write is one
Lua script, so "an incomplete result never replaces a complete one" holds under any concurrency.
Unknown users are remembered briefly (negative cache).

A login names an account only for now (renamed accounts release theirs, and anyone may claim
it): ``gitbrag.stores.accounts`` keeps which account holds each login, and a report whose
``account`` is not the holder's is never served (``get`` and the web's read treat it as
missing). To drop a former holder's reports without scanning the keyspace, each login keeps
an index of its report keys:

    gitbrag:login-reports:<login lower>   set of report keys (expires with the reports)

Every script that records a holder (a stored generation here, a login or a token check in
``gitbrag.stores.accounts``) shares :data:`HOLDER_LUA`: a newer observation replaces an
older one, a change of hands drops the former account's reports of that login (every
period), the first observation of a login adopts its login-keyed curation from before
account ids (``gitbrag.stores.curation``), and a "no such user" marker of the login ends (an
account holds it now: a released login was registered again).
"""

from __future__ import annotations

import enum
import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, cast

import redis

from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.report.periods import PERIODS, DateRange
from gitbrag.stores.connection import key_prefix, register_script
from gitbrag.stores.curation import ACCOUNT_CURATION_PREFIX, CURATION_PREFIX, HISTORY_SUFFIX

REPORT_PREFIX: Final = "report:v2:"
UNKNOWN_PREFIX: Final = "unknown-user:"
LOGIN_REPORTS_PREFIX: Final = "login-reports:"
HOLDER_PREFIX: Final = "login-account:"  # see gitbrag.stores.accounts
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


def holder_key(prefix: str, username: str) -> str:
    """The key naming the account that holds ``username`` now (``gitbrag.stores.accounts``);
    ``prefix``: the client's :func:`~gitbrag.stores.connection.key_prefix`."""
    return prefix + HOLDER_PREFIX + username.lower()


def login_reports_key(prefix: str, username: str) -> str:
    return prefix + LOGIN_REPORTS_PREFIX + username.lower()


# Lua functions shared by every script that records who holds a login (registered with
# ``register_script``, which defines ``NS``). ``login`` is lower
# case; ``account`` GitHub's account id (a decimal string); ``seen`` when GitHub said so
# (epoch seconds); ``ttl`` how long the answer is kept (pushed back by every observation).
HOLDER_LUA: Final = f"""
local function drop_former(login, account)
  local index = NS .. '{LOGIN_REPORTS_PREFIX}' .. login
  for _, member in ipairs(redis.call('SMEMBERS', index)) do
    local report = NS .. '{REPORT_PREFIX}' .. member
    local owner = redis.call('HGET', report, 'account')
    if owner and owner ~= account then
      redis.call('DEL', report)
      redis.call('SREM', index, member)
    elseif redis.call('EXISTS', report) == 0 then
      redis.call('SREM', index, member)
    end
  end
end
local function adopt_curation(login, account)
  local legacy = NS .. '{CURATION_PREFIX}' .. login
  local owned = NS .. '{ACCOUNT_CURATION_PREFIX}' .. account
  local history = '{HISTORY_SUFFIX}'
  if redis.call('EXISTS', owned, owned .. history) > 0 then return end
  if redis.call('EXISTS', legacy) == 1 then redis.call('RENAME', legacy, owned) end
  if redis.call('EXISTS', legacy .. history) == 1 then
    redis.call('RENAME', legacy .. history, owned .. history)
  end
end
local function saw(login, account, seen, ttl)
  local holder = NS .. '{HOLDER_PREFIX}' .. login
  local known = redis.call('HMGET', holder, 'id', 'seen')
  if known[1] and tonumber(known[2] or '0') > tonumber(seen) then return known[1] end
  redis.call('HSET', holder, 'id', account, 'seen', seen)
  redis.call('EXPIRE', holder, ttl)
  -- GitHub just said an account holds the login: "no such user" (a rename freed it, say) is
  -- over. An organisation's or a private profile's answer stays until it expires.
  local unknown = NS .. '{UNKNOWN_PREFIX}' .. login
  local marked = redis.call('GET', unknown)
  if marked == 'no_user' or marked == '1' then redis.call('DEL', unknown) end
  if known[1] ~= account then
    drop_former(login, account)
    if not known[1] then adopt_curation(login, account) end
  end
  return account
end
"""

# KEYS[1] report hash, KEYS[2] the login's index; ARGV[1] complete ("1"/"0"), ARGV[2] ttl
# seconds, ARGV[3] the login (lower case), ARGV[4] the report's account id ('' unknown),
# ARGV[5] when GitHub said the login is that account's, ARGV[6] the report key, ARGV[7..]
# fields. Returns 2 when another account was seen holding the login since (nothing
# written), 0 when a complete report was kept (an incomplete one never replaces it), 1 when
# written. A former holder's reports go first, so the new holder's report is stored
# whatever they left.
_PUT = (
    HOLDER_LUA
    + """
if ARGV[4] ~= '' and saw(ARGV[3], ARGV[4], ARGV[5], ARGV[2]) ~= ARGV[4] then
  return 2
end
if ARGV[1] == '0' and redis.call('HGET', KEYS[1], 'complete') == '1' then
  return 0
end
local writes = tonumber(redis.call('HGET', KEYS[1], 'writes') or '0') + 1
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'writes', writes, unpack(ARGV, 7))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
redis.call('SADD', KEYS[2], ARGV[6])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[2]))
return 1
"""
)

# KEYS: the login's index, then report hashes to drop whether indexed or not. Drops every
# report the index names, the given ones, and the index.
_DROP_LOGIN = """
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  redis.call('DEL', ARGV[1] .. member)
end
redis.call('DEL', unpack(KEYS))
"""

# KEYS[1] report hash, KEYS[2] the login's holder (``holder_key``), KEYS[3] the login's
# curation from before account ids; ARGV[1] the rendered version ("<report version>.<curation
# version>"), ARGV[2] the bundle marker the fields belong to ('' for none), ARGV[3] how many
# bundles a version may keep, ARGV[4..] fields. Writes only while ARGV[1] is still what a view
# would read (a rendering of an older report, of a former holder's or of earlier choices never
# lands beside the current ones), drops the renderings of other curation states, and keeps a
# bounded number of bundles (one per site address: request data must not grow Redis). Used by
# the web's async store (``gitbrag.stores.serving``), which reads the curation the same way:
# the report's account's, else the login holder's, else the login's own (before account ids).
PUT_ARTIFACTS_SCRIPT: Final = f"""
local meta = redis.call('HMGET', KEYS[1], 'version', 'account')
local stored = meta[1]
if not stored then
  return 0
end
local holder = redis.call('HGET', KEYS[2], 'id')
if meta[2] and holder and meta[2] ~= holder then
  return 0
end
local owner = meta[2] or holder
local curated = KEYS[3]
if owner then curated = NS .. '{ACCOUNT_CURATION_PREFIX}' .. owner end
local curation = redis.call('HGET', curated, 'version') or '0'
if stored .. '.' .. curation ~= ARGV[1] then
  return 0
end
local art, marker = 'art:' .. curation .. ':', 'bundle:' .. curation .. ':'
local stale, bundles = {{}}, 0
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


class PutOutcome(enum.Enum):
    """What :meth:`ReportStore.put` did; true only when the report was stored."""

    STORED = "stored"
    KEPT_COMPLETE = "kept_complete"  # an incomplete report never replaces a complete one
    OTHER_HOLDER = "other_holder"  # another account was seen holding the login since

    def __bool__(self) -> bool:
        return self is PutOutcome.STORED


_PUT_OUTCOMES: Final = {
    0: PutOutcome.KEPT_COMPLETE,
    1: PutOutcome.STORED,
    2: PutOutcome.OTHER_HOLDER,
}


def preset_keys(username: str) -> list[str]:
    """Every key a preset report of ``username`` can have (presets are keyed by name)."""
    return [
        str(ReportKey(username, DateRange.for_period(period), include_closed))
        for period in PERIODS
        for include_closed in (False, True)
    ]


class ReportStore:
    def __init__(self, client: redis.Redis, *, retention_seconds: int, not_found_ttl: int) -> None:
        self._redis = client
        self._retention = retention_seconds
        self._not_found_ttl = not_found_ttl
        self._ns = key_prefix(client)
        self._put = register_script(client, _PUT)
        self._drop_login = client.register_script(_DROP_LOGIN)

    def redis_key(self, key: ReportKey | str) -> str:
        return self._ns + REPORT_PREFIX + str(key)

    @property
    def retention_seconds(self) -> int:
        return self._retention

    def put(self, key: ReportKey, report: Report, *, seen_at: float | None = None) -> PutOutcome:
        """Store ``report`` for ``key``, unless a complete report is there and this one is
        incomplete, or another account was seen holding the login after ``seen_at`` (when
        GitHub said the login was the report's account; default now).

        A report with an account id (``report.user.id``) records that account as the login's
        holder (``gitbrag.stores.accounts``), dropping a former holder's reports of the login
        first: a regeneration that finds a different account replaces the previous one's
        reports of every period."""
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
        account = report.user.id
        if account is not None:
            fields += ["account", str(account)]
        written = self._put(
            keys=[self.redis_key(key), login_reports_key(self._ns, key.username)],
            args=[
                "1" if report.complete else "0",
                self._retention,
                key.username.lower(),
                "" if account is None else str(account),
                repr(time.time() if seen_at is None else seen_at),
                str(key),
                *fields,
            ],
        )
        return _PUT_OUTCOMES[int(cast(int, written))]

    def get(self, key: ReportKey) -> StoredReport | None:
        """The stored report, unless there is none or it is a former holder's of the login
        (made for an account that no longer holds it: as if missing)."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.hmget(self.redis_key(key), ["version", "generated_at", "complete", "json", "account"])
        pipe.hget(holder_key(self._ns, key.username), "id")
        raw, holder = cast(tuple[list[bytes | None], bytes | None], pipe.execute())
        version, generated_at, complete, body, account = raw
        if version is None or generated_at is None or body is None:
            return None
        if account is not None and holder is not None and account != holder:
            return None
        return StoredReport(
            report=Report.model_validate_json(body),
            generated_at=datetime.fromisoformat(generated_at.decode()),
            complete=complete == b"1",
            version=version.decode(),
        )

    def drop_login(self, username: str, *keys: ReportKey | str) -> None:
        """Drop every report of ``username``: the ones its index names, its preset reports
        (stored before the index, or not), and ``keys``. GitHub has no report for the login
        now (no such user, an organisation's, a private profile): nothing of it may be served
        again when the not-found marker expires."""
        names = {self.redis_key(name) for name in (*preset_keys(username), *keys)}
        self._drop_login(
            keys=[login_reports_key(self._ns, username), *sorted(names)],
            args=[self._ns + REPORT_PREFIX],
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
        """GitHub has no report for ``username``: ``reason`` is ``no_user``,
        ``organization`` (the login is an organisation's) or ``private_profile`` (its owner
        hid their activity). Remembered briefly."""
        self._redis.set(
            self._ns + UNKNOWN_PREFIX + username.lower(), reason, ex=self._not_found_ttl
        )

    def is_unknown_user(self, username: str) -> bool:
        return bool(self._redis.exists(self._ns + UNKNOWN_PREFIX + username.lower()))

    def unknown_user_reason(self, username: str) -> str | None:
        """Why ``username`` has no report (``no_user``/``organization``/``private_profile``),
        if recently seen."""
        raw = cast(bytes | None, self._redis.get(self._ns + UNKNOWN_PREFIX + username.lower()))
        if raw is None:
            return None
        return "no_user" if raw == b"1" else raw.decode()
