"""The operations console's reads and actions (``/admin``, issue 22), over the stores: what
the router renders, in one call per page or live update, and each audited action.

Reads never scan the keyspace (:mod:`gitbrag.stores.console` says what each costs). Actions
are idempotent and safe under concurrent admins: cancelling a finished job changes nothing,
a retry or a regeneration goes through the claim (one job per report key, so two admins get
the same job), a dead letter is taken out atomically (only one admin's retry sends it),
a purge removes what is older than its cutoff once, pause and resume set a flag, and a
limiter slot is released only while the holder the admin saw still holds it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from gitbrag.errors import InvalidInput
from gitbrag.jobs.lifecycle import DRAMATIQ_NAMESPACE, REPORT_QUEUE
from gitbrag.jobs.service import CredentialRef, ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.stores.audit import AuditEntry, AuditLog
from gitbrag.stores.connection import limiter_prefix
from gitbrag.stores.console import ACTIVE, ConsoleStore, DeadLetter, JobRow, QueueState
from gitbrag.stores.limiter_slots import HeldSlot, LimiterSlots
from gitbrag.stores.prewarm_state import PrewarmControl, PrewarmRun, PrewarmState
from gitbrag.stores.throughput import Throughput, ThroughputStore
from gitbrag.stores.token_budget import TokenView
from gitbrag.stores.views import Popular

FINISHED_FILTERS: Final = ("done", "failed", "cancelled", "not_found")
AGE_FILTERS: Final = {"1h": 3600, "6h": 6 * 3600, "24h": 86_400, "7d": 7 * 86_400}
CHART_MINUTES: Final = 180
SHOWN_UNFINISHED: Final = 50
CHART_CACHE_SECONDS: Final = 5.0
MAX_PURGE_HOURS: Final = 24 * 30


@dataclass(frozen=True, slots=True)
class Filters:
    """The jobs list's filters, from the query string (unknown values are refused: 400)."""

    state: str | None = None
    login: str | None = None
    age: str | None = None
    before: int | None = None  # finished before (epoch ms): the finished jobs' next page

    @classmethod
    def parse(
        cls, state: str | None, login: str | None, age: str | None, before: int | None = None
    ) -> Filters:
        state, login, age = state or None, (login or "").strip() or None, age or None
        if state is not None and state not in FINISHED_FILTERS:
            raise InvalidInput(f"state: one of {', '.join(FINISHED_FILTERS)}")
        if age is not None and age not in AGE_FILTERS:
            raise InvalidInput(f"age: one of {', '.join(AGE_FILTERS)}")
        if login is not None and (
            len(login) > 39 or not login.replace("-", "").replace("_", "").isalnum()
        ):
            raise InvalidInput("login: a GitHub login")
        return cls(state, login, age, before)

    def first_page(self) -> Filters:
        return Filters(self.state, self.login, self.age)

    def query(self) -> dict[str, str]:
        return {
            name: value
            for name, value in (
                ("state", self.state),
                ("login", self.login),
                ("age", self.age),
                ("before", str(self.before) if self.before else None),
            )
            if value
        }


@dataclass(frozen=True, slots=True)
class Snapshot:
    now: datetime
    queues: QueueState
    unfinished: list[JobRow]  # the first SHOWN_UNFINISHED: running first, then the oldest
    unfinished_counts: dict[str, int]
    finished: list[JobRow]
    finished_total: int
    next_before: int | None  # the next page of finished jobs (a cursor), if any
    dead_letters: list[DeadLetter]
    slots: list[HeldSlot]
    waiting_logins: list[tuple[str, int]]  # logins with queued jobs, how many
    tokens: list[TokenView]
    server_fingerprint: str | None
    prewarm: PrewarmControl
    last_run: PrewarmRun | None
    next_tick: datetime | None
    popular: list[Popular]
    throughput: Throughput
    audit: list[AuditEntry]


class Console:
    def __init__(self, service: ReportService) -> None:
        client = service.redis
        self.service = service
        self.settings = service.settings
        self.store = ConsoleStore(client, namespace=DRAMATIQ_NAMESPACE, queue=REPORT_QUEUE)
        self.audit = AuditLog(client)
        self.throughput = ThroughputStore(client)
        self.prewarm = PrewarmState(client)
        self.slots = LimiterSlots(client)
        self._limiter_prefix = limiter_prefix(client)
        # The charts move by the minute: one read of the buckets serves every page and live
        # update of this process for CHART_CACHE_SECONDS.
        self._charts: tuple[float, Throughput] | None = None

    def _throughput(self, now: datetime) -> Throughput:
        clock = time.monotonic()
        if self._charts is None or clock - self._charts[0] > CHART_CACHE_SECONDS:
            self._charts = (clock, self.throughput.read(now, CHART_MINUTES))
        return self._charts[1]

    # ------------------------------------------------------------------ reads

    def snapshot(self, filters: Filters, now: datetime | None = None) -> Snapshot:
        now = now or datetime.now(UTC)
        stores = self.service.stores
        unfinished = self.store.unfinished(limit=SHOWN_UNFINISHED, login=filters.login)
        since = now - timedelta(seconds=AGE_FILTERS[filters.age]) if filters.age else None
        page = self.store.finished(
            status=filters.state, login=filters.login, since=since, before=filters.before
        )
        budgets = stores.token_budgets
        server = self.settings.github_token
        last = self.prewarm.last()
        interval = timedelta(minutes=self.settings.prewarm_interval_minutes)
        return Snapshot(
            now=now,
            queues=self.store.queues(
                now, heartbeat_timeout_ms=self.settings.broker_heartbeat_timeout_ms
            ),
            unfinished=unfinished.rows,
            unfinished_counts=unfinished.counts,
            finished=page.rows,
            finished_total=page.total,
            next_before=page.next_before,
            dead_letters=self.store.dead_letters(),
            slots=self.slots.holders(self._limiter_prefix),
            waiting_logins=sorted(unfinished.waiting.items(), key=lambda item: -item[1])[:20],
            tokens=budgets.by_fingerprints(budgets.fingerprints(), now.timestamp()),
            server_fingerprint=budgets.fingerprint(server) if server else None,
            prewarm=self.prewarm.control(),
            last_run=last,
            next_tick=_next_tick(now, interval),
            popular=stores.views.popular(10, min_views=1, now=now),
            throughput=self._throughput(now),
            audit=self.audit.recent(30),
        )

    # ------------------------------------------------------------------ actions

    def cancel(self, admin: str, job_id: str) -> str:
        job = self.service.get_job(job_id)
        if job is None:
            outcome = "unknown or expired job"
        elif job.finished:
            outcome = f"already {job.status}"
        else:
            after = self.service.cancel_job(job_id)
            outcome = f"cancelled ({after.status})" if after else "cancelled"
        self.audit.record(admin, "cancel", job_id, outcome)
        return outcome

    def retry(self, admin: str, job_id: str, own: CredentialRef | None = None) -> str:
        """A failed job (or one cancelled) runs again: a new job for its report, with its
        credential when that still decrypts and GitHub has not rejected it, else the server's
        token, else the admin's own (``own``)."""
        row = self.store.job(job_id)
        if row is None:
            outcome = "unknown or expired job"
        elif row.status in ACTIVE:
            outcome = f"still {row.status}"
        else:
            credential = self.service.stores.jobs.credential(job_id)
            outcome = self._request(row.report_key, credential, fallback=own)
        self.audit.record(admin, "retry", job_id, outcome)
        return outcome

    def retry_dead_letter(
        self, admin: str, message_id: str, own: CredentialRef | None = None
    ) -> str:
        message = self.store.take_dead_letter(message_id)
        if message is None:
            outcome = "already retried or purged"
        else:
            kwargs = message.get("kwargs")
            kwargs = kwargs if isinstance(kwargs, dict) else {}
            key, credential = kwargs.get("key"), kwargs.get("credential")
            outcome = (
                self._request(str(key), str(credential) if credential else None, fallback=own)
                if key
                else "not a report job: dropped"
            )
        self.audit.record(admin, "retry dead letter", message_id, outcome)
        return outcome

    def purge_dead_letters(self, admin: str, older_than_hours: int) -> str:
        if not 0 <= older_than_hours <= MAX_PURGE_HOURS:
            raise InvalidInput(f"older than: 0 to {MAX_PURGE_HOURS} hours")
        cutoff = datetime.now(UTC) - timedelta(hours=older_than_hours)
        purged = self.store.purge_dead_letters(cutoff)
        outcome = f"{purged} purged"
        self.audit.record(admin, "purge dead letters", f"older than {older_than_hours} h", outcome)
        return outcome

    def regenerate(self, admin: str, report_key: str, own: CredentialRef | None) -> str:
        outcome = self._request(report_key, None, fallback=own)
        self.audit.record(admin, "regenerate", report_key, outcome)
        return outcome

    def set_prewarm(self, admin: str, paused: bool) -> str:
        changed = self.prewarm.set_paused(paused, admin)
        word = "paused" if paused else "resumed"
        outcome = word if changed else f"already {word}"
        self.audit.record(
            admin, "pause pre-warming" if paused else "resume pre-warming", "", outcome
        )
        return outcome

    def release_slot(self, admin: str, login: str) -> str:
        """Release the slot of ``login`` if its holder is gone: its job finished or expired
        (a worker killed mid-job leaves it running until its claim expires or it is redelivered;
        cancel it first)."""
        key = self._limiter_prefix + login
        held = next(
            (slot for slot in self.slots.holders(self._limiter_prefix) if slot.key == key), None
        )
        if held is None:
            outcome = "no slot held"
        elif not self._holder_gone(held):
            outcome = f"refused: job {held.job_id} still runs"
        else:
            released = self.slots.release_stuck(key, held.raw)
            outcome = "released" if released else "a new holder took it: kept"
        self.audit.record(admin, "release limiter slot", login, outcome)
        return outcome

    def _holder_gone(self, held: HeldSlot) -> bool:
        row = self.store.job(held.job_id)
        return row is None or row.status not in ACTIVE

    def _request(
        self, report_key: str, credential: str | None, *, fallback: CredentialRef | None = None
    ) -> str:
        try:
            key = ReportKey.parse(report_key)
        except (InvalidInput, ValueError, KeyError):
            return "not a report key"
        stores = self.service.stores
        usable = (
            credential is not None
            and stores.credentials.token(credential) is not None
            and not stores.credentials.is_invalid(credential)
        )
        ref = CredentialRef(credential) if usable and credential else None
        ref = ref or self.service.server_credential() or fallback
        if ref is None:
            return "refused: no usable GitHub token (set GITBRAG_GITHUB_TOKEN)"
        job = self.service.request_report(key, ref)
        return f"job {job.id} {job.status}"


def _next_tick(now: datetime, interval: timedelta) -> datetime:
    """periodiq's next ``*/n`` minute tick after ``now``."""
    minutes = max(1, int(interval.total_seconds() // 60))
    base = now.replace(second=0, microsecond=0)
    step = minutes - base.minute % minutes
    return base + timedelta(minutes=step)
