"""Small helpers shared by the pipeline tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from actors.attempt import Defer
from actors.jobs import Generate, run_report_job
from actors.worker import GitHubClients, WorkerContext
from gitbrag.github.cache import ImmutableCache
from gitbrag.github.progress import ProgressCallback
from gitbrag.jobs.generation import Generation
from gitbrag.jobs.service import CredentialRef, Job, ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.report.periods import DateRange
from gitbrag.settings import Settings
from tests.harness import wait_for

__all__ = [
    "credential_for",
    "five_keys",
    "record_view",
    "run_in_process",
    "scrape_metrics",
    "wait_finished",
    "wait_for",
]


def wait_finished(service: ReportService, job_ids: Iterable[str], timeout: float) -> list[Job]:
    ids = list(job_ids)

    def all_finished() -> bool:
        return all((job := service.get_job(i)) is not None and job.finished for i in ids)

    wait_for(all_finished, timeout)
    return [job for i in ids if (job := service.get_job(i)) is not None]


def five_keys(username: str) -> list[ReportKey]:
    """Five report keys for one user: the four presets and a custom range."""
    ranges = [DateRange.for_period(p) for p in ("1_year", "2_years", "5_years", "all_time")]
    ranges.append(DateRange(date(2024, 1, 1), date(2024, 6, 30)))
    return [ReportKey(username, r) for r in ranges]


def scrape_metrics(settings: Settings) -> dict[str, float]:
    """``GET /metrics`` of a web app on ``settings``, parsed: ``name`` or ``name{k="v"}`` ->
    value (label pairs in the order the exposition lists them)."""
    from fastapi.testclient import TestClient
    from prometheus_client.parser import text_string_to_metric_families

    from web.app import create_app

    token = "scrape-metrics-token"
    app = create_app(settings.model_copy(update={"metrics_token": token}))
    with TestClient(app, base_url="http://testserver") as client:
        response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f'{name}="{value}"' for name, value in sample.labels.items())
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


def record_view(service: ReportService, key: ReportKey) -> None:
    """What a page view does to the stores: counts toward pre-warming, and keeps the report
    from housekeeping."""
    service.stores.views.record(str(key))
    service.stores.reports.touch(key)


def credential_for(service: ReportService, token: str) -> CredentialRef:
    """A logged-in viewer's credential for ``token``."""
    return service.store_credential(token, viewer_id="viewer", ttl_seconds=600)


def run_in_process(
    ctx: WorkerContext,
    service: ReportService,
    key: ReportKey,
    token: str,
    generate: Generate,
    *,
    retries: int = 0,
    max_retries: int = 0,
    rate_limit_waits: int = 0,
    defer: Defer = lambda delay_ms: None,
) -> str:
    """Request a job for ``key`` and run its body (``actors.jobs.run_report_job``) here, with
    ``generate`` instead of the GitHub generation (the ``job_context`` fixture provides
    ``ctx`` and the event-loop thread); the job's id."""
    credential = credential_for(service, token)
    job = service.request_report(key, credential)
    run_report_job(
        ctx,
        job_id=job.id,
        key_text=str(key),
        credential=str(credential),
        retries=retries,
        max_retries=max_retries,
        generate=generate,
        defer=defer,
        rate_limit_waits=rate_limit_waits,
    )
    return job.id


def raising(error: BaseException) -> Generate:
    """A generation that raises ``error`` (what the collector or the client would raise)."""

    async def generate(
        key: ReportKey,
        token: str,
        progress: ProgressCallback,
        cache: ImmutableCache,
        clients: GitHubClients,
    ) -> Generation:
        raise error

    return generate


def generated(report: Report) -> Generation:
    """What a generation that keeps no collection gives: ``report``, collected cold."""
    return Generation(report, None, cold_reason="a test's report")
