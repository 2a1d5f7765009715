"""Operational endpoints (issue 11, item 4): /metrics only for allowed clients, computed
without keyspace scans, showing no viewer's budget; /docs and /openapi.json public and free
of secrets."""

from __future__ import annotations

from pathlib import Path

import httpx
import redis
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.runtime.background_server import BackgroundServer
from tests.fixtures.web import METRICS_AUTH, METRICS_TOKEN, login, settings_for
from web.app import create_app


def test_metrics_need_the_token_when_one_is_set(web_client: TestClient) -> None:
    assert web_client.get("/metrics").status_code == 401
    wrong = web_client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
    assert METRICS_TOKEN not in wrong.text
    ok = web_client.get("/metrics", headers=METRICS_AUTH)
    assert ok.status_code == 200 and "gitbrag_http_requests_total" in ok.text


def test_without_a_token_only_direct_local_connections_get_metrics(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    settings = settings_for(redis_url, hub, tmp_path, metrics_token=None)
    # TestClient's peer is not a loopback address: like any remote client, nothing there.
    with TestClient(create_app(settings), base_url="http://testserver") as remote:
        assert remote.get("/metrics").status_code == 404
    server = BackgroundServer(create_app(settings), name="web")
    url = server.start()
    try:
        assert httpx.get(f"{url}/metrics").status_code == 200  # this machine, directly
        # A reverse proxy on this machine relays the public: it says so, and gets nothing.
        relayed = httpx.get(f"{url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert relayed.status_code == 404
        assert httpx.get(f"{url}/metrics", headers={"Forwarded": "for=1.2.3.4"}).status_code == 404
    finally:
        server.stop()


def _commands(client: redis.Redis) -> dict[str, int]:
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


def test_a_scrape_scans_no_keys_and_costs_the_same_however_many_jobs_ran(
    web_client: TestClient, web_service: ReportService, redis_client: redis.Redis, hub: FakeHub
) -> None:
    def scrape_cost() -> tuple[int, int]:
        before = _commands(redis_client)
        assert web_client.get("/metrics", headers=METRICS_AUTH).status_code == 200
        after = _commands(redis_client)
        scans = sum(after.get(n, 0) - before.get(n, 0) for n in ("scan", "keys"))
        return scans, sum(after.values()) - sum(before.values()) - 1  # minus INFO itself

    login(web_client, hub)
    job_id = web_client.get("/api/reports/github/octocat").json()["job"]["id"]
    web_service.stores.jobs.finish(job_id, "done")
    scans, few = scrape_cost()
    # 500 more finished jobs (records kept a week): a scan-based scrape would read them all.
    jobs = web_service.stores.jobs
    for n in range(500):
        jobs.claim(f"user-{n}:1_year:merged-open", f"job-{n}", credential="c")
        jobs.finish(f"job-{n}", "done")
    scans_after, many = scrape_cost()
    assert scans == scans_after == 0
    assert many == few  # the same round trips for 1 job or 501
    text = web_client.get("/metrics", headers=METRICS_AUTH).text
    assert 'gitbrag_jobs_ended_total{status="done"} 501.0' in text


def test_docs_and_openapi_are_public_and_carry_no_secret(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    secrets = {
        "secret_key": "a-secret-key-nobody-may-see-" + "s" * 20,
        "secret_key_previous": "the-previous-secret-key-" + "p" * 20,
        "github_token": "ghp_server_token_nobody_may_see",
        "github_client_secret": "oauth-client-secret-nobody-may-see",
        "metrics_token": "metrics-token-nobody-may-see",
    }
    settings = settings_for(redis_url, hub, tmp_path, **secrets)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        spec = client.get("/openapi.json")
        docs = client.get("/docs")
    assert spec.status_code == docs.status_code == 200
    assert "/metrics" not in spec.json()["paths"]
    for value in secrets.values():
        assert value not in spec.text and value not in docs.text
    assert repr(settings).count("nobody-may-see") == 0  # not even in a settings repr in a log
