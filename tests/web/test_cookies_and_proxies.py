"""Cookies behind proxies (issue 11, item 10): pages with a CSRF token are never stored by a
cache, the session cookie is ``__Host-`` on https, and only configured proxies may say who
the client is or that it used https."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.runtime.background_server import BackgroundServer
from gitbrag.settings import Settings
from tests.fixtures.web import key_for, login, settings_for, store_report
from web.app import create_app
from web.server import uvicorn_options


def test_pages_with_a_csrf_token_are_private_and_never_stored(
    web_client: TestClient, hub: FakeHub, web_app: object
) -> None:
    store_report(web_app.state.context.service, key_for())  # type: ignore[attr-defined]
    login(web_client, hub)
    for path in ("/", "/user/github/octocat", "/user/github/star-gazer"):
        page = web_client.get(path)
        assert 'name="csrf_token"' in page.text, path
        assert page.headers["cache-control"] == "private, no-store", path


def test_the_session_cookie_is_host_prefixed_on_https(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    settings = settings_for(redis_url, hub, tmp_path, public_url="https://gitbrag.test")
    app = create_app(settings)
    with TestClient(app, base_url="https://gitbrag.test", follow_redirects=False) as client:
        start = client.get("/auth/login")
        assert start.headers["set-cookie"].startswith("__Secure-gitbrag_oauth_state=")
        callback = login(client, hub)
        (cookie,) = [
            value
            for value in callback.headers.get_list("set-cookie")
            if value.startswith("__Host-gitbrag_session=")
        ]
        assert "Secure" in cookie and "Path=/;" in cookie and "Domain" not in cookie
        assert "Log out" in client.get("/").text
        # A plain-named cookie (as a subdomain or an http page could plant) is not read.
        session_id = client.cookies["__Host-gitbrag_session"]
        client.cookies.clear()
        client.cookies.set("gitbrag_session", session_id)
        assert "Log out" not in client.get("/").text


def test_forwarded_headers_count_only_from_configured_proxies(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    # The command's own options: even with a public https URL, no wildcard.
    public = Settings(_env_file=None, public_url="https://gitbrag.test")  # type: ignore[call-arg]
    assert uvicorn_options(public, "0.0.0.0", 8000, 2)["forwarded_allow_ips"] == "127.0.0.1"
    behind = Settings(_env_file=None, trusted_proxies="10.0.0.0/8")  # type: ignore[call-arg]
    assert uvicorn_options(behind, "0.0.0.0", 8000, 2)["forwarded_allow_ips"] == "10.0.0.0/8"

    app = create_app(settings_for(redis_url, hub, tmp_path))
    says_https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    for trusted, expected in (("127.0.0.1", "__Secure-"), ("10.9.9.9", "gitbrag_")):
        server = BackgroundServer(app, name="web", forwarded_allow_ips=trusted)
        url = server.start()
        try:
            cookie = httpx.get(f"{url}/auth/login", headers=says_https).headers["set-cookie"]
        finally:
            server.stop()
        assert cookie.startswith(expected), (trusted, cookie)
