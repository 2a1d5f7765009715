"""The claim of a report key, in one Lua script: deduplication, the abuse limits, the viewers
who joined a job, and taking over a job that waits on a spent token.

One script makes each decision atomic under any concurrency:

1. **join**: an unfinished job owns the key → its id (the requester is remembered as a
   *joiner*: a viewer who depends on the job, with the credential they could lend it);
2. **take over**: when asked to, and that job still waits for its token's rate limit
   (``waiting_rate_limit``), it is finished as superseded (``superseded_by`` names the new
   job) and a new job takes the key with the requester's credential;
3. **changed**: the caller decided on a report version (``seen_version``; empty: no report)
   and another one has been stored since (a job finished between the caller's read and this
   claim): nothing is written, so a report that just arrived is never generated again;
4. **refuse**: a new job would pass a limit: the subject's jobs in the last hour, the
   subject's unfinished jobs, or every unfinished job (the queue cap). Nothing is written;
5. **create**: the claim, the record, and the indexes the limits count.

Keys (``subject`` is bounded: a GitHub account (``account:<id>``), or a keyed digest of a
client address):

    gitbrag:jobs-unfinished              zset job id → created ms (the queue cap; a job
                                         leaves when it finishes, stale entries are pruned)
    gitbrag:limits:hour:<subject>        zset job id → created ms, the last hour only
    gitbrag:limits:active:<subject>      zset job id → created ms (unfinished, pruned)
    gitbrag:job-joiners:<job id>         hash viewer id → credential ref (at most MAX_JOINERS)
    gitbrag:viewer-jobs:<viewer id>      set of the job ids a viewer started
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal, cast

import redis

from gitbrag.stores.connection import key_prefix, register_script

UNFINISHED: Final = "jobs-unfinished"
JOB_RECORD_PREFIX: Final = "job:"  # gitbrag.stores.jobs.JOB_PREFIX (which imports this module)
HOUR_PREFIX: Final = "limits:hour:"
ACTIVE_PREFIX: Final = "limits:active:"
JOINERS_PREFIX: Final = "job-joiners:"
VIEWER_JOBS_PREFIX: Final = "viewer-jobs:"
MAX_JOINERS: Final = 20
NO_SUBJECT: Final = "-"

# KEYS[1] claim, [2] unfinished, [3] subject hour log, [4] subject active, [5] joiners of the
# new job, [6] the stored report. ARGV[1] job id, [2] claim ttl ms, [3] record ttl s, [4] now
# ms, [5] now ISO, [6] per-hour limit, [7] active limit, [8] queue limit (0: none), [9] take
# over this job id (or ''), [10] viewer id (or ''), [11] credential, [12] subject ('-':
# none), [13] max joiners, [14] superseded message, [15] the report version the caller saw
# ('' none; '*' do not check), [16..] the new record's fields.
# Returns {job id, 'created'|'joined'|'refused'|'changed', status or limit kind or the
# stored version, credential or retry ms}.
_CLAIM = """
local function is_active(status)
  return status == 'queued' or status == 'running' or status == 'waiting_rate_limit'
end
local function status_of(id) return redis.call('HGET', NS .. 'job:' .. id, 'status') end
local function prune(index)
  for _, id in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    if not is_active(status_of(id)) then redis.call('ZREM', index, id) end
  end
  return redis.call('ZCARD', index)
end
local function joiner(job, viewer, credential)
  local key = NS .. 'job-joiners:' .. job
  local owner = redis.call('HGET', NS .. 'job:' .. job, 'viewer_id')
  if viewer == '' or viewer == owner then return end
  if redis.call('HEXISTS', key, viewer) == 1 or redis.call('HLEN', key) < tonumber(ARGV[13]) then
    redis.call('HSET', key, viewer, credential)
    redis.call('EXPIRE', key, ARGV[3])
  end
end
local function join(id, status)
  joiner(id, ARGV[10], ARGV[11])
  return {id, 'joined', status, redis.call('HGET', NS .. 'job:' .. id, 'credential') or ''}
end

local now = tonumber(ARGV[4])
local existing = redis.call('GET', KEYS[1])
local takeover = false
if existing then
  local status = status_of(existing)
  if is_active(status) then
    if ARGV[9] ~= existing or status ~= 'waiting_rate_limit' then return join(existing, status) end
    takeover = true
  end
end

if ARGV[15] ~= '*' and not takeover then
  local stored = redis.call('HGET', KEYS[6], 'version') or ''
  if stored ~= ARGV[15] then return {'', 'changed', stored, ''} end
end

local refused, retry = nil, 0
if ARGV[12] ~= '-' then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 3600000)
  local per_hour, active = tonumber(ARGV[6]), tonumber(ARGV[7])
  if per_hour > 0 and redis.call('ZCARD', KEYS[3]) >= per_hour then
    local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
    refused, retry = 'per_hour', tonumber(oldest[2]) + 3600000 - now
  elseif active > 0 and prune(KEYS[4]) >= active then
    -- no clock decides this one: one of the subject's jobs has to finish first
    refused, retry = 'active', 30000
  end
end
if not refused and tonumber(ARGV[8]) > 0 and prune(KEYS[2]) >= tonumber(ARGV[8]) then
  refused, retry = 'queue', 60000
end
if refused then
  if takeover then return join(existing, 'waiting_rate_limit') end
  return {'', 'refused', refused, tostring(math.max(1000, retry))}
end

local id = ARGV[1]
local record = NS .. 'job:' .. id
if takeover then
  local old = NS .. 'job:' .. existing
  redis.call('HSET', old, 'status', 'cancelled', 'finished_at', ARGV[5], 'retry_at', '',
    'error', ARGV[14], 'superseded_by', id)
  redis.call('HINCRBY', NS .. 'job-stats', 'ended:cancelled', 1)
  redis.call('ZREM', KEYS[2], existing)
  local old_subject = redis.call('HGET', old, 'subject')
  if old_subject then redis.call('ZREM', NS .. 'limits:active:' .. old_subject, existing) end
  -- Whoever depended on the old job depends on the new one.
  local old_viewer = redis.call('HGET', old, 'viewer_id')
  local old_credential = redis.call('HGET', old, 'credential')
  if old_viewer and old_viewer ~= '' and old_viewer ~= ARGV[10] then
    redis.call('HSET', KEYS[5], old_viewer, old_credential)
  end
  local others = redis.call('HGETALL', NS .. 'job-joiners:' .. existing)
  for i = 1, #others, 2 do
    if others[i] ~= ARGV[10] then redis.call('HSET', KEYS[5], others[i], others[i + 1]) end
  end
  if redis.call('EXISTS', KEYS[5]) == 1 then redis.call('EXPIRE', KEYS[5], ARGV[3]) end
end
redis.call('SET', KEYS[1], id, 'PX', ARGV[2])
redis.call('HSET', record, unpack(ARGV, 16))
redis.call('EXPIRE', record, ARGV[3])
redis.call('ZADD', KEYS[2], now, id)
if ARGV[12] ~= '-' then
  redis.call('HSET', record, 'subject', ARGV[12])
  redis.call('ZADD', KEYS[3], now, id)
  redis.call('PEXPIRE', KEYS[3], 3600000)
  redis.call('ZADD', KEYS[4], now, id)
  redis.call('EXPIRE', KEYS[4], ARGV[3])
end
if ARGV[10] ~= '' then
  redis.call('SADD', NS .. 'viewer-jobs:' .. ARGV[10], id)
  redis.call('EXPIRE', NS .. 'viewer-jobs:' .. ARGV[10], ARGV[3])
end
return {id, 'created', 'queued', ''}
"""

# KEYS[1] job record, [2] joiners of the job, [3] the old viewer's jobs, [4] the new viewer's
# jobs. ARGV[1] job id, [2] old viewer, [3] new viewer, [4] new credential, [5] record ttl.
# A job that has not started changes hands (it starts with the new credential); 1 if it did.
_HAND_OVER = """
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'queued' and status ~= 'waiting_rate_limit' then return 0 end
if redis.call('HGET', KEYS[1], 'viewer_id') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'viewer_id', ARGV[3], 'credential', ARGV[4])
redis.call('HDEL', KEYS[2], ARGV[3])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
redis.call('EXPIRE', KEYS[4], ARGV[5])
return 1
"""


@dataclass(frozen=True, slots=True)
class JobQuotas:
    """The quotas of new jobs for one requester. ``subject`` names whose jobs count (a GitHub
    account, or a digest of a client address); ``None`` counts only toward the queue cap (the
    scheduler). A limit of 0 is no limit."""

    subject: str | None = None
    per_hour: int = 0
    active: int = 0
    queue: int = 0


NO_QUOTAS: Final = JobQuotas()


@dataclass(frozen=True, slots=True)
class Claim:
    """What a claim decided. ``job_id`` is empty when refused or changed; ``status`` is the
    owner's status, the limit kind when refused, or the stored version when changed;
    ``credential`` is the joined job's."""

    job_id: str
    outcome: Literal["created", "joined", "refused", "changed"]
    status: str
    credential: str = ""
    retry_after_ms: int = 0

    @property
    def created(self) -> bool:
        return self.outcome == "created"

    @property
    def refused(self) -> bool:
        return self.outcome == "refused"

    @property
    def changed(self) -> bool:
        return self.outcome == "changed"


def _flatten(fields: Mapping[str, object]) -> list[str]:
    flat: list[str] = []
    for name, value in fields.items():
        flat += [name, "" if value is None else str(value)]
    return flat


class Claims:
    """The claim script over one Redis (used by :class:`gitbrag.stores.jobs.JobStore`)."""

    def __init__(self, client: redis.Redis, *, claim_ttl_ms: int, record_ttl: int) -> None:
        self._redis = client
        self.claim_ttl_ms = claim_ttl_ms
        self.record_ttl = record_ttl
        self._ns = key_prefix(client)
        self._claim = register_script(client, _CLAIM)
        self._hand_over = register_script(client, _HAND_OVER)

    def claim(
        self,
        claim_key: str,
        job_id: str,
        fields: Mapping[str, object],
        *,
        viewer_id: str | None,
        credential: str,
        quotas: JobQuotas,
        take_over: str | None,
        superseded_message: str,
        report_hash: str = "",
        seen_version: str | None = None,
        now: datetime | None = None,
    ) -> Claim:
        """Run the claim script (the module docstring). With ``seen_version`` (the version of
        ``report_hash`` the caller saw, ``""`` for none), nothing is created when another
        version has been stored since (``report_hash`` matters only then)."""
        now = now or datetime.now(UTC)
        subject = quotas.subject or NO_SUBJECT
        raw = cast(
            list[bytes],
            self._claim(
                keys=[
                    claim_key,
                    self._ns + UNFINISHED,
                    self._ns + HOUR_PREFIX + subject,
                    self._ns + ACTIVE_PREFIX + subject,
                    self._ns + JOINERS_PREFIX + job_id,
                    report_hash,
                ],
                args=[
                    job_id,
                    self.claim_ttl_ms,
                    self.record_ttl,
                    int(now.timestamp() * 1000),
                    now.isoformat(),
                    quotas.per_hour,
                    quotas.active,
                    quotas.queue,
                    take_over or "",
                    viewer_id or "",
                    credential,
                    subject,
                    MAX_JOINERS,
                    superseded_message,
                    "*" if seen_version is None else seen_version,
                    *_flatten(fields),
                ],
            ),
        )
        owner, outcome, status, extra = (value.decode() for value in raw)
        if outcome == "refused":
            return Claim("", "refused", status, retry_after_ms=int(extra))
        if outcome == "changed":
            return Claim("", "changed", status)
        return Claim(owner, cast(Literal["created", "joined"], outcome), status, extra)

    def forget_unfinished(self, job_id: str, subject: str | None) -> None:
        """A job finished: it no longer counts toward the queue cap or its subject's limit."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.zrem(self._ns + UNFINISHED, job_id)
        if subject:
            pipe.zrem(self._ns + ACTIVE_PREFIX + subject, job_id)
        pipe.execute()

    def unfinished(self) -> list[str]:
        """The ids of the jobs counted toward the queue cap (bounded by it, plus jobs that
        finished since the last claim pruned the index)."""
        members = cast(list[bytes], self._redis.zrange(self._ns + UNFINISHED, 0, -1))
        return [member.decode() for member in members]

    def joiners(self, job_id: str) -> dict[str, str]:
        """Viewer id → credential ref of the viewers who asked for ``job_id`` after it began."""
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self._ns + JOINERS_PREFIX + job_id))
        return {viewer.decode(): credential.decode() for viewer, credential in raw.items()}

    def hand_over(self, job_id: str, old_viewer: str, new_viewer: str, credential: str) -> bool:
        """``old_viewer``'s job (not started yet) becomes ``new_viewer``'s, with their
        credential; False when the job started, finished or is not ``old_viewer``'s."""
        return bool(
            self._hand_over(
                keys=[
                    self._ns + JOB_RECORD_PREFIX + job_id,
                    self._ns + JOINERS_PREFIX + job_id,
                    self._ns + VIEWER_JOBS_PREFIX + old_viewer,
                    self._ns + VIEWER_JOBS_PREFIX + new_viewer,
                ],
                args=[job_id, old_viewer, new_viewer, credential, self.record_ttl],
            )
        )

    def jobs_of_viewer(self, viewer_id: str) -> list[str]:
        members = cast(set[bytes], self._redis.smembers(self._ns + VIEWER_JOBS_PREFIX + viewer_id))
        return sorted(member.decode() for member in members)
