"""Report jobs refresh the report's last collection, and a job's record says how it collected
(issue 21): on a real worker against the simulated GitHub, the first generation collects
cold, the next refreshes (two requests when nothing changed), and one whose refresh could not
equal a cold collection (a repository made public again, the login now another account's, a
collection too old) collects cold and names why."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from gitbrag.fakehub import FakeHub
from gitbrag.github.schema_gaps import KNOWN_GAPS
from gitbrag.jobs.generation import NOTHING_KEPT, generate
from gitbrag.jobs.service import CredentialRef, Job
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.stores.collections import CollectionStore
from tests.harness import test_settings
from tests.pipeline.conftest import Pipeline
from tests.pipeline.helpers import wait_finished


def _viewer(hub: FakeHub, pipeline: Pipeline, login: str) -> CredentialRef:
    return pipeline.service.store_credential(hub.token(login), viewer_id=login, ttl_seconds=600)


def _generate(
    pipeline: Pipeline, hub: FakeHub, key: ReportKey, credential: CredentialRef
) -> tuple[Job, int]:
    """Run one job for ``key`` to its end: the job, and the GitHub requests it made."""
    before = hub.request_count()
    requested = pipeline.service.request_report(key, credential)
    (job,) = wait_finished(pipeline.service, [requested.id], 60)
    assert job.status == "done", job.error
    return job, hub.request_count() - before


def test_jobs_refresh_and_say_how_they_collected(hub_pipeline: Pipeline, hub: FakeHub) -> None:
    hub_pipeline.start_worker()
    service = hub_pipeline.service
    key = ReportKey("private-eye", DateRange.for_period("all_time"))
    credential = _viewer(hub, hub_pipeline, "private-eye")

    first, _ = _generate(hub_pipeline, hub, key, credential)
    assert (first.collected, first.cold_reason) == ("cold", NOTHING_KEPT)
    kept = CollectionStore(service.redis, ttl_seconds=60).get(key)
    assert kept is not None and kept.collection.profile.login == "private-eye"

    second, requests = _generate(hub_pipeline, hub, key, credential)
    assert (second.collected, second.cold_reason) == ("refresh", None)
    assert requests == 2  # the profile and one document: nothing changed
    stored = service.get_report(key)
    assert stored is not None

    secret = next(
        r for r in hub.live_data.repos.values() if r.owner == "private-eye" and r.is_private
    )
    hub.change("set_visibility", repo=secret.name_with_owner, private=False)
    third, _ = _generate(hub_pipeline, hub, key, credential)
    assert third.collected == "cold"
    assert third.cold_reason is not None and "GitHub counts" in third.cold_reason
    grown = service.get_report(key)
    assert (
        grown is not None and grown.report.totals.pull_requests > stored.report.totals.pull_requests
    )

    # The login changes hands: a refresh never mixes the two accounts' data.
    hub.rename("private-eye", "private-eye-was")
    hub.register("private-eye", name="Somebody Else")
    fourth, _ = _generate(hub_pipeline, hub, key, credential)  # the renamed account's token
    assert fourth.collected == "cold"
    assert fourth.cold_reason is not None and "another GitHub account" in fourth.cold_reason
    theirs = service.get_report(key)
    assert theirs is not None and theirs.report.totals.pull_requests == 0


def test_a_collection_too_old_is_collected_cold(hub: FakeHub, tmp_path: Path) -> None:
    settings = test_settings("redis://unused:1/0", tmp_path, hub=hub, refresh_max_age_days=7)
    key = ReportKey("octocat", DateRange.for_period("1_year"))
    token = hub.token("octocat")
    first = asyncio.run(generate(settings, key, token))
    assert first.snapshot is not None and not first.incremental
    fresh = asyncio.run(generate(settings, key, token, previous=first.snapshot))
    assert fresh.incremental and fresh.cold_reason is None
    assert fresh.report.model_dump(exclude={"generated_at"}) == first.report.model_dump(
        exclude={"generated_at"}
    )
    eight_days = timedelta(days=8)
    old = replace(
        first.snapshot,
        collected_at=first.snapshot.collected_at - eight_days,
        cold_at=first.snapshot.cold_at - eight_days,
    )
    again = asyncio.run(generate(settings, key, token, previous=old))
    assert not again.incremental
    assert again.cold_reason is not None and "days old" in again.cold_reason
    off = settings.model_copy(update={"refresh_max_age_days": 0})
    assert not asyncio.run(generate(off, key, token, previous=first.snapshot)).incremental


def test_an_older_enterprise_server_collects_cold(hub: FakeHub, tmp_path: Path) -> None:
    settings = test_settings("redis://unused:1/0", tmp_path, hub=hub)
    key = ReportKey("octocat", DateRange.for_period("1_year"))
    token = hub.token("octocat")
    first = asyncio.run(generate(settings, key, token))
    hub.behaviours.configure(preset="old_enterprise")
    try:
        again = asyncio.run(generate(settings, key, token, previous=first.snapshot))
        assert not again.incremental
        assert again.cold_reason == "GitHub's schema lacks User.socialAccounts"
        assert again.report.issues is not None  # collected cold, as such a server allows
        later = asyncio.run(generate(settings, key, token, previous=first.snapshot))
        assert later.cold_reason is not None and "older GitHub Enterprise" in later.cold_reason
    finally:
        KNOWN_GAPS.forget()
