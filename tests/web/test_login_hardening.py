"""Issue 20, item 4: PKCE (S256) in the login, switchable for an Enterprise Server without it;
logging out revokes the token at GitHub and clears the site's data; logins in flight live in
no shared pool that one address could flush (the state is signed, kept by the browser)."""

from __future__ import annotations

import base64
import hashlib
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.fakehub.state import CLIENT_ID, CLIENT_SECRET
from gitbrag.jobs.service import ReportService
from gitbrag.settings import Settings
from tests.fixtures.web import csrf_token, login, settings_for
from tests.web.redis_monitor import monitored
from web import login_state
from web.app import create_app


def _start(client: TestClient) -> dict[str, str]:
    start = client.get("/auth/login", params={"return_to": "/user/github/octocat"})
    assert start.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}


def _approve(hub: FakeHub, query: dict[str, str]) -> str:
    approve = httpx.post(
        f"{hub.github_url}/login/oauth/authorize", data={**query, "login": "octocat"}
    )
    assert approve.status_code == 302
    location = urlsplit(approve.headers["location"])
    return f"{location.path}?{location.query}"


def test_the_login_sends_a_pkce_challenge_and_github_checks_it(
    web_client: TestClient, web_settings: Settings, hub: FakeHub
) -> None:
    query = _start(web_client)
    assert query["code_challenge_method"] == "S256"
    cookie = web_client.cookies["gitbrag_oauth_state"]
    finished = login_state.finish(
        web_settings.secret_keys(), query["state"], cookie, now=time.time()
    )
    assert finished is not None
    digest = hashlib.sha256(finished.code_verifier.encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert finished.code_verifier not in str(query)  # never in a URL
    # The simulated GitHub refuses the code without the right verifier...
    code = parse_qs(urlsplit(_approve(hub, query)).query)["code"][0]
    wrong = httpx.post(
        f"{hub.github_url}/login/oauth/access_token",
        data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code,
              "redirect_uri": query["redirect_uri"], "code_verifier": "x" * 43},
        headers={"Accept": "application/json"},
    )  # fmt: skip
    assert wrong.json()["error"] == "bad_verification_code"
    # ... and gitbrag's login, which sends it, works.
    assert login(web_client, hub).status_code == 303
    assert "Log out" in web_client.get("/").text


def test_pkce_can_be_switched_off_for_an_enterprise_server(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    app = create_app(settings_for(redis_url, hub, tmp_path, github_pkce=False))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        query = _start(client)
        assert "code_challenge" not in query and "code_challenge_method" not in query
        assert login(client, hub).status_code == 303


def test_a_flood_of_login_starts_writes_nothing_and_flushes_nobody(
    web_client: TestClient, hub: FakeHub, redis_url: str
) -> None:
    """The former pool of 10,000 pending logins evicted the oldest: one address could flush
    everyone's. Now a login keeps nothing on the server."""
    victim = TestClient(web_client.app, base_url="http://testserver", follow_redirects=False)
    started = _start(victim)  # a real user's login, in flight
    with monitored(redis_url) as commands:
        for _ in range(3000):
            assert web_client.get("/auth/login").status_code == 302
    assert commands == []  # not one Redis command
    done = victim.get(_approve(hub, started))
    assert done.status_code == 303 and done.headers["location"] == "/user/github/octocat"
    assert "gitbrag_session" in victim.cookies


def test_a_tampered_or_foreign_state_cookie_is_refused(
    web_client: TestClient, hub: FakeHub
) -> None:
    query = _start(web_client)
    cookie = web_client.cookies["gitbrag_oauth_state"]
    state, _, _ = cookie.rpartition(".")
    evil = base64.urlsafe_b64encode(b"//evil.example").decode().rstrip("=")
    web_client.cookies.set("gitbrag_oauth_state", f"{state}.{evil}", path="/auth")
    refused = web_client.get(_approve(hub, query))
    assert refused.status_code == 400 and "gitbrag_session" not in web_client.cookies


def test_logout_revokes_the_token_at_github_and_clears_site_data(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    login(web_client, hub)
    (ref,) = [r for r in web_service.redis.scan_iter("gitbrag:credential:*")]
    token = web_service.stores.credentials.token(ref.decode().removeprefix("gitbrag:credential:"))
    assert token is not None and hub.state.account_for(token) is not None
    out = web_client.post("/auth/logout", data={"csrf_token": csrf_token(web_client)})
    assert out.status_code == 303
    assert out.headers["clear-site-data"] == '"cache", "cookies", "storage"'
    assert hub.state.account_for(token) is None  # GitHub no longer knows the token
    assert hub.counters["oauth.delete_token"] == 1
    assert (
        httpx.get(f"{hub.api_url}/user", headers={"Authorization": f"token {token}"}).status_code
        == 401
    )
