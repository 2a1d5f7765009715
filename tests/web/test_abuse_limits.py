"""Abuse limits through the web (issue 11, items 1, 2 and 8) against a real worker process:
one token cannot flood the queue, a report is not held hostage by a spent token, and a
forced re-login cancels nothing another viewer depends on."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.runtime.background_server import BackgroundServer
from gitbrag.settings import Settings
from tests.fixtures.web import csrf_token, key_for, login, settings_for, store_report
from tests.harness import Worker, wait_for, worker_env
from web.app import create_app

PER_HOUR, ACTIVE = 6, 3


@pytest.fixture
def limited_settings(redis_url: str, hub: FakeHub, tmp_path: Path) -> Settings:
    return settings_for(
        redis_url, hub, tmp_path, viewer_jobs_per_hour=PER_HOUR, viewer_active_jobs=ACTIVE
    )


@pytest.fixture
def limited_app(limited_settings: Settings) -> FastAPI:
    return create_app(limited_settings)


@pytest.fixture
def worker(limited_settings: Settings, tmp_path: Path) -> Iterator[Worker]:
    process = Worker(worker_env(limited_settings), tmp_path / "worker", threads=4).start()
    try:
        yield process
    finally:
        process.stop()


def _bearer(hub: FakeHub, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {hub.token(user)}"}


def _random_missing_report(rng: random.Random, n: int) -> str:
    """A made-up user with a random range (what the review measured: 40 of these, 40 jobs)."""
    start = date(2008, 1, 1) + timedelta(days=rng.randrange(5000))
    until = start + timedelta(days=rng.randrange(1, 700))
    return f"/api/reports/github/made-up-{n}?since={start}&until={until}"


def _flood(
    client: TestClient, rng: random.Random, headers: dict[str, str], count: int, first: int = 0
) -> tuple[list[httpx.Response], list[httpx.Response]]:
    """``count`` requests for distinct missing reports (made-up users ``first`` on)."""
    answers = [
        client.get(_random_missing_report(rng, n), headers=headers)
        for n in range(first, first + count)
    ]
    accepted = [r for r in answers if r.status_code == 202]
    refused = [r for r in answers if r.status_code == 429]
    assert len(accepted) + len(refused) == count
    for response in refused:
        assert int(response.headers["Retry-After"]) >= 1
        assert response.json()["state"] == "limit_reached"
    return accepted, refused


def test_one_token_asking_for_200_missing_reports_gets_its_limit_then_429s(
    limited_settings: Settings, limited_app: FastAPI, hub: FakeHub, tmp_path: Path
) -> None:
    service: ReportService = limited_app.state.context.service
    store_report(service, key_for("octocat"))
    rng = random.Random(11)
    flood, other = _bearer(hub, "big-diff"), _bearer(hub, "octocat")
    worker = Worker(worker_env(limited_settings), tmp_path / "worker", threads=4)
    with TestClient(limited_app, base_url="http://testserver") as client:
        # Before any worker runs: the jobs at once are the limit (the queue holds no more).
        accepted, refused = _flood(client, rng, flood, 200)
        print(f"flood: {len(accepted)} x 202, {len(refused)} x 429")  # the note's numbers
        assert len(accepted) == ACTIVE
        assert {r.json()["limit"] for r in refused} == {"active"}
        assert len(service.stores.jobs.claims.unfinished()) == ACTIVE

        # Cached reports are still served to the limited viewer (API and page)...
        assert client.get("/api/reports/github/octocat", headers=flood).status_code == 200
        page = client.get("/user/github/octocat", headers=flood)
        assert page.status_code == 200 and "octocat" in page.text
        # ...and a missing one is a friendly 429 page that says when to come back.
        over = client.get("/user/github/made-up-999", headers=flood)
        assert over.status_code == 429 and over.headers["Retry-After"] == "30"
        assert "You already have 3 reports generating" in over.text

        # Another viewer's job starts at once: at most ACTIVE jobs are ahead of it.
        assert client.get("/api/reports/github/octocat", headers=other).status_code == 200
        started = client.get("/api/reports/github/octocat?period=2_years", headers=other)
        assert started.status_code == 202
        job_id = started.json()["job"]["id"]
        worker.start()
        try:
            wait_for(
                lambda: client.get(f"/api/jobs/{job_id}").json()["status"] == "done",
                timeout=60,
                what="the other viewer's report",
            )
            served = client.get("/api/reports/github/octocat?period=2_years", headers=other)
            assert served.status_code == 200 and served.json()["state"] == "fresh"
            flood_ids = [r.json()["job"]["id"] for r in accepted]
            wait_for(
                lambda: all(client.get(f"/api/jobs/{i}").json()["finished"] for i in flood_ids),
                timeout=60,
                what="the flood's jobs (made-up users: not found)",
            )
            # The flood goes on while the worker runs: the hourly limit caps it for good.
            more, later = _flood(client, rng, flood, 100, first=1000)
            assert len(accepted) + len(more) == PER_HOUR
            assert later[-1].json()["limit"] == "per_hour"
            assert int(later[-1].headers["Retry-After"]) > 3000
        finally:
            worker.stop()
    # The limits count per GitHub account (its id: a login can change hands), issue 18.
    big_diff = hub.data.user("big-diff")
    assert big_diff is not None
    assert service.redis.zcard(f"gitbrag:limits:hour:account:{big_diff.id}") == PER_HOUR


def test_a_job_waiting_on_a_spent_token_is_taken_over_by_a_viewer_with_budget(
    limited_app: FastAPI, worker: Worker, hub: FakeHub
) -> None:
    service: ReportService = limited_app.state.context.service
    spent = hub.token("star-gazer")
    hub.set_budget(spent, remaining=0, reset_in=3600)  # an hour away
    spent_ref = service.store_credential(spent, viewer_id="star-gazer", ttl_seconds=600)
    key = ReportKey("octocat", DateRange.for_period("1_year"))
    waiting = service.request_report(key, spent_ref, viewer_id="star-gazer")

    def status(job_id: str) -> str:
        job = service.stores.jobs.get(job_id)
        assert job is not None
        return job.status

    wait_for(lambda: status(waiting.id) == "waiting_rate_limit", timeout=30)
    with TestClient(limited_app, base_url="http://testserver") as client:
        # A viewer without a token only watches; one with budget gets the report generated.
        assert client.get("/api/reports/github/octocat").json()["job"]["id"] == waiting.id
        asked = client.get("/api/reports/github/octocat", headers=_bearer(hub, "big-diff"))
        assert asked.status_code == 202
        new_id = asked.json()["job"]["id"]
        assert new_id != waiting.id
        wait_for(lambda: status(new_id) == "done", timeout=60, what="the taken-over job")
        served = client.get("/api/reports/github/octocat")
        assert served.status_code == 200 and served.json()["state"] == "fresh"
        # Whoever watched the old job id follows it to the report.
        old = client.get(f"/api/jobs/{waiting.id}").json()
        assert old["id"] == new_id and old["status"] == "done"
    assert status(waiting.id) == "cancelled"  # the spent token's job never runs again


def test_relogin_cancels_nothing_and_logout_hands_joined_jobs_over(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    # No worker: the jobs stay queued, as the forced re-login would find them.
    login(web_client, hub, "octocat")
    shared = web_client.get("/api/reports/github/big-diff").json()["job"]["id"]
    own = web_client.get("/api/reports/github/star-gazer").json()["job"]["id"]
    joined = web_client.get("/api/reports/github/big-diff", headers=_bearer(hub, "private-eye"))
    assert joined.json()["job"]["id"] == shared

    # A cross-site page can send the browser through /auth/login again: nothing is cancelled,
    # the same account's jobs carry on with the new session's credential.
    assert login(web_client, hub, "octocat").status_code == 303
    for job_id in (shared, own):
        job = web_service.get_job(job_id)
        assert job is not None and job.status == "queued"
        credential = web_service.stores.jobs.credential(job_id)
        assert credential is not None and web_service.stores.credentials.token(credential)
    new_viewer = web_service.get_job(own)
    assert new_viewer is not None and new_viewer.viewer_id is not None

    # Logging out cancels only what nobody else asked for; the joined job changes hands.
    token = csrf_token(web_client)
    web_client.post("/auth/logout", data={"csrf_token": token})
    kept, cancelled = web_service.get_job(shared), web_service.get_job(own)
    assert kept is not None and kept.status == "queued"
    assert kept.viewer_id is not None and kept.viewer_id.startswith("bearer:")
    credential = web_service.stores.jobs.credential(shared)
    assert credential is not None
    assert web_service.stores.credentials.token(credential) == hub.token("private-eye")
    assert cancelled is not None and cancelled.status == "cancelled"


def test_anonymous_generation_is_limited_per_client_address(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    settings = settings_for(
        redis_url,
        hub,
        tmp_path,
        anonymous_generation=True,
        github_token=hub.token("octocat"),
        anonymous_active_jobs=2,
        anonymous_jobs_per_hour=5,
    )
    server = BackgroundServer(create_app(settings), name="web")
    url = server.start()

    def ask(address: str, n: int) -> int:
        transport = httpx.HTTPTransport(local_address=address)
        with httpx.Client(transport=transport, base_url=url) as client:
            login = f"anon-{address.rsplit('.', 1)[1]}-{n}"
            return client.get(f"/api/reports/github/{login}").status_code

    try:
        first = [ask("127.0.0.21", n) for n in range(4)]
        other = [ask("127.0.0.22", n) for n in range(3)]
    finally:
        server.stop()
    # Two unfinished jobs per address (no worker runs them), whoever else asks.
    assert first == [202, 202, 429, 429] and other == [202, 202, 429]
