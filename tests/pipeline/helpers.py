"""Small helpers shared by the pipeline tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from gitbrag.jobs.service import Job, ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.settings import Settings
from tests.harness import wait_for

__all__ = ["five_keys", "scrape_metrics", "wait_finished", "wait_for"]


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
