"""One delivery of one report job: which job, whose token, and how often it was tried."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from actors.worker import WorkerContext
from gitbrag.jobs.lifecycle import JobStatus
from gitbrag.report.keys import ReportKey

#: Put this job's message back on the queue after ``delay`` ms, spending no retry.
Defer = Callable[[int], None]


@dataclass
class Attempt:
    """This delivery of job ``job_id`` (report ``key_text``): ``credential`` is the ref of the
    token it runs with (the job record's, once started: a job can change hands before it
    starts), ``retries`` the Dramatiq retries spent and ``rate_limit_waits`` the waits for
    GitHub's rate limit so far (``defer`` puts the message back for another)."""

    ctx: WorkerContext
    job_id: str
    key_text: str
    credential: str
    retries: int
    max_retries: int
    defer: Defer
    rate_limit_waits: int = 0

    @cached_property
    def key(self) -> ReportKey:
        return ReportKey.parse(self.key_text)

    @property
    def retries_spent(self) -> bool:
        """Whether another Dramatiq retry would be dead-lettered (the job left active)."""
        return self.retries >= self.max_retries

    def finish(self, status: JobStatus, message: str | None, *, reason: str | None = None) -> None:
        """Move the job to a final status and free its claim (``JobLifecycle.finish``)."""
        self.ctx.lifecycle.finish(self.job_id, self.key_text, status, message, reason=reason)
