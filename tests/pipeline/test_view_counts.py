"""Report views still reach pre-warming: counted in memory by each web process, written to
Redis in batches (on a timer, and when the process stops), then picked by the scheduler.

(Here rather than in ``tests/web``: importing the pre-warm actor needs the pipeline tests'
stub broker, ``tests/pipeline/conftest.py``.)"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from actors.prewarm import prewarm_once
from gitbrag.fakehub import FakeHub
from tests.fixtures.web import key_for, settings_for, store_report
from tests.pipeline.helpers import wait_for
from web.app import create_app


def test_page_views_are_written_when_the_process_stops_and_reach_prewarming(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    settings = settings_for(
        redis_url,
        hub,
        tmp_path,
        github_token=hub.token("octocat"),
        prewarm_min_views=3,
        view_flush_seconds=3600,  # only the shutdown writes them here
    )
    app = create_app(settings)
    service = app.state.context.service
    key = key_for("big-diff")
    store_report(service, key, age_seconds=settings.report_fresh_seconds - 60)  # stale soon
    with TestClient(app) as client:
        for _ in range(3):
            assert client.get("/user/github/big-diff").status_code == 200
        assert client.get("/api/reports/github/big-diff").status_code == 200
        assert service.stores.views.views(str(key)) == 0  # counted, not written yet
    assert service.stores.views.views(str(key)) == 4
    assert prewarm_once(service, settings) == [str(key)]
    job = service.current_job(key)
    assert job is not None and service.stores.jobs.credential(job.id) == "server"


def test_page_views_are_written_on_a_timer(redis_url: str, hub: FakeHub, tmp_path: Path) -> None:
    settings = settings_for(redis_url, hub, tmp_path, view_flush_seconds=0.05)
    app = create_app(settings)
    service = app.state.context.service
    key = key_for("star-gazer")
    store_report(service, key)
    expiry_before = service.redis.ttl(service.stores.reports.redis_key(key))
    service.redis.expire(service.stores.reports.redis_key(key), 100)
    with TestClient(app) as client:
        for _ in range(2):
            assert client.get("/user/github/star-gazer").status_code == 200
        wait_for(lambda: service.stores.views.views(str(key)) == 2, timeout=10, interval=0.02)
        # A viewed report is kept from housekeeping: its expiry was pushed back.
        assert service.redis.ttl(service.stores.reports.redis_key(key)) > 100
        assert expiry_before > 100
        # Missing reports and exports are not views.
        assert client.get("/user/github/octocat").status_code == 401
        assert client.get("/user/github/star-gazer.json").status_code == 200
    assert service.stores.views.views(str(key)) == 2
    assert service.stores.views.views(str(key_for("octocat"))) == 0
