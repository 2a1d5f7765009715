"""The JSON API's answers as pydantic models, for the OpenAPI document: the routes answer with
hand-built ``JSONResponse``s (and the report bytes as stored), so each route declares its
answers' bodies with these (``responses={status: {"model": ...}}``), and ``web.openapi`` adds
what every operation may answer (400, 429, 503). ``tests/fuzz/test_api_schema.py``
(schemathesis) checks every answer against the document.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from gitbrag.jobs.lifecycle import JobStatus
from gitbrag.report.models import Report

NotFoundReason = Literal["no_user", "organization", "private_profile"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(_Body):
    """Any refusal: invalid input (400), not logged in (401), not allowed (403), unknown
    (404), Redis unavailable (503)."""

    state: str
    detail: str


class LoginRequired(_Body):
    state: Literal["login_required"]
    detail: str | None = None


class Progress(_Body):
    phase: str
    done: int
    total: int


class Job(_Body):
    id: str
    status: JobStatus
    progress: Progress | None
    report_key: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    error: str | None
    retry_at: str | None = None
    reason: NotFoundReason | None = None  # why a ``not_found`` job found no report


class JobStatusBody(Job):
    """``GET /api/jobs/{id}``: the job plus what a progress bar shows."""

    percent: float
    message: str
    headline: str
    finished: bool
    login_again: bool


class Generating(_Body):
    state: Literal["generating"]
    job: Job


class ReportEnvelope(_Body):
    state: Literal["fresh", "stale"]
    generated_at: str
    age_seconds: int
    job: Job | None
    report: Report


class NotFound(_Body):
    """GitHub has no report for the login: no such user (``no_user``), an organisation's
    login (``organization``), or an account whose owner made their profile private and hid
    their activity (``private_profile``); ``detail`` says so in words."""

    state: Literal["not_found"]
    reason: NotFoundReason
    detail: str


class TooMany(_Body):
    """Over a limit (``Retry-After`` says when to come back): ``limit_reached`` (jobs per
    viewer or address, queue cap: ``limit`` names it), ``quota_exceeded`` (forced refreshes
    per hour, new tokens to check per address), ``too_many_streams`` (live progress: ``poll``
    the job instead)."""

    state: Literal["limit_reached", "quota_exceeded", "too_many_streams"]
    detail: str
    limit: str | None = None
    retry_after_seconds: int | None = None
    poll: str | None = None


class CompareJobs(_Body):
    current: Job | None
    previous: Job | None


class CompareGenerating(_Body):
    state: Literal["generating"]
    jobs: CompareJobs


class NewRepository(_Body):
    name_with_owner: str
    url: str
    pull_requests: int


class MonthPair(_Body):
    month: str
    previous: int
    current: int


class Comparison(BaseModel):
    """The period beside the one before it (``gitbrag.report.comparison``); each side's summary is
    described loosely (``current``, ``previous``, ``deltas``)."""

    model_config = ConfigDict(extra="forbid")
    state: Literal["fresh", "stale"]
    current: dict[str, Any]
    previous: dict[str, Any]
    deltas: dict[str, Any]
    languages_gained: list[str]
    languages_lost: list[str]
    new_repositories: list[NewRepository]
    months: list[MonthPair]


class CurationBody(_Body):
    username: str
    hidden_repositories: list[str]
    hidden_pull_requests: list[str]
    pinned: list[str]
    version: str  # a digest of the choices, "0" for none (``Curation.version``)
    can_undo: bool


class Health(_Body):
    status: Literal["ok"]


class Readiness(_Body):
    status: Literal["ready", "unavailable"]
    redis: bool


# Other answers than JSON.
SVG_STAND_IN: Final = {"image/svg+xml": {"schema": {"type": "string"}}}
HTML_PAGE: Final = {"text/html": {"schema": {"type": "string"}}}
PNG_STAND_IN: Final = {"image/png": {"schema": {"type": "string", "format": "binary"}}}

# The operations an answer naming a job leads to (OpenAPI links: clients, and schemathesis's
# workflows, follow them). The ids are those FastAPI generates for ``web.routes.jobs``.
GET_JOB: Final = "get_job_api_jobs__job_id__get"
CANCEL_JOB: Final = "cancel_job_api_jobs__job_id__delete"


def job_links(pointer: str) -> dict[str, Any]:
    """Links from an answer whose body names a job at JSON ``pointer`` (``/job/id``)."""
    return {
        name: {"operationId": operation, "parameters": {"job_id": f"$response.body#{pointer}"}}
        for name, operation in (("GetJob", GET_JOB), ("CancelJob", CANCEL_JOB))
    }


def body(model: type[BaseModel], description: str | None = None, **more: Any) -> dict[str, Any]:
    """An answer with ``model``'s JSON body (and ``description``, else FastAPI's words for
    the status), for a route's ``responses``."""
    return {"model": model, **({"description": description} if description else {}), **more}
