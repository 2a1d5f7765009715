"""The OAuth web flow: consent page, redirect with code and state, single-use exchange."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gitbrag.fakehub import CLIENT_ID, CLIENT_SECRET, SAMPLE_USERS, FakeHub
from tests.fakehub.helpers import CALLBACK, authorize, exchange


def test_page_lists_every_sample_user(http: httpx.Client) -> None:
    page = http.get(
        "/login/oauth/authorize", params={"client_id": CLIENT_ID, "redirect_uri": CALLBACK}
    )
    assert all(f"Authorize as {login}" in page.text for login in SAMPLE_USERS)
    unknown = http.get(
        "/login/oauth/authorize", params={"client_id": "other", "redirect_uri": CALLBACK}
    )
    assert unknown.status_code == 404


def test_code_works_once_and_only_once(http: httpx.Client, hub: FakeHub) -> None:
    query = authorize(http, "Mixed-Case-Dev", state="abc")
    assert query["state"] == ["abc"]
    code = query["code"][0]
    granted = exchange(http, code)
    assert granted["token_type"] == "bearer" and granted["scope"] == "read:user"
    token = granted["access_token"]
    viewer = http.get("/user", headers={"Authorization": f"Bearer {token}"})
    assert viewer.json()["login"] == "Mixed-Case-Dev"
    again = exchange(http, code)
    assert again["error"] == "bad_verification_code" and "access_token" not in again
    hub.revoke(token)
    assert http.get("/user", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_bad_client_secret_is_rejected_without_burning_the_code(http: httpx.Client) -> None:
    code = authorize(http, "octocat")["code"][0]
    refused = exchange(http, code, secret="wrong")
    assert refused["error"] == "incorrect_client_credentials"
    assert "access_token" in exchange(http, code)


def test_codes_expire_after_ten_minutes(
    http: httpx.Client, hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = authorize(http, "octocat")["code"][0]
    now = hub.state.clock()
    monkeypatch.setattr(hub.state, "clock", lambda: now + 601)
    assert exchange(http, code)["error"] == "bad_verification_code"


def test_form_encoded_answer_and_denial(http: httpx.Client) -> None:
    code = authorize(http, "octocat")["code"][0]
    response = http.post(
        "/login/oauth/access_token",
        data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code},
    )
    assert parse_qs(response.text)["token_type"] == ["bearer"]
    denied = http.get(
        "/login/oauth/authorize/deny", params={"redirect_uri": CALLBACK, "state": "z"}
    )
    assert denied.status_code == 302
    query = parse_qs(urlsplit(denied.headers["location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["z"]
