"""The JSON API's OpenAPI document, with every answer's body described.

FastAPI documents what the routes declare; the API's routes answer with hand-built
``JSONResponse``s (and the report bytes as stored), so their bodies are described here, in one
table, as pydantic models. Also corrected here: invalid input is a ``400`` with the error body
(``web.app``'s handler), never FastAPI's ``422``; and every route that reads Redis may answer
``503`` while Redis is away. ``tests/fuzz/test_api_schema.py`` (schemathesis) checks every
answer against this document.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema

from gitbrag.jobs.lifecycle import JobStatus
from gitbrag.report.models import Report


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


NotFoundReason = Literal["no_user", "organization", "private_profile"]


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
    version: int
    can_undo: bool


class Health(_Body):
    status: Literal["ok"]


class Readiness(_Body):
    status: Literal["ready", "unavailable"]
    redis: bool


# (method, path) -> status -> the body's model. Statuses FastAPI did not list are added.
BODIES: dict[tuple[str, str], dict[str, type[BaseModel]]] = {
    ("get", "/healthz"): {"200": Health},
    ("get", "/readyz"): {"200": Readiness, "503": Readiness},
    ("get", "/api/reports/github/{username}"): {
        "200": ReportEnvelope,
        "202": Generating,
        "401": LoginRequired,
        "404": NotFound,
    },
    ("post", "/api/reports/github/{username}/refresh"): {
        "202": Generating,
        "401": LoginRequired,
        "403": ErrorBody,
    },
    ("get", "/api/jobs/{job_id}"): {"200": JobStatusBody, "404": ErrorBody},
    ("delete", "/api/jobs/{job_id}"): {
        "200": Job,
        "401": ErrorBody,
        "403": ErrorBody,
        "404": ErrorBody,
    },
    ("get", "/api/jobs/{job_id}/events"): {},
    ("get", "/api/reports/github/{username}/compare"): {
        "200": Comparison,
        "202": CompareGenerating,
        "401": LoginRequired,
        "404": NotFound,
    },
    ("get", "/api/curation/github/{username}"): {
        "200": CurationBody,
        "401": ErrorBody,
        "403": ErrorBody,
    },
    ("post", "/api/curation/github/{username}"): {
        "200": CurationBody,
        "401": ErrorBody,
        "403": ErrorBody,
    },
    # The embeds answer images (a stand-in card or badge for a missing report or user).
    ("get", "/user/github/{username}/card.svg"): {},
    ("get", "/user/github/{username}/badge.svg"): {},
    ("get", "/user/github/{username}/og.png"): {},
}
# Beyond the bodies above: what else an operation answers, with which content.
SVG_STAND_IN = {"image/svg+xml": {"schema": {"type": "string"}}}
HTML_PAGE = {"text/html": {"schema": {"type": "string"}}}
PNG_STAND_IN = {"image/png": {"schema": {"type": "string", "format": "binary"}}}
EXTRA_CONTENT: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("get", "/user/github/{username}/card.svg"): {"404": SVG_STAND_IN},
    ("get", "/user/github/{username}/badge.svg"): {"404": SVG_STAND_IN},
    ("get", "/user/github/{username}/og.png"): {"404": HTML_PAGE | PNG_STAND_IN},
}
NO_REDIS = {("get", "/healthz")}
# What the report parameters accept, as far as a schema can say (``gitbrag.report.periods``): a
# period or a date range (not both; since <= until <= today) are rules across parameters,
# answered 400 with the reason.
# An empty value counts as absent (an empty form field); periods and flags are read
# case-insensitively.
_DATE = {"type": "string", "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"}
PARAMETER_SCHEMAS: dict[str, dict[str, Any]] = {
    # ``gitbrag.report.periods.validate_username``: 1-39 letters, digits, hyphens and underscores,
    # at least one letter or digit (``octo_acme``, ``-jerry-``, ``artur-``)
    "username": {"type": "string", "pattern": "^(?=[-_]*[A-Za-z0-9])[A-Za-z0-9_-]{1,39}$"},
    "period": {"type": "string", "enum": ["", "1_year", "2_years", "5_years", "all_time"]},
    "since": _DATE,
    "until": _DATE,
    "include_closed": {
        "type": "string",
        "enum": ["", "true", "false", "1", "0", "yes", "no", "on", "off"],
    },
}
DESCRIPTIONS = {
    "301": "the same address with the login in lower case (`Location`)",
    "400": "invalid input (`detail` says what)",
    "503": "Redis is unavailable (`Retry-After`); the answer comes back by itself",
}
# OpenAPI links: an answer naming a job leads to its status and its cancellation (clients, and
# schemathesis's workflows, follow them). (method, path) -> (status, JSON pointer to the id).
JOB_LINKS: dict[tuple[str, str], tuple[str, str]] = {
    ("get", "/api/reports/github/{username}"): ("202", "/job/id"),
    ("post", "/api/reports/github/{username}/refresh"): ("202", "/job/id"),
    ("delete", "/api/jobs/{job_id}"): ("200", "/id"),
}
JOB_OPERATIONS = {
    "GetJob": ("get", "/api/jobs/{job_id}"),
    "CancelJob": ("delete", "/api/jobs/{job_id}"),
}
MODELS: list[type[BaseModel]] = [
    ErrorBody, LoginRequired, Job, JobStatusBody, Generating, ReportEnvelope, NotFound,
    TooMany, Health, Readiness, Comparison, CompareGenerating, CurationBody,
]  # fmt: skip


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": ref}}}


def document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document with the bodies above (built once, then cached)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    refs, definitions = models_json_schema(
        [(model, "serialization") for model in MODELS],
        ref_template="#/components/schemas/{model}",
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(definitions.get("$defs", {}))
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    error_ref = refs[(ErrorBody, "serialization")]["$ref"]
    for path, operations in schema.get("paths", {}).items():
        # Errors are JSON for the API, the error page elsewhere (``web.app``).
        error = _json(error_ref) if path.startswith("/api/") else HTML_PAGE
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["name"] in PARAMETER_SCHEMAS:
                    parameter["schema"] = PARAMETER_SCHEMAS[parameter["name"]]
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            if operation.get("parameters") or operation.get("requestBody"):
                responses.setdefault("400", {"description": DESCRIPTIONS["400"]})
                responses["400"]["content"] = error
            if (method, path) not in NO_REDIS:
                responses.setdefault("503", {"description": DESCRIPTIONS["503"]})
                responses["503"]["content"] = error
            if path.startswith("/api/"):  # who asks is checked, and what they may start
                response = responses.setdefault("429", {"description": TooMany.__doc__ or ""})
                response["content"] = _json(refs[(TooMany, "serialization")]["$ref"])
            if path.startswith("/user/github/{username}"):
                responses.setdefault("301", {"description": DESCRIPTIONS["301"]})
            for status, content in EXTRA_CONTENT.get((method, path), {}).items():
                responses.setdefault(status, {"description": ""})["content"] = content
            for status, model in BODIES.get((method, path), {}).items():
                response = responses.setdefault(status, {"description": model.__doc__ or ""})
                response["content"] = _json(refs[(model, "serialization")]["$ref"])
    _link_jobs(schema)
    app.openapi_schema = schema
    return schema


def _link_jobs(schema: dict[str, Any]) -> None:
    paths = schema.get("paths", {})
    targets = {
        name: paths[path][method]["operationId"]
        for name, (method, path) in JOB_OPERATIONS.items()
        if method in paths.get(path, {})
    }
    for (method, path), (status, pointer) in JOB_LINKS.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        response["links"] = {
            name: {
                "operationId": operation_id,
                "parameters": {"job_id": f"$response.body#{pointer}"},
            }
            for name, operation_id in targets.items()
        }


def install(app: FastAPI) -> None:
    """Serve :func:`document` at ``/openapi.json`` (and in ``/docs``)."""
    app.openapi = lambda: document(app)  # type: ignore[method-assign]
