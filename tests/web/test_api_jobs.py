"""Jobs over the API: status, live events (SSE), cancel by the viewer who started it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import Progress, ReportService
from tests.fixtures.web import csrf_token, login, settings_for
from tests.web.events import job_events
from web.app import create_app

API = "/api/reports/github/octocat"


def test_job_status_shape(web_client: TestClient, web_service: ReportService, hub: FakeHub) -> None:
    login(web_client, hub)
    job_id = web_client.get(API).json()["job"]["id"]
    web_service.stores.jobs.mark_running(job_id)
    web_service.stores.jobs.set_progress(job_id, Progress("search", 300, 2600))
    body = web_client.get(f"/api/jobs/{job_id}").json()
    assert body["id"] == job_id
    assert body["status"] == "running"
    assert body["progress"] == {"phase": "search", "done": 300, "total": 2600}
    assert body["report_key"] == "octocat:1_year:merged-open"
    assert body["started_at"] is not None and body["finished_at"] is None and body["error"] is None
    assert body["message"] == "Searching pull requests 300/2600"
    assert body["percent"] == 9.3  # profile 5% + search 37% x 300/2600
    assert web_client.get("/api/jobs/does-not-exist").status_code == 404
    assert web_client.get("/api/jobs/bad%20id!").status_code == 400


def test_events_stream_progress_until_the_job_finishes(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    login(web_client, hub)
    job_id = web_client.get(API).json()["job"]["id"]
    jobs = web_service.stores.jobs
    jobs.mark_running(job_id)
    jobs.set_progress(job_id, Progress("stars", 12, 40))
    [(name, first)] = job_events(web_client, job_id, 1)
    assert name == "job"
    assert first["message"] == "Counting stars 12/40"
    assert first["finished"] is False
    jobs.finish(job_id, "failed", "GitHub kept failing")
    [(_, last)] = job_events(web_client, job_id, 1)
    assert last["status"] == "failed"
    assert last["finished"] is True
    assert last["message"] == "GitHub kept failing"
    assert job_events(web_client, "missing-job", 1) == [("gone", {"id": "missing-job"})]


def test_rate_limit_wait_shows_its_eta(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    login(web_client, hub)
    job_id = web_client.get(API).json()["job"]["id"]
    retry_at = datetime.now(UTC) + timedelta(minutes=42)
    web_service.stores.jobs.mark_waiting(job_id, retry_at, "rate limited")
    [(_, event)] = job_events(web_client, job_id, 1)
    assert event["status"] == "waiting_rate_limit"
    assert retry_at.strftime("%H:%M UTC") in str(event["message"])
    assert "in about 41 minutes" in str(event["message"]) or "in about 42 minutes" in str(
        event["message"]
    )
    page = web_client.get("/user/github/octocat")
    assert "Paused by GitHub&#39;s rate limit" in page.text
    assert retry_at.strftime("%H:%M UTC") in page.text


def test_only_the_viewer_who_started_a_job_can_cancel_it(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    login(web_client, hub, "octocat")
    job_id = web_client.get(API).json()["job"]["id"]
    other = TestClient(web_client.app, base_url="http://testserver", follow_redirects=False)
    login(other, hub, "big-diff")
    assert other.get("/user/github/octocat").text.count(">Cancel</button>") == 0
    denied = other.delete(f"/api/jobs/{job_id}", headers={"X-CSRF-Token": csrf_token(other)})
    assert denied.status_code == 403
    anonymous = TestClient(web_client.app, base_url="http://testserver")
    assert anonymous.delete(f"/api/jobs/{job_id}").status_code == 401
    assert web_client.delete(f"/api/jobs/{job_id}").status_code == 403  # no CSRF header
    assert web_service.get_job(job_id).status == "queued"  # type: ignore[union-attr]
    done = web_client.delete(
        f"/api/jobs/{job_id}", headers={"X-CSRF-Token": csrf_token(web_client)}
    )
    assert done.status_code == 200
    assert done.json()["status"] == "cancelled"
    missing = web_client.delete("/api/jobs/nope", headers={"X-CSRF-Token": csrf_token(web_client)})
    assert missing.status_code == 404


def test_cancel_button_shows_the_cancelled_state_without_restarting(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    login(web_client, hub)
    page = web_client.get("/user/github/octocat?period=2_years")
    job_id = page.text.split('data-job-id="')[1].split('"')[0]
    response = web_client.post(
        f"/jobs/{job_id}/cancel",
        data={
            "csrf_token": csrf_token(web_client),
            "return_to": "/user/github/octocat?period=2_years",
        },
    )
    assert response.status_code == 200
    assert "Generation cancelled" in response.text
    assert ">Try again</button>" in response.text
    assert web_service.get_job(job_id).status == "cancelled"  # type: ignore[union-attr]


def test_a_rejected_token_tells_the_page_to_ask_for_a_new_login(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    login(web_client, hub)
    job_id = web_client.get(API).json()["job"]["id"]
    jobs = web_service.stores.jobs
    jobs.mark_running(job_id)
    [(_, running)] = job_events(web_client, job_id, 1)
    assert running["login_again"] is False
    # What the worker does when GitHub answers 401 for the viewer's token.
    credential = jobs.credential(job_id)
    assert credential is not None
    web_service.stores.credentials.mark_invalid(credential)
    jobs.finish(job_id, "failed", "GitHub rejected the token (invalid, expired or revoked).")
    [(_, failed)] = job_events(web_client, job_id, 1)
    assert failed["status"] == "failed" and failed["login_again"] is True
    assert web_client.get(f"/api/jobs/{job_id}").json()["login_again"] is True


def test_an_admin_can_cancel_anyones_job(redis_url: str, hub: FakeHub, tmp_path: Path) -> None:
    app = create_app(settings_for(redis_url, hub, tmp_path, admin_logins="Big-Diff, someone"))
    owner = TestClient(app, base_url="http://testserver", follow_redirects=False)
    login(owner, hub, "octocat")
    job_id = owner.get(API).json()["job"]["id"]
    admin = TestClient(app, base_url="http://testserver", follow_redirects=False)
    login(admin, hub, "big-diff")
    assert ">Cancel</button>" in admin.get("/user/github/octocat").text
    done = admin.delete(f"/api/jobs/{job_id}", headers={"X-CSRF-Token": csrf_token(admin)})
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
