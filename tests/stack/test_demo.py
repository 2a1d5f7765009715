"""`gitbrag demo`: the stack against its own simulated GitHub child, OAuth login included."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gitbrag.fakehub.data import SAMPLE_USERS
from gitbrag.fakehub.state import CLIENT_ID
from tests.stack.conftest import StackProcess, poll_until, still_alive

pytestmark = pytest.mark.slow


def test_demo_logs_in_through_the_simulated_github_and_generates(
    start_stack: Callable[..., StackProcess],
) -> None:
    stack = start_stack({}, command="demo")
    stack.wait_announced()
    assert stack.find_child("fakehub") is not None

    home = stack.http.get("/")
    assert home.status_code == 200
    assert "demo" in home.text.lower()

    login = stack.http.get("/auth/login", params={"return_to": "/user/github/big-diff"})
    assert login.status_code == 302
    authorize = urlsplit(login.headers["location"])
    assert authorize.path == "/login/oauth/authorize"
    assert authorize.hostname == "127.0.0.1" and authorize.port != stack.port
    query = {key: values[0] for key, values in parse_qs(authorize.query).items()}
    assert query["client_id"] == CLIENT_ID

    hub = f"{authorize.scheme}://{authorize.netloc}"
    with httpx.Client(base_url=hub, timeout=10) as browser_at_github:
        page = browser_at_github.get(authorize.path, params=query)
        assert page.status_code == 200 and "Authorize as octocat" in page.text
        fields = {k: query.get(k, "") for k in ("client_id", "redirect_uri", "state", "scope")}
        approved = browser_at_github.post(authorize.path, data={**fields, "login": "octocat"})
    assert approved.status_code == 302
    callback = urlsplit(approved.headers["location"])
    assert callback.port == stack.port and callback.path == "/auth/callback"

    landed = stack.http.get(f"{callback.path}?{callback.query}")
    assert landed.status_code in (302, 303), landed.text[:500]
    assert landed.headers["location"].endswith("/user/github/big-diff")

    def fetch() -> tuple[int, Any]:
        response = stack.http.get("/api/reports/github/big-diff")
        return response.status_code, response.json()

    status, body = fetch()
    assert status == 202 and body["state"] == "generating", body
    status, body = poll_until(fetch, lambda r: r[0] == 200, 90, "demo report generated")
    assert body["report"]["username"] == "big-diff"
    assert body["report"]["totals"]["pull_requests"] > 0

    # The announcement's API example works as printed.
    example = next(line for line in stack.log().splitlines() if "curl -H" in line)
    token = example.split("Bearer ")[1].split("'")[0]
    api_url = example.rsplit(" ", 1)[1]
    answer = stack.http.get(api_url, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code in (200, 202), answer.text

    # The home page offers the simulated GitHub's users, not real ones that would not exist.
    listed = [login for login in SAMPLE_USERS if f"/user/github/{login.lower()}" in home.text]
    assert len(listed) >= 3, "the demo home page links to sample users"
    assert "/user/github/torvalds" not in home.text

    tree = stack.descendants()
    assert stack.terminate(ctrl_c=True) == 0
    assert "received SIGINT" in stack.log() and "data saved" in stack.log()
    assert still_alive(tree) == []
