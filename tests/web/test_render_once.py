"""Render once, serve many: what a view costs, and that a new version is served at once.

Costs are counted, never timed: Redis round trips (each ``send_packed_command`` of a client
connection is one), renders (the app's ``gitbrag_renders`` metric), and decodes of the stored
report (``Report.model_validate_json`` calls). Two apps on one Redis stand for two web
processes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
import redis.asyncio.connection
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.report.models import Report
from gitbrag.settings import Settings
from tests.fixtures.web import METRICS_AUTH, key_for, login, sample_report, store_report
from web.app import create_app

PAGE = "/user/github/octocat"


class Counted:
    """Counts calls of a real function while it keeps doing its work."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
        self.calls = 0
        original: Callable[..., Any] = getattr(owner, name)

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counting)


class RoundTrips:
    """Requests sent to Redis by the web's async client and by its synchronous one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.async_trips = 0
        self.sync = Counted(monkeypatch, redis.connection.AbstractConnection, "send_packed_command")
        original = redis.asyncio.connection.AbstractConnection.send_packed_command

        async def counting(connection: Any, *args: Any, **kwargs: Any) -> None:
            self.async_trips += 1
            await original(connection, *args, **kwargs)

        monkeypatch.setattr(
            redis.asyncio.connection.AbstractConnection, "send_packed_command", counting
        )

    def reset(self) -> None:
        self.async_trips = 0
        self.sync.calls = 0

    @property
    def total(self) -> int:
        return self.async_trips + self.sync.calls


def _renders(client: TestClient) -> float:
    found = re.search(
        r'^gitbrag_renders_total\{kind="bundle"\} (\S+)$',
        client.get("/metrics", headers=METRICS_AUTH).text,
        re.M,
    )
    return float(found.group(1)) if found else 0.0


@pytest.fixture
def second_app(web_settings: Settings) -> FastAPI:
    return create_app(web_settings)


@pytest.fixture
def second_client(second_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(second_app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


def test_a_view_is_one_round_trip_and_no_render_or_decode(
    web_client: TestClient,
    second_client: TestClient,
    web_service: ReportService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store_report(web_service, key_for(), age_seconds=60)
    # Each process loads its Lua scripts once, on its first view of anything.
    store_report(web_service, key_for("octocat", "2_years"))
    for client in (web_client, second_client):
        assert client.get(PAGE, params={"period": "2_years"}).status_code == 200
    trips = RoundTrips(monkeypatch)
    decodes = Counted(monkeypatch, Report, "model_validate_json")
    first = web_client.get(PAGE)
    assert first.status_code == 200
    # First view of this version anywhere: the read (JSON included), then its renderings kept.
    assert (trips.async_trips, trips.sync.calls, decodes.calls) == (2, 0, 1)
    assert _renders(web_client) == 2  # this version, and the warm-up's
    for _ in range(5):
        trips.reset()
        again = web_client.get(PAGE, headers={"Accept-Encoding": "gzip"})
        assert again.status_code == 200
        assert trips.total == 1  # the version check, nothing else
    # Another web process: its first view gets the rendering with the same one read.
    trips.reset()
    other = second_client.get(PAGE)
    assert other.text == first.text
    assert trips.total == 1 and decodes.calls == 1 and _renders(second_client) == 0
    # (the warm-up's was rendered by the first process too)
    # The API and the exports send the stored JSON without decoding it either.
    trips.reset()
    assert web_client.get(f"{PAGE}.json").status_code == 200
    assert web_client.get("/api/reports/github/octocat").status_code == 200
    assert web_client.get(f"{PAGE}.json").status_code == 200
    assert decodes.calls == 1
    # Read + keep the JSON's compressed form (first JSON view), then one read per view.
    assert (trips.async_trips, trips.sync.calls) == (4, 0)


def test_after_a_regeneration_the_next_request_gets_the_new_version(
    web_client: TestClient, second_client: TestClient, web_service: ReportService
) -> None:
    key = key_for()
    store_report(web_service, key, age_seconds=3600)
    old = web_client.get(PAGE, headers={"Accept-Encoding": "gzip"})
    old_tag = old.headers["etag"]
    assert (
        web_client.get(
            PAGE, headers={"If-None-Match": old_tag, "Accept-Encoding": "gzip"}
        ).status_code
        == 304
    )
    old_json = web_client.get(f"{PAGE}.json")
    # The worker writes a new version (both web processes hold the old one in memory).
    assert second_client.get(PAGE).status_code == 200
    newer = sample_report(key, generated_at=datetime.now(UTC) - timedelta(seconds=5))
    assert web_service.stores.reports.put(key, newer)
    for client in (web_client, second_client):
        fresh = client.get(PAGE, headers={"If-None-Match": old_tag, "Accept-Encoding": "gzip"})
        assert fresh.status_code == 200
        assert fresh.headers["etag"] != old_tag
        assert newer.generated_at.strftime("%H:%M UTC") in fresh.text
        assert (
            client.get(
                PAGE, headers={"If-None-Match": fresh.headers["etag"], "Accept-Encoding": "gzip"}
            ).status_code
            == 304
        )
    exported = web_client.get(f"{PAGE}.json", headers={"If-None-Match": old_json.headers["etag"]})
    assert exported.status_code == 200
    assert exported.content == newer.model_dump_json().encode()
    assert exported.headers["etag"] != old_json.headers["etag"]


def test_http_caching_headers_and_revalidation(
    web_client: TestClient, web_service: ReportService
) -> None:
    store_report(web_service, key_for(), age_seconds=60)
    plain = web_client.get(PAGE, headers={"Accept-Encoding": "identity"})
    packed = web_client.get(PAGE, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.text == plain.text  # the same page, two codings...
    assert packed.headers["etag"] != plain.headers["etag"]  # ...two representations
    assert int(packed.headers["content-length"]) < len(plain.content) / 3
    for response in (plain, packed):
        assert response.headers["cache-control"] == (
            "public, max-age=900, stale-while-revalidate=3600"
        )
        assert response.headers["vary"] == "Accept-Encoding, Cookie, Authorization"
    revalidated = web_client.get(
        PAGE, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["etag"]}
    )
    assert revalidated.status_code == 304 and revalidated.content == b""
    assert revalidated.headers["etag"] == packed.headers["etag"]
    assert revalidated.headers["cache-control"] == packed.headers["cache-control"]
    head = web_client.head(PAGE, headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == plain.headers["etag"]
    # Exports never vary by viewer, and are as cacheable as the report's freshness allows.
    markdown = web_client.get(f"{PAGE}.md", headers={"Accept-Encoding": "gzip"})
    assert markdown.headers["vary"] == "Accept-Encoding"
    assert markdown.headers["cache-control"].startswith("public, max-age=")


def test_renders_are_kept_beside_the_version_and_dropped_with_it(
    web_client: TestClient, web_service: ReportService, redis_client: redis.Redis
) -> None:
    key = key_for()
    store_report(web_service, key)
    assert web_client.get(PAGE).status_code == 200
    fields = set(redis_client.hkeys(web_service.stores.reports.redis_key(key)))
    assert {b"version", b"generated_at", b"complete", b"json"} < fields
    assert any(name.startswith(b"art:") and name.endswith(b":page") for name in fields)
    assert any(name.startswith(b"bundle:") for name in fields)
    store_report(web_service, key, age_seconds=1)  # a new version: the hash is replaced
    fields = set(redis_client.hkeys(web_service.stores.reports.redis_key(key)))
    assert fields == {b"version", b"generated_at", b"complete", b"json", b"writes"}


def test_logged_in_and_bearer_views_are_one_round_trip_too(
    web_client: TestClient,
    web_service: ReportService,
    hub: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The session (or the bearer token's cached validation) and whether GitHub revoked its
    token come with the same read as the report's version and job."""
    store_report(web_service, key_for(), age_seconds=60)
    login(web_client, hub, "big-diff")
    bearer = {"Authorization": f"Bearer {hub.token('star-gazer')}"}
    assert web_client.get(PAGE).status_code == 200  # renders, loads the scripts
    assert web_client.get("/api/reports/github/octocat", headers=bearer).status_code == 200
    trips = RoundTrips(monkeypatch)
    for _ in range(3):
        trips.reset()
        page = web_client.get(PAGE)
        assert "@big-diff</a>" in page.text and trips.total == 1
        trips.reset()
        api = web_client.get("/api/reports/github/octocat", headers=bearer)
        assert api.json()["state"] == "fresh" and trips.total == 1
