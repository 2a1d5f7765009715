"""Property tests over every route: whatever the username, period, dates, query string, headers
or form body, the app (in process, real Redis, the simulated GitHub) never answers 5xx, never
shows a traceback, and its JSON answers parse.

``FUZZ_EXAMPLES`` sets the examples per route (``make chaos`` runs many more than
``make test``); with ``FUZZ_RECORD`` every answer's status is appended to that file
(``make chaos`` counts them)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitbrag.jobs.service import ReportService
from tests.fixtures.web import key_for, store_report
from tests.fuzz import record
from tests.fuzz import strategies as fuzz

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))

# Every route of the app, as (method, path template). ``test_the_table_covers_every_route``
# fails when a route is added without being fuzzed here.
ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/"),
    ("GET", "/search"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/static/{path}"),
    ("GET", "/auth/login"),
    ("GET", "/auth/callback"),
    ("POST", "/auth/logout"),
    ("GET", "/api/reports/github/{username}"),
    ("POST", "/api/reports/github/{username}/refresh"),
    ("GET", "/api/jobs/{job_id}"),
    ("GET", "/api/jobs/{job_id}/events"),
    ("DELETE", "/api/jobs/{job_id}"),
    ("GET", "/user/github/{username}.json"),
    ("GET", "/user/github/{username}.md"),
    ("GET", "/user/github/{username}"),
    ("GET", "/user/github/{username}/repositories"),
    ("GET", "/user/github/{username}/repositories/{owner}/{name}"),
    ("GET", "/user/github/{username}/issues"),
    ("GET", "/user/github/{username}/compare"),
    ("GET", "/user/github/{username}/curate"),
    ("POST", "/user/github/{username}/curation"),
    ("GET", "/user/github/{username}/card.svg"),
    ("GET", "/user/github/{username}/badge.svg"),
    ("GET", "/user/github/{username}/og.png"),
    ("GET", "/api/reports/github/{username}/compare"),
    ("GET", "/api/curation/github/{username}"),
    ("POST", "/api/curation/github/{username}"),
    ("POST", "/user/github/{username}/refresh"),
    ("POST", "/jobs/{job_id}/cancel"),
    # The operations console (issue 22): 404 for anyone but an admin, every method.
    ("GET", "/admin"),
    ("GET", "/admin/live"),
    ("GET", "/admin/events"),
    ("POST", "/admin/jobs/cancel"),
    ("POST", "/admin/jobs/retry"),
    ("POST", "/admin/dead-letters/retry"),
    ("POST", "/admin/dead-letters/purge"),
    ("POST", "/admin/reports/regenerate"),
    ("POST", "/admin/prewarm/pause"),
    ("POST", "/admin/prewarm/resume"),
    ("POST", "/admin/limiter/release"),
    *(
        (method, path)
        for path in ("/admin", "/admin/{rest:path}")
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
        if (method, path) != ("GET", "/admin")
    ),
)
# The console's catch-all answers every method alike: fuzzed once (GET, POST), not six times.
FUZZED = tuple(
    route
    for route in ROUTES
    if not (route[1].startswith("/admin") and route[0] in ("PUT", "PATCH", "DELETE", "OPTIONS"))
)


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route the app serves (included routers walked;
    ``Mount``s as ``{path}`` below them)."""
    found: set[tuple[str, str]] = set()

    def walk(routes: list[object]) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)  # FastAPI's included router
            if inner is not None:
                walk(list(inner.routes))
                continue
            path = str(getattr(route, "path", ""))
            methods = getattr(route, "methods", None)
            if methods is None:  # a Mount (static files)
                found.add(("GET", path + "/{path}"))
                continue
            found.update((method, path) for method in methods if method != "HEAD")

    walk(list(app.routes))
    return found


@pytest.fixture
def fuzz_client(web_app: FastAPI, web_service: ReportService) -> Iterator[TestClient]:
    """The app with cached reports for octocat, octo_acme and -jerry-, so fuzzed views reach
    rendering too."""
    store_report(web_service, key_for("octocat"))
    store_report(web_service, key_for("octocat", "2_years"), age_seconds=3 * 86_400)
    store_report(web_service, key_for("octo_acme"))
    store_report(web_service, key_for("-jerry-"))
    with TestClient(web_app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


def _segment(value: str, raw: bool) -> str:
    """Percent-encoded whole, or only where a client must (reserved characters left raw)."""
    return quote(value, safe="/:@!$&'()*+,;=~" if raw else "")


@st.composite
def requests(draw: st.DrawFn, method: str, template: str) -> tuple[str, dict[str, str], dict]:
    """A path from ``template`` with fuzzed parameters, a query string, headers, a form."""
    raw = draw(st.booleans())
    path = template
    if "{username}" in path:
        path = path.replace("{username}", _segment(draw(fuzz.usernames), raw))
    if "{job_id}" in path:
        path = path.replace("{job_id}", _segment(draw(fuzz.job_ids), raw))
    for name in ("{owner}", "{name}"):
        if name in path:
            path = path.replace(name, _segment(draw(fuzz.usernames), raw))
    if "{path}" in path:
        asset = st.sampled_from(["app.css", "app.js", "nope.txt", "../pyproject.toml", "%2e%2e/x"])
        path = path.replace("{path}", draw(st.one_of(asset, fuzz.printable.map(quote))))
    query = draw(fuzz.query_strings())
    headers = draw(fuzz.headers)
    form = draw(fuzz.form_bodies) if method == "POST" else {}
    return (path + ("?" + query if query else "")), headers, form


def test_the_table_covers_every_route(web_app: FastAPI) -> None:
    assert app_routes(web_app) == set(ROUTES)


@pytest.mark.parametrize(("method", "template"), FUZZED, ids=[f"{m} {p}" for m, p in FUZZED])
def test_no_input_makes_a_route_fail(fuzz_client: TestClient, method: str, template: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=os.environ.get("FUZZ_RANDOM") != "1",
    )
    @given(request=requests(method, template))
    def answers_sanely(request: tuple[str, dict[str, str], dict]) -> None:
        url, headers, form = request
        fuzz_client.cookies.clear()
        response = fuzz_client.request(method, url, headers=headers, data=form or None)
        record("hypothesis", f"{method} {template}", response.status_code, url)
        context = f"{method} {url!r} headers={headers!r} -> {response.status_code}"
        assert response.status_code < 500, f"{context}: {response.text[:500]}"
        assert b"Traceback (most recent call last)" not in response.content, context
        kind = response.headers.get("content-type", "")
        if kind.startswith("application/json"):
            json.loads(response.content)  # a JSON answer parses
        redirect = 300 <= response.status_code < 400  # e.g. a trailing slash: no body
        if url.startswith("/api/") and not redirect and not kind.startswith("text/event-stream"):
            assert kind.startswith("application/json"), f"{context}: the API answered {kind}"

    answers_sanely()


def test_a_username_that_is_valid_everywhere_gets_the_same_answer_on_every_view(
    fuzz_client: TestClient,
) -> None:
    """Property: the page, the API and the exports agree on whether a login is valid."""

    @settings(max_examples=EXAMPLES * 2, deadline=None)
    @given(username=fuzz.usernames)
    def agree(username: str) -> None:
        name = quote(username, safe="")
        page = fuzz_client.get(f"/user/github/{name}")
        api = fuzz_client.get(f"/api/reports/github/{name}")
        record("hypothesis", "GET /user/github/{username}", page.status_code)
        record("hypothesis", "GET /api/reports/github/{username}", api.status_code)
        assert page.status_code < 500 and api.status_code < 500
        if username and username != username.lower() and page.status_code == 301:
            return  # the page redirects to the lower-case login first
        assert (page.status_code == 400) == (api.status_code == 400), (username, page, api)

    agree()
