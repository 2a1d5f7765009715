"""Comparing a period with the one before it, on cached reports: deltas equal the difference
of the two reports, languages gained and lost, new repositories, both periods' months; a
missing side goes through the same flow as any report (log in to generate, or its job)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.report.comparison import previous_key, previous_range
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.report.periods import DateRange
from tests.fixtures.web import key_for, login, sample_collection, sample_report

FIGURES = ("pull_requests", "merged", "repositories", "additions", "deletions", "changed_files")


def store_both(service: ReportService, key: ReportKey) -> tuple[Report, Report]:
    """The period (sample data) and the one before (the same shape a year earlier, with
    one repository fewer)."""
    now = datetime.now(UTC)
    current = sample_report(key)
    earlier = previous_key(key)
    collection = sample_collection(now=now - timedelta(days=366))
    collection.pull_requests[:] = [
        pr for pr in collection.pull_requests if pr.repository != "octo-org/engine"
    ]
    before = sample_report(earlier, collection=collection)
    assert service.stores.reports.put(key, current)
    assert service.stores.reports.put(earlier, before)
    return current, before


def test_the_previous_range_has_the_same_length_and_ends_the_day_before() -> None:
    year = DateRange.for_period("1_year")
    before = previous_range(year)
    assert before.until == year.since - timedelta(days=1)
    assert (before.until - before.since) == (year.until - year.since)
    custom = DateRange(datetime(2024, 3, 1).date(), datetime(2024, 3, 31).date())
    assert previous_range(custom) == DateRange(
        datetime(2024, 1, 30).date(), datetime(2024, 2, 29).date()
    )


def test_comparison_api_and_page_from_two_cached_reports(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    key = key_for()
    current, before = store_both(web_service, key)
    hub.reset_counters()
    response = web_client.get("/api/reports/github/octocat/compare")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "fresh"
    assert body["current"]["since"] == current.since and body["previous"]["until"] == before.until
    for name in FIGURES:
        now, then = current.totals.model_dump()[name], before.totals.model_dump()[name]
        assert body["deltas"][name] == {
            "current": now,
            "previous": then,
            "change": now - then,
            "percent": round(100 * (now - then) / then, 1) if then else None,
        }
    lines = body["deltas"]["lines_changed"]
    assert lines["change"] == (current.totals.additions + current.totals.deletions) - (
        before.totals.additions + before.totals.deletions
    )
    assert [r["name_with_owner"] for r in body["new_repositories"]] == ["octo-org/engine"]
    assert body["languages_gained"] == [
        s.name for s in current.languages if s.name not in {b.name for b in before.languages}
    ]
    # Both periods' months on one axis, each side's counts as its report has them.
    months = {m["month"]: m for m in body["months"]}
    for month in before.months:
        assert months[month.month]["previous"] == month.pull_requests
    for month in current.months:
        assert months[month.month]["current"] == month.pull_requests
    assert hub.request_count() == 0

    page = web_client.get("/user/github/octocat/compare")
    assert page.status_code == 200
    text = page.text
    assert 'data-figure="pull_requests"' in text
    delta = current.totals.pull_requests - before.totals.pull_requests
    assert f"+{delta}" in text or f"\u2212{-delta}" in text
    assert "octo-org/engine" in text.split("New repositories", 1)[1]
    assert page.headers["cache-control"].startswith("public, max-age=")
    again = web_client.get(
        "/user/github/octocat/compare", headers={"If-None-Match": page.headers["etag"]}
    )
    assert again.status_code == 304
    assert 'href="/user/github/octocat/compare"' in web_client.get("/user/github/octocat").text


def test_a_missing_side_asks_to_log_in_or_is_generated(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    key = key_for()
    assert web_service.stores.reports.put(key, sample_report(key))  # the earlier one is missing
    assert web_client.get("/user/github/octocat/compare").status_code == 401
    api = web_client.get("/api/reports/github/octocat/compare")
    assert (api.status_code, api.json()["state"]) == (401, "login_required")
    assert web_service.current_job(previous_key(key)) is None

    assert login(web_client, hub, "octocat").status_code == 303
    page = web_client.get("/user/github/octocat/compare")
    assert page.status_code == 200 and "Preparing the comparison" in page.text
    assert page.text.count('class="progress-panel"') == 1  # only the missing side
    job = web_service.current_job(previous_key(key))
    assert job is not None
    api = web_client.get("/api/reports/github/octocat/compare")
    assert api.status_code == 202
    assert api.json()["jobs"] == {"current": None, "previous": api.json()["jobs"]["previous"]}
    assert api.json()["jobs"]["previous"]["id"] == job.id  # the same job, deduplicated


def test_bad_comparisons(web_client: TestClient, web_service: ReportService) -> None:
    assert web_client.get("/user/github/octocat/compare?period=all_time").status_code == 400
    early = web_client.get("/api/reports/github/octocat/compare?since=2008-03-01&until=2009-03-01")
    assert early.status_code == 400 and "2008-01-01" in early.json()["detail"]
    web_service.stores.reports.mark_unknown_user("ghost")
    assert web_client.get("/user/github/ghost/compare").status_code == 404
    assert web_client.get("/api/reports/github/ghost/compare").json()["state"] == "not_found"
    moved = web_client.get("/user/github/OctoCat/compare?period=2_years")
    assert moved.status_code == 301
    assert moved.headers["location"] == "/user/github/octocat/compare?period=2_years"
