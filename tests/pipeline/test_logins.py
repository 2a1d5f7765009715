"""Logins GitHub still has, end to end (web app in process, real worker, simulated GitHub):
legacy logins with trailing, double or leading hyphens, Enterprise Managed Users' underscores,
organisations' logins, and accounts whose activity is private."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from tests.pipeline.conftest import Pipeline
from tests.pipeline.helpers import wait_for
from web.app import create_app


@pytest.fixture
def web(hub_pipeline: Pipeline) -> Iterator[TestClient]:
    hub_pipeline.start_worker()
    with TestClient(create_app(hub_pipeline.settings), base_url="http://testserver") as client:
        yield client


def _generate(web: TestClient, hub: FakeHub, path: str) -> dict[str, Any]:
    """Ask the API (as octocat, bearer token) until the job is over; the last answer."""
    headers = {"Authorization": f"Bearer {hub.token('octocat')}"}
    first = web.get(path, headers=headers)
    assert first.status_code == 202, first.text
    job_id = first.json()["job"]["id"]
    wait_for(lambda: web.get(f"/api/jobs/{job_id}").json()["finished"], timeout=30)
    answer = web.get(path, headers=headers)
    return {"status": answer.status_code, **answer.json()}


@pytest.mark.parametrize("login", ["artur-", "gil--dev", "-jerry-", "octo_acme"])
def test_legacy_logins_work_through_api_page_and_canonical_url(
    web: TestClient, hub: FakeHub, login: str
) -> None:
    answer = _generate(web, hub, f"/api/reports/github/{login}?period=all_time")
    assert answer["status"] == 200 and answer["state"] == "fresh"
    report = answer["report"]
    assert report["username"] == login and report["complete"] is True
    assert report["totals"]["pull_requests"] == len(
        [pr for pr in hub.data.prs_by(login) if pr.state != "CLOSED"]
    )
    upper = web.get(f"/user/github/{login.upper()}?period=all_time", follow_redirects=False)
    assert upper.status_code == 301
    assert upper.headers["location"] == f"/user/github/{login}?period=all_time"
    page = web.get(f"/user/github/{login}?period=all_time")
    assert page.status_code == 200 and f"@{login}" in page.text
    assert web.get(f"/user/github/{login}.json?period=all_time").json()["username"] == login


def test_an_organisation_gets_its_answer_and_it_is_remembered(
    web: TestClient, hub: FakeHub, hub_pipeline: Pipeline
) -> None:
    answer = _generate(web, hub, "/api/reports/github/octo-org")
    assert answer["status"] == 404 and answer["state"] == "not_found"
    assert answer["reason"] == "organization"
    assert "octo-org is a GitHub organisation" in answer["detail"]
    assert hub_pipeline.service.stores.reports.unknown_user_reason("Octo-Org") == "organization"
    page = web.get("/user/github/octo-org")
    assert page.status_code == 404 and "This is an organisation" in page.text
    # Remembered like an unknown user: no new job, no GitHub request.
    before = hub.request_count()
    headers = {"Authorization": f"Bearer {hub.token('octocat')}"}
    again = web.get("/api/reports/github/octo-org?period=all_time", headers=headers)
    assert again.status_code == 404 and again.json()["reason"] == "organization"
    assert hub.request_count() == before


def test_a_private_profile_is_answered_as_such_everywhere_and_never_stored(
    web: TestClient, hub: FakeHub, hub_pipeline: Pipeline
) -> None:
    hub.behaviours.configure(private_profiles=True)
    answer = _generate(web, hub, "/api/reports/github/hidden-hand")
    assert answer["status"] == 404 and answer["state"] == "not_found"
    assert answer["reason"] == "private_profile"
    assert "Make profile private and hide activity" in answer["detail"]
    assert hub.counters["private_profile.search"] > 0  # GitHub answered as if it had nothing
    page = web.get("/user/github/hidden-hand")
    assert page.status_code == 404 and "activity is private" in page.text
    card = web.get("/user/github/hidden-hand/card.svg")
    assert "private" in card.text and "Merged" not in card.text
    assert (
        hub_pipeline.service.get_report(ReportKey("hidden-hand", DateRange.for_period("1_year")))
        is None
    )
