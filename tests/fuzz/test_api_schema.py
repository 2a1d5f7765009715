"""Schemathesis over the JSON API's OpenAPI document (each route's answers, ``web/schemas.py``,
and ``web/openapi.py``'s rules for all): every operation, anonymous and with a GitHub token,
then as a workflow following the documented links (a report request's job, then its status
and its cancellation). Every answer must be documented
(status, content type, headers) and match its schema, and none may be a 5xx.

The app runs in process (ASGI) on the test Redis and the simulated GitHub; a cached report
for octocat makes the ``200`` envelope (with the whole report schema) one of the answers."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from tests.fixtures.web import key_for, store_report
from tests.fuzz import record

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))


@pytest.fixture
def api_app(web_app: FastAPI, web_service: ReportService) -> Iterator[FastAPI]:
    store_report(web_service, key_for("octocat"))
    yield web_app


# Every operation of the document (``test_every_operation_is_fuzzed`` keeps this true: a new
# operation is added here).
OPERATIONS = sorted(
    [
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/api/reports/github/{username}"),
        ("post", "/api/reports/github/{username}/refresh"),
        ("get", "/api/jobs/{job_id}"),
        ("delete", "/api/jobs/{job_id}"),
        ("get", "/api/jobs/{job_id}/events"),
        ("get", "/api/reports/github/{username}/compare"),
        ("get", "/api/curation/github/{username}"),
        ("post", "/api/curation/github/{username}"),
        ("get", "/user/github/{username}/card.svg"),
        ("get", "/user/github/{username}/badge.svg"),
        ("get", "/user/github/{username}/og.png"),
    ]
)

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=os.environ.get("FUZZ_RANDOM") != "1",
)


def _fuzz(app: FastAPI, method: str, path: str, headers: dict[str, str]) -> None:
    # Schemathesis's pytest plugin does not run under pytest 9 (yet): its strategies are
    # driven by Hypothesis here instead.
    operation = schemathesis.openapi.from_asgi("/openapi.json", app)[path][method.upper()]

    @given(case=operation.as_strategy())
    @FUZZ_SETTINGS
    def answers_match(case: schemathesis.Case) -> None:
        # Not "a schema-valid request is accepted": a period or a range, since <= until <=
        # today are rules across parameters that no schema states (those get a 400).
        response = case.call(headers=headers)
        record("schemathesis", f"{method.upper()} {path}", response.status_code)
        case.validate_response(
            response, headers=headers, excluded_checks=[positive_data_acceptance]
        )

    answers_match()


def test_every_operation_is_fuzzed(api_app: FastAPI) -> None:
    document = api_app.openapi()
    found = {(m, p) for p, operations in document["paths"].items() for m in operations}
    assert found == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_anonymous_answers_match_the_schema(api_app: FastAPI, method: str, path: str) -> None:
    _fuzz(api_app, method, path, {})


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_answers_to_a_token_match_the_schema(
    api_app: FastAPI, hub: FakeHub, method: str, path: str
) -> None:
    _fuzz(api_app, method, path, {"Authorization": f"Bearer {hub.token('octocat')}"})


def test_workflows_following_the_links_match_the_schema(
    api_app: FastAPI, web_service: ReportService, hub: FakeHub
) -> None:
    """Stateful: schemathesis follows the document's links (a report request's job, then its
    status and its cancellation) with a token, every answer checked as above. Each scenario
    starts from the same Redis (Hypothesis replays scenarios, and the server's state, quotas
    and jobs included, must not make a replay take another path)."""
    token = hub.token("octocat")

    schema = schemathesis.openapi.from_asgi("/openapi.json", api_app)
    # Not the event stream: for a job that stays queued (no worker here) it lasts minutes.
    machine = schema.exclude(path="/api/jobs/{job_id}/events").as_state_machine()

    class Workflows(machine):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            web_service.redis.flushdb()
            store_report(web_service, key_for("octocat"))

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            return {"headers": {"Authorization": f"Bearer {token}"}}

        def after_call(self, response: schemathesis.Response, case: schemathesis.Case) -> None:
            record("schemathesis", f"{case.method} {case.path}", response.status_code)

        def validate_response(
            self,
            response: schemathesis.Response,
            case: schemathesis.Case,
            additional_checks: object = None,
            **kwargs: object,
        ) -> None:
            # Requests are checked for what they get back, not for how strictly they are
            # read: periods and flags are read case-insensitively, a bad date is a 400 from
            # the app rather than from the schema (see above for positive data).
            case.validate_response(
                response, excluded_checks=[positive_data_acceptance, negative_data_rejection]
            )

    Workflows.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=os.environ.get("FUZZ_RANDOM") != "1",
        )
    )
