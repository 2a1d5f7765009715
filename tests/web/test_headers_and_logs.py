"""Issue 20, items 6, 7 and 9: Unicode digits are a 400, not a 500; the access log cannot be
forged through the path; the headers of OWASP's Secure Headers project, per kind of answer;
``/docs`` without inline script or unpinned assets; no ``Server`` header."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.runtime.background_server import BackgroundServer
from gitbrag.settings import Settings
from tests.fixtures.web import key_for, settings_for, store_report
from web.app import create_app
from web.docs import SWAGGER_CSS, SWAGGER_JS, SWAGGER_UI_VERSION
from web.middleware import loggable
from web.server import uvicorn_options

PAGE = "/user/github/octocat"
# Superscript 2, circled 1, Arabic-Indic 3 then superscript 2, double-struck 1.
UNICODE_DIGITS = ["%C2%B2", "%E2%91%A0", "1%C2%B2", "%D9%A3%C2%B2", "%F0%9D%9F%99"]


@pytest.mark.parametrize("digits", UNICODE_DIGITS)
def test_unicode_digits_are_a_clear_400(
    web_client: TestClient, web_service: ReportService, digits: str
) -> None:
    store_report(web_service, key_for())
    for path in (
        f"{PAGE}/card.svg?width={digits}",
        f"{PAGE}/repositories?page={digits}",
        f"{PAGE}/issues?page={digits}",
        f"{PAGE}/repositories/octo-org/engine?page={digits}",
    ):
        answer = web_client.get(path)
        assert answer.status_code == 400, (path, answer.status_code)


def test_the_access_log_cannot_be_forged(
    web_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gitbrag.web.access")
    web_client.get("/user/github/x%0AGET%20/admin%20200%201.0ms%0D%E2%80%AEgnp.exe")
    lines = [record.getMessage() for record in caplog.records if record.name.endswith("access")]
    assert len(lines) == 1
    line = lines[0]
    assert line.isascii() and line.isprintable() and "\n" not in line and "\u202e" not in line
    assert "/user/github/x%0AGET%20/admin%20200%201.0ms%0D%E2%80%AEgnp.exe" in line
    assert loggable("/user/github/octocat") == "/user/github/octocat"  # the usual case as is


def test_pages_and_api_say_same_origin_embeds_cross_origin(
    web_client: TestClient, web_service: ReportService
) -> None:
    store_report(web_service, key_for())
    for path in ("/", PAGE, "/api/reports/github/octocat", f"{PAGE}.json", "/nope"):
        headers = web_client.get(path).headers
        assert headers["cross-origin-resource-policy"] == "same-origin", path
        assert headers["x-permitted-cross-domain-policies"] == "none", path
        assert "strict-transport-security" not in headers  # plain http, no PUBLIC_URL
    for path in (f"{PAGE}/card.svg", f"{PAGE}/badge.svg", f"{PAGE}/og.png"):
        headers = web_client.get(path).headers
        assert headers["cross-origin-resource-policy"] == "cross-origin", path
    for path in (f"{PAGE}/card.svg", f"{PAGE}/badge.svg", "/user/github/nobody-yet/card.svg"):
        policy = web_client.get(path).headers["content-security-policy"]
        assert policy == "default-src 'none'; style-src 'unsafe-inline'; sandbox", path


def test_hsts_over_https_even_without_public_url(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    """Behind a TLS proxy (its X-Forwarded-Proto believed: the scheme is https) without a
    PUBLIC_URL, HSTS is sent too; over plain http it is not."""
    app = create_app(settings_for(redis_url, hub, tmp_path))
    with TestClient(app, base_url="https://testserver") as secure:
        assert secure.get("/").headers["strict-transport-security"].startswith("max-age=")
        assert secure.get("/docs").headers["strict-transport-security"].startswith("max-age=")
    with TestClient(app, base_url="http://testserver") as plain:
        assert "strict-transport-security" not in plain.get("/").headers


def test_docs_pin_their_assets_and_run_no_inline_script(web_client: TestClient) -> None:
    docs = web_client.get("/docs")
    assert docs.status_code == 200
    policy = docs.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]*)", policy)
    assert script_src is not None and "'unsafe-inline'" not in script_src.group(1)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", docs.text, re.S)
    assert scripts and all(body.strip() == "" for _, body in scripts)  # no inline script
    for url, integrity in (SWAGGER_JS, SWAGGER_CSS):
        assert f"@{SWAGGER_UI_VERSION}/" in url
        assert f'"{url}" integrity="{integrity}" crossorigin="anonymous"' in docs.text
        assert re.fullmatch(r"sha384-[A-Za-z0-9+/]{64}", integrity)
    init = re.search(r'src="(/static/swagger-init\.js\?v=\w+)"', docs.text)
    assert init is not None and web_client.get(init.group(1)).status_code == 200


def test_no_server_header(web_settings: Settings) -> None:
    """``gitbrag web``'s uvicorn options leave out ``Server: uvicorn`` (a real server here)."""
    options = uvicorn_options(web_settings, "127.0.0.1", 0, 1)
    server = BackgroundServer(create_app(web_settings), server_header=options["server_header"])
    url = server.start()
    try:
        answer = httpx.get(url + "/healthz")
        assert answer.status_code == 200 and "server" not in answer.headers
    finally:
        server.stop()
    default = BackgroundServer(create_app(web_settings))  # what uvicorn does unasked
    url = default.start()
    try:
        assert httpx.get(url + "/healthz").headers["server"] == "uvicorn"
    finally:
        default.stop()


def test_sri_digests_are_what_they_claim() -> None:
    """The digest format is right for what it names (the bytes themselves are checked by the
    browser; here, that a digest is a SHA-384 in base64 of the right length)."""
    for _, integrity in (SWAGGER_JS, SWAGGER_CSS):
        raw = base64.b64decode(integrity.removeprefix("sha384-"))
        assert len(raw) == hashlib.sha384().digest_size
