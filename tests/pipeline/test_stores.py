"""The Redis stores against a real Redis server."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
import redis

from gitbrag.jobs.lifecycle import LOST_JOB
from gitbrag.jobs.service import CredentialRef, ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.stores.cache import RedisImmutableCache
from gitbrag.stores.claims import Claim
from gitbrag.stores.credentials import CREDENTIAL_PREFIX, SERVER_REF, CredentialStore
from gitbrag.stores.jobs import JobStore, Progress
from gitbrag.stores.reports import ReportStore
from gitbrag.stores.views import ViewStore
from tests.pipeline.conftest import pipeline_settings
from tests.pipeline.reports_for_tests import empty_report
from web.presenters.jobs import job_api, progress_text

NS = "gitbrag:"  # the default key namespace (GITBRAG_REDIS_NAMESPACE)

KEY = ReportKey("Octocat", DateRange.for_period("1_year"))


@pytest.fixture
def reports(redis_client: redis.Redis) -> ReportStore:
    return ReportStore(redis_client, retention_seconds=3600, not_found_ttl=60)


@pytest.fixture
def jobs(redis_client: redis.Redis) -> JobStore:
    return JobStore(redis_client, claim_ttl_seconds=60, record_ttl_seconds=600)


def test_report_round_trip_and_incomplete_never_replaces_complete(reports: ReportStore) -> None:
    assert reports.get(KEY) is None
    old = empty_report(KEY, generated_at=datetime.now(UTC) - timedelta(days=2))
    assert reports.put(KEY, old)
    stored = reports.get(KEY)
    assert stored is not None and stored.complete and stored.report == old
    assert stored.age_seconds() == pytest.approx(2 * 86_400, abs=5)

    partial = empty_report(KEY, incomplete="stars: GitHub kept failing")
    assert not reports.put(KEY, partial)
    kept = reports.get(KEY)
    assert kept is not None and kept.report == old

    newer = empty_report(KEY)
    assert reports.put(KEY, newer)
    latest = reports.get(KEY)
    assert latest is not None and latest.report == newer


def test_every_stored_report_counts_one_write_across_versions(reports: ReportStore) -> None:
    assert reports.writes(KEY) == 0
    assert reports.put(KEY, empty_report(KEY, generated_at=datetime.now(UTC) - timedelta(1)))
    assert reports.put(KEY, empty_report(KEY))
    assert reports.writes(KEY) == 2
    # A refused (incomplete over complete) write is no write.
    assert not reports.put(KEY, empty_report(KEY, incomplete="files: GitHub kept failing"))
    assert reports.writes(KEY) == 2
    stored = reports.get(KEY)
    assert stored is not None and stored.complete


def test_incomplete_report_is_stored_when_nothing_better_exists(reports: ReportStore) -> None:
    partial = empty_report(KEY, incomplete="files: GitHub kept failing")
    assert reports.put(KEY, partial)
    stored = reports.get(KEY)
    assert stored is not None and not stored.complete
    assert stored.report.incomplete_reasons == ["files: GitHub kept failing"]
    assert reports.put(KEY, empty_report(KEY))  # a complete one replaces it


def test_unknown_users_are_remembered_briefly(
    reports: ReportStore, redis_client: redis.Redis
) -> None:
    assert not reports.is_unknown_user("ghost")
    reports.mark_unknown_user("Ghost")
    assert reports.is_unknown_user("GHOST")
    assert 0 < redis_client.ttl("gitbrag:unknown-user:ghost") <= 60


def _claim(jobs: JobStore, job_id: str) -> tuple[str, bool]:
    claim = jobs.claim(str(KEY), job_id, credential="c_ref")
    return claim.job_id, claim.created


def test_concurrent_claims_create_exactly_one_job(jobs: JobStore) -> None:
    results: list[Claim] = []
    barrier = threading.Barrier(50)

    def claim(number: int) -> None:
        barrier.wait()
        results.append(jobs.claim(str(KEY), f"job-{number}", credential="c_ref"))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    owners = {result.job_id for result in results}
    assert len(owners) == 1 and sum(result.created for result in results) == 1
    job = jobs.get(owners.pop())
    assert job is not None and job.status == "queued"


def test_claim_release_is_owner_only_and_finished_jobs_free_the_key(jobs: JobStore) -> None:
    assert _claim(jobs, "job-a") == ("job-a", True)
    assert not jobs.release(str(KEY), "job-b")
    assert jobs.owner(str(KEY)) == "job-a"
    assert _claim(jobs, "job-b") == ("job-a", False)

    assert jobs.finish("job-a", "done")
    assert not jobs.finish("job-a", "failed", "late")  # a finished job never changes
    finished = jobs.get("job-a")
    assert finished is not None and finished.status == "done" and finished.error is None
    # Even before the owner releases, a finished owner does not block a new job.
    assert _claim(jobs, "job-c") == ("job-c", True)
    assert jobs.release(str(KEY), "job-c") and jobs.owner(str(KEY)) is None


def test_running_job_renews_its_claim_and_publishes_progress(
    jobs: JobStore, redis_client: redis.Redis
) -> None:
    jobs.claim(str(KEY), "job-a", credential="c_ref")
    assert jobs.mark_running("job-a")
    redis_client.pexpire(f"gitbrag:job-claim:{KEY}", 500)
    assert jobs.renew(str(KEY), "job-a")
    assert redis_client.pttl(f"gitbrag:job-claim:{KEY}") > 50_000
    assert jobs.set_progress("job-a", Progress("search", 300, 2600))
    job = jobs.get("job-a")
    assert job is not None and job.status == "running" and job.started_at is not None
    assert job.progress == Progress("search", 300, 2600)
    api = job_api(job)  # as the web presents it
    assert api["progress"] == {"phase": "search", "done": 300, "total": 2600}
    assert set(api) == {
        "id", "status", "progress", "report_key", "created_at", "started_at", "finished_at", "error"
    }  # fmt: skip
    assert not jobs.renew(str(KEY), "job-b")


def test_each_start_of_a_job_counts_one_delivery(jobs: JobStore) -> None:
    jobs.claim(str(KEY), "job-a", credential="c_ref")
    assert jobs.deliveries("job-a") == 0
    assert jobs.mark_running("job-a")
    assert jobs.requeue("job-a", "GitHub is having trouble")
    assert jobs.mark_running("job-a")  # the retry
    assert jobs.deliveries("job-a") == 2
    assert jobs.finish("job-a", "done")
    assert not jobs.mark_running("job-a")  # a late duplicate of a finished job is no delivery
    assert jobs.deliveries("job-a") == 2


def test_progress_text_for_each_phase() -> None:
    assert progress_text(Progress("stars", 12, 40)) == "Counting stars 12/40"
    assert progress_text(Progress("files", 3, 10)) == "Reading changed files 3/10"
    assert progress_text(Progress("profile", 0, 0)) == "Loading profile"


def test_credentials_are_encrypted_and_deleted_per_viewer(redis_client: redis.Redis) -> None:
    store = CredentialStore(redis_client, secret_key="k" * 40, server_token="ghp_server")
    ref = store.store("ghp_secret_viewer_token", viewer_id="viewer-1", ttl_seconds=60)
    raw = cast(dict[bytes, bytes], redis_client.hgetall(NS + CREDENTIAL_PREFIX + ref))
    assert b"ghp_secret_viewer_token" not in b"".join([*raw.keys(), *raw.values()])
    assert store.token(ref) == "ghp_secret_viewer_token"
    assert 0 < redis_client.ttl(NS + CREDENTIAL_PREFIX + ref) <= 60

    other_key = CredentialStore(redis_client, secret_key="another-secret-key-entirely")
    assert other_key.token(ref) is None

    store.mark_invalid(ref)
    assert store.is_invalid(ref) and store.token(ref) is None
    second = store.store("ghp_second", viewer_id="viewer-1", ttl_seconds=60)
    assert set(store.delete_viewer("viewer-1")) == {ref, second}
    assert store.token(second) is None

    assert store.server_ref() == SERVER_REF and store.token(SERVER_REF) == "ghp_server"
    assert not any(b"ghp_server" in key for key in redis_client.scan_iter())
    assert CredentialStore(redis_client, secret_key="k" * 40).server_ref() is None


def test_github_cache_round_trips_json_with_ttl(redis_client: redis.Redis) -> None:
    cache = RedisImmutableCache(redis_client)
    value = {"stars": 3, "topics": ["a", "b"], "nested": {"x": None}}

    async def round_trip() -> tuple[object, object]:
        missing = await cache.get("repository", "octocat/hello")
        await cache.set("repository", "octocat/hello", value, ttl_seconds=30)
        return missing, await cache.get("repository", "octocat/hello")

    assert asyncio.run(round_trip()) == (None, value)
    assert (
        0
        < redis_client.ttl(
            RedisImmutableCache(redis_client).redis_key("repository", "octocat/hello")
        )
        <= 30
    )
    assert (cache.hits, cache.misses) == (1, 1)


def test_github_cache_reads_many_keys_in_one_round_trip(redis_client: redis.Redis) -> None:
    cache = RedisImmutableCache(redis_client)

    async def scenario() -> tuple[dict[str, object], dict[str, object]]:
        await cache.set("pr_files", "a/b#1", [["x.py", 1, 0]], ttl_seconds=30)
        await cache.set("pr_files", "a/b#3", [], ttl_seconds=30)
        return (
            await cache.get_many("pr_files", ["a/b#1", "a/b#2", "a/b#3"]),
            await cache.get_many("pr_files", []),
        )

    assert asyncio.run(scenario()) == ({"a/b#1": [["x.py", 1, 0]], "a/b#3": []}, {})
    assert (cache.hits, cache.misses) == (2, 1)


def test_views_rank_by_decayed_popularity_with_a_minimum(redis_client: redis.Redis) -> None:
    views = ViewStore(redis_client, window_days=7)
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    for _ in range(5):
        views.record("old-favourite", now - timedelta(days=6))
    for _ in range(4):
        views.record("trending", now)
    views.record("rare", now)
    for _ in range(9):
        views.record("ancient", now - timedelta(days=8))  # outside the window

    popular = views.popular(10, min_views=3, now=now)
    assert [entry.report_key for entry in popular] == ["trending", "old-favourite"]
    assert [entry.views for entry in popular] == [4, 5]
    assert views.popular(1, min_views=1, now=now)[0].report_key == "trending"
    assert views.not_viewed_since(now - timedelta(days=7)) == ["ancient"]


def test_a_job_that_lost_its_claim_is_reported_failed(redis_url: str, tmp_path: Path) -> None:
    service = ReportService.from_settings(pipeline_settings(redis_url, tmp_path))
    job = service.request_report(KEY, CredentialRef("c_ref"))
    assert service.get_job(job.id) == job  # queued and owning its claim: unchanged
    service.redis.delete(f"gitbrag:job-claim:{KEY}")  # expired: the job can never finish
    lost = service.get_job(job.id)
    assert lost is not None and lost.status == "failed" and lost.finished
    assert lost.error == LOST_JOB
    assert service.request_report(KEY, CredentialRef("c_ref")).id != job.id
    service.redis.close()
