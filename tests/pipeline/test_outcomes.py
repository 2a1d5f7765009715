"""The outcome table of a report job (``actors.outcomes``): complete for every error gitbrag
defines, in step with its docstring, and each row end to end through the job's body
(``actors.jobs.run_report_job``, in this process, on the test Redis) with a generation that
raises it."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import dramatiq
import pytest
from dramatiq.middleware.time_limit import TimeLimitExceeded
from dramatiq_abort import Abort

import gitbrag.errors
from actors import outcomes
from actors.jobs import run_report_job
from actors.outcomes import (
    GITHUB_DOWN,
    GITHUB_TROUBLE,
    INTERNAL,
    OUTCOMES,
    RATE_LIMIT_STAYED,
    STORE_LOST,
    TOKEN_REJECTED,
    TOO_LONG,
    JobCancelled,
    outcome_of,
)
from actors.worker import WorkerContext
from gitbrag.errors import (
    ConfigError,
    GitBragError,
    GitHubError,
    GitHubUnavailable,
    InvalidInput,
    IsOrganization,
    NotAccessible,
    NotFound,
    ProfilePrivate,
    QuotaExceeded,
    RateLimited,
    ReportTooLarge,
    SchemaMismatch,
    SsoRequired,
    StoreUnavailable,
    Unauthorized,
    UserNotSearchable,
)
from gitbrag.fakehub import FakeHub
from gitbrag.jobs.lifecycle import CANCELLED, Job, JobStatus
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from tests.pipeline.conftest import Pipeline
from tests.pipeline.helpers import credential_for, raising

THE_ERRORS_OWN_WORDS = None

# What each error gitbrag defines means for a job, if a generation raised it: (status,
# message). A new error class fails this test until someone decides.
EXPECTED: dict[type[BaseException], tuple[JobStatus | None, str | None]] = {
    GitBragError: ("failed", INTERNAL),
    InvalidInput: ("failed", INTERNAL),
    ConfigError: ("failed", INTERNAL),
    QuotaExceeded: ("failed", INTERNAL),
    StoreUnavailable: (None, None),  # retried once Redis answers
    GitHubError: ("failed", THE_ERRORS_OWN_WORDS),
    NotFound: ("not_found", THE_ERRORS_OWN_WORDS),
    IsOrganization: ("not_found", THE_ERRORS_OWN_WORDS),
    ProfilePrivate: ("not_found", THE_ERRORS_OWN_WORDS),
    ReportTooLarge: ("failed", THE_ERRORS_OWN_WORDS),
    Unauthorized: ("failed", TOKEN_REJECTED),
    RateLimited: ("waiting_rate_limit", THE_ERRORS_OWN_WORDS),
    GitHubUnavailable: ("queued", GITHUB_TROUBLE),
    SsoRequired: ("failed", THE_ERRORS_OWN_WORDS),
    NotAccessible: ("failed", THE_ERRORS_OWN_WORDS),
    UserNotSearchable: ("failed", THE_ERRORS_OWN_WORDS),
    SchemaMismatch: ("failed", THE_ERRORS_OWN_WORDS),
    # Not gitbrag's errors: the heartbeat's, Dramatiq's interrupts, and a bug.
    JobCancelled: ("cancelled", CANCELLED),
    Abort: ("cancelled", CANCELLED),
    TimeLimitExceeded: ("failed", TOO_LONG),
    ValueError: ("failed", INTERNAL),
}


def test_every_error_gitbrag_defines_has_an_outcome() -> None:
    defined = {
        member
        for _, member in inspect.getmembers(gitbrag.errors, inspect.isclass)
        if issubclass(member, BaseException) and member.__module__ == gitbrag.errors.__name__
    }
    assert defined <= set(EXPECTED), f"decide what these mean for a job: {defined - set(EXPECTED)}"
    for kind, (status, message) in EXPECTED.items():
        outcome = outcome_of(kind)
        assert (outcome.status, outcome.message) == (status, message), kind.__name__


def test_nothing_outside_the_table_is_caught_as_an_outcome() -> None:
    with pytest.raises(LookupError):
        outcome_of(KeyboardInterrupt)


def test_the_docstring_table_names_every_row() -> None:
    doc = outcomes.__doc__ or ""
    for kind in OUTCOMES:
        assert kind is Exception or f"``{kind.__name__}``" in doc, kind.__name__
    assert "any other exception" in doc


# ------------------------------------------------------------------ every row, end to end

KEY = ReportKey("octocat", DateRange.for_period("1_year"))
RESET = datetime.now(UTC) + timedelta(minutes=5)


def _run(
    ctx: WorkerContext,
    pipeline: Pipeline,
    hub: FakeHub,
    error: BaseException,
    *,
    retries: int = 0,
    max_retries: int = 0,
    rate_limit_waits: int = 0,
) -> tuple[Job, BaseException | None]:
    """Run a job whose generation raises ``error``: the job afterwards, and what the job's
    body raised (for Dramatiq), if anything."""
    credential = credential_for(pipeline.service, hub.token("octocat"))
    requested = pipeline.service.request_report(KEY, credential)
    deferred: list[int] = []
    raised: BaseException | None = None
    try:
        run_report_job(
            ctx,
            job_id=requested.id,
            key_text=str(KEY),
            credential=str(credential),
            retries=retries,
            max_retries=max_retries,
            generate=raising(error),
            defer=deferred.append,
            rate_limit_waits=rate_limit_waits,
        )
    except BaseException as exc:
        raised = exc
    job = pipeline.service.get_job(requested.id)
    assert job is not None
    assert bool(deferred) == (job.status == "waiting_rate_limit")
    return job, raised


FINAL_ROWS = [
    (JobCancelled(), "cancelled", CANCELLED),
    (ReportTooLarge("octocat", 30_000, 20_000), "failed", "reads at most 20,000"),
    (SchemaMismatch("Issue", "stateReason", "no such field"), "failed", "no field Issue.state"),
    (NotAccessible("Resource not accessible by integration"), "failed", "cannot read this"),
    (GitHubError("GitHub GraphQL error: m"), "failed", "GitHub GraphQL error: m"),
    (GitHubUnavailable("HTTP 502"), "failed", GITHUB_DOWN),  # no retries left
    (StoreUnavailable("lost"), "failed", STORE_LOST),  # no retries left
    (ValueError("a bug"), "failed", INTERNAL),
]


@pytest.mark.parametrize(("error", "status", "message"), FINAL_ROWS)
def test_a_row_that_ends_the_job(
    job_context: WorkerContext,
    hub_pipeline: Pipeline,
    hub: FakeHub,
    error: BaseException,
    status: str,
    message: str,
) -> None:
    job, raised = _run(job_context, hub_pipeline, hub, error)
    assert raised is None and job.status == status
    assert job.error is not None and message in job.error
    assert hub_pipeline.service.current_job(KEY) is None  # the claim is free


def test_a_rejected_token_is_marked_invalid(
    job_context: WorkerContext, hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    job, _ = _run(job_context, hub_pipeline, hub, Unauthorized())
    assert (job.status, job.error) == ("failed", TOKEN_REJECTED)
    credential = hub_pipeline.service.stores.jobs.credential(job.id)
    assert credential is not None and hub_pipeline.service.stores.credentials.is_invalid(credential)


def test_a_login_github_does_not_know_is_remembered(
    job_context: WorkerContext, hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    job, _ = _run(job_context, hub_pipeline, hub, IsOrganization("octocat"))
    assert (job.status, job.reason) == ("not_found", "organization")
    assert hub_pipeline.service.stores.reports.unknown_user_reason("octocat") == "organization"


def test_a_rate_limit_waits_for_the_reset_until_it_waited_too_often(
    job_context: WorkerContext, hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    waiting, _ = _run(job_context, hub_pipeline, hub, RateLimited(RESET))
    assert waiting.status == "waiting_rate_limit"
    assert waiting.error is not None and "resuming at" in waiting.error
    hub_pipeline.service.cancel_job(waiting.id)
    most = hub_pipeline.settings.max_rate_limit_waits
    spent, _ = _run(job_context, hub_pipeline, hub, RateLimited(RESET), rate_limit_waits=most)
    assert (spent.status, spent.error) == ("failed", RATE_LIMIT_STAYED)


@pytest.mark.parametrize(
    ("error", "delay_ms", "status"),
    [(GitHubUnavailable("HTTP 502"), 10_000, "queued"), (StoreUnavailable("lost"), 0, "running")],
)
def test_a_row_that_retries_while_retries_are_left(
    job_context: WorkerContext,
    hub_pipeline: Pipeline,
    hub: FakeHub,
    error: BaseException,
    delay_ms: int,
    status: str,
) -> None:
    job, raised = _run(job_context, hub_pipeline, hub, error, retries=1, max_retries=3)
    assert isinstance(raised, dramatiq.Retry)
    assert delay_ms == 0 or raised.delay == delay_ms
    assert job.status == status
    assert hub_pipeline.service.current_job(KEY) == job  # still holding its claim


@pytest.mark.parametrize(
    ("interrupt", "status", "message"),
    [(Abort(), "cancelled", CANCELLED), (TimeLimitExceeded(), "failed", TOO_LONG)],
)
def test_an_interrupt_ends_the_job_and_goes_on_to_dramatiq(
    job_context: WorkerContext,
    hub_pipeline: Pipeline,
    hub: FakeHub,
    interrupt: BaseException,
    status: str,
    message: str,
) -> None:
    job, raised = _run(job_context, hub_pipeline, hub, interrupt)
    assert raised is interrupt
    assert (job.status, job.error) == (status, message)
