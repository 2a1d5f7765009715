"""Login through the simulated GitHub's OAuth, sessions in Redis, logout, bearer tokens."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import redis
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.github.oauth import authorize_url
from gitbrag.jobs.service import ReportService
from gitbrag.settings import Settings
from gitbrag.stores.sessions import SESSION_PREFIX
from tests.fixtures.web import csrf_token, key_for, login
from web import login_state

NS = "gitbrag:"  # the default key namespace (GITBRAG_REDIS_NAMESPACE)

API = "/api/reports/github/octocat"


def _authorize(client: TestClient, return_to: str = "/") -> dict[str, str]:
    start = client.get("/auth/login", params={"return_to": return_to})
    assert start.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}


def test_login_sets_a_server_side_session_and_returns_to_the_page(
    web_client: TestClient, hub: FakeHub, redis_client: redis.Redis
) -> None:
    done = login(web_client, hub, "octocat", return_to="/user/github/octocat?period=2_years")
    assert done.status_code == 303
    assert done.headers["location"] == "/user/github/octocat?period=2_years"
    cookie = done.headers["set-cookie"]
    assert "gitbrag_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here; https public URLs add it
    session_id = web_client.cookies["gitbrag_session"]
    # The cookie is only a random id: the session lives in Redis, keyed by its digest, and
    # holds no GitHub token (only a reference to the encrypted credential).
    sessions = list(redis_client.scan_iter(NS + SESSION_PREFIX + "*"))
    assert len(sessions) == 1 and session_id.encode() not in sessions[0]
    stored = redis_client.get(sessions[0]) or b""
    assert hub.token("octocat").encode() not in stored
    assert b'"login": "octocat"' in stored
    assert "@octocat" in web_client.get("/").text


def test_authorize_url_targets_the_configured_github(web_client: TestClient, hub: FakeHub) -> None:
    start = web_client.get("/auth/login", params={"return_to": "/x"})
    url = urlsplit(start.headers["location"])
    assert f"{url.scheme}://{url.netloc}" == hub.github_url
    assert url.path == "/login/oauth/authorize"
    query = parse_qs(url.query)
    assert query["client_id"] == ["fakehub-client-id"]
    assert query["redirect_uri"] == ["http://testserver/auth/callback"]
    assert len(query["state"][0]) >= 32


def test_a_replayed_callback_logs_nobody_in(web_client: TestClient, hub: FakeHub) -> None:
    query = _authorize(web_client)
    kept = web_client.cookies["gitbrag_oauth_state"]
    approve = httpx.post(
        f"{hub.github_url}/login/oauth/authorize",
        data={**query, "login": "octocat"},
    )
    callback = urlsplit(approve.headers["location"])
    first = web_client.get(f"{callback.path}?{callback.query}")
    assert first.status_code == 303
    web_client.cookies.delete("gitbrag_session")
    # Replaying the same callback (same state, cookie restored): GitHub's code is single use.
    web_client.cookies.set("gitbrag_oauth_state", kept, path="/auth")
    replay = web_client.get(f"{callback.path}?{callback.query}")
    assert replay.status_code == 400
    assert "gitbrag_session" not in web_client.cookies


def test_state_expires(web_client: TestClient, web_settings: Settings, hub: FakeHub) -> None:
    """A login started more than ten minutes ago is refused (the state names its expiry,
    under the server's signature)."""
    query = _authorize(web_client)
    old = login_state.begin(web_settings.resolved_secret_key(), "/", now=time.time() - 601)
    web_client.cookies.set("gitbrag_oauth_state", old.cookie, path="/auth")
    approve = httpx.post(
        f"{hub.github_url}/login/oauth/authorize",
        data={**query, "state": old.state, "login": "octocat"},
    )
    callback = urlsplit(approve.headers["location"])
    response = web_client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 400
    assert "expired or was already used" in response.text


def test_state_must_match_the_browser_cookie(web_client: TestClient, hub: FakeHub) -> None:
    query = _authorize(web_client)
    approve = httpx.post(
        f"{hub.github_url}/login/oauth/authorize", data={**query, "login": "octocat"}
    )
    callback = urlsplit(approve.headers["location"])
    # A victim's browser (no state cookie) following an attacker's callback link.
    other = TestClient(web_client.app, base_url="http://testserver", follow_redirects=False)
    response = other.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 400
    assert "not valid here" in response.text


def test_denied_login_shows_a_clear_page(web_client: TestClient, hub: FakeHub) -> None:
    query = _authorize(web_client)
    deny = httpx.get(
        f"{hub.github_url}/login/oauth/authorize/deny",
        params={"redirect_uri": query["redirect_uri"], "state": query["state"]},
    )
    callback = urlsplit(deny.headers["location"])
    response = web_client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 400
    assert "did not authorize gitbrag" in response.text


def test_return_to_is_limited_to_local_paths(web_client: TestClient, hub: FakeHub) -> None:
    for evil in ("https://evil.example", "//evil.example/x", "/\\evil.example", "javascript:x"):
        done = login(web_client, hub, return_to=evil)
        assert done.status_code == 303
        assert done.headers["location"] == "/", evil
    # Logout's return_to too.
    token = csrf_token(web_client)
    out = web_client.post(
        "/auth/logout", data={"csrf_token": token, "return_to": "https://evil.example"}
    )
    assert out.status_code == 303 and out.headers["location"] == "/"


def test_logout_needs_csrf_and_aborts_queued_jobs_and_deletes_credential(
    web_client: TestClient, web_service: ReportService, hub: FakeHub, redis_client: redis.Redis
) -> None:
    login(web_client, hub)
    job = web_client.get(API).json()["job"]
    assert job["status"] == "queued"
    forged = web_client.post("/auth/logout", data={"csrf_token": "forged", "return_to": "/"})
    assert forged.status_code == 403
    assert web_service.get_job(job["id"]).status == "queued"  # type: ignore[union-attr]
    out = web_client.post(
        "/auth/logout", data={"csrf_token": csrf_token(web_client), "return_to": "/user/github/x"}
    )
    assert out.status_code == 303 and out.headers["location"] == "/user/github/x"
    assert 'gitbrag_session=""' in out.headers["set-cookie"]
    assert web_service.get_job(job["id"]).status == "cancelled"  # type: ignore[union-attr]
    assert list(redis_client.scan_iter(NS + SESSION_PREFIX + "*")) == []
    assert list(redis_client.scan_iter("gitbrag:credential:*")) == []
    assert web_client.get(API).status_code == 401


def test_logout_is_post_only(web_client: TestClient, hub: FakeHub) -> None:
    login(web_client, hub)
    assert web_client.get("/auth/logout").status_code == 405
    assert "@octocat" in web_client.get("/").text


def test_revoked_token_ends_the_session_with_a_log_in_again_prompt(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    login(web_client, hub)
    job = web_client.get(API).json()["job"]
    # A worker met 401 with this viewer's token and marked the credential invalid.
    record = web_service.stores.jobs.credential(job["id"])
    assert record is not None
    web_service.stores.credentials.mark_invalid(record)
    page = web_client.get("/user/github/octocat")
    assert page.status_code == 401  # no report, and no longer logged in
    assert "Your GitHub login expired or was revoked" in page.text
    assert "Log in to generate this report" in page.text
    assert web_client.get(API).status_code == 401


def test_bearer_token_is_validated_and_cached(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    headers = {"Authorization": f"Bearer {hub.token('octocat')}"}
    hub.reset_counters()
    first = web_client.get(API, headers=headers)
    assert first.status_code == 202
    assert first.json()["job"]["status"] == "queued"
    assert web_client.get(API, headers=headers).status_code == 202
    assert hub.counters["GET /user"] == 1  # validated once, then cached
    # Bearer clients need no CSRF token (browsers never add the header by themselves).
    refresh = web_client.post(f"{API}/refresh", headers=headers)
    assert refresh.status_code == 202
    assert refresh.json()["job"]["id"] == first.json()["job"]["id"]


def test_invalid_bearer_token_is_401(web_client: TestClient, hub: FakeHub) -> None:
    response = web_client.get(API, headers={"Authorization": "Bearer gho_not_a_real_token"})
    assert response.status_code == 401
    assert response.json()["state"] == "login_required"
    revoked = hub.token("big-diff")
    hub.revoke(revoked)
    assert web_client.get(API, headers={"Authorization": f"Bearer {revoked}"}).status_code == 401
    malformed = web_client.get(API, headers={"Authorization": "Bearer a b\x01"})
    assert malformed.status_code == 401


def test_job_credentials_are_encrypted_refs(
    web_client: TestClient, web_service: ReportService, hub: FakeHub, redis_client: redis.Redis
) -> None:
    login(web_client, hub, "big-diff")
    web_client.get(API)
    token = hub.token("big-diff").encode()
    for key in redis_client.scan_iter():
        kind = redis_client.type(key)
        if kind == b"string":
            assert token not in (redis_client.get(key) or b""), key
        elif kind == b"hash":
            assert all(token not in v for v in redis_client.hgetall(key).values()), key
        elif kind == b"list":
            assert all(token not in v for v in redis_client.lrange(key, 0, -1)), key
    assert web_service.current_job(key_for()) is not None


def test_logging_in_again_replaces_the_session(
    web_client: TestClient, hub: FakeHub, redis_client: redis.Redis
) -> None:
    login(web_client, hub, "octocat")
    first = web_client.cookies["gitbrag_session"]
    login(web_client, hub, "big-diff")
    assert web_client.cookies["gitbrag_session"] != first
    assert len(list(redis_client.scan_iter(NS + SESSION_PREFIX + "*"))) == 1
    assert len(list(redis_client.scan_iter("gitbrag:credential:*"))) == 1
    assert "@big-diff" in web_client.get("/").text


def test_the_login_asks_github_for_no_scope(web_settings: Settings) -> None:
    """Reports read public data only: the authorize URL requests no scope at all."""
    url = authorize_url(web_settings, state="s", redirect_uri="http://testserver/auth/callback")
    query = parse_qs(urlsplit(url).query)
    assert "scope" not in query
    assert query["client_id"] == [web_settings.github_client_id]
