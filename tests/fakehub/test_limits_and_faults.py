"""Rate-limit budgets (exhaustion, refill after reset), injected faults, latency, control API."""

from __future__ import annotations

import time

import httpx
import pytest

from gitbrag.fakehub import FakeHub, Faults
from tests.fakehub.helpers import auth

VIEWER = {"query": "{ viewer { login } }"}


def test_rest_budget_exhaustion_and_refill_after_reset(http: httpx.Client, hub: FakeHub) -> None:
    token = hub.token("octocat")
    hub.set_budget(token, remaining=2, reset_in=1.0)
    statuses = [http.get("/users/no-prs", headers=auth("octocat")) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 403]
    refused = statuses[-1]
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.json()["message"] == "API rate limit exceeded for user ID 583231."
    reset = int(refused.headers["x-ratelimit-reset"])
    assert abs(reset - time.time()) < 3  # real epoch seconds
    time.sleep(max(0.0, reset - time.time()) + 0.05)
    refilled = http.get("/users/no-prs", headers=auth("octocat"))
    assert refilled.status_code == 200 and refilled.headers["x-ratelimit-remaining"] == "4999"


def test_graphql_budget_exhaustion_answers_200_rate_limited(
    http: httpx.Client, hub: FakeHub
) -> None:
    hub.set_budget(hub.token("octocat"), remaining=1, reset_in=60, resource="graphql")
    first = http.post("/graphql", json=VIEWER, headers=auth("octocat"))
    assert first.headers["x-ratelimit-resource"] == "graphql"
    assert first.headers["x-ratelimit-remaining"] == "0"
    refused = http.post("/graphql", json=VIEWER, headers=auth("octocat"))
    assert refused.status_code == 200 and refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.json()["errors"][0]["type"] == "RATE_LIMITED"
    assert refused.json()["errors"][0]["message"] == "API rate limit exceeded for user ID 583231."
    # REST has its own budget; another token is unaffected.
    assert http.get("/users/octocat", headers=auth("octocat")).status_code == 200
    other = http.post("/graphql", json=VIEWER, headers=auth("big-diff"))
    assert other.json() == {"data": {"viewer": {"login": "big-diff"}}}
    assert hub.counters["rate_limited"] == 1


def test_faults_appear_at_the_configured_rate(http: httpx.Client, hub: FakeHub) -> None:
    hub.faults.configure(rate=0.3, kinds=("502", "504"), seed=11)
    codes = [http.get("/users/octocat", headers=auth("octocat")).status_code for _ in range(200)]
    faulted = codes.count(502) + codes.count(504)
    assert 40 <= faulted <= 80 and set(codes) == {200, 502, 504}
    assert hub.counters["fault.502"] + hub.counters["fault.504"] == faulted
    hub.faults.configure(rate=0.0)
    assert http.get("/users/octocat", headers=auth("octocat")).status_code == 200


def test_each_fault_kind_looks_like_github(http: httpx.Client, hub: FakeHub) -> None:
    hub.faults.inject("timeout", "secondary", "502", "timeout")
    timeout = http.post("/graphql", json=VIEWER, headers=auth("octocat"))
    assert timeout.status_code == 200 and timeout.json()["data"] is None
    assert timeout.json()["errors"][0]["message"].startswith(
        "Something went wrong while executing your query. This may be the result of a timeout"
    )
    secondary = http.post("/graphql", json=VIEWER, headers=auth("octocat"))
    assert secondary.status_code == 403 and secondary.headers["retry-after"] == "1"
    assert "secondary rate limit" in secondary.json()["message"]
    assert secondary.headers["x-ratelimit-remaining"] != "0"
    bad_gateway = http.get("/users/octocat", headers=auth("octocat"))
    assert bad_gateway.status_code == 502 and "x-ratelimit-remaining" in bad_gateway.headers
    assert http.get("/users/octocat", headers=auth("octocat")).status_code == 504
    assert http.post("/graphql", json=VIEWER, headers=auth("octocat")).json()["data"] is not None


def test_secondary_every_nth_request_and_latency(http: httpx.Client, hub: FakeHub) -> None:
    hub.faults.configure(secondary_every=3, latency_ms=30)
    started = time.perf_counter()
    codes = [http.get("/users/octocat", headers=auth("octocat")).status_code for _ in range(6)]
    assert codes == [200, 200, 403, 200, 200, 403]
    assert time.perf_counter() - started >= 6 * 0.03


def test_control_endpoints_over_http(http: httpx.Client, hub: FakeHub) -> None:
    http.get("/users/octocat")
    counters = http.get("/_fakehub/counters").json()
    assert counters["request_count"] == 1 and counters["counters"]["GET /users/{login}"] == 1
    settings = http.post("/_fakehub/faults", json={"rate": 1.0, "kinds": ["502"]}).json()
    assert settings["rate"] == 1.0
    assert http.get("/users/octocat").status_code == 502
    assert http.post("/_fakehub/faults", json={"kinds": ["teapot"]}).status_code == 400
    token = hub.token("star-gazer")
    assert http.post(
        "/_fakehub/budget", json={"token": token, "remaining": 0, "reset_in": 60}
    ).json()
    assert http.post("/_fakehub/reset").json() == {"ok": True}
    assert http.get("/_fakehub/counters").json()["request_count"] == 0
    assert (
        http.get("/users/octocat", headers={"Authorization": f"token {token}"}).status_code == 200
    )
    assert http.post("/_fakehub/revoke", json={"token": token}).json() == {"ok": True}
    assert http.get("/user", headers={"Authorization": f"token {token}"}).status_code == 401
    users = http.get("/_fakehub/users").json()
    assert {"login": "octocat", "token": hub.token("octocat")} in users
    assert hub.request_count() == 2  # control calls are not API requests


def test_fault_settings_are_validated() -> None:
    with pytest.raises(ValueError):
        Faults(rate=1.5)
    with pytest.raises(ValueError):
        Faults(kinds=("418",))
    faults = Faults(rate=1.0, kinds=("secondary",))
    assert [faults.pick() for _ in range(3)] == ["secondary"] * 3
    faults.reset()
    assert faults.pick() is None
