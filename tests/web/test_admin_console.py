"""The operations console (issue 22) in-process: who sees it (admins only; 404 for everyone
else on every path and method, 403 for a forged CSRF token), what it shows from the stores,
and its audited actions (without a worker: jobs stay queued until the test moves them)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.stores.connection import broker_namespace
from tests.fixtures.web import METRICS_AUTH, csrf_token, login, settings_for
from tests.web.redis_monitor import monitored
from web.app import create_app

ADMIN_PATHS = (
    ("GET", "/admin"),
    ("GET", "/admin/"),
    ("GET", "/admin/live"),
    ("GET", "/admin/events"),
    ("GET", "/admin/jobs/cancel"),
    ("GET", "/admin/no/such/page"),
    ("HEAD", "/admin"),
    ("DELETE", "/admin"),
    ("POST", "/admin/jobs/cancel"),
    ("POST", "/admin/jobs/retry"),
    ("POST", "/admin/dead-letters/retry"),
    ("POST", "/admin/dead-letters/purge"),
    ("POST", "/admin/reports/regenerate"),
    ("POST", "/admin/prewarm/pause"),
    ("POST", "/admin/prewarm/resume"),
    ("POST", "/admin/limiter/release"),
)


@pytest.fixture
def app(redis_url: str, hub: FakeHub, tmp_path: Path) -> FastAPI:
    return create_app(
        settings_for(
            redis_url, hub, tmp_path, admin_logins="Big-Diff", github_token=hub.token("octocat")
        )
    )


@pytest.fixture
def admin(app: FastAPI, hub: FakeHub) -> TestClient:
    client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    login(client, hub, "big-diff")
    return client


def _service(app: FastAPI) -> ReportService:
    service: ReportService = app.state.context.service
    return service


def test_everyone_but_an_admin_gets_the_plain_404(app: FastAPI, hub: FakeHub) -> None:
    anonymous = TestClient(app, base_url="http://testserver", follow_redirects=False)
    someone = TestClient(app, base_url="http://testserver", follow_redirects=False)
    login(someone, hub, "octocat")
    token = csrf_token(someone)
    for client in (anonymous, someone):
        for method, path in ADMIN_PATHS:
            data = {"csrf_token": token, "job_id": "x", "login": "x", "report_key": "x:1y:open"}
            form = data if method == "POST" else None
            answer = client.request(method, path, data=form)
            # Exactly what a path that never existed gets, word for word.
            twin = client.request(method, path.replace("/admin", "/nimda", 1), data=form)
            assert answer.status_code == twin.status_code == 404, (method, path, answer.text)
            assert answer.headers["content-type"] == twin.headers["content-type"]
            assert answer.text == twin.text.replace("/nimda", "/admin"), (method, path)
    # A bearer token of a non-admin: 404 too (GitHub's token for octocat in the fakehub).
    bearer = {"Authorization": f"Bearer {hub.token('octocat')}"}
    assert anonymous.get("/admin", headers=bearer).status_code == 404
    assert anonymous.post("/admin/prewarm/pause", headers=bearer).status_code == 404


def test_an_admin_needs_the_csrf_token_for_every_action(admin: TestClient) -> None:
    assert admin.get("/admin").status_code == 200
    for _, path in (p for p in ADMIN_PATHS if p[0] == "POST"):
        forged = admin.post(path, data={"csrf_token": "forged" * 8, "job_id": "x", "login": "x"})
        assert forged.status_code == 403, (path, forged.text)
        missing = admin.post(path, data={"job_id": "x", "login": "x"})
        assert missing.status_code == 403, path
    assert "No action yet." in admin.get("/admin").text  # nothing was done
    assert admin.get("/admin/no/such/page").status_code == 404
    assert admin.get("/admin?state=bogus").status_code == 400
    assert admin.get("/admin?login=" + "x" * 60).status_code == 400


def _act(admin: TestClient, path: str, **fields: str) -> str:
    answer = admin.post(path, data={"csrf_token": csrf_token(admin), **fields})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith("/admin?")
    return answer.headers["location"]


def test_actions_change_the_stores_and_are_audited(app: FastAPI, admin: TestClient) -> None:
    service = _service(app)
    credential = service.server_credential()
    assert credential is not None
    queued = service.request_report(ReportKey.parse("octocat:2_years:open"), credential)
    failed = service.request_report(ReportKey.parse("star-gazer:2_years:open"), credential)
    service.stores.jobs.mark_running(failed.id)
    service.stores.jobs.finish(failed.id, "failed", "GitHub is unavailable")
    page = admin.get("/admin").text
    assert queued.id in page and failed.id in page and "GitHub is unavailable" in page

    _act(admin, "/admin/jobs/cancel", job_id=queued.id)
    assert service.get_job(queued.id).status == "cancelled"  # type: ignore[union-attr]
    _act(admin, "/admin/jobs/cancel", job_id=queued.id)  # a second admin: nothing more

    _act(admin, "/admin/jobs/retry", job_id=failed.id)
    again = service.current_job(ReportKey.parse("star-gazer:2_years:open"))
    assert again is not None and again.id != failed.id
    _act(admin, "/admin/jobs/retry", job_id=failed.id)  # joins the same job
    assert service.current_job(ReportKey.parse("star-gazer:2_years:open")).id == again.id  # type: ignore[union-attr]

    # Dead letters, as Dramatiq's Redis broker keeps them: an old one and a fresh one.
    redis = service.redis
    xq = f"{broker_namespace(redis)}:reports.XQ"
    now_ms = int(time.time() * 1000)
    for member, age_hours, key in (
        ("old", 48, "octocat:1_year:open"),
        ("new", 1, "octocat:5_years:open"),
    ):
        message = {
            "message_id": member + "-job",
            "actor_name": "generate_report",
            "kwargs": {"key": key, "credential": str(credential)},
        }
        redis.zadd(xq, {member: now_ms - age_hours * 3_600_000})
        redis.hset(xq + ".msgs", member, json.dumps(message))
    assert "Dead letters" in admin.get("/admin").text
    assert "1+purged" in _act(admin, "/admin/dead-letters/purge", older_than_hours="24")
    assert "0+purged" in _act(admin, "/admin/dead-letters/purge", older_than_hours="24")
    _act(admin, "/admin/dead-letters/retry", message_id="new")
    assert service.current_job(ReportKey.parse("octocat:5_years:open")) is not None
    assert redis.zcard(xq) == 0
    assert "already+retried" in _act(admin, "/admin/dead-letters/retry", message_id="new")

    _act(admin, "/admin/prewarm/pause")
    assert "<b data-prewarm>paused</b>" in admin.get("/admin").text
    _act(admin, "/admin/prewarm/resume")
    _act(admin, "/admin/reports/regenerate", report_key="mixed-case-dev:1_year:open")
    assert service.current_job(ReportKey.parse("mixed-case-dev:1_year:open")) is not None
    _act(admin, "/admin/limiter/release", login="octocat")

    audit = admin.get("/admin").text.split("data-audit>")[1]
    for action in (
        "cancel",
        "retry",
        "purge dead letters",
        "retry dead letter",
        "pause pre-warming",
        "resume pre-warming",
        "regenerate",
        "release limiter slot",
    ):
        assert f"</b> {action}" in audit, action
    assert "@big-diff" in audit


def test_console_reads_never_scan_the_keyspace(
    app: FastAPI, admin: TestClient, redis_url: str
) -> None:
    service = _service(app)
    credential = service.server_credential()
    assert credential is not None
    for login_name in ("octocat", "star-gazer"):
        job = service.request_report(ReportKey.parse(f"{login_name}:2_years:open"), credential)
        service.stores.jobs.finish(job.id, "done")
    with monitored(redis_url) as seen:
        for path in ("/admin", "/admin/live", "/admin?state=done&age=1h", "/admin?login=octocat"):
            assert admin.get(path).status_code == 200
    commands = {command.split()[0].strip('"') for command in seen if command}
    assert "hgetall" in commands or '"hgetall"' in " ".join(seen)  # the monitor saw the reads
    assert not any(word in command for command in seen for word in ('"keys"', '"scan"')), seen


def _gauge(text: str, name: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(name))
    return float(line.rsplit(" ", 1)[1])


def test_metrics_has_the_queue_gauges_an_autoscaler_needs(app: FastAPI, admin: TestClient) -> None:
    service = _service(app)
    credential = service.server_credential()
    assert credential is not None
    for login_name in ("octocat", "star-gazer", "mixed-case-dev"):
        service.request_report(ReportKey.parse(f"{login_name}:2_years:open"), credential)
    redis = service.redis
    xq = f"{broker_namespace(redis)}:reports.XQ"
    redis.zadd(xq, {"gone": time.time() * 1000})
    time.sleep(0.05)
    text = admin.get("/metrics", headers=METRICS_AUTH).text
    assert _gauge(text, 'gitbrag_queue_ready{queue="reports"}') == 3
    assert _gauge(text, 'gitbrag_queue_in_flight{queue="reports"}') == 0
    assert _gauge(text, 'gitbrag_queue_dead_letters{queue="reports"}') == 1
    assert _gauge(text, 'gitbrag_queue_delayed{kind="limiter",queue="reports"}') == 0
    assert 0.05 <= _gauge(text, 'gitbrag_queue_oldest_message_age_seconds{queue="reports"}') < 30
    assert _gauge(text, "gitbrag_workers_alive") == 0


def test_finished_jobs_are_paged_filtered_and_searched(app: FastAPI, admin: TestClient) -> None:
    service = _service(app)
    credential = service.server_credential()
    assert credential is not None
    ids = []
    for n in range(30):
        job = service.request_report(ReportKey.parse(f"user-{n % 3}:2_years:open"), credential)
        service.stores.jobs.finish(job.id, "failed" if n % 3 == 0 else "done", "boom")
        ids.append(job.id)
    first = admin.get("/admin").text
    assert "of 30)" in first and ids[-1] in first and ids[0] not in first
    # Page after page ("older jobs") until none is left: every job once, jobs finished in the
    # same millisecond included (the cursor is a time).
    seen, page, pages = [], first, 1
    while True:
        seen += [job_id for job_id in ids if job_id in page]  # every job here is finished
        if 'rel="next"' not in page:
            break
        older = page.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
        page, pages = admin.get(older.replace("&amp;", "&")).text, pages + 1
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen)) and pages >= 2
    failed = admin.get("/admin?state=failed").text
    assert "(10 of 10)" in failed and 'data-status="done"' not in failed.split("h-finished")[1]
    user = admin.get("/admin?login=USER-1").text
    assert "(10 of 10)" in user and ids[1] in user and ids[0] not in user
    both = admin.get("/admin?login=user-0&state=failed").text
    assert "(10 of 10)" in both
    assert (
        "(0 of 0)" in admin.get("/admin?login=nobody").text
        or "No finished job" in admin.get("/admin?login=nobody").text
    )


def test_a_stuck_limiter_slot_is_released_only_once_its_holder_is_gone(
    app: FastAPI, admin: TestClient
) -> None:
    from gitbrag.stores.connection import limiter_prefix
    from gitbrag.stores.limiter_slots import LimiterSlots

    service = _service(app)
    credential = service.server_credential()
    assert credential is not None
    redis = service.redis
    slot = limiter_prefix(redis) + "octocat"
    holder = service.request_report(ReportKey.parse("octocat:2_years:open"), credential)
    service.stores.jobs.mark_running(holder.id)
    redis.set(slot, 1, px=60_000)  # as the limiter holds it (Dramatiq's counter)
    LimiterSlots(redis).held(slot, holder.id)
    page = admin.get("/admin").text.split("data-slots>")[1]
    assert "octocat" in page and holder.id[:8] in page

    assert "still+runs" in _act(admin, "/admin/limiter/release", login="octocat")
    assert redis.exists(slot)
    service.stores.jobs.finish(holder.id, "failed", "worker killed")  # the holder is gone
    assert "released" in _act(admin, "/admin/limiter/release", login="octocat")
    assert not redis.exists(slot)
    assert "no+slot" in _act(admin, "/admin/limiter/release", login="octocat")
    # A slot a new job took meanwhile is never released by a stale click.
    newer = service.request_report(ReportKey.parse("octocat:1_year:open"), credential)
    redis.set(slot, 1, px=60_000)
    LimiterSlots(redis).held(slot, newer.id)
    assert not LimiterSlots(redis).release_stuck(slot, '{"job":"someone-else"}')
    assert redis.exists(slot)


def test_the_console_shows_only_outcomes_it_wrote(admin: TestClient) -> None:
    """An action's outcome comes back in the redirect, signed: a crafted link cannot make the
    console say something it did not."""
    back = _act(admin, "/admin/prewarm/pause")
    page = admin.get(back).text
    assert 'class="admin-flash"' in page and ">paused</p>" in page
    forged = admin.get(
        "/admin", params={"done": "Send your token to evil.example", "sig": "0" * 32}
    )
    assert 'class="admin-flash"' not in forged.text and ">Send your token" not in forged.text
    unsigned = admin.get("/admin", params={"done": "Send your token to evil.example"})
    assert 'class="admin-flash"' not in unsigned.text
