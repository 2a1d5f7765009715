"""What the chaos suite reads from Redis and the logs to judge a run: job records, claims,
limiter slots, per-token request slots, stored reports and their write counts, and secrets."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import redis

from gitbrag.jobs.lifecycle import ACTIVE_STATUSES
from gitbrag.stores.jobs import CLAIM_PREFIX, JOB_PREFIX
from gitbrag.stores.reports import REPORT_PREFIX
from gitbrag.stores.token_budget import PREFIX as TOKEN_PREFIX
from tests.harness import values_in_redis

NS = "gitbrag:"  # the default key namespace (GITBRAG_REDIS_NAMESPACE)

LIMITER_PREFIX = "gitbrag:limiter:"
# GitHub's token formats (classic, OAuth, user-to-server, server-to-server, refresh), the
# simulated GitHub's included (``gho_fake_...``).
TOKEN_PATTERN = re.compile(rb"gh[pousr]_[A-Za-z0-9_]{20,}")


@dataclass(frozen=True)
class JobRecord:
    id: str
    status: str
    report_key: str
    created_at: str
    finished_at: str
    error: str
    deliveries: int

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


@dataclass(frozen=True)
class StoredReport:
    key: str
    version: str
    writes: int
    complete: bool


def _text(value: bytes | None) -> str:
    return value.decode() if value else ""


def read_jobs(client: redis.Redis) -> dict[str, JobRecord]:
    jobs: dict[str, JobRecord] = {}
    for key in client.scan_iter(match=NS + JOB_PREFIX + "*", count=1000):
        raw = client.hgetall(key)
        if b"status" not in raw:
            continue
        job_id = key.decode()[len(NS + JOB_PREFIX) :]
        jobs[job_id] = JobRecord(
            job_id,
            _text(raw.get(b"status")),
            _text(raw.get(b"report_key")),
            _text(raw.get(b"created_at")),
            _text(raw.get(b"finished_at")),
            _text(raw.get(b"error")),
            int(raw.get(b"deliveries") or 0),
        )
    return jobs


def read_reports(client: redis.Redis) -> dict[str, StoredReport]:
    reports: dict[str, StoredReport] = {}
    for key in client.scan_iter(match=NS + REPORT_PREFIX + "*", count=1000):
        version, writes, complete = client.hmget(key, ["version", "writes", "complete"])
        name = key.decode()[len(NS + REPORT_PREFIX) :]
        reports[name] = StoredReport(name, _text(version), int(writes or 0), complete == b"1")
    return reports


def report_json(client: redis.Redis, key: str) -> bytes | None:
    value = client.hget(NS + REPORT_PREFIX + key, "json")
    return value if isinstance(value, bytes) else None


def claims(client: redis.Redis) -> dict[str, tuple[str, int]]:
    """Report key -> (owner job id, ms to live)."""
    found: dict[str, tuple[str, int]] = {}
    for key in client.scan_iter(match=NS + CLAIM_PREFIX + "*", count=1000):
        owner = client.get(key)
        if owner is not None:
            found[key.decode()[len(NS + CLAIM_PREFIX) :]] = (owner.decode(), int(client.pttl(key)))
    return found


BROKER = NS + "dramatiq:"


def copies_held_by_broker(client: redis.Redis, queue: str = "reports") -> dict[str, set[str]]:
    """Dramatiq broker id (one per worker process) -> the copies of messages it fetched and has
    not acknowledged: their ``redis_message_id`` (Dramatiq's Redis broker files each enqueued
    copy under an id of its own, not the message id)."""
    held: dict[str, set[str]] = {}
    prefix = f"{BROKER}__acks__."
    for key in client.scan_iter(match=f"{prefix}*.{queue}", count=1000):
        broker_id = key.decode()[len(prefix) : -len(f".{queue}")]
        held[broker_id] = {member.decode() for member in client.smembers(key)}
    return held


def jobs_held_by_broker(client: redis.Redis, queue: str = "reports") -> dict[str, set[str]]:
    """Dramatiq broker id -> the job ids (message ids) of the copies it fetched and has not
    acknowledged: the jobs that process is running."""
    held = copies_held_by_broker(client, queue)
    wanted = [copy for copies in held.values() for copy in copies]
    bodies = client.hmget(f"{BROKER}{queue}.msgs", wanted) if wanted else []
    job_of = {
        copy: str(json.loads(body)["message_id"])
        for copy, body in zip(wanted, bodies, strict=True)
        if body is not None
    }
    return {
        broker: {job_of[copy] for copy in copies if copy in job_of}
        for broker, copies in held.items()
    }


def live_brokers(client: redis.Redis) -> set[str]:
    """The broker ids whose heartbeat Dramatiq still keeps (dead ones are dropped when their
    messages are redelivered)."""
    return {member.decode() for member in client.zrange(f"{BROKER}__heartbeats__", 0, -1)}


def limiter_slots(client: redis.Redis) -> dict[str, tuple[int, int]]:
    """Reported user -> (slots held, ms to live)."""
    found: dict[str, tuple[int, int]] = {}
    for key in client.scan_iter(match=LIMITER_PREFIX + "*", count=1000):
        value = client.get(key)
        if value is not None:
            user = key.decode()[len(LIMITER_PREFIX) :]
            found[user] = (int(value), int(client.pttl(key)))
    return found


def left_behind(client: redis.Redis, *, slot_ttl_ms: int, holder_ttl_ms: int) -> list[str]:
    """Claims, limiter slots and per-token request slots nobody holds any more that outlive
    their TTL. Checked twice a TTL apart, so a job starting or finishing meanwhile is not
    taken for a leak (it would have to hold the same claim, or a slot for the same user,
    with no job running it at both looks)."""
    first = _suspects(client, holder_ttl_ms)
    if not first:
        return []
    time.sleep(slot_ttl_ms / 1000 + 1)  # every slot left by a dead holder expires by then
    second = _suspects(client, holder_ttl_ms)
    return sorted(first & second)


def _suspects(client: redis.Redis, holder_ttl_ms: int) -> set[str]:
    jobs = read_jobs(client)
    running_users = {job.report_key.split(":", 1)[0].lower() for job in jobs.values() if job.active}
    suspects: set[str] = set()
    for key, (owner, ttl) in claims(client).items():
        job = jobs.get(owner)
        if job is None or not job.active or ttl < 0:
            suspects.add(f"claim {key} -> {owner} ({job.status if job else 'no record'})")
    for user, (held, ttl) in limiter_slots(client).items():
        if ttl < 0 or (held > 0 and user.lower() not in running_users):
            suspects.add(f"limiter slot {user} held={held}")
    now_ms = time.time() * 1000
    for key in client.scan_iter(match=NS + TOKEN_PREFIX + "*:in-flight", count=1000):
        for member, expires in client.zrange(key, 0, -1, withscores=True):
            if expires > now_ms + holder_ttl_ms + 5000:
                suspects.add(f"token request slot {member!r} expires in {expires - now_ms} ms")
        if client.pttl(key) == -1:
            suspects.add(f"token request slots {key.decode()} never expire")
    return suspects


# --------------------------------------------------------------------------- secrets


@dataclass
class SecretScan:
    keys: int = 0
    values: int = 0
    log_lines: int = 0
    logs: int = 0
    leaks: list[str] | None = None


def _leak(blob: bytes, literals: Iterable[bytes]) -> str | None:
    match = TOKEN_PATTERN.search(blob)
    if match is not None:
        return f"a GitHub token ({match.group()[:8].decode()}...)"
    for literal in literals:
        if literal and literal in blob:
            return f"a secret ({literal[:4].decode()}...)"
    return None


def scan_secrets(
    client: redis.Redis, logs: dict[str, Path], literals: list[str], *, skip: Iterable[str] = ()
) -> SecretScan:
    """Every Redis key and value (whatever its type: broker queues, delay and dead-letter
    queues included) and every line of every log in ``logs`` (but ``skip``)."""
    secrets = [literal.encode() for literal in literals]
    scan = SecretScan(leaks=[])
    assert scan.leaks is not None
    seen_keys: set[bytes] = set()
    for key, value in values_in_redis(client):
        seen_keys.add(key)
        scan.values += 1
        leak = _leak(key, secrets) or _leak(value, secrets)
        if leak is not None:
            scan.leaks.append(f"Redis key {key.decode(errors='replace')}: {leak}")
    scan.keys = len(seen_keys)
    for name, path in sorted(logs.items()):
        if name in skip or not path.exists():
            continue
        scan.logs += 1
        with path.open("rb") as lines:
            for number, line in enumerate(lines, 1):
                scan.log_lines += 1
                leak = _leak(line, secrets)
                if leak is not None:
                    scan.leaks.append(f"log {name} line {number}: {leak}")
    return scan


def where_is_job(client: redis.Redis, job_id: str, queue: str = "reports") -> str:
    """One line on a job left active: its record's fields, the claim of its report key, and
    where its broker messages are (Dramatiq's Redis broker files each enqueued copy under a
    ``redis_message_id`` of its own: queue, delay queue, dead letters, a worker's unacked
    set)."""
    record = {k.decode(): v.decode(errors="replace") for k, v in
              client.hgetall(NS + JOB_PREFIX + job_id).items()}  # fmt: skip
    report_key = record.get("report_key", "")
    claim = client.get(NS + CLAIM_PREFIX + report_key) if report_key else None
    places = []
    live = live_brokers(client)
    for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
        copies = [
            field.decode()
            for field, value in client.hscan_iter(f"{BROKER}{name}.msgs")
            if job_id.encode() in value
        ]
        for copy in copies:
            where = [f"{name}.msgs"]
            kind = client.type(f"{BROKER}{name}")
            if kind == b"list" and copy.encode() in client.lrange(f"{BROKER}{name}", 0, -1):
                where.append("on the queue")
            if kind == b"zset" and client.zscore(f"{BROKER}{name}", copy) is not None:
                where.append("in the zset")
            for broker_id, held in copies_held_by_broker(client, name).items():
                if copy in held:
                    state = "live" if broker_id in live else "dead"
                    where.append(f"unacked by {state} broker {broker_id[:8]}")
            places.append(f"copy {copy[:8]}: {' '.join(where)}")
    shown = {k: v[:60] for k, v in record.items() if k not in ("params", "token")}
    owner = claim.decode() if claim else None
    ttl = client.pttl(NS + CLAIM_PREFIX + report_key) if report_key else None
    return (
        f"{job_id}: record {shown}; claim -> {owner} (ttl {ttl} ms); messages: {places or 'none'}"
    )
