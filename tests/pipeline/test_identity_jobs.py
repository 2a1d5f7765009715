"""The report job and a login's account: a generation that finds another account than the
stored reports of its login replaces them (every period), one that finds no person (no such
user, a private profile) drops them, and a report of an account that lost the login meanwhile
is not kept.

Real workers against the simulated GitHub where GitHub's answer is one it gives today; the job
body (``actors.jobs.run_report_job``) on this process's event-loop thread, with a generation
that answers what GitHub would, where the simulated GitHub cannot be asked yet (a private
profile) or the timing matters (a change of hands during a generation)."""

from __future__ import annotations

from datetime import date

from actors.worker import GitHubClients, WorkerContext
from gitbrag.errors import ProfilePrivate
from gitbrag.fakehub import FakeHub
from gitbrag.github.cache import ImmutableCache
from gitbrag.github.progress import ProgressCallback
from gitbrag.jobs.generation import Generation
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.report.periods import DateRange
from gitbrag.stores.connection import key_prefix
from gitbrag.stores.reports import login_reports_key
from tests.pipeline.conftest import Pipeline
from tests.pipeline.helpers import (
    credential_for,
    generated,
    raising,
    run_in_process,
    wait_finished,
)
from tests.pipeline.reports_for_tests import empty_report

FORMER = 990_001  # an account that held the login before


def _report(key: ReportKey, account: int | None) -> Report:
    report = empty_report(key)
    return report.model_copy(update={"user": report.user.model_copy(update={"id": account})})


def _keys(login: str) -> list[ReportKey]:
    ranges = [DateRange.for_period(period) for period in ("1_year", "2_years", "all_time")]
    ranges.append(DateRange(date(2024, 1, 1), date(2024, 6, 30)))
    return [ReportKey(login, dates) for dates in ranges]


# ------------------------------------------------------------------ real workers


def test_a_generation_for_another_account_replaces_the_former_holders_reports(
    hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    service = hub_pipeline.service
    this_year, *others = _keys("octocat")
    for key in others:
        assert service.stores.reports.put(key, _report(key, FORMER))
    bystander = ReportKey("mixed-case-dev", DateRange.for_period("1_year"))
    assert service.stores.reports.put(bystander, _report(bystander, 4242))
    assert service.login_holder("octocat") == FORMER

    hub_pipeline.start_worker()
    job = service.request_report(this_year, credential_for(service, hub.token("octocat")))
    (done,) = wait_finished(service, [job.id], timeout=60)
    assert done.status == "done", done.error

    octocat = hub.data.user("octocat")
    assert octocat is not None
    stored = service.get_report(this_year)
    assert stored is not None and stored.report.user.id == octocat.id
    assert service.login_holder("OctoCat") == octocat.id
    for key in others:  # every period of the former holder, the custom range included
        assert not service.stores.reports.exists(key)
    assert service.get_report(bystander) is not None
    members = service.redis.smembers(login_reports_key(key_prefix(service.redis), "octocat"))
    assert {member.decode() for member in members} == {str(this_year)}


def test_a_login_github_does_not_know_drops_its_reports(
    hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    """A renamed account's old login answers 404: what was stored for it goes, so nothing
    of it reappears when the not-found marker expires."""
    service = hub_pipeline.service
    key, *others = _keys("no-such-user-here")
    for stored in others:
        assert service.stores.reports.put(stored, _report(stored, FORMER))
    hub_pipeline.start_worker()
    job = service.request_report(key, credential_for(service, hub.token("octocat")))
    (done,) = wait_finished(service, [job.id], timeout=60)
    assert (done.status, done.reason) == ("not_found", "no_user")
    assert service.stores.reports.unknown_user_reason("no-such-user-here") == "no_user"
    for stored in others:
        assert not service.stores.reports.exists(stored)


# ------------------------------------------------------------------ the job body in process


def test_a_private_profile_drops_the_logins_reports_and_says_why(
    job_context: WorkerContext, hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    service = hub_pipeline.service
    key, *others = _keys("hidden-hand")
    for stored in (key, *others):
        assert service.stores.reports.put(stored, _report(stored, 31337))

    private = raising(ProfilePrivate(key.username))  # what the collector raises
    job_id = run_in_process(job_context, service, key, hub.token("octocat"), private)
    job = service.get_job(job_id)
    assert job is not None and (job.status, job.reason) == ("not_found", "private_profile")
    assert job.error is not None and "Make profile private and hide activity" in job.error
    assert service.stores.reports.unknown_user_reason("Hidden-Hand") == "private_profile"
    for stored in (key, *others):  # nothing cached as a report, none left to reappear
        assert not service.stores.reports.exists(stored)
        assert service.get_report(stored) is None


def test_a_report_of_an_account_that_lost_the_login_meanwhile_is_not_kept(
    job_context: WorkerContext, hub_pipeline: Pipeline, hub: FakeHub
) -> None:
    service = hub_pipeline.service
    key = _keys("octo_acme")[0]
    new_holder = 880_002

    async def overtaken(
        key: ReportKey,
        token: str,
        progress: ProgressCallback,
        cache: ImmutableCache,
        clients: GitHubClients,
    ) -> Generation:
        # While the former account's report was collected, someone logged in with the login.
        service.saw_account(key.username, new_holder)
        return generated(_report(key, FORMER))

    job_id = run_in_process(job_context, service, key, hub.token("octocat"), overtaken)
    job = service.get_job(job_id)
    assert job is not None and job.status == "done"
    assert job.error is not None and "another GitHub account" in job.error
    assert not service.stores.reports.exists(key)
    assert service.login_holder("octo_acme") == new_holder
