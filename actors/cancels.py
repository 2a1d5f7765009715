"""Cancelled jobs whose message is skipped still end ``cancelled``.

dramatiq-abort skips (acknowledges without running) a message whose job was cancelled. For a
queued job that is all it takes: the web already marked it ``cancelled``. A *running* job's
cancel is an abort delivered to its worker thread; if that worker dies first (SIGKILL, OOM),
the broker redelivers the message, Abortable skips it, and no code of the job ever runs again:
its record would say ``running`` until its claim expired. This middleware, told of every
skipped report message, finishes the job as cancelled when a cancel was requested (a
limiter deferral of a job nobody cancelled is left alone; a finished job never changes).
"""

from __future__ import annotations

from collections.abc import Callable

from dramatiq import Broker, Middleware
from dramatiq.broker import MessageProxy

from gitbrag.jobs.lifecycle import CANCELLED, REPORT_ACTOR, JobLifecycle


class FinishSkippedCancels(Middleware):
    def __init__(self, *, lifecycle: Callable[[], JobLifecycle]) -> None:
        self.lifecycle = lifecycle  # built on first use (in the worker process)

    def after_skip_message(self, broker: Broker, message: MessageProxy) -> None:
        if message.actor_name != REPORT_ACTOR:
            return
        lifecycle = self.lifecycle()
        job_id = message.message_id
        if lifecycle.jobs.cancel_requested(job_id):
            lifecycle.finish(job_id, str(message.kwargs.get("key", "")), "cancelled", CANCELLED)
