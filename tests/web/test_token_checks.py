"""Bad bearer tokens and revocation lag (issue 11, items 6 and 7): a flood of made-up
tokens costs GitHub a bounded number of calls, a revoked token stops working within the
bearer cache, and a browser session's token is checked again when it is used."""

from __future__ import annotations

import json
from pathlib import Path

import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.stores.bearer_checks import REJECTED
from gitbrag.stores.sessions import SESSION_PREFIX
from tests.fixtures.web import login, settings_for
from tests.harness import wait_for
from web.app import create_app

NS = "gitbrag:"  # the default key namespace (GITBRAG_REDIS_NAMESPACE)

API = "/api/reports/github/octocat"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_flood_of_bad_tokens_reaches_github_a_bounded_number_of_times(
    web_client: TestClient, web_app: FastAPI, hub: FakeHub, redis_client: redis.Redis
) -> None:
    # One minute's worth of requests, whatever the wall clock says (an injected clock).
    web_app.state.context.bearer_checks.clock = lambda: 1_800_000_000.0
    hub.reset_counters()
    answers = [web_client.get(API, headers=_bearer(f"ghp_made_up_{n:04d}")) for n in range(50)]
    statuses = [answer.status_code for answer in answers]
    # Ten validations a minute for this client, then 429 without asking GitHub.
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    assert hub.counters["GET /user"] == 10
    assert int(answers[-1].headers["Retry-After"]) == 60
    # The same bad token again: refused from the cache, GitHub is not asked twice.
    again = [web_client.get(API, headers=_bearer("ghp_made_up_0003")) for _ in range(20)]
    assert {answer.status_code for answer in again} == {401}
    assert hub.counters["GET /user"] == 10
    assert redis_client.zcard(NS + REJECTED) == 10  # one entry per token GitHub refused


def test_rejected_tokens_are_remembered_in_a_bounded_set(
    redis_url: str, hub: FakeHub, tmp_path: Path, redis_client: redis.Redis
) -> None:
    settings = settings_for(redis_url, hub, tmp_path, bearer_validations_per_minute=1000)
    app = create_app(settings)
    app.state.context.bearer_checks.max_rejected = 25
    with TestClient(app, base_url="http://testserver") as client:
        for n in range(60):
            assert client.get(API, headers=_bearer(f"ghp_other_{n}")).status_code == 401
    assert redis_client.zcard(NS + REJECTED) == 25  # the oldest went first
    assert redis_client.ttl(NS + REJECTED) > 0


def test_a_revoked_bearer_token_stops_working_within_the_cache_time(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    assert settings_for(redis_url, hub, tmp_path).bearer_cache_seconds == 60  # the default
    app = create_app(settings_for(redis_url, hub, tmp_path, bearer_cache_seconds=1))
    token = hub.token("octocat")
    with TestClient(app, base_url="http://testserver") as client:
        assert client.get(API, headers=_bearer(token)).status_code == 202
        hub.revoke(token)
        wait_for(
            lambda: client.get(API, headers=_bearer(token)).status_code == 401,
            timeout=10,
            what="the revoked token refused once its validation expired",
        )


def _age_session(client: redis.Redis, seconds: float) -> None:
    """Pretend the session was created and last checked ``seconds`` ago (an injected clock)."""
    (key,) = client.keys(NS + SESSION_PREFIX + "*")
    session = json.loads(client.get(key) or b"{}")
    session["created_at"] -= seconds
    session["validated_at"] = session["created_at"]
    client.set(key, json.dumps(session), keepttl=True)


def test_a_used_session_is_checked_with_github_every_few_minutes(
    web_client: TestClient, web_service: ReportService, hub: FakeHub, redis_client: redis.Redis
) -> None:
    login(web_client, hub)
    hub.reset_counters()
    assert "Log out" in web_client.get("/").text
    assert hub.counters["GET /user"] == 0  # a fresh session is not checked
    _age_session(redis_client, 301)
    assert "Log out" in web_client.get("/").text
    assert hub.counters["GET /user"] == 1  # checked once, then fresh again
    web_client.get("/user/github/octocat")
    web_client.get("/")
    assert hub.counters["GET /user"] == 1

    # Revoked on GitHub: the next use after the interval ends the session, "log in again".
    (key,) = redis_client.keys(NS + SESSION_PREFIX + "*")
    credential = json.loads(redis_client.get(key) or b"{}")["credential_ref"]
    token = web_service.stores.credentials.token(credential)  # the token the login issued
    assert token is not None
    hub.revoke(token)
    _age_session(redis_client, 301)
    page = web_client.get("/user/github/octocat")
    assert "Your GitHub login expired or was revoked" in page.text
    assert "Log out" not in web_client.get("/").text
    assert redis_client.keys(NS + SESSION_PREFIX + "*") == []


def test_valid_tokens_from_one_address_are_not_throttled(
    web_client: TestClient, web_app: FastAPI, hub: FakeHub
) -> None:
    """Issue 20, item 12: an office behind one NAT, a CI runner pool: the per-address limit
    counts rejected tokens, valid ones have a far higher ceiling."""
    web_app.state.context.bearer_checks.clock = lambda: 1_800_000_000.0  # one minute
    tokens = [hub.issue_token("octocat") for _ in range(15)]
    statuses = [web_client.get(API, headers=_bearer(token)).status_code for token in tokens]
    assert 429 not in statuses and set(statuses) <= {200, 202}
    # Rejected ones still count: ten a minute, then 429 saying when to come back.
    bad = [web_client.get(API, headers=_bearer(f"ghp_bad_{n}")) for n in range(12)]
    assert [answer.status_code for answer in bad] == [401] * 10 + [429] * 2
    assert bad[-1].headers["Retry-After"] == "60" and "60 s" in bad[-1].json()["detail"]


def test_the_ceiling_for_valid_tokens_holds_too(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    app = create_app(settings_for(redis_url, hub, tmp_path, bearer_checks_per_minute=5))
    app.state.context.bearer_checks.clock = lambda: 1_800_000_030.0  # 30 s into a minute
    with TestClient(app, base_url="http://testserver") as client:
        answers = [client.get(API, headers=_bearer(hub.issue_token("octocat"))) for _ in range(7)]
    assert [answer.status_code for answer in answers][5:] == [429, 429]
    assert answers[-1].headers["Retry-After"] == "30"


def test_one_encrypted_copy_per_token_however_often_it_is_validated(
    redis_url: str, hub: FakeHub, tmp_path: Path, redis_client: redis.Redis
) -> None:
    """Issue 20, item 11: each validation (every ``BEARER_CACHE_SECONDS`` of polling) used to
    store a new encrypted copy of the token for a day."""
    app = create_app(settings_for(redis_url, hub, tmp_path, bearer_cache_seconds=1))
    token = hub.issue_token("octocat")
    with TestClient(app, base_url="http://testserver") as client:
        for _ in range(4):
            assert client.get(API, headers=_bearer(token)).status_code in (200, 202)
            redis_client.delete(*redis_client.keys(NS + "bearer:*"))  # the validation expired
    copies = redis_client.keys("gitbrag:credential:*")
    assert len(copies) == 1
    assert token.encode() not in redis_client.dump(copies[0])  # encrypted, as ever
    assert redis_client.ttl(copies[0]) > 0
