"""The request-flow table (docs/spec.md section 5), one test per row, for the page and its
JSON twin.

Reports are written with the real report store; jobs are requested through the real service
(no worker consumes them here, so a requested job stays ``queued``).
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.stores.serving import ServingStore, ViewQuery
from tests.fixtures.web import csrf_token, key_for, login, store_report
from web.auth import Viewer
from web.context import AppContext
from web.flow import decide
from web.presenters.formatting import human_datetime, iso_utc

PAGE = "/user/github/octocat"
API = "/api/reports/github/octocat"
STALE = 2 * 86_400  # older than REPORT_FRESH_SECONDS (86400)


# --- fresh | any -> report, "last updated N ago" -------------------------------------------


def test_fresh_report_page_for_anyone(web_client: TestClient, web_service: ReportService) -> None:
    report = store_report(web_service, key_for(), age_seconds=3 * 3600)
    page = web_client.get(PAGE)
    assert page.status_code == 200
    # The same bytes for every visitor: an absolute time the browser turns into "3 hours ago".
    absolute = human_datetime(report.generated_at)
    moment = f'<time datetime="{iso_utc(report.generated_at)}" title="{absolute}" data-relative>'
    assert f"Last updated {moment}{absolute}</time>" in page.text
    assert "Updating." not in page.text and "Log in to refresh" not in page.text
    assert web_service.current_job(key_for()) is None  # fresh: nothing scheduled


def test_fresh_report_api(web_client: TestClient, web_service: ReportService, hub: FakeHub) -> None:
    report = store_report(web_service, key_for(), age_seconds=60)
    login(web_client, hub)
    body = web_client.get(API).json()
    assert body["state"] == "fresh"
    assert body["job"] is None
    assert 55 <= body["age_seconds"] <= 120
    assert body["report"]["username"] == report.username
    assert body["report"]["totals"] == report.totals.model_dump()
    assert body["generated_at"].startswith(report.generated_at.strftime("%Y-%m-%dT%H:%M"))


# --- stale | can generate -> stale report + one regeneration + "updating" ------------------


def test_stale_report_logged_in_schedules_one_regeneration(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    store_report(web_service, key_for(), age_seconds=STALE)
    login(web_client, hub)
    first = web_client.get(PAGE)
    assert first.status_code == 200
    assert "Updating." in first.text and "Last updated" in first.text
    job = web_service.current_job(key_for())
    assert job is not None and job.status == "queued"
    assert f'data-job-id="{job.id}"' in first.text
    # Another view (and the API twin) joins the same job instead of scheduling a second one.
    again = web_client.get(API).json()
    assert again["state"] == "stale"
    assert again["job"]["id"] == job.id
    assert again["report"]["username"] == "octocat"


# --- stale | anonymous -> stale report + "Log in to refresh" (returns here) -----------------


def test_stale_report_anonymous_gets_login_to_refresh(
    web_client: TestClient, web_service: ReportService
) -> None:
    store_report(web_service, key_for("octocat", "2_years"), age_seconds=STALE)
    page = web_client.get(PAGE, params={"period": "2_years"})
    assert page.status_code == 200
    assert "Log in to refresh" in page.text
    assert "/auth/login?return_to=%2Fuser%2Fgithub%2Foctocat%3Fperiod%3D2_years" in page.text
    assert web_service.current_job(key_for("octocat", "2_years")) is None
    api = web_client.get(API, params={"period": "2_years"})
    assert api.status_code == 200
    assert api.json()["state"] == "stale" and api.json()["job"] is None


# --- missing | can generate -> generating page with live progress ---------------------------


def test_missing_report_logged_in_shows_generating_page(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    login(web_client, hub)
    page = web_client.get(PAGE)
    assert page.status_code == 200
    job = web_service.current_job(key_for())
    assert job is not None
    assert 'class="job-progress"' in page.text
    assert f'data-events-url="/api/jobs/{job.id}/events"' in page.text
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page.text
    assert "Queued" in page.text
    assert ">Cancel</button>" in page.text  # the viewer who started it may cancel it


def test_missing_report_api_returns_202_with_the_same_job(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    login(web_client, hub)
    first = web_client.get(API)
    second = web_client.get(API)
    assert first.status_code == second.status_code == 202
    assert first.json()["state"] == "generating"
    assert first.json()["job"]["id"] == second.json()["job"]["id"]
    assert first.json()["job"]["status"] == "queued"
    fields = {"id", "status", "progress", "report_key", "created_at", "started_at", "finished_at"}
    assert set(first.json()["job"]) >= fields | {"error"}


# --- missing | anonymous -> "Log in to generate this report" (returns here) -----------------


def test_missing_report_anonymous_page_asks_to_log_in(
    web_client: TestClient, web_service: ReportService
) -> None:
    page = web_client.get(PAGE, params={"since": "2026-01-01", "until": "2026-03-31"})
    assert page.status_code == 401
    assert "Log in to generate this report" in page.text
    assert (
        "/auth/login?return_to=%2Fuser%2Fgithub%2Foctocat%3Fsince%3D2026-01-01%26until%3D2026-03-31"
        in page.text
    )
    assert web_service.current_job(key_for()) is None


def test_missing_report_anonymous_api_is_401(web_client: TestClient) -> None:
    response = web_client.get(API)
    assert response.status_code == 401
    assert response.json() == {"state": "login_required"}


# --- any + force refresh (POST, CSRF) | can generate -> schedule, redirect back -------------


def test_force_refresh_schedules_and_redirects_back(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    key = key_for("octocat", "5_years")
    store_report(web_service, key, age_seconds=60)  # fresh: only a forced refresh regenerates
    login(web_client, hub)
    token = csrf_token(web_client)
    refused = web_client.post(
        "/user/github/octocat/refresh", data={"period": "5_years", "csrf_token": "wrong"}
    )
    assert refused.status_code == 403
    assert web_service.current_job(key) is None
    done = web_client.post(
        "/user/github/octocat/refresh", data={"period": "5_years", "csrf_token": token}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/user/github/octocat?period=5_years"
    job = web_service.current_job(key)
    assert job is not None
    page = web_client.get(done.headers["location"])
    assert "Updating." in page.text and f'data-job-id="{job.id}"' in page.text


def test_force_refresh_api_same_job_then_quota(
    web_client: TestClient, web_service: ReportService, hub: FakeHub, web_app: object
) -> None:
    login(web_client, hub)
    headers = {"X-CSRF-Token": csrf_token(web_client)}
    assert web_client.post(f"{API}/refresh").status_code == 403  # cookie session needs CSRF
    first = web_client.post(f"{API}/refresh", headers=headers)
    again = web_client.post(f"{API}/refresh", headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["job"]["id"] == again.json()["job"]["id"]  # the same job while it runs
    # Use up the hourly quota on other reports (each is a new job, done before the next:
    # the limit on jobs at once is not what this checks), then get 429.
    limit = web_app.state.context.settings.refresh_quota_per_hour  # type: ignore[attr-defined]
    web_service.stores.jobs.finish(first.json()["job"]["id"], "done")
    for index in range(limit - 1):
        ok = web_client.post(
            f"{API}/refresh", params={"since": f"2026-01-{index + 1:02d}"}, headers=headers
        )
        assert ok.status_code == 202, ok.text
        web_service.stores.jobs.finish(ok.json()["job"]["id"], "done")
    over = web_client.post(f"{API}/refresh", params={"since": "2026-02-01"}, headers=headers)
    assert over.status_code == 429
    assert 0 < int(over.headers["Retry-After"]) <= 3600
    assert over.json()["state"] == "quota_exceeded"


def test_force_refresh_anonymous_goes_to_login(web_client: TestClient) -> None:
    page = web_client.post("/user/github/octocat/refresh", data={"period": "2_years"})
    assert page.status_code == 303
    assert page.headers["location"] == (
        "/auth/login?return_to=%2Fuser%2Fgithub%2Foctocat%3Fperiod%3D2_years"
    )
    assert web_client.post(f"{API}/refresh").status_code == 401


# --- unknown user -> 404 -----------------------------------------------------------------


def test_unknown_user_is_404_page_and_api(
    web_client: TestClient, web_service: ReportService
) -> None:
    web_service.stores.reports.mark_unknown_user("Ghost-User")
    page = web_client.get("/user/github/ghost-user")
    assert page.status_code == 404
    assert "No GitHub user named ghost-user" in page.text
    api = web_client.get("/api/reports/github/ghost-user")
    assert api.status_code == 404
    assert api.json() == {
        "state": "not_found",
        "reason": "no_user",
        "detail": "No GitHub user named ghost-user.",
    }


def test_an_organisation_is_answered_as_such_page_and_api(
    web_client: TestClient, web_service: ReportService
) -> None:
    web_service.stores.reports.mark_unknown_user("octo-org", "organization")
    page = web_client.get("/user/github/octo-org")
    assert page.status_code == 404
    assert "This is an organisation" in page.text
    assert "octo-org is a GitHub organisation, not a person" in page.text
    api = web_client.get("/api/reports/github/octo-org?period=all_time")
    assert api.status_code == 404
    assert api.json()["state"] == "not_found" and api.json()["reason"] == "organization"
    assert "organisation" in api.json()["detail"]


# --- canonical URLs -----------------------------------------------------------------------


def test_upper_case_login_redirects_to_lower_case_keeping_query(web_client: TestClient) -> None:
    response = web_client.get("/user/github/OctoCat?period=all_time&include_closed=true")
    assert response.status_code == 301
    assert (
        response.headers["location"] == "/user/github/octocat?period=all_time&include_closed=true"
    )
    export = web_client.get("/user/github/OctoCat.md")
    assert export.status_code == 301 and export.headers["location"] == "/user/github/octocat.md"


def test_a_report_that_arrives_between_the_read_and_the_request_is_not_generated_again(
    web_app: FastAPI, web_service: ReportService, hub: FakeHub
) -> None:
    """A page view reads "no report, job running"; the job stores the report and ends before
    the view asks the pipeline (to record that it joined). No second job may start: the view
    answers with the job it saw, now done, and the next view gets the report."""
    ctx: AppContext = web_app.state.context
    key = key_for("octocat")
    credential = web_service.store_credential(
        hub.token("octocat"), viewer_id="viewer-1", ttl_seconds=600
    )
    viewer = Viewer(kind="bearer", login="octocat", viewer_id="viewer-1", credential=credential)
    job = web_service.request_report(key, credential, viewer_id="viewer-1")
    store = ServingStore(ctx.settings, retention_seconds=600, view_window_days=7)
    (state,) = asyncio.run(store.read([ViewQuery(str(key))]))
    assert state.meta is None and state.job is not None and state.job.id == job.id

    store_report(web_service, key)  # the job stores its report and ends...
    web_service.lifecycle.finish(job.id, str(key), "done")
    outcome = asyncio.run(decide(ctx, key, viewer, state))  # ...before the view's request

    assert outcome.state == "generating"
    assert outcome.job is not None and (outcome.job.id, outcome.job.status) == (job.id, "done")
    assert web_service.current_job(key) is None, "no second job for a report that arrived"
