"""The web's async view store (``gitbrag.stores.serving``) against a real Redis: what one read
returns in each situation, the version guard on renderings, batched view writes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
import redis

from gitbrag.report.curation import Curation
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.settings import Settings
from gitbrag.stores.curation import CurationStore
from gitbrag.stores.jobs import JobStore
from gitbrag.stores.reports import ReportStore
from gitbrag.stores.serving import ServingStore, ViewQuery, ViewState
from gitbrag.stores.sessions import SessionStore
from gitbrag.stores.views import ViewStore
from tests.pipeline.reports_for_tests import empty_report

KEY = ReportKey("octocat", DateRange.for_period("1_year"))
Result = TypeVar("Result")


def run(redis_url: str, use: Callable[[ServingStore], Awaitable[Result]]) -> Result:
    async def scenario() -> Result:
        store = ServingStore(
            Settings(redis_url=redis_url), retention_seconds=3600, view_window_days=7
        )
        try:
            return await use(store)
        finally:
            await store.aclose()

    return asyncio.run(scenario())


def read(redis_url: str, *queries: ViewQuery) -> list[ViewState]:
    return run(redis_url, lambda store: store.read(list(queries)))


@pytest.fixture
def reports(redis_client: redis.Redis) -> ReportStore:
    return ReportStore(redis_client, retention_seconds=3600, not_found_ttl=60)


def test_missing_report_unknown_user_and_no_identity(redis_url: str, reports: ReportStore) -> None:
    (state,) = read(redis_url, ViewQuery(str(KEY), want_json="fallback", artifact="b:page"))
    assert state.meta is None and state.body is None and state.report_json is None
    assert state.job is None and state.unknown_reason is None and state.session is None
    reports.mark_unknown_user("OctoCat")
    (state,) = read(redis_url, ViewQuery(str(KEY)))
    assert state.unknown_reason == "no_user"
    reports.mark_unknown_user("OctoCat", "organization")
    (state,) = read(redis_url, ViewQuery(str(KEY)))
    assert state.unknown_reason == "organization"


def test_the_body_comes_only_when_the_caller_lacks_the_version(
    redis_url: str, reports: ReportStore, redis_client: redis.Redis
) -> None:
    report = empty_report(KEY)
    reports.put(KEY, report)
    wanted = ViewQuery(str(KEY), artifact="b1:page", bundle="b1", want_json="fallback")
    (state,) = read(redis_url, wanted)
    assert state.meta is not None and state.meta.generated_at == report.generated_at
    assert state.body_kind == "none"
    assert state.report_json == report.model_dump_json().encode()  # not rendered yet: the JSON
    version = state.meta.version
    assert version.endswith(".0")  # the rendered version: nothing curated
    stored = run(
        redis_url,
        lambda store: store.put_artifacts(
            str(KEY), version, {"art:0:b1:page": b"<page>", "bundle:0:b1": b"1"}
        ),
    )
    assert stored
    (state,) = read(redis_url, wanted)
    assert (state.body_kind, state.body, state.report_json) == ("artifact", b"<page>", None)
    absent = ViewQuery(str(KEY), artifact="b1:nothing", bundle="b1", want_json="fallback")
    (state,) = read(redis_url, absent)
    assert (state.body_kind, state.body, state.report_json) == ("absent", None, None)
    holding = ViewQuery(str(KEY), have_version=version, artifact="b1:page", want_json="always")
    (state,) = read(redis_url, holding)
    assert (state.body_kind, state.body, state.report_json) == ("none", None, None)
    # A rendering of an older version never lands beside a newer one.
    reports.put(KEY, empty_report(KEY, generated_at=datetime.now(UTC) - timedelta(hours=1)))
    late = run(redis_url, lambda store: store.put_artifacts(str(KEY), version, {"art:0:x": b"o"}))
    assert not late
    assert redis_client.hget(reports.redis_key(KEY), "art:0:x") is None


def test_the_authors_curation_is_part_of_the_rendered_version(
    redis_url: str, reports: ReportStore, redis_client: redis.Redis
) -> None:
    """A curation change names new renderings (served from the next read on), sends the
    curation with the JSON, guards writes, and drops the renderings of earlier choices."""
    reports.put(KEY, empty_report(KEY))
    curations = CurationStore(redis_client)
    wanted = ViewQuery(str(KEY), artifact="b1:page", bundle="b1", want_json="fallback")
    (state,) = read(redis_url, wanted)
    assert state.meta is not None and state.curation_json is None
    plain = state.meta.version
    assert run(
        redis_url,
        lambda store: store.put_artifacts(
            str(KEY), plain, {"art:0:b1:page": b"plain", "bundle:0:b1": b"1"}
        ),
    )
    chosen = curations.change("OctoCat", lambda c: c.hide_repository("octo-org/engine"))
    (state,) = read(redis_url, wanted)
    assert state.meta is not None
    curated_version = state.meta.version
    assert curated_version == plain.rpartition(".")[0] + "." + chosen.version
    assert state.body_kind == "none"  # the plain rendering is not this curation's
    assert state.curation_json is not None
    assert Curation.model_validate_json(state.curation_json) == chosen
    # The rendering of the plain version cannot land now; the curated one can, and the
    # plain one's fields go with that write.
    assert not run(
        redis_url, lambda store: store.put_artifacts(str(KEY), plain, {"art:0:b1:x": b"late"})
    )
    field = f"art:{chosen.version}:b1:page"
    assert run(
        redis_url,
        lambda store: store.put_artifacts(
            str(KEY), curated_version, {field: b"curated", f"bundle:{chosen.version}:b1": b"1"}
        ),
    )
    fields = set(redis_client.hkeys(reports.redis_key(KEY)))
    assert field.encode() in fields and b"art:0:b1:page" not in fields
    assert b"bundle:0:b1" not in fields
    (state,) = read(redis_url, wanted)
    assert (state.body_kind, state.body) == ("artifact", b"curated")
    # Undo: back to the plain version's name (its renderings will be made again).
    curations.undo("octocat")
    (state,) = read(redis_url, wanted)
    assert state.meta is not None and state.meta.version == plain


def test_active_job_session_and_revoked_credential_in_the_same_read(
    redis_url: str, redis_client: redis.Redis
) -> None:
    jobs = JobStore(redis_client, claim_ttl_seconds=60, record_ttl_seconds=600)
    sessions = SessionStore(redis_client)
    owner = jobs.claim(str(KEY), "job-1", credential="c_ref", viewer_id="session:abc").job_id
    sessions.save("cookie-value", login="octocat", avatar_url=None, credential_ref="c_ref")
    (state,) = read(redis_url, ViewQuery(str(KEY), session_id="cookie-value"))
    assert state.job is not None and state.job.id == owner == "job-1"
    assert state.job.status == "queued"
    assert state.session is not None and state.session.login == "octocat"
    assert not state.credential_revoked
    redis_client.hset("gitbrag:credential:c_ref", "invalid", "1")
    jobs.finish("job-1", "done")
    (state,) = read(redis_url, ViewQuery(str(KEY), session_id="cookie-value"))
    assert state.job is None  # finished jobs are not "updating"
    assert state.credential_revoked
    (state,) = read(redis_url, ViewQuery(str(KEY), session_id="not-a-session"))
    assert state.session is None and not state.credential_revoked


def test_many_queries_in_one_read(redis_url: str, reports: ReportStore) -> None:
    other = ReportKey("big-diff", DateRange.for_period("2_years"))
    reports.put(other, empty_report(other))
    states = read(redis_url, ViewQuery(str(KEY)), ViewQuery(str(other)), ViewQuery(str(KEY)))
    assert [state.meta is not None for state in states] == [False, True, False]


def test_view_counts_are_added_and_keep_reports(
    redis_url: str, reports: ReportStore, redis_client: redis.Redis
) -> None:
    reports.put(KEY, empty_report(KEY))
    redis_client.expire(reports.redis_key(KEY), 10)
    now = datetime.now(UTC)

    async def record(store: ServingStore) -> None:
        await store.record_views({str(KEY): 3}, now)
        await store.record_views({str(KEY): 2, "other:1_year:merged-open": 1}, now)

    run(redis_url, record)
    views = ViewStore(redis_client, window_days=7)
    assert views.views(str(KEY), now) == 5
    assert views.views("other:1_year:merged-open", now) == 1
    assert redis_client.ttl(reports.redis_key(KEY)) > 10  # viewed: kept for the retention
    assert str(KEY) not in views.not_viewed_since(now - timedelta(seconds=1))


def test_the_store_survives_redis_forgetting_its_scripts(
    redis_url: str, reports: ReportStore, redis_client: redis.Redis
) -> None:
    reports.put(KEY, empty_report(KEY))

    async def twice(store: ServingStore) -> list[ViewState]:
        first = await store.read([ViewQuery(str(KEY))])
        redis_client.script_flush()  # as after a Redis restart
        return first + await store.read([ViewQuery(str(KEY))])

    states = run(redis_url, twice)
    assert all(state.meta is not None for state in states)
