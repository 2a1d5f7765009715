"""How a report job's attempt ends on an exception: the one place that maps what the
generation (and anything that can interrupt an attempt) raises to the job's status, its
message, and what happens besides.

======================  ==================  ==============  ======================================
exception               status              message         besides
======================  ==================  ==============  ======================================
``JobCancelled``        cancelled           ``CANCELLED``   (the heartbeat saw a cancel request)
``NotFound`` (and its   not_found           the error's     the login is marked unknown and every
subclasses: an                              words (its      report stored for it dropped, so
organisation, a                             ``reason``      nothing reappears when the marker
private profile)                            kept too)       expires
``ReportTooLarge``      failed              the error's     —
                                            words
``Unauthorized``        failed              ``TOKEN_        the credential is marked invalid (no
                                            REJECTED``      job takes it over again)
``RateLimited``         waiting_rate_limit  "resuming at    the message comes back at the reset,
                                            …"              spending no retry; failed
                                                            (``RATE_LIMIT_STAYED``) once it has
                                                            waited ``max_rate_limit_waits`` times
``GitHubUnavailable``   queued              ``GITHUB_       retried with backoff (5 s doubling, at
                                            TROUBLE``       most 300 s); failed (``GITHUB_DOWN``)
                                                            once the retries are spent
other ``GitHubError``   failed              the error's     — (permanent: a refusal, a schema the
                                            words           server lacks)
``StoreUnavailable``    unchanged           —               once Redis answers again, retried
                                                            (a retry sent while it is down would
                                                            be lost with the broker); failed
                                                            (``STORE_LOST``) once the retries are
                                                            spent
``Abort``               cancelled           ``CANCELLED``   re-raised for Dramatiq (never retried)
``TimeLimitExceeded``   failed              ``TOO_LONG``    re-raised for Dramatiq (never retried);
                                                            both final writes wait for Redis
any other exception     failed              ``INTERNAL``    logged with its traceback
======================  ==================  ==============  ======================================

The interrupts (``Abort``, ``TimeLimitExceeded``) and ``StoreUnavailable`` can land anywhere in
an attempt (:data:`ANYWHERE`); the other rows are what the generation raises. The row of an
exception is the first of its classes (most specific first) in :data:`OUTCOMES`.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import dramatiq
from dramatiq.middleware.time_limit import TimeLimitExceeded
from dramatiq_abort import Abort

from actors.attempt import Attempt
from actors.worker import wait_for_store, when_store_answers
from gitbrag.errors import (
    GitHubError,
    GitHubUnavailable,
    NotFound,
    RateLimited,
    ReportTooLarge,
    StoreUnavailable,
    Unauthorized,
)
from gitbrag.jobs.lifecycle import CANCELLED, JobStatus
from gitbrag.stores.reports import PutOutcome, preset_keys

log = logging.getLogger(__name__)

LOGIN_EXPIRED = "Your GitHub login has expired. Log in again to generate this report."
TOKEN_REJECTED = "GitHub rejected the token (invalid, expired or revoked). Log in again."
TOO_LONG = "Generating this report took too long and was stopped."
INTERNAL = "Something went wrong while generating this report."
GITHUB_TROUBLE = "GitHub is having trouble; retrying shortly"
GITHUB_DOWN = "GitHub is unavailable right now; try again later."
RATE_LIMIT_STAYED = "GitHub's rate limit stayed exhausted; try again later."
STORE_LOST = "Our storage kept going away while generating this report; please try again."
#: What a done job says about a report it made but did not keep as the newest.
STORE_NOTES: Final[dict[PutOutcome, str]] = {
    PutOutcome.KEPT_COMPLETE: "GitHub returned partial data; the previous complete report was kept",
    PutOutcome.OTHER_HOLDER: (
        "This login passed to another GitHub account while the report was generated; "
        "it was not kept (open the report again for the new account's)"
    ),
}


class JobCancelled(Exception):
    """The job was cancelled while running (seen by the heartbeat)."""


Effect = Callable[[Attempt, BaseException, "Outcome"], None]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One row of the table: ``status`` and ``message`` (``None``: the exception's own words),
    and ``effect``, which writes them and does what the row says besides."""

    status: JobStatus | None
    message: str | None
    effect: Effect

    def message_for(self, error: BaseException) -> str:
        return self.message if self.message is not None else str(error)


def _finish(attempt: Attempt, error: BaseException, outcome: Outcome) -> None:
    assert outcome.status is not None
    attempt.finish(outcome.status, outcome.message_for(error))


def _forget_login(attempt: Attempt, error: BaseException, outcome: Outcome) -> None:
    assert isinstance(error, NotFound) and outcome.status is not None
    reports, key = attempt.ctx.stores.reports, attempt.key
    reports.mark_unknown_user(key.username, error.reason)
    reports.drop_login(key.username, key)
    # ... and what was kept to refresh them from
    attempt.ctx.collections.delete(*preset_keys(key.username), str(key))
    attempt.finish(outcome.status, outcome.message_for(error), reason=error.reason)


def _reject_token(attempt: Attempt, error: BaseException, outcome: Outcome) -> None:
    attempt.ctx.stores.credentials.mark_invalid(attempt.credential)
    _finish(attempt, error, outcome)


def _wait_for_reset(attempt: Attempt, error: BaseException, outcome: Outcome) -> None:
    """Back to the queue until the reset (plus jitter), spending no retry."""
    assert isinstance(error, RateLimited)
    if attempt.rate_limit_waits >= attempt.ctx.settings.max_rate_limit_waits:
        attempt.finish("failed", RATE_LIMIT_STAYED)
        return
    now = datetime.now(UTC)
    delay = max(0.0, (error.reset_at - now).total_seconds()) + random.uniform(0.5, 2.0)
    retry_at = datetime.now(UTC) + timedelta(seconds=delay)
    attempt.ctx.lifecycle.wait_for_reset(attempt.job_id, attempt.key_text, retry_at, delay)
    log.info("job %s waits %.0f s for GitHub's rate limit", attempt.job_id, delay)
    attempt.defer(int(delay * 1000))


def _retry_with_backoff(attempt: Attempt, error: BaseException, outcome: Outcome) -> None:
    if attempt.retries_spent:
        attempt.finish("failed", GITHUB_DOWN)
        return
    attempt.ctx.lifecycle.requeue(attempt.job_id, outcome.message_for(error))
    raise dramatiq.Retry(delay=int(1000 * min(300, 5 * 2**attempt.retries))) from None


def _retry_once_redis_answers(attempt: Attempt, error: BaseException, outcome: Outcome) -> None:
    log.warning("job %s: Redis is unavailable; retrying once it answers", attempt.job_id)
    wait_for_store(attempt.ctx)
    if attempt.retries_spent:
        attempt.finish("failed", STORE_LOST)
        return
    raise dramatiq.Retry(delay=random.randint(500, 2000)) from None


def _finish_and_interrupt(attempt: Attempt, error: BaseException, outcome: Outcome) -> None:
    when_store_answers(attempt.ctx, lambda: _finish(attempt, error, outcome))
    raise error


def _log_and_finish(attempt: Attempt, error: BaseException, outcome: Outcome) -> None:
    log.error("job %s for %s failed", attempt.job_id, attempt.key_text, exc_info=error)
    _finish(attempt, error, outcome)


#: The table of the module docstring, row by row.
OUTCOMES: Final[dict[type[BaseException], Outcome]] = {
    JobCancelled: Outcome("cancelled", CANCELLED, _finish),
    NotFound: Outcome("not_found", None, _forget_login),
    ReportTooLarge: Outcome("failed", None, _finish),
    Unauthorized: Outcome("failed", TOKEN_REJECTED, _reject_token),
    RateLimited: Outcome("waiting_rate_limit", None, _wait_for_reset),
    GitHubUnavailable: Outcome("queued", GITHUB_TROUBLE, _retry_with_backoff),
    GitHubError: Outcome("failed", None, _finish),
    StoreUnavailable: Outcome(None, None, _retry_once_redis_answers),
    Abort: Outcome("cancelled", CANCELLED, _finish_and_interrupt),
    TimeLimitExceeded: Outcome("failed", TOO_LONG, _finish_and_interrupt),
    Exception: Outcome("failed", INTERNAL, _log_and_finish),
}

#: What can end an attempt wherever it lands (not only in the generation).
ANYWHERE: Final = (Abort, TimeLimitExceeded, StoreUnavailable)


def outcome_of(kind: type[BaseException]) -> Outcome:
    """The row for exceptions of class ``kind``: its first class in :data:`OUTCOMES`."""
    for cls in kind.__mro__:
        if cls in OUTCOMES:
            return OUTCOMES[cls]
    raise LookupError(f"no outcome for {kind.__name__}")  # a BaseException outside the table


def end(attempt: Attempt, error: BaseException) -> None:
    """End ``attempt`` as the row of ``error`` says (some rows raise: a retry, an interrupt)."""
    outcome = outcome_of(type(error))
    outcome.effect(attempt, error, outcome)
