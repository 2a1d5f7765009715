"""Generation jobs: one claim per report key, one record per job.

* The **claim** (``gitbrag:job-claim:<report key>``) holds the id of the job generating that
  report. It is taken with one Lua script (:mod:`gitbrag.stores.claims`: ``SET NX`` + the
  job record, with the abuse limits and the take-over of a job stuck on a spent token), so
  under any concurrency one request creates the job and every other request gets its id. It
  expires after ``time limit + queue wait`` unless renewed by the running job, and only its
  owner releases it (compare-and-delete).
* The **record** (``gitbrag:job:<id>``, a hash) carries status, progress, timestamps, a
  user-safe error and ``deliveries`` (how many times a worker started it: more than one means
  the broker redelivered it, or it was retried). The job id is the Dramatiq message id, so
  aborts and retries target it. Status changes are compare-and-set: a finished job never
  changes again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal, cast, get_args

import redis

from gitbrag.stores.claims import NO_QUOTAS, Claim, Claims, JobQuotas
from gitbrag.stores.connection import key_prefix, replicated
from gitbrag.stores.job_index import index_finished
from gitbrag.stores.job_stats import record_ended
from gitbrag.stores.reports import REPORT_PREFIX
from gitbrag.stores.throughput import record_ended as count_ended
from gitbrag.stores.throughput import record_started

JobStatus = Literal[
    "queued", "running", "waiting_rate_limit", "done", "failed", "cancelled", "not_found"
]
JOB_STATUSES: Final[tuple[JobStatus, ...]] = get_args(JobStatus)
ACTIVE_STATUSES: Final[frozenset[str]] = frozenset({"queued", "running", "waiting_rate_limit"})
FINISHED_STATUSES: Final[frozenset[str]] = frozenset(JOB_STATUSES) - ACTIVE_STATUSES

JOB_PREFIX: Final = "job:"
CLAIM_PREFIX: Final = "job-claim:"

# KEYS[1] job record; ARGV[1] comma-separated statuses allowed before, ARGV[2..] fields.
_TRANSITION = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 0 end
if not string.find(',' .. ARGV[1] .. ',', ',' .. status .. ',', 1, true) then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
"""

# KEYS[1] claim; ARGV[1] job id. Owner-only delete.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS[1] claim, KEYS[2] job record; ARGV[1] job id, ARGV[2] claim ttl ms, ARGV[3] record ttl s.
_RENEW = """
redis.call('EXPIRE', KEYS[2], ARGV[3])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


@dataclass(frozen=True)
class Progress:
    """How far a running job is: ``phase`` (profile, search, files, stars, build), done/total."""

    phase: str
    done: int
    total: int


@dataclass(frozen=True)
class Job:
    id: str
    status: JobStatus
    progress: Progress | None
    report_key: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    retry_at: datetime | None
    viewer_id: str | None
    superseded_by: str | None = None  # the job that took over (see gitbrag.stores.claims)
    subject: str | None = None  # whose limits the job counts toward
    # Why a ``not_found`` job found no report: "no_user", "organization", "private_profile"
    reason: str | None = None
    # How a finished generation collected (issue 21): "refresh" (from the report's previous
    # collection) or "cold"; and why cold ("no earlier collection of this report is kept",
    # "the earlier collection was incomplete", "GitHub counts 19 pull requests...").
    collected: str | None = None
    cold_reason: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _time(value: bytes | None) -> datetime | None:
    return datetime.fromisoformat(value.decode()) if value else None


def _text(value: bytes | None) -> str | None:
    return value.decode() if value else None


def _flatten(fields: Mapping[str, object]) -> list[str]:
    flat: list[str] = []
    for name, value in fields.items():
        flat += [name, "" if value is None else str(value)]
    return flat


class JobStore:
    def __init__(
        self, client: redis.Redis, *, claim_ttl_seconds: int, record_ttl_seconds: int
    ) -> None:
        self._redis = client
        self._ns = key_prefix(client)
        self.claim_ttl_ms = claim_ttl_seconds * 1000
        self.record_ttl = record_ttl_seconds
        self.claims = Claims(client, claim_ttl_ms=self.claim_ttl_ms, record_ttl=record_ttl_seconds)
        self._transition = client.register_script(_TRANSITION)
        self._release = client.register_script(_RELEASE)
        self._renew = client.register_script(_RENEW)

    # ------------------------------------------------------------------ claims

    def claim(
        self,
        report_key: str,
        job_id: str,
        *,
        credential: str,
        viewer_id: str | None = None,
        quotas: JobQuotas = NO_QUOTAS,
        take_over: str | None = None,
        superseded_message: str = "Superseded",
        seen_version: str | None = None,
    ) -> Claim:
        """Create job ``job_id`` for ``report_key`` unless another unfinished job has the key
        (joined), one of ``quotas`` refuses it, or a report version other than
        ``seen_version`` has been stored (changed); with ``take_over``, replace that job if it
        still waits on its token's rate limit (see :mod:`gitbrag.stores.claims`)."""
        fields = {
            "id": job_id,
            "status": "queued",
            "report_key": report_key,
            "created_at": _now(),
            "credential": credential,
            "viewer_id": viewer_id or "",
        }
        return self.claims.claim(
            self._ns + CLAIM_PREFIX + report_key,
            job_id,
            fields,
            viewer_id=viewer_id,
            credential=credential,
            quotas=quotas,
            take_over=take_over,
            superseded_message=superseded_message,
            report_hash=self._ns + REPORT_PREFIX + report_key,
            seen_version=seen_version,
        )

    def owner(self, report_key: str) -> str | None:
        return _text(cast(bytes | None, self._redis.get(self._ns + CLAIM_PREFIX + report_key)))

    def adopt(self, report_key: str, job_id: str) -> bool:
        """Make sure ``job_id`` owns the claim (re-taken if expired); False if another job does."""
        claim = self._ns + CLAIM_PREFIX + report_key
        self._redis.set(claim, job_id, nx=True, px=self.claim_ttl_ms)
        return self.owner(report_key) == job_id

    def release(self, report_key: str, job_id: str) -> bool:
        """Drop the claim on ``report_key`` if ``job_id`` still owns it."""
        return bool(self._release(keys=[self._ns + CLAIM_PREFIX + report_key], args=[job_id]))

    def renew(self, report_key: str, job_id: str, *, claim_ttl_ms: int | None = None) -> bool:
        """Keep the claim (owner only) and the record alive; False if the claim is lost."""
        return bool(
            self._renew(
                keys=[self._ns + CLAIM_PREFIX + report_key, self._ns + JOB_PREFIX + job_id],
                args=[job_id, claim_ttl_ms or self.claim_ttl_ms, self.record_ttl],
            )
        )

    # ------------------------------------------------------------------ records

    def get(self, job_id: str) -> Job | None:
        raw = cast(dict[bytes, bytes], self._redis.hgetall(self._ns + JOB_PREFIX + job_id))
        if not raw or b"status" not in raw:
            return None
        return self._decode(raw)

    def credential(self, job_id: str) -> str | None:
        return _text(
            cast(bytes | None, self._redis.hget(self._ns + JOB_PREFIX + job_id, "credential"))
        )

    def cancel_requested(self, job_id: str) -> bool:
        return bool(self._redis.hget(self._ns + JOB_PREFIX + job_id, "cancel_requested"))

    def request_cancel(self, job_id: str) -> None:
        self._redis.hset(self._ns + JOB_PREFIX + job_id, "cancel_requested", "1")

    def jobs_of_viewer(self, viewer_id: str) -> list[str]:
        return self.claims.jobs_of_viewer(viewer_id)

    def _set(self, job_id: str, allowed_from: Iterable[str], fields: Mapping[str, object]) -> bool:
        return bool(
            self._transition(
                keys=[self._ns + JOB_PREFIX + job_id],
                args=[",".join(allowed_from), *_flatten(fields)],
            )
        )

    def mark_running(self, job_id: str) -> bool:
        """queued/waiting/running (a redelivery) → running, one more delivery counted; False
        if the job is finished."""
        fields: dict[str, object] = {"status": "running", "retry_at": None}
        job = self.get(job_id)
        if job is not None and job.started_at is None:
            fields["started_at"] = _now()
        running = self._set(job_id, ACTIVE_STATUSES, fields)
        first = (
            running and self._redis.hincrby(self._ns + JOB_PREFIX + job_id, "deliveries", 1) == 1
        )
        if first:
            pipe = self._redis.pipeline(transaction=False)
            record_started(pipe, self._ns, datetime.now(UTC))
            pipe.execute()
        return running

    def deliveries(self, job_id: str) -> int:
        """How many times a worker started ``job_id`` (see :meth:`mark_running`)."""
        raw = cast(bytes | None, self._redis.hget(self._ns + JOB_PREFIX + job_id, "deliveries"))
        return int(raw) if raw else 0

    def set_progress(self, job_id: str, progress: Progress) -> bool:
        return self._set(
            job_id,
            ["running"],
            {"phase": progress.phase, "done": progress.done, "total": progress.total},
        )

    def note_collection(self, job_id: str, how: str, cold_reason: str | None) -> bool:
        """How the running job's generation collected: ``refresh`` or ``cold`` (and why)."""
        return self._set(job_id, ["running"], {"collected": how, "cold_reason": cold_reason})

    def mark_waiting(self, job_id: str, retry_at: datetime, error: str) -> bool:
        return self._set(
            job_id,
            ACTIVE_STATUSES,
            {"status": "waiting_rate_limit", "retry_at": retry_at.isoformat(), "error": error},
        )

    def requeue(self, job_id: str, error: str | None = None) -> bool:
        """Back to ``queued`` (a transient failure that will be retried)."""
        return self._set(job_id, ACTIVE_STATUSES, {"status": "queued", "error": error})

    def finish(
        self,
        job_id: str,
        status: JobStatus,
        error: str | None = None,
        *,
        allowed_from: Iterable[str] = ACTIVE_STATUSES,
        reason: str | None = None,
    ) -> bool:
        """Move an active job to a final status (first writer wins); it stops counting
        toward the limits. ``reason``: why a ``not_found`` job found no report."""
        assert status in FINISHED_STATUSES, status
        fields: dict[str, object] = {
            "status": status,
            "finished_at": _now(),
            "error": error,
            "retry_at": None,
        }
        if reason is not None:
            fields["reason"] = reason
        finished = self._set(job_id, allowed_from, fields)
        if finished:
            raw = cast(
                list[bytes | None],
                self._redis.hmget(
                    self._ns + JOB_PREFIX + job_id,
                    "subject",
                    "started_at",
                    "finished_at",
                    "report_key",
                ),
            )
            subject, started, ended = _text(raw[0]), _time(raw[1]), _time(raw[2])
            login = (_text(raw[3]) or "").split(":", 1)[0]
            self.claims.forget_unfinished(job_id, subject)
            run = (ended - started).total_seconds() if started and ended else None
            pipe = self._redis.pipeline(transaction=False)
            run = run if run is None or run >= 0 else None
            record_ended(pipe, self._ns, status, run)
            at = ended or datetime.now(UTC)
            index_finished(
                pipe,
                self._ns,
                job_id,
                status=status,
                login=login,
                finished_ms=int(at.timestamp() * 1000),
                ttl_seconds=self.record_ttl,
            )
            count_ended(pipe, self._ns, at, status, run)
            pipe.execute()
        return finished

    def replicated(self) -> None:
        """Return once every write so far would survive a failover (``StoreUnavailable``
        when it might not): see :func:`gitbrag.stores.connection.replicated`."""
        replicated(self._redis)

    @staticmethod
    def _decode(raw: dict[bytes, bytes]) -> Job:
        phase = _text(raw.get(b"phase"))
        progress = (
            Progress(phase, int(raw.get(b"done") or 0), int(raw.get(b"total") or 0))
            if phase
            else None
        )
        created_at = _time(raw.get(b"created_at")) or datetime.now(UTC)
        return Job(
            id=raw[b"id"].decode(),
            status=cast(JobStatus, raw[b"status"].decode()),
            progress=progress,
            report_key=raw[b"report_key"].decode(),
            created_at=created_at,
            started_at=_time(raw.get(b"started_at")),
            finished_at=_time(raw.get(b"finished_at")),
            error=_text(raw.get(b"error")),
            retry_at=_time(raw.get(b"retry_at")),
            viewer_id=_text(raw.get(b"viewer_id")),
            superseded_by=_text(raw.get(b"superseded_by")),
            subject=_text(raw.get(b"subject")),
            reason=_text(raw.get(b"reason")),
            collected=_text(raw.get(b"collected")),
            cold_reason=_text(raw.get(b"cold_reason")),
        )
