"""The claim script's limits, joiners and take-overs on the real Redis (gitbrag.stores.claims):
each decision is atomic, a refusal writes nothing, and joining is always free."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from gitbrag.errors import QuotaExceeded
from gitbrag.jobs import quotas
from gitbrag.jobs.lifecycle import TAKEN_OVER
from gitbrag.jobs.service import CredentialRef, ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.stores.claims import JobQuotas
from gitbrag.stores.jobs import JobStore
from tests.pipeline.conftest import pipeline_settings

YEAR = DateRange.for_period("1_year")
A = JobQuotas(subject="login:a", per_hour=5, active=2, queue=10)


@pytest.fixture
def jobs(redis_client: redis.Redis) -> JobStore:
    return JobStore(redis_client, claim_ttl_seconds=60, record_ttl_seconds=600)


def _key(n: int) -> str:
    return str(ReportKey(f"user-{n}", YEAR))


def test_active_limit_refuses_without_writing_and_frees_when_a_job_finishes(
    jobs: JobStore, redis_client: redis.Redis
) -> None:
    assert jobs.claim(_key(1), "j1", credential="c", quotas=A).created
    assert jobs.claim(_key(2), "j2", credential="c", quotas=A).created
    keys_before = sorted(redis_client.keys("*"))
    refused = jobs.claim(_key(3), "j3", credential="c", quotas=A)
    assert refused.refused and refused.status == "active" and refused.retry_after_ms == 30_000
    assert sorted(redis_client.keys("*")) == keys_before  # nothing written
    # Joining a running report is free, even over the limit.
    joined = jobs.claim(_key(1), "j4", credential="c2", viewer_id="v2", quotas=A)
    assert (joined.job_id, joined.outcome) == ("j1", "joined")
    assert jobs.claims.joiners("j1") == {"v2": "c2"}

    assert jobs.finish("j1", "done")
    assert jobs.claim(_key(3), "j3", credential="c", quotas=A).created


def test_hourly_limit_counts_the_last_hour_and_says_when_to_come_back(jobs: JobStore) -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    claims = jobs.claims
    for n in range(5):
        at = now + timedelta(minutes=n)
        claim = claims.claim(
            "gitbrag:job-claim:" + _key(n),
            f"j{n}",
            {"id": f"j{n}", "status": "queued", "report_key": _key(n)},
            viewer_id=None,
            credential="c",
            quotas=A,
            take_over=None,
            superseded_message="",
            now=at,
        )
        assert claim.created
        jobs.finish(f"j{n}", "done")  # finished jobs still count toward the hour

    def sixth(at: datetime) -> int:
        claim = claims.claim(
            "gitbrag:job-claim:" + _key(9),
            "j9",
            {"id": "j9", "status": "queued", "report_key": _key(9)},
            viewer_id=None,
            credential="c",
            quotas=A,
            take_over=None,
            superseded_message="",
            now=at,
        )
        return claim.retry_after_ms if claim.refused else 0

    assert sixth(now + timedelta(minutes=10)) == 50 * 60_000  # the first one leaves at 13:00
    assert sixth(now + timedelta(minutes=60, seconds=1)) == 0


def test_queue_cap_counts_everyone_and_prunes_finished_jobs(jobs: JobStore) -> None:
    cap = JobQuotas(queue=3)
    for n in range(3):
        assert jobs.claim(_key(n), f"j{n}", credential="c", quotas=cap).created
    assert jobs.claim(_key(5), "j5", credential="c", quotas=cap).status == "queue"
    # A job whose record vanished (or finished behind the index's back) stops counting.
    jobs._redis.delete("gitbrag:job:j0")
    assert jobs.claim(_key(5), "j5", credential="c", quotas=cap).created
    assert sorted(jobs.claims.unfinished()) == ["j1", "j2", "j5"]


def test_concurrent_requests_of_one_viewer_never_pass_the_active_limit(jobs: JobStore) -> None:
    barrier = threading.Barrier(40)
    created: list[str] = []

    def claim(n: int) -> None:
        barrier.wait()
        if jobs.claim(_key(n), f"j{n}", credential="c", quotas=A).created:
            created.append(f"j{n}")

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(created) == A.active


def test_take_over_replaces_only_a_waiting_job_atomically(jobs: JobStore) -> None:
    key = _key(1)
    assert jobs.claim(key, "old", credential="spent", viewer_id="va").created
    # Not waiting: a take-over request simply joins.
    running = jobs.claim(key, "new", credential="fresh", viewer_id="vb", take_over="old")
    assert (running.job_id, running.outcome) == ("old", "joined")
    jobs.mark_waiting("old", datetime.now(UTC) + timedelta(hours=1), "rate limit")
    taken = jobs.claim(
        key, "new", credential="fresh", viewer_id="vb", take_over="old", superseded_message="x"
    )
    assert taken.created and jobs.owner(key) == "new"
    old = jobs.get("old")
    assert old is not None and old.status == "cancelled" and old.superseded_by == "new"
    assert jobs.claims.joiners("new") == {"va": "spent"}  # the first requester still waits on it
    # A second take-over of the same old job (a racing request) only joins the new one.
    late = jobs.claim(key, "late", credential="other", viewer_id="vc", take_over="old")
    assert (late.job_id, late.outcome) == ("new", "joined")


def test_service_takes_over_only_with_a_token_that_has_budget(
    redis_url: str, tmp_path: Path
) -> None:
    service = ReportService.from_settings(pipeline_settings(redis_url, tmp_path))
    spent = service.store_credential("ghp_spent", viewer_id="va", ttl_seconds=600)
    fine = service.store_credential("ghp_fine", viewer_id="vb", ttl_seconds=600)
    also_spent = service.store_credential("ghp_spent_too", viewer_id="vc", ttl_seconds=600)
    now = datetime.now(UTC).timestamp()
    budgets = service.stores.token_budgets
    for token in ("ghp_spent", "ghp_spent_too"):
        asyncio.run(budgets.for_token(token).pause(now + 3600))
    key = ReportKey("octocat", YEAR)
    waiting = service.request_report(key, spent, viewer_id="va")
    service.lifecycle.wait_for_reset(
        waiting.id, str(key), datetime.now(UTC) + timedelta(hours=1), 3600
    )
    # A viewer whose token is spent too joins; one with budget takes over.
    assert service.request_report(key, also_spent, viewer_id="vc").id == waiting.id
    taken = service.request_report(key, fine, viewer_id="vb")
    assert taken.id != waiting.id and taken.status == "queued"
    followed = service.get_job(waiting.id)  # watchers of the old id see the new job
    assert followed is not None and followed.id == taken.id
    old = service.stores.jobs.get(waiting.id)
    assert old is not None and old.error == TAKEN_OVER
    assert service.stores.jobs.credential(taken.id) == str(fine)


def test_limits_name_viewers_and_addresses_without_storing_them(
    redis_url: str, tmp_path: Path
) -> None:
    settings = pipeline_settings(redis_url, tmp_path, anonymous_jobs_per_hour=2)
    a = quotas.for_address(settings, "2001:db8::1")
    same_network = quotas.for_address(settings, "2001:db8::ffff:1")
    other = quotas.for_address(settings, "2001:db8:0:1::1")
    assert a.subject == same_network.subject != other.subject
    assert a.subject is not None and "2001" not in a.subject and len(a.subject) == 25
    assert (
        quotas.for_address(settings, "::ffff:10.0.0.1").subject
        == quotas.for_address(settings, "10.0.0.1").subject
    )
    assert quotas.for_viewer(settings, "OctoCat").subject == "login:octocat"  # no id yet
    # An account, not a login: two accounts holding "octocat" in turn count apart.
    assert quotas.for_viewer(settings, "OctoCat", 583231).subject == "account:583231"
    assert quotas.for_viewer(settings, "octocat", 990002).subject == "account:990002"
    assert a.per_hour == 2 and quotas.for_scheduler(settings).subject is None

    service = ReportService.from_settings(settings)
    server = CredentialRef("server")
    service.request_report(ReportKey("u1", YEAR), server, quotas=a)
    service.request_report(ReportKey("u2", YEAR), server, quotas=a)
    with pytest.raises(QuotaExceeded) as refused:
        service.request_report(ReportKey("u3", YEAR), server, quotas=a)
    assert refused.value.kind == "per_hour" and refused.value.retry_after_seconds > 3500
    assert "2 report generations" in str(refused.value)


def test_a_claim_on_a_seen_version_creates_nothing_once_another_version_is_stored(
    jobs: JobStore, redis_client: redis.Redis
) -> None:
    """The race a page view can meet: it read "no report, job j1 running"; j1 stores the
    report and ends before the view's claim arrives. The claim must not start a second job."""
    key = _key(1)
    report = "gitbrag:report:v2:" + key
    assert jobs.claim(key, "j1", credential="c", seen_version="").created
    # While j1 runs, a claim on the seen "no report" joins it, whatever the version.
    assert jobs.claim(key, "j2", credential="c", seen_version="").outcome == "joined"
    redis_client.hset(report, mapping={"version": "v1"})
    assert jobs.finish("j1", "done")
    keys_before = sorted(redis_client.keys("*"))
    changed = jobs.claim(key, "j3", credential="c", viewer_id="v", seen_version="")
    assert (changed.outcome, changed.job_id, changed.status) == ("changed", "", "v1")
    assert sorted(redis_client.keys("*")) == keys_before  # nothing written
    # A view that saw v1 (stale, say) may regenerate it; one that saw v0 may not.
    assert jobs.claim(key, "j4", credential="c", seen_version="v0").changed
    assert jobs.claim(key, "j5", credential="c", seen_version="v1").created
    # Without a seen version (a forced refresh, the scheduler) nothing is checked.
    assert jobs.finish("j5", "done")
    assert jobs.claim(key, "j6", credential="c").created
