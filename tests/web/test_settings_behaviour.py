"""Settings that change what the web layer does: https deployments, anonymous generation,
and the ``gitbrag web`` command itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.runtime.redis_server import free_port
from tests.fixtures.web import key_for, login, settings_for
from tests.harness import SECRET, poll_until
from web.app import create_app

ROOT = Path(__file__).resolve().parents[2]


def test_https_public_url_makes_cookies_secure_and_adds_hsts(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    settings = settings_for(redis_url, hub, tmp_path, public_url="https://brag.example")
    client = TestClient(create_app(settings), base_url="http://testserver", follow_redirects=False)
    start = client.get("/auth/login")
    assert "redirect_uri=https%3A%2F%2Fbrag.example%2Fauth%2Fcallback" in start.headers["location"]
    assert "Secure" in start.headers["set-cookie"] and "HttpOnly" in start.headers["set-cookie"]
    assert client.get("/").headers["strict-transport-security"].startswith("max-age=")
    home = client.get("/").text
    assert '<link rel="canonical" href="https://brag.example/">' in home


def test_anonymous_generation_uses_the_server_token(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    settings = settings_for(
        redis_url,
        hub,
        tmp_path,
        anonymous_generation=True,
        github_token=hub.token("octocat"),
    )
    app = create_app(settings)
    client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    page = client.get("/user/github/star-gazer")
    assert page.status_code == 200 and 'class="job-progress"' in page.text
    job = app.state.context.service.current_job(key_for("star-gazer"))
    assert job is not None and job.viewer_id is None
    assert ">Cancel</button>" not in page.text  # nobody owns an anonymous job
    # Without a server token, anonymous generation has nothing to run with.
    bare = settings_for(redis_url, hub, tmp_path, anonymous_generation=True)
    bare_client = TestClient(create_app(bare), base_url="http://testserver")
    assert bare_client.get("/user/github/no-prs").status_code == 401


def test_login_unconfigured_is_a_clear_503(redis_url: str, hub: FakeHub, tmp_path: Path) -> None:
    settings = settings_for(redis_url, hub, tmp_path, github_client_id=None)
    client = TestClient(create_app(settings), base_url="http://testserver")
    response = client.get("/auth/login")
    assert response.status_code == 503
    assert "Login is not configured" in response.text


def test_sessions_work_across_app_instances(
    web_client: TestClient, hub: FakeHub, redis_url: str, tmp_path: Path
) -> None:
    """Server-side sessions: a second web process (same Redis) knows the viewer."""
    login(web_client, hub)
    other = TestClient(
        create_app(settings_for(redis_url, hub, tmp_path)), base_url="http://testserver"
    )
    other.cookies.set("gitbrag_session", web_client.cookies["gitbrag_session"])
    assert "@octocat" in other.get("/").text


@pytest.mark.parametrize("workers", [None, "3"])
def test_gitbrag_web_command_serves_the_app(
    redis_url: str, hub: FakeHub, tmp_path: Path, workers: str | None
) -> None:
    """``gitbrag web`` runs one process per CPU (or ``--workers``) on one port, and stops
    on SIGTERM."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITBRAG_")}
    env.update(
        {
            "GITBRAG_REDIS_URL": redis_url,
            "GITBRAG_SECRET_KEY": SECRET,
            "GITBRAG_GITHUB_API_URL": hub.api_url,
            "GITBRAG_DATA_DIR": str(tmp_path),
            "PYTHONPATH": str(ROOT),
        }
    )
    command = [sys.executable, "-m", "gitbrag", "web", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        command + (["--workers", workers] if workers else []),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:

        def answer() -> httpx.Response | None:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                return None

        response = poll_until(answer, lambda r: r is not None, 30, "gitbrag web answers")
        assert (
            response is not None
            and response.status_code == 200
            and response.json()["redis"] is True
        )
        # Behind a proxy: X-Forwarded-Proto from a trusted address (loopback) is honoured.
        page = httpx.get(
            f"http://127.0.0.1:{port}/", headers={"X-Forwarded-Proto": "https"}, timeout=5
        )
        assert f'<link rel="canonical" href="https://127.0.0.1:{port}/">' in page.text
        expected = int(workers) if workers else len(os.sched_getaffinity(0))
        serving = [  # uvicorn's worker processes (not multiprocessing's resource tracker)
            child
            for child in psutil.Process(process.pid).children()
            if "spawn_main" in " ".join(child.cmdline())
        ]
        assert len(serving) == (expected if expected > 1 else 0)  # one process serves alone
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    output = process.stdout.read().decode() if process.stdout else ""
    assert "GET /readyz 200" in output


def test_demo_mode_says_so_and_offers_the_sample_users(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    from gitbrag.fakehub.data import SAMPLE_USERS

    demo = settings_for(redis_url, hub, tmp_path, demo=True, demo_users=",".join(SAMPLE_USERS))
    home = TestClient(create_app(demo)).get("/").text
    assert "Demo mode" in home and "simulated GitHub" in home
    for login_name in SAMPLE_USERS:
        assert f'<a href="/user/github/{login_name.lower()}">@{login_name}</a>' in home
    plain = TestClient(create_app(settings_for(redis_url, hub, tmp_path))).get("/").text
    assert "Demo mode" not in plain and "@torvalds" in plain
