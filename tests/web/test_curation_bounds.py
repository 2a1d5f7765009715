"""Issue 20, item 1: a curation is bounded. Only the author's reports' own repositories and
pull requests can be hidden or pinned, each list and the whole have caps, changes have an
hourly quota, the undo history is diffs bounded in count and bytes, and lookups while
rendering are set membership (timed in ``make bench``: ``bench/curation.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from bench.curation import big_report, maximum_curation, scripted_changes
from gitbrag.errors import InvalidInput
from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.report.curation import MAX_BYTES, Curation, curated
from gitbrag.stores.curation import (
    HISTORY_BYTES,
    HISTORY_LENGTH,
    HISTORY_SUFFIX,
    CurationStore,
    account_owner,
    curation_key,
)
from tests.fixtures.web import csrf_token, key_for, login, settings_for, store_report
from web.app import create_app

API = "/api/curation/github/octocat"


def _post(client: TestClient, action: str, target: str = "") -> int:
    answer = client.post(
        API, json={"action": action, "target": target}, headers={"X-CSRF-Token": csrf_token(client)}
    )
    return answer.status_code


def test_only_what_the_authors_reports_show_can_be_hidden_or_pinned(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    store_report(web_service, key_for())
    login(web_client, hub)
    assert _post(web_client, "hide_repository", "python/cpython") == 200
    assert _post(web_client, "hide_pull_request", "octo-org/engine#4100") == 200
    assert _post(web_client, "pin", "Octo-Org/Engine#4211") == 200  # any case
    for action, target in (
        ("hide_repository", "someone/else"),
        ("hide_pull_request", "octo-org/engine#1"),
        ("hide_pull_request", "made-up/repo#123456"),
        ("pin", "octo-org/engine#99999"),
    ):
        assert _post(web_client, action, target) == 400, (action, target)
    # Giving back takes anything (an entry of a report that has expired since).
    assert _post(web_client, "show_repository", "someone/else") == 200
    assert _post(web_client, "unpin", "octo-org/engine#1") == 200
    state = web_client.get(API).json()
    assert state["hidden_repositories"] == ["python/cpython"]
    assert state["hidden_pull_requests"] == ["octo-org/engine#4100"]
    assert state["pinned"] == ["Octo-Org/Engine#4211"]


def test_changes_have_an_hourly_quota(redis_url: str, hub: FakeHub, tmp_path: Path) -> None:
    app = create_app(settings_for(redis_url, hub, tmp_path, curation_changes_per_hour=3))
    store_report(app.state.context.service, key_for())
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        login(client, hub)
        statuses = [_post(client, "hide_repository", "python/cpython") for _ in range(3)]
        assert statuses == [200, 200, 200]
        refused = client.post(
            API,
            json={"action": "undo", "target": ""},
            headers={"X-CSRF-Token": csrf_token(client)},
        )
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 3600


def test_ten_thousand_changes_keep_an_account_under_its_cap(redis_client: redis.Redis) -> None:
    report = big_report()
    store = CurationStore(redis_client)
    owner = account_owner(583231)
    peak: list[int] = []
    scripted_changes(store, owner, report, 10_000, peak=peak)
    key = curation_key("gitbrag:", owner)  # the default namespace
    history = redis_client.lrange(key + HISTORY_SUFFIX, 0, -1)
    assert len(history) <= HISTORY_LENGTH
    recorded = int(redis_client.hget(key, "history_bytes") or 0)
    assert recorded == sum(len(entry) for entry in history) <= HISTORY_BYTES
    assert max([*peak, store.footprint(owner)]) < MAX_BYTES + HISTORY_BYTES + 32 * 1024
    # The history is diffs, and undoing walks back through the states exactly.
    states = [store.get(owner)]
    for entry in history:
        assert "hidden_repositories" not in json.loads(entry)  # a diff, not a whole state
    for _ in history:
        store.undo(owner)
        states.append(store.get(owner))
    assert store.undo(owner) is None and len(states) == len(history) + 1


def test_undo_restores_each_earlier_state_exactly(redis_client: redis.Redis) -> None:
    store = CurationStore(redis_client)
    owner = account_owner(7)
    edits = [
        lambda c: c.hide_repository("a/one"),
        lambda c: c.pin("a/one#3"),  # shows the repository again
        lambda c: c.hide_pull_request("B/two#4"),
        lambda c: c.pin("b/two#4"),
        lambda c: c.hide_repository("b/two"),  # unpins
        lambda c: Curation(),  # reset
        lambda c: c.hide_pull_request("c/three#9"),
    ]
    seen = [store.get(owner)]
    for edit in edits:
        seen.append(store.change(owner, edit))
    for earlier in reversed(seen[:-1]):
        assert store.undo(owner) == earlier
    assert store.undo(owner) is None and store.get(owner) == Curation()


def test_history_from_before_diffs_still_undoes(redis_client: redis.Redis) -> None:
    """Histories written as whole states (and without their size) are read as before."""
    owner = account_owner(8)
    key = curation_key("gitbrag:", owner)  # the default namespace
    older = Curation(hidden_repositories=("x/y",))
    redis_client.lpush(key + HISTORY_SUFFIX, older.model_dump_json())
    redis_client.hset(
        key, mapping={"version": "v", "json": Curation(pinned=("x/y#1",)).model_dump_json()}
    )
    store = CurationStore(redis_client)
    store.change(owner, lambda c: c.hide_pull_request("x/z#2"))
    assert redis_client.hget(key, "history_bytes") is not None
    store.undo(owner)
    assert store.undo(owner) == older


def test_the_caps_hold_in_the_domain() -> None:
    report = big_report()
    biggest = maximum_curation(report)
    with pytest.raises(InvalidInput):
        biggest.hide_repository("one/more")
    with pytest.raises(InvalidInput):
        biggest.hide_pull_request("one/more#1")
    shown = curated(report, biggest)
    assert shown.curation is not None and shown.curation.hidden_pull_requests > 0
