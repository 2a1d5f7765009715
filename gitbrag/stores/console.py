"""What the operations console (``/admin``) reads of the background work, in a few pipelined
round trips and never by scanning the keyspace (issue 22):

* **queues**, from Dramatiq's Redis layout (``dramatiq/brokers/redis/dispatch.lua``): the
  ready list ``<ns>:<queue>`` and its messages hash, the delay queue's messages
  (``<queue>.DQ.msgs``), the dead letters (``<queue>.XQ``, scored by when they died, and
  ``.XQ.msgs``), the workers' heartbeats (``__heartbeats__``) and each worker's in-flight set
  (``__acks__.<worker>.<queue>``; one per live worker, so bounded by the workers);
* **jobs**: unfinished ones from the claims' index (``jobs-unfinished``, bounded by the
  queue cap), finished ones from :mod:`gitbrag.stores.job_index` (pages, by status, login
  and age);
* the per-user limiter's held slots from their holders' index (:mod:`gitbrag.stores.limiter_slots`).

Delayed messages are told apart by their job: a job ``waiting_rate_limit`` waits for GitHub's
reset, a message with Dramatiq retries spent is a retry, any other report message is a
limiter deferral (the per-user slot was taken).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, cast

import redis
from dramatiq.common import dq_name, xq_name

from gitbrag.stores.claims import UNFINISHED
from gitbrag.stores.connection import key_prefix, register_script
from gitbrag.stores.job_index import LOGIN_CAP, login_key, recent_key
from gitbrag.stores.jobs import JOB_PREFIX

MAX_WORKERS: Final = 64
WORKER_INFO: Final = "__worker-info__"  # under the broker's namespace: broker id → JSON
MAX_DELAYED_READ: Final = 2000  # delayed messages classified per read (beyond: counted only)
JOB_FIELDS: Final = (
    "id",
    "status",
    "report_key",
    "created_at",
    "started_at",
    "finished_at",
    "phase",
    "done",
    "total",
    "error",
    "retry_at",
    "viewer_id",
    "deliveries",
    "reason",
)

# ARGV[1] the unfinished jobs' zset (oldest first), ARGV[2] how many rows, ARGV[3] a reported
# login ('' any, lower case), ARGV[4..] the fields. Counts every unfinished job by status and
# the waiting ones by login, and reads the fields of the first rows only (running jobs first,
# then the oldest): one reply however long the queue, the rows bounded.
_UNFINISHED = """
local limit, only = tonumber(ARGV[2]), ARGV[3]
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
local counts = {running = 0, queued = 0, waiting_rate_limit = 0}
local waiting, running, others = {}, {}, {}
for _, id in ipairs(redis.call('ZRANGE', ARGV[1], 0, -1)) do
  local record = NS .. 'job:' .. id
  local status = redis.call('HGET', record, 'status')
  if status == 'queued' or status == 'running' or status == 'waiting_rate_limit' then
    local key = redis.call('HGET', record, 'report_key') or ''
    local login = string.match(key, '^[^:]+') or ''
    if only == '' or string.lower(login) == only then
      counts[status] = counts[status] + 1
      if status == 'running' then
        running[#running + 1] = record
      else
        others[#others + 1] = record
        waiting[login] = (waiting[login] or 0) + 1
      end
    end
  end
end
local rows = {}
for _, list in ipairs({running, others}) do
  for _, record in ipairs(list) do
    if #rows >= limit then break end
    rows[#rows + 1] = redis.call('HMGET', record, unpack(fields))
  end
end
local flat = {}
for login, n in pairs(waiting) do
  flat[#flat + 1] = login
  flat[#flat + 1] = n
end
return {{counts.running, counts.queued, counts.waiting_rate_limit}, flat, rows}
"""

# KEYS[1] dead letters (zset), KEYS[2] their messages; ARGV[1] cutoff ms. Removes every dead
# letter older than the cutoff; returns how many (0 when another admin purged them first).
_PURGE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 5000)
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
return #ids
"""

# KEYS[1] dead letters, KEYS[2] their messages; ARGV[1] redis message id. Takes one dead
# letter out (returns its message, or false when another admin took it first).
_TAKE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return false end
local message = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return message
"""


@dataclass(frozen=True, slots=True)
class Worker:
    id: str
    host: str
    pid: int
    threads: int
    last_beat: datetime
    alive: bool
    in_flight: int
    delayed_held: int  # delayed messages this worker holds until their time


@dataclass(frozen=True, slots=True)
class DeadLetter:
    message_id: str  # the broker's id (the dead-letter set's member)
    job_id: str
    report_key: str
    died_at: datetime
    actor: str


@dataclass(frozen=True, slots=True)
class QueueState:
    ready: int
    delayed: int
    delayed_kinds: dict[str, int]
    in_flight: int
    dead: int
    oldest_ready_age: float | None  # seconds
    oldest_dead: datetime | None
    workers: list[Worker] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FinishedPage:
    rows: list[JobRow]
    total: int  # matching finished jobs (for a login and a status: of the login's last 200)
    next_before: int | None  # the next page's cursor (epoch ms), if there is one


@dataclass(frozen=True, slots=True)
class Unfinished:
    rows: list[JobRow]
    counts: dict[str, int]  # running, queued, waiting_rate_limit
    waiting: dict[str, int]  # reported login → its jobs not running yet


@dataclass(frozen=True, slots=True)
class JobRow:
    id: str
    status: str
    report_key: str
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    phase: str | None
    done: int
    total: int
    error: str | None
    retry_at: datetime | None
    viewer_kind: str  # "session", "bearer" or "server" (no viewer): never a token
    attempts: int
    reason: str | None

    @property
    def login(self) -> str:
        return self.report_key.split(":", 1)[0]

    @property
    def duration(self) -> float | None:
        if self.started_at and self.finished_at:
            return max(0.0, (self.finished_at - self.started_at).total_seconds())
        return None

    @property
    def error_class(self) -> str | None:
        """The kind of failure, from the stored user-safe message (no secrets are stored)."""
        if not self.error:
            return None
        if self.status == "not_found":
            return f"NotFound({self.reason})" if self.reason else "NotFound"
        return {"failed": "Failed", "cancelled": "Cancelled"}.get(self.status, "Error")


def _worker_info(raw: bytes) -> dict[str, Any]:
    data = json.loads(raw)
    return {
        "host": str(data.get("host", "")),
        "pid": int(data.get("pid", 0)),
        "threads": int(data.get("threads", 0)),
    }


def _time(value: bytes | None) -> datetime | None:
    return datetime.fromisoformat(value.decode()) if value else None


def _viewer_kind(viewer_id: str) -> str:
    if not viewer_id:
        return "server"  # the scheduler, an admin, or an anonymous visitor: no viewer
    kind = viewer_id.split(":", 1)[0]
    return kind if kind in ("session", "bearer") else "session"


def _row(values: list[bytes | None]) -> JobRow | None:
    data = dict(zip(JOB_FIELDS, values, strict=True))
    if not data["status"] or not data["id"]:
        return None
    text = {name: (value.decode() if value else "") for name, value in data.items()}
    return JobRow(
        id=text["id"],
        status=text["status"],
        report_key=text["report_key"],
        created_at=_time(data["created_at"]),
        started_at=_time(data["started_at"]),
        finished_at=_time(data["finished_at"]),
        phase=text["phase"] or None,
        done=int(text["done"] or 0),
        total=int(text["total"] or 0),
        error=text["error"] or None,
        retry_at=_time(data["retry_at"]),
        viewer_kind=_viewer_kind(text["viewer_id"]),
        attempts=int(text["deliveries"] or 0),
        reason=text["reason"] or None,
    )


def register_worker(
    client: redis.Redis, broker_namespace: str, broker_id: str, threads: int
) -> None:
    """A worker process consumes ``broker_namespace``'s queues (its broker's heartbeats then
    say it is alive; processes that only send messages heartbeat too, and are not workers).
    Best effort: the console only loses a row."""
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "threads": threads,
        "since": datetime.now(UTC).isoformat(),
    }
    with contextlib.suppress(Exception):  # Redis away (any client's error): the row waits
        client.hset(f"{broker_namespace}:{WORKER_INFO}", broker_id, json.dumps(info))


class ConsoleStore:
    def __init__(self, client: redis.Redis, *, namespace: str, queue: str) -> None:
        self._redis = client
        self._prefix = key_prefix(client)
        broker = self._prefix + namespace
        self._broker = broker
        self.queue = queue
        self._ready = f"{broker}:{queue}"
        self._ready_msgs = f"{broker}:{queue}.msgs"
        self._delayed_msgs = f"{broker}:{dq_name(queue)}.msgs"
        self._dead = f"{broker}:{xq_name(queue)}"
        self._dead_msgs = f"{broker}:{xq_name(queue)}.msgs"
        self._heartbeats = f"{broker}:__heartbeats__"
        self._worker_info = f"{broker}:{WORKER_INFO}"
        self._purge = register_script(client, _PURGE)
        self._take = register_script(client, _TAKE)
        self._unfinished = register_script(client, _UNFINISHED)

    # ------------------------------------------------------------------ queues

    def queues(self, now: datetime, *, heartbeat_timeout_ms: int = 60_000) -> QueueState:
        now_ms = now.timestamp() * 1000
        pipe = self._redis.pipeline(transaction=False)
        pipe.llen(self._ready)
        pipe.hlen(self._delayed_msgs)
        pipe.zcard(self._dead)
        pipe.lindex(self._ready, 0)
        pipe.zrange(self._dead, 0, 0, withscores=True)
        pipe.zrevrange(self._heartbeats, 0, 4 * MAX_WORKERS - 1, withscores=True)
        pipe.hgetall(self._worker_info)
        ready, delayed, dead, first, oldest_dead, beats, info = pipe.execute()
        info = cast(dict[bytes, bytes], info)
        # Only processes that consume are workers (senders heartbeat too); entries of
        # workers the broker forgot are dropped.
        beats = [beat for beat in cast(list[tuple[bytes, float]], beats) if beat[0] in info][
            :MAX_WORKERS
        ]
        forgotten = set(info) - {worker_id for worker_id, _ in beats}
        if len(info) > MAX_WORKERS and forgotten:
            self._redis.hdel(self._worker_info, *forgotten)
        second = self._redis.pipeline(transaction=False)
        for worker_id, _ in beats:
            acks = f"{self._broker}:__acks__.{worker_id.decode()}"
            second.scard(f"{acks}.{self.queue}")
            second.scard(f"{acks}.{dq_name(self.queue)}")
        if first is not None:
            second.hget(self._ready_msgs, first)
        if 0 < delayed <= MAX_DELAYED_READ:
            second.hvals(self._delayed_msgs)
        answers = second.execute()
        workers = [
            Worker(
                id=worker_id.decode(),
                **_worker_info(info[worker_id]),
                last_beat=datetime.fromtimestamp(score / 1000, UTC),
                alive=now_ms - score < heartbeat_timeout_ms,
                in_flight=int(answers[2 * i]),
                delayed_held=int(answers[2 * i + 1]),
            )
            for i, (worker_id, score) in enumerate(beats)
        ]
        rest = answers[2 * len(beats) :]
        oldest_age = None
        if first is not None:
            message = rest.pop(0)
            if message:
                stamp = json.loads(message).get("message_timestamp")
                oldest_age = max(0.0, (now_ms - float(stamp)) / 1000) if stamp else None
        kinds = {"limiter": 0, "rate_limit": 0, "retry": 0, "other": 0}
        if rest:
            kinds = self._delayed_kinds(cast(list[bytes], rest[0]), kinds)
        elif delayed:
            kinds["other"] = int(delayed)
        return QueueState(
            ready=int(ready),
            delayed=int(delayed),
            delayed_kinds=kinds,
            in_flight=sum(worker.in_flight for worker in workers if worker.alive),
            dead=int(dead),
            oldest_ready_age=oldest_age,
            oldest_dead=(
                datetime.fromtimestamp(oldest_dead[0][1] / 1000, UTC) if oldest_dead else None
            ),
            workers=workers,
        )

    def _delayed_kinds(self, messages: list[bytes], kinds: dict[str, int]) -> dict[str, int]:
        decoded = [json.loads(message) for message in messages]
        pipe = self._redis.pipeline(transaction=False)
        for message in decoded:
            pipe.hget(self._prefix + JOB_PREFIX + str(message.get("message_id")), "status")
        statuses = cast(list[bytes | None], pipe.execute())
        for message, status in zip(decoded, statuses, strict=True):
            if message.get("actor_name") != "generate_report":
                kinds["other"] += 1
            elif status == b"waiting_rate_limit":
                kinds["rate_limit"] += 1
            elif message.get("options", {}).get("retries"):
                kinds["retry"] += 1
            else:
                kinds["limiter"] += 1
        return kinds

    # ------------------------------------------------------------------ jobs

    def _rows(self, ids: list[bytes]) -> list[JobRow]:
        pipe = self._redis.pipeline(transaction=False)
        for job_id in ids:
            pipe.hmget(self._prefix + JOB_PREFIX + job_id.decode(), JOB_FIELDS)
        rows = [_row(values) for values in pipe.execute()] if ids else []
        return [row for row in rows if row is not None]

    def unfinished(self, *, limit: int = 50, login: str | None = None) -> Unfinished:
        """The unfinished jobs (the queue cap bounds them; of ``login`` only, if given): how
        many per status, how many wait per reported login, and the first ``limit`` rows
        (running first, then the oldest). One script, whatever the queue's length."""
        counts, waiting, raw = cast(
            list[Any],
            self._unfinished(
                args=[self._prefix + UNFINISHED, limit, (login or "").lower(), *JOB_FIELDS]
            ),
        )
        rows = [_row(values) for values in raw]
        pairs = [item.decode() if isinstance(item, bytes) else item for item in waiting]
        return Unfinished(
            rows=[row for row in rows if row is not None],
            counts=dict(zip(("running", "queued", "waiting_rate_limit"), counts, strict=True)),
            waiting={str(pairs[i]): int(pairs[i + 1]) for i in range(0, len(pairs), 2)},
        )

    def finished(
        self,
        *,
        status: str | None = None,
        login: str | None = None,
        since: datetime | None = None,
        before: int | None = None,
        limit: int = 25,
    ) -> FinishedPage:
        """One page of finished jobs, newest first, finished before ``before`` (epoch ms, a
        page's ``next_before``) and after ``since``; and how many match in all."""
        key = login_key(self._prefix, login) if login else recent_key(self._prefix, status)
        low = f"{since.timestamp() * 1000:.0f}" if since else "-inf"
        high = f"({before}" if before else "+inf"
        both = bool(login and status)  # the login's index (at most LOGIN_CAP), filtered here
        pipe = self._redis.pipeline(transaction=False)
        pipe.zrevrangebyscore(
            key, high, low, start=0, num=LOGIN_CAP if both else limit + 1, withscores=True
        )
        pipe.zcount(key, low, "+inf")
        found, count = pipe.execute()
        found = cast(list[tuple[bytes, float]], found)
        rows = self._rows([member for member, _ in found])
        scores = {member.decode(): int(score) for member, score in found}
        if both:
            rows = [row for row in rows if row.status == status]
            count = len(rows)
        page = rows[:limit]
        more = len(rows) > limit
        if more and page and scores.get(page[-1].id) == scores.get(rows[limit].id):
            # Jobs finished in the same millisecond across the page's end: the cursor is
            # exclusive, so the page ends before them and the next one starts with them all.
            tie = scores.get(rows[limit].id)
            page = [row for row in page if scores.get(row.id) != tie] or page
        return FinishedPage(
            rows=page,
            total=int(count),
            next_before=scores.get(page[-1].id) if more and page else None,
        )

    def job(self, job_id: str) -> JobRow | None:
        rows = self._rows([job_id.encode()])
        return rows[0] if rows else None

    # ------------------------------------------------------------------ dead letters

    def dead_letters(self, limit: int = 20) -> list[DeadLetter]:
        raw = cast(
            list[tuple[bytes, float]],
            self._redis.zrevrange(self._dead, 0, limit - 1, withscores=True),
        )
        if not raw:
            return []
        messages = cast(
            list[bytes | None], self._redis.hmget(self._dead_msgs, [member for member, _ in raw])
        )
        letters = []
        for (member, score), message in zip(raw, messages, strict=True):
            data = json.loads(message) if message else {}
            letters.append(
                DeadLetter(
                    message_id=member.decode(),
                    job_id=str(data.get("message_id", "")),
                    report_key=str(data.get("kwargs", {}).get("key", "")),
                    died_at=datetime.fromtimestamp(score / 1000, UTC),
                    actor=str(data.get("actor_name", "")),
                )
            )
        return letters

    def purge_dead_letters(self, older_than: datetime) -> int:
        """Drop dead letters that died before ``older_than`` (idempotent; atomic)."""
        cutoff = f"{older_than.timestamp() * 1000:.0f}"
        return int(self._purge(keys=[self._dead, self._dead_msgs], args=[cutoff]))

    def take_dead_letter(self, message_id: str) -> dict[str, object] | None:
        """Take one dead letter out for a retry: its message, or ``None`` if it is gone
        (another admin took it)."""
        raw = self._take(keys=[self._dead, self._dead_msgs], args=[message_id])
        return cast(dict[str, object], json.loads(raw)) if raw else None


ACTIVE: Final = frozenset({"queued", "running", "waiting_rate_limit"})
