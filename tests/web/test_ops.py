"""Health, readiness, metrics, and behaviour while Redis is down (then back)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.runtime.redis_server import EmbeddedRedis
from tests.fixtures.web import METRICS_AUTH, key_for, login, settings_for, store_report
from tests.harness import poll_until
from web.app import create_app


def test_healthz_and_readyz(web_client: TestClient) -> None:
    assert web_client.get("/healthz").json() == {"status": "ok"}
    ready = web_client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "redis": True}


def test_metrics_count_requests_cache_and_jobs(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    store_report(web_service, key_for())
    web_client.get("/user/github/octocat")
    web_client.get("/user/github/octocat?period=bogus")
    login(web_client, hub)
    web_client.get("/api/reports/github/octocat?period=2_years")
    web_client.get("/api/reports/github/octocat?period=2_years")
    web_client.get("/readyz")
    text = web_client.get("/metrics", headers=METRICS_AUTH).text
    assert (
        'gitbrag_http_requests_total{method="GET",route="/user/github/{username}",status="200"} 1.0'
        in text
    )
    assert 'route="/user/github/{username}",status="400"} 1.0' in text
    assert 'gitbrag_report_lookups_total{cache="fresh"} 1.0' in text
    assert 'gitbrag_report_lookups_total{cache="missing"} 2.0' in text
    assert 'gitbrag_jobs_requested_total{outcome="new"} 1.0' in text
    assert 'gitbrag_logins_total{outcome="ok"} 1.0' in text
    assert "gitbrag_redis_up 1.0" in text
    assert "gitbrag_http_request_duration_seconds_bucket" in text


def test_openapi_documents_the_api(web_client: TestClient) -> None:
    spec = web_client.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths) >= {
        "/api/reports/github/{username}",
        "/api/reports/github/{username}/refresh",
        "/api/jobs/{job_id}",
        "/api/jobs/{job_id}/events",
        "/healthz",
        "/readyz",
    }
    report = paths["/api/reports/github/{username}"]["get"]
    assert {"200", "202", "400", "401", "404"} <= set(report["responses"])
    parameters = {(p["name"], p["in"]) for p in report["parameters"]}
    assert parameters == {
        ("username", "path"),
        ("period", "query"),
        ("since", "query"),
        ("until", "query"),
        ("include_closed", "query"),
    }
    assert "byte for byte" in report["description"]
    assert "429" in paths["/api/reports/github/{username}/refresh"]["post"]["responses"]
    assert "delete" in paths["/api/jobs/{job_id}"]
    docs = web_client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_request_log_has_no_secrets(
    web_client: TestClient, hub: FakeHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="gitbrag.web.access")
    login(web_client, hub)
    lines = [r.getMessage() for r in caplog.records if r.name == "gitbrag.web.access"]
    assert any(line.startswith("GET /auth/callback 303") for line in lines)
    assert not any("code=" in line or "state=" in line for line in lines)
    assert not any(hub.token("octocat") in line for line in lines)


def test_request_log_can_be_turned_off(
    redis_url: str, hub: FakeHub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="gitbrag.web.access")
    app = create_app(settings_for(redis_url, hub, tmp_path, access_log=False))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/user/github/octocat").status_code == 401
        metrics = client.get("/metrics", headers=METRICS_AUTH).text
    assert not [r for r in caplog.records if r.name == "gitbrag.web.access"]
    assert 'route="/user/github/{username}",status="401"} 1.0' in metrics  # still counted


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path / "own-redis", persistence=False).start()
    try:
        yield server
    finally:
        server.stop()


def test_redis_down_gives_a_friendly_503_then_recovers(
    own_redis: EmbeddedRedis, hub: FakeHub, tmp_path: Path
) -> None:
    app = create_app(settings_for(own_redis.url, hub, tmp_path))
    client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    store_report(app.state.context.service, key_for())
    assert client.get("/user/github/octocat").status_code == 200

    own_redis.stop()
    page = client.get("/user/github/octocat")
    assert page.status_code == 503
    assert "catching its breath" in page.text and "try again in a minute" in page.text
    assert page.headers["retry-after"] == "30"
    api = client.get("/api/reports/github/octocat")
    assert api.status_code == 503 and api.json()["state"] == "error"
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 200  # the home page needs no Redis
    assert (
        "gitbrag_redis_up 0.0" in client.get("/metrics", headers=METRICS_AUTH).text
    )  # metrics still answer

    own_redis.start()  # same port, empty data: the app reconnects by itself
    store_report(app.state.context.service, key_for())
    assert client.get("/readyz").status_code == 200
    assert client.get("/user/github/octocat").status_code == 200
    assert (
        "gitbrag_redis_unavailable_responses_total 2.0"
        in client.get("/metrics", headers=METRICS_AUTH).text
    )


def test_metrics_show_jobs_by_state_queue_and_run_times(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    login(web_client, hub)
    first = web_client.get("/api/reports/github/octocat").json()["job"]["id"]
    web_client.get("/api/reports/github/star-gazer")
    jobs = web_service.stores.jobs
    jobs.mark_running(first)
    # Pretend it ran 42 seconds.
    started = datetime.now(UTC) - timedelta(seconds=42)
    web_service.redis.hset(f"gitbrag:job:{first}", "started_at", started.isoformat())
    jobs.finish(first, "done")
    text = web_client.get("/metrics", headers=METRICS_AUTH).text
    assert 'gitbrag_jobs_ended_total{status="done"} 1.0' in text
    assert 'gitbrag_jobs_ended_total{status="failed"} 0.0' in text
    assert 'gitbrag_jobs{status="queued"} 1.0' in text
    assert 'gitbrag_jobs{status="running"} 0.0' in text
    assert 'gitbrag_queue_messages{kind="ready"} 2.0' in text
    assert 'gitbrag_job_run_seconds_bucket{le="30.0"} 0.0' in text
    assert 'gitbrag_job_run_seconds_bucket{le="60.0"} 1.0' in text
    assert "gitbrag_job_run_seconds_count 1.0" in text


@pytest.mark.parametrize(
    ("kind", "lacking"), [("app", {"contributions", "social_accounts"}), ("oauth", set())]
)
def test_readyz_says_what_the_server_token_cannot_read(
    redis_url: str, hub: FakeHub, tmp_path: Path, kind: str, lacking: set[str]
) -> None:
    """The web's startup probes the server token once (issue 18: a GitHub App token lacks
    contributions and social accounts), logs it, and every /readyz shows it; no other
    process probes again while the finding is kept."""
    hub.behaviours.configure(token_permissions=True)
    token = hub.issue_token("octocat", kind)  # type: ignore[arg-type]
    settings = settings_for(redis_url, hub, tmp_path, github_token=token)
    with TestClient(create_app(settings)) as client:
        ready = poll_until(
            lambda: client.get("/readyz").json(),
            lambda body: body["server_token"]["checked"],
            timeout=30,
            what="the server token probed",
        )
    assert set(ready["server_token"]["lacking"]) == lacking
    assert ready["status"] == "ready" and "login" not in ready["server_token"]
    # Another process, the same day, finds it and does not probe again.
    assert not ReportService.from_settings(settings).stores.token_capabilities.claim(token)
