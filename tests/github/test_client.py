"""The client's status mapping, retries and headers, over ``httpx.MockTransport``."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from gitbrag.errors import GitHubError, GitHubUnavailable, NotFound, RateLimited, Unauthorized
from gitbrag.github.budget import Allowance, LocalTokenBudget, Seen
from gitbrag.github.client import BatchTooLarge, GitHubClient
from gitbrag.github.responses import Outcome, classify, failed_aliases, reset_time
from gitbrag.settings import Settings
from tests.github.helpers import NOW, Sleeps, make_client, ok_data, run, scripted

RESET = int((NOW + timedelta(minutes=30)).timestamp())
TIMEOUT_MESSAGE = (
    "Something went wrong while executing your query. This may be the result of a timeout, "
    "or it could be a GitHub bug."
)
# --------------------------------------------------------------------------- the mapping table


def _h(**headers: str) -> dict[str, str]:
    return {k.replace("_", "-"): v for k, v in headers.items()}


SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes."
ABUSE = "You have triggered an abuse detection mechanism. Please wait a few minutes."
EXHAUSTED = _h(x_ratelimit_remaining="0", x_ratelimit_reset=str(RESET))
AT_RESET = datetime.fromtimestamp(RESET, UTC)
RESOURCE_LIMITS = {
    "type": "RESOURCE_LIMITS_EXCEEDED",
    "path": ["r1", "pullRequest", "files"],
    "message": "Resource limits for this query exceeded.",
}
PARTIAL = {"data": {"r0": {"x": 1}, "r1": None}, "errors": [RESOURCE_LIMITS]}
NOT_FOUND_PART = {
    "data": {"r0": None, "r1": {}},
    "errors": [{"type": "NOT_FOUND", "path": ["r0"], "message": "Could not resolve"}],
}

# (id, status, headers, payload, graphql, login, options, expected outcome)
CASES: list[tuple[str, int, dict[str, str], Any, bool, str | None, dict[str, bool], Outcome]] = [
    ("ok rest", 200, {}, {"login": "x"}, False, None, {}, Outcome()),
    ("ok graphql", 200, {}, {"data": {"a": 1}}, True, None, {}, Outcome()),
    # primary limits: headers, wording, both GraphQL 200 shapes
    ("403 exhausted", 403, EXHAUSTED, None, True, None, {}, Outcome(primary_reset=AT_RESET)),
    (
        "403 exhausted wins over retry-after",
        403,
        {**EXHAUSTED, "retry-after": "5"},
        None,
        False,
        None,
        {},
        Outcome(primary_reset=AT_RESET),
    ),
    ("429 exhausted", 429, EXHAUSTED, None, False, None, {}, Outcome(primary_reset=AT_RESET)),
    (
        "403 primary wording, remaining not 0",
        403,
        _h(x_ratelimit_remaining="12", x_ratelimit_reset=str(RESET)),
        {"message": "API rate limit exceeded for user ID 1."},
        False,
        None,
        {},
        Outcome(primary_reset=AT_RESET),
    ),
    (
        "graphql RATE_LIMITED",
        200,
        EXHAUSTED,
        {"data": None, "errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]},
        True,
        None,
        {},
        Outcome(primary_reset=AT_RESET),
    ),
    (
        "graphql RATE_LIMIT (githubkit#271)",
        200,
        _h(x_ratelimit_remaining="3", x_ratelimit_reset=str(RESET)),
        {
            "errors": [
                {
                    "type": "RATE_LIMIT",
                    "code": "graphql_rate_limit",
                    "message": "API rate limit already exceeded for user ID 1.",
                }
            ]
        },
        True,
        None,
        {},
        Outcome(primary_reset=AT_RESET),
    ),
    (
        "graphql code only, no reset header",
        200,
        {},
        {"errors": [{"code": "graphql_rate_limit", "message": "limit"}]},
        True,
        None,
        {},
        Outcome(primary_reset=NOW + timedelta(seconds=60)),
    ),
    # secondary limits: 403 or 429, with or without Retry-After, 200 GraphQL, old wording
    (
        "403 secondary + retry after",
        403,
        _h(retry_after="7"),
        {"message": SECONDARY},
        False,
        None,
        {},
        Outcome(secondary=True, retry_after=7.0),
    ),
    (
        "403 secondary, no retry after",
        403,
        {},
        {"message": SECONDARY},
        True,
        None,
        {},
        Outcome(secondary=True),
    ),
    (
        "403 retry after only",
        403,
        _h(retry_after="3"),
        None,
        False,
        None,
        {},
        Outcome(secondary=True, retry_after=3.0),
    ),
    (
        "429 retry after as a date",
        429,
        _h(retry_after="Sun, 29 Nov 2026 12:00:09 GMT"),
        None,
        True,
        None,
        {},
        Outcome(secondary=True, retry_after=9.0),
    ),
    ("429 bare", 429, {}, None, False, None, {}, Outcome(secondary=True)),
    (
        "429 secondary wording",
        429,
        {},
        {"message": SECONDARY},
        False,
        None,
        {},
        Outcome(secondary=True),
    ),
    ("403 abuse (GHE)", 403, {}, {"message": ABUSE}, False, None, {}, Outcome(secondary=True)),
    (
        "graphql 200 secondary error",
        200,
        {},
        {"errors": [{"message": SECONDARY}]},
        True,
        None,
        {},
        Outcome(secondary=True),
    ),
    (
        "graphql 200 secondary, REST-shaped body",
        200,
        _h(retry_after="4"),
        {"message": SECONDARY, "documentation_url": "https://docs.github.com"},
        True,
        None,
        {},
        Outcome(secondary=True, retry_after=4.0),
    ),
    (
        "graphql 200 abuse error",
        200,
        {},
        {"data": None, "errors": [{"message": ABUSE}]},
        True,
        None,
        {},
        Outcome(secondary=True),
    ),
    # absence that is an answer
    (
        "404 missing ok",
        404,
        {},
        {"message": "Not Found"},
        False,
        "x",
        {"missing_ok": True},
        Outcome(absent=True),
    ),
    # transient
    ("502", 502, {}, None, True, None, {}, Outcome(transient="HTTP 502", shrink=True)),
    ("504", 504, {}, None, True, None, {}, Outcome(transient="HTTP 504", shrink=True)),
    ("503", 503, {}, None, False, None, {}, Outcome(transient="HTTP 503")),
    ("500", 500, {}, None, False, None, {}, Outcome(transient="HTTP 500")),
    (
        "graphql timeout",
        200,
        {},
        {"data": None, "errors": [{"message": TIMEOUT_MESSAGE}]},
        True,
        None,
        {},
        Outcome(transient=f"GraphQL timeout: {TIMEOUT_MESSAGE}", shrink=True),
    ),
    (
        "graphql whole-query resource limits",
        200,
        {},
        {"data": None, "errors": [{**RESOURCE_LIMITS, "path": None}]},
        True,
        None,
        {},
        Outcome(
            transient="GraphQL resource limits: Resource limits for this query exceeded.",
            shrink=True,
        ),
    ),
    # partial answers
    ("graphql partial not found", 200, {}, NOT_FOUND_PART, True, None, {}, Outcome()),
    ("batch partial resource limits", 200, {}, PARTIAL, True, None, {"batch": True}, Outcome()),
    (
        "strict partial resource limits",
        200,
        {},
        PARTIAL,
        True,
        None,
        {},
        Outcome(
            transient="GraphQL partial answer: Resource limits for this query exceeded.",
            shrink=True,
        ),
    ),
    (
        "graphql no data",
        200,
        {},
        {"data": None},
        True,
        None,
        {},
        Outcome(transient="GraphQL without data"),
    ),
    (
        "graphql garbage",
        200,
        {},
        None,
        True,
        None,
        {},
        Outcome(transient="unreadable GraphQL response"),
    ),
]


@pytest.mark.parametrize(
    ("status", "headers", "payload", "graphql", "login", "options", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_classify_table(
    status: int,
    headers: dict[str, str],
    payload: Any,
    graphql: bool,
    login: str | None,
    options: dict[str, bool],
    expected: Outcome,
) -> None:
    outcome = classify(status, headers, payload, graphql=graphql, login=login, now=NOW, **options)
    assert outcome == expected


ERROR_CASES: list[tuple[str, int, dict[str, str], Any, bool, str | None, type[Exception], str]] = [
    ("401", 401, {}, {"message": "Bad credentials"}, False, None, Unauthorized, "rejected"),
    ("401 graphql", 401, {}, {"message": "Bad credentials"}, True, None, Unauthorized, "token"),
    (
        "plain 403",
        403,
        {},
        {"message": "Resource protected by SAML"},
        False,
        None,
        GitHubError,
        "SAML",
    ),
    ("404 user", 404, {}, {"message": "Not Found"}, False, "Nobody-Here", NotFound, "Nobody-Here"),
    ("404 other", 404, {}, {"message": "Not Found"}, False, None, GitHubError, "404"),
    ("422", 422, {}, {"message": "Validation Failed"}, False, None, GitHubError, "Validation"),
    (
        "graphql error",
        200,
        {},
        {"data": None, "errors": [{"type": "INVALID", "message": "bad q"}]},
        True,
        None,
        GitHubError,
        "bad q",
    ),
    (
        "graphql not found without data",
        200,
        {},
        {"data": None, "errors": [{"type": "NOT_FOUND", "path": ["r0"], "message": "gone"}]},
        True,
        None,
        GitHubError,
        "gone",
    ),
]


@pytest.mark.parametrize(
    ("status", "headers", "payload", "graphql", "login", "error", "text"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_classify_errors(
    status: int,
    headers: dict[str, str],
    payload: Any,
    graphql: bool,
    login: str | None,
    error: type[Exception],
    text: str,
) -> None:
    outcome = classify(status, headers, payload, graphql=graphql, login=login, now=NOW)
    assert type(outcome.error) is error
    assert text in str(outcome.error)
    if isinstance(outcome.error, NotFound):
        assert outcome.error.login == login


def test_every_status_class_is_mapped() -> None:
    """No status falls through as success: every 4xx/5xx is an error, a wait or a retry, and
    a 404 is an answer only where the caller said absence is one."""
    for status in range(400, 600):
        for graphql in (False, True):
            outcome = classify(status, {}, None, graphql=graphql, now=NOW)
            assert outcome != Outcome() and not outcome.absent, status
    assert classify(404, {}, None, graphql=False, now=NOW, missing_ok=True).absent


SAML_MESSAGE = "Resource protected by organization SAML enforcement. You must grant your token"
NOT_ACCESSIBLE = "Resource not accessible by integration"


def test_every_graphql_error_shape_is_mapped() -> None:
    """Every GraphQL error type GitHub documents or was seen sending is a wait, a retry, a
    partial answer or an error: never silently success without data. Success with errors
    is only a partial answer whose errors are permanent (``NOT_FOUND``/``FORBIDDEN``, SAML
    with or without ``type``/``extensions``, "Resource not accessible by …")."""
    types = [
        "RATE_LIMITED", "RATE_LIMIT", "RESOURCE_LIMITS_EXCEEDED", "MAX_NODE_LIMIT_EXCEEDED",
        "NOT_FOUND", "FORBIDDEN", "INTERNAL", "INVALID", "EXCESSIVE_PAGINATION", None,
    ]  # fmt: skip
    shapes: list[tuple[dict[str, Any], bool]] = [
        ({"type": kind, "message": "m"}, kind in ("NOT_FOUND", "FORBIDDEN")) for kind in types
    ]
    shapes += [
        ({"type": "FORBIDDEN", "message": SAML_MESSAGE, "extensions": {"saml_failure": True}}, 1),
        ({"message": SAML_MESSAGE}, True),  # Homebrew/brew#18778: no type, no extensions
        ({"message": "m", "extensions": {"saml_failure": True}}, True),
        ({"type": "FORBIDDEN", "message": NOT_ACCESSIBLE}, True),
        ({"message": "Field 'x' doesn't exist", "extensions": {"code": "undefinedField"}}, 0),
    ]
    for shape, permanent in shapes:
        for path in (None, ["r0", "x"]):
            error = {**shape, "path": path}
            for data in (None, {"r0": None}):
                outcome = classify(
                    200, {}, {"data": data, "errors": [error]}, graphql=True, now=NOW
                )
                if outcome == Outcome():
                    assert data is not None and path and permanent, error
                elif data is None and shape.get("extensions", {}).get("code"):
                    assert outcome.error is not None  # undefinedField: never retried


def test_failed_aliases_are_the_first_step_of_each_retryable_path() -> None:
    payload = {
        "data": {"r0": None, "r1": None, "r2": {}},
        "errors": [
            {**RESOURCE_LIMITS, "path": ["r0", "pullRequest", "files"]},
            {**RESOURCE_LIMITS, "path": ["r0", "pullRequest"]},
            {"type": "NOT_FOUND", "path": ["r1"], "message": "gone"},
            {"message": "no path at all"},
        ],
    }
    assert failed_aliases(payload) == {"r0": "Resource limits for this query exceeded."}


def test_reset_time_sources() -> None:
    assert reset_time({"x-ratelimit-reset": str(RESET)}, NOW) == datetime.fromtimestamp(RESET, UTC)
    # octokit's recordings carry milliseconds
    assert reset_time({"x-ratelimit-reset": "1507651200000"}, NOW) == datetime(
        2017, 10, 10, 16, 0, tzinfo=UTC
    )
    assert reset_time({}, NOW) == NOW + timedelta(seconds=60)


# --------------------------------------------------------------------------- the retry loop


def test_retries_502_then_succeeds_with_growing_jittered_backoff() -> None:
    handler, seen = scripted(
        httpx.Response(502), httpx.Response(502), httpx.Response(504), ok_data()
    )
    sleeps = Sleeps()
    client = make_client(handler, sleep=sleeps, backoff_base=1.0)
    assert run(client.graphql("query { x }", {"first": 100})) == {"ok": True}
    assert client.requests_made == 4 == len(seen)
    assert len(sleeps) == 3
    for attempt, delay in enumerate(sleeps, start=1):
        step = 2.0 ** (attempt - 1)
        assert step / 2 <= delay <= step
    sent_pages = [json.loads(r.content)["variables"]["first"] for r in seen]
    assert sent_pages == [100, 50, 25, 12]


def test_graphql_timeout_error_retries_with_smaller_pages() -> None:
    timeout = httpx.Response(200, json={"data": None, "errors": [{"message": TIMEOUT_MESSAGE}]})
    handler, seen = scripted(timeout, ok_data({"search": {}}))
    client = make_client(handler)
    assert run(client.graphql("query { x }", {"first": 100, "query": "q"})) == {"search": {}}
    assert [json.loads(r.content)["variables"] for r in seen] == [
        {"first": 100, "query": "q"},
        {"first": 50, "query": "q"},
    ]


def test_transport_errors_are_retried() -> None:
    handler, seen = scripted(
        httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.Response(200, json={"a": 1})
    )
    client = make_client(handler)
    assert run(client.rest_get("/rate_limit")) == {"a": 1}
    assert len(seen) == 3


def test_exhausted_retries_raise_unavailable() -> None:
    handler, seen = scripted(*[httpx.Response(502)] * 4)
    client = make_client(handler, max_attempts=4)
    with pytest.raises(GitHubUnavailable, match="HTTP 502"):
        run(client.rest_get("/users/octocat"))
    assert len(seen) == 4


def test_retry_after_sleeps_exactly_that_long() -> None:
    handler, seen = scripted(
        httpx.Response(403, headers={"retry-after": "2"}, json={"message": "secondary rate limit"}),
        httpx.Response(429, headers={"retry-after": "1"}),
        httpx.Response(200, json={"login": "octocat"}),
    )
    sleeps = Sleeps()
    client = make_client(handler, sleep=sleeps)
    assert run(client.viewer_login()) == "octocat"
    assert sleeps == [2.0, 1.0]
    assert len(seen) == 3


def test_a_very_long_retry_after_becomes_rate_limited() -> None:
    handler, _ = scripted(httpx.Response(403, headers={"retry-after": "3600"}))
    client = make_client(handler, max_retry_after=300)
    with pytest.raises(RateLimited) as caught:
        run(client.rest_get("/user"))
    assert caught.value.reset_at == NOW + timedelta(seconds=3600)


def test_401_stops_at_once() -> None:
    handler, seen = scripted(httpx.Response(401, json={"message": "Bad credentials"}))
    client = make_client(handler)
    with pytest.raises(Unauthorized):
        run(client.viewer_login())
    assert len(seen) == 1


def test_exhausted_budget_raises_with_reset_and_records_budget() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(RESET)}
    handler, seen = scripted(httpx.Response(403, headers=headers, json={"message": "rate limit"}))
    client = make_client(handler)
    with pytest.raises(RateLimited) as caught:
        run(client.graphql("query { x }"))
    assert caught.value.reset_at == datetime.fromtimestamp(RESET, UTC)
    assert (client.remaining, client.reset_at) == (0, caught.value.reset_at)
    assert len(seen) == 1


def test_unknown_user_is_not_found() -> None:
    handler, _ = scripted(httpx.Response(404, json={"message": "Not Found"}))
    client = make_client(handler)
    with pytest.raises(NotFound) as caught:
        run(client.rest_get("/users/ghost-user", login="ghost-user"))
    assert caught.value.login == "ghost-user"


def test_budget_is_tracked_from_headers_and_graphql() -> None:
    handler, _ = scripted(
        httpx.Response(
            200,
            headers={"x-ratelimit-remaining": "4999", "x-ratelimit-reset": str(RESET)},
            json={"login": "a"},
        ),
        ok_data({"rateLimit": {"cost": 1, "remaining": 4990, "resetAt": "2026-11-29T13:00:00Z"}}),
    )
    client = make_client(handler)
    run(client.rest_get("/user"))
    assert client.remaining == 4999
    assert client.reset_at == datetime.fromtimestamp(RESET, UTC)
    run(client.graphql("query { rateLimit { remaining } }"))
    assert client.remaining == 4990
    assert client.reset_at == datetime(2026, 11, 29, 13, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- headers and URLs


def test_headers_and_token_secrecy(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    handler, seen = scripted(httpx.Response(502), httpx.Response(200, json={"login": "a"}))
    client = make_client(handler, token="s3cret-token")
    run(client.viewer_login())
    request = seen[-1]
    assert request.headers["authorization"] == "Bearer s3cret-token"
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert request.headers["user-agent"].startswith("gitbrag")
    assert str(request.url) == "https://api.test/user"
    assert "s3cret-token" not in repr(client)
    assert "s3cret-token" not in caplog.text
    assert caplog.text  # the retry was logged


def test_anonymous_client_sends_no_authorization() -> None:
    handler, seen = scripted(httpx.Response(200, json={}))
    run(make_client(handler, token=None).rest_get("/rate_limit"))
    assert "authorization" not in seen[0].headers


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings read only what a test gives them: no ``.env``, no ``GITBRAG_GITHUB_*``."""
    monkeypatch.chdir(tmp_path)
    for name in ("GITBRAG_GITHUB_API_URL", "GITBRAG_GITHUB_GRAPHQL_URL"):
        monkeypatch.delenv(name, raising=False)


def test_enterprise_urls_from_settings_are_honoured() -> None:
    settings = Settings(github_api_url="https://ghe.example.com/api/v3")
    assert settings.graphql_url == "https://ghe.example.com/api/graphql"
    handler, seen = scripted(httpx.Response(200, json={"login": "a"}), ok_data())
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = GitHubClient.from_settings(settings, "tok", http=http)
    run(client.rest_get("/users/a", login="a"))
    run(client.graphql("query { x }"))
    assert [str(r.url) for r in seen] == [
        "https://ghe.example.com/api/v3/users/a",
        "https://ghe.example.com/api/graphql",
    ]


@pytest.mark.parametrize(
    ("api_url", "graphql_url"),
    [
        ("https://api.github.com", "https://api.github.com/graphql"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765/graphql"),
    ],
)
def test_settings_derive_graphql_url(api_url: str, graphql_url: str) -> None:
    assert Settings(github_api_url=api_url).graphql_url == graphql_url


def test_explicit_graphql_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITBRAG_GITHUB_API_URL", "https://ghe.example.com/api/v3")
    monkeypatch.setenv("GITBRAG_GITHUB_GRAPHQL_URL", "https://gql.example.com/custom")
    settings = Settings()
    assert settings.github_api_url == "https://ghe.example.com/api/v3"
    assert settings.graphql_url == "https://gql.example.com/custom"


def test_from_settings_owns_and_closes_its_http_client() -> None:
    settings = Settings(http_timeout_seconds=5)

    async def scenario() -> bool:
        async with GitHubClient.from_settings(settings, None) as client:
            http = client._http
            assert http.timeout.read == 5
        return http.is_closed

    assert run(scenario())


# --------------------------------------------------------------------------- rate limits


def _secondary(retry_after: str | None = None) -> httpx.Response:
    headers = {"retry-after": retry_after} if retry_after else {}
    return httpx.Response(403, headers=headers, json={"message": SECONDARY})


def test_a_near_primary_reset_is_waited_out_in_place() -> None:
    reset = int((NOW + timedelta(seconds=90)).timestamp())
    limited = httpx.Response(
        200,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
        json={"errors": [{"type": "RATE_LIMIT", "code": "graphql_rate_limit", "message": "m"}]},
    )
    handler, seen = scripted(limited, ok_data())
    sleeps = Sleeps()
    client = make_client(handler, sleep=sleeps)
    assert run(client.graphql("query { x }")) == {"ok": True}
    assert sleeps == [90.0] and len(seen) == 2


def test_a_far_primary_reset_is_rate_limited_without_another_request() -> None:
    handler, seen = scripted(httpx.Response(403, headers=EXHAUSTED, json={"message": "x"}))
    client = make_client(handler)
    with pytest.raises(RateLimited) as caught:
        run(client.graphql("query { x }"))
    assert caught.value.reset_at == AT_RESET
    assert (client.remaining, client.reset_at) == (0, AT_RESET)
    assert len(seen) == 1


def test_secondary_waits_double_per_request_without_retry_after_then_give_up() -> None:
    handler, seen = scripted(_secondary(), _secondary(), _secondary("5"), _secondary(), ok_data())
    sleeps = Sleeps()
    client = make_client(handler, sleep=sleeps, secondary_wait=60, max_retry_after=300)
    assert run(client.graphql("query { x }")) == {"ok": True}
    assert len(seen) == 5
    assert sleeps == [60.0, 120.0, 5.0, 240.0]  # Retry-After is followed exactly
    handler, _ = scripted(*[_secondary()] * 4)
    client = make_client(handler, secondary_wait=60, max_retry_after=300)
    with pytest.raises(RateLimited) as caught:
        run(client.graphql("query { x }"))
    assert caught.value.reset_at - client._now() == timedelta(seconds=480)


def test_a_secondary_limit_pauses_every_request_of_the_token() -> None:
    """Two clients share one token's budget: A's secondary limit makes B wait before it
    sends anything (each client on its own clock, both starting at NOW)."""
    budget = LocalTokenBudget()
    a_handler, _ = scripted(_secondary("30"), ok_data())
    b_handler, b_seen = scripted(ok_data())
    a_clock, b_clock = Sleeps(), Sleeps()
    run(make_client(a_handler, sleep=a_clock, budget=budget).graphql("query { x }"))
    run(make_client(b_handler, sleep=b_clock, budget=budget).graphql("query { x }"))
    assert a_clock == [30.0] and b_clock == [30.0]
    assert len(b_seen) == 1


def test_a_paused_token_makes_other_clients_wait_before_sending() -> None:
    budget = LocalTokenBudget()
    clock = Sleeps()
    run(budget.pause((NOW + timedelta(seconds=45)).timestamp()))
    handler, seen = scripted(ok_data())
    client = make_client(handler, sleep=clock, budget=budget)
    run(client.graphql("query { x }"))
    assert clock == [45.0] and len(seen) == 1


def test_a_budget_known_to_be_spent_sends_nothing() -> None:
    budget = LocalTokenBudget()
    run(budget.observe(Seen("graphql", 0, RESET)))
    handler, seen = scripted(ok_data())
    client = make_client(handler, budget=budget)
    with pytest.raises(RateLimited) as caught:
        run(client.graphql("query { x }"))
    assert caught.value.reset_at == AT_RESET and seen == []
    # REST has its own budget
    handler, seen = scripted(httpx.Response(200, json={"login": "a"}))
    assert run(make_client(handler, budget=budget).viewer_login()) == "a"


def test_points_per_minute_wait_for_the_next_minute() -> None:
    budget = LocalTokenBudget(Allowance(graphql_points_per_minute=2))
    clock = Sleeps(start=datetime(2026, 11, 29, 12, 0, 30, tzinfo=UTC))
    handler, seen = scripted(ok_data(), ok_data(), ok_data())
    client = make_client(handler, sleep=clock, budget=budget)
    for _ in range(3):
        run(client.graphql("query { x }"))
    assert clock == [30.0] and len(seen) == 3


def test_requests_in_flight_never_exceed_the_limit() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(5):
            await asyncio.sleep(0)  # let the others pile up
        in_flight -= 1
        return httpx.Response(200, json={"data": {"ok": True}})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = GitHubClient(
        http,
        token="t",
        api_url="https://api.test",
        graphql_url="https://api.test/graphql",
        budget=LocalTokenBudget(Allowance(max_in_flight=3)),
    )

    async def scenario() -> None:
        await asyncio.gather(*(client.graphql("query { x }") for _ in range(20)))

    run(scenario())
    assert peak == 3


# --------------------------------------------------------------------------- batches, 404s


def test_batch_partial_answers_name_the_aliases_to_retry() -> None:
    handler, _ = scripted(httpx.Response(200, json=PARTIAL))
    answer = run(make_client(handler).graphql_batch("query { r0 r1 }", {}))
    assert answer.data == PARTIAL["data"]
    assert answer.failed == {"r1": "Resource limits for this query exceeded."}


def test_batch_timeouts_ask_to_split_unless_already_smallest() -> None:
    timeout = httpx.Response(200, json={"data": None, "errors": [{"message": TIMEOUT_MESSAGE}]})
    handler, seen = scripted(timeout, timeout)
    with pytest.raises(BatchTooLarge):
        run(make_client(handler).graphql_batch("query { r0 }", {"first": 100}))
    # once more as it was (a blip?), then it is for the caller to split
    assert [json.loads(r.content)["variables"] for r in seen] == [{"first": 100}] * 2
    handler, seen = scripted(timeout, ok_data({"r0": {}}))
    assert run(make_client(handler).graphql_batch("query { r0 }", {"first": 100})).failed == {}
    assert len(seen) == 2
    handler, seen = scripted(timeout, httpx.Response(502), ok_data({"r0": {}}))
    answer = run(make_client(handler).graphql_batch("query { r0 }", {"first": 1}, splittable=False))
    assert answer.data == {"r0": {}} and len(seen) == 3


def test_missing_ok_turns_a_404_into_none() -> None:
    handler, _ = scripted(httpx.Response(404, json={"message": "Not Found"}))
    assert run(make_client(handler).rest_get("/users/a/social_accounts", missing_ok=True)) is None
