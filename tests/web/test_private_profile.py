"""A private profile ("Make profile private and hide activity") gets its own clear answer on
every surface: never a report, card, badge or image of zeros, never a generation asked for.

The job that found the profile private marked the login (``ReportStore.mark_unknown_user``
with ``private_profile``, as ``actors.jobs`` does; tests/pipeline/test_identity_jobs.py) and
dropped its reports; a report left behind (say, stored meanwhile) is not served either."""

from __future__ import annotations

import html
import io
import xml.etree.ElementTree as ElementTree

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from gitbrag.errors import ProfilePrivate
from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.report.comparison import previous_key
from tests.fixtures.web import key_for, login, store_report
from tests.web.events import job_events

LOGIN = "hidden-hand"
PAGE = f"/user/github/{LOGIN}"
API = f"/api/reports/github/{LOGIN}"
TITLE = "This profile's activity is private"
SETTING = "Make profile private and hide activity"


@pytest.fixture
def private(web_service: ReportService) -> ReportService:
    key = key_for(LOGIN)
    store_report(web_service, key)  # left behind: must not be served
    store_report(web_service, previous_key(key))
    web_service.stores.reports.mark_unknown_user(LOGIN, "private_profile")
    return web_service


def texts(svg: bytes) -> list[str]:
    root = ElementTree.fromstring(svg)
    return [node.text or "" for node in root.iter() if node.text and node.text.strip()]


@pytest.mark.parametrize(
    "path",
    [PAGE, f"{PAGE}.md", f"{PAGE}/repositories", f"{PAGE}/compare", f"{PAGE}?period=5_years"],
)
def test_pages_say_the_activity_is_private(
    web_client: TestClient, private: ReportService, path: str
) -> None:
    page = web_client.get(path)
    assert page.status_code == 404
    text = html.unescape(page.text)
    assert TITLE in text and SETTING in text
    assert "Pull requests" not in text  # no report body of any kind


@pytest.mark.parametrize("path", [API, f"{PAGE}.json", f"{API}/compare"])
def test_the_api_and_the_json_export_say_private_profile(
    web_client: TestClient, private: ReportService, path: str
) -> None:
    answer = web_client.get(path)
    assert answer.status_code == 404
    body = answer.json()
    assert body["state"] == "not_found" and body["reason"] == "private_profile"
    assert SETTING in body["detail"] and LOGIN in body["detail"]
    assert "report" not in body


def test_embeds_are_stand_ins_never_figures(
    web_client: TestClient, private: ReportService, hub: FakeHub
) -> None:
    hub.reset_counters()
    card = web_client.get(f"{PAGE}/card.svg", params={"theme": "dark"})
    assert card.status_code == 404 and card.headers["content-type"].startswith("image/svg+xml")
    words = texts(card.content)
    assert TITLE in words
    assert not any(word.strip().isdigit() for word in words)  # no count, not even a zero
    badge = web_client.get(f"{PAGE}/badge.svg")
    assert badge.status_code == 404 and texts(badge.content)[-1] == "private"
    image = web_client.get(f"{PAGE}/og.png")
    assert image.status_code == 404 and image.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(image.content)) as png:
        assert png.size == (1200, 630)
    assert hub.request_count() == 0


def test_a_viewer_who_can_generate_is_not_sent_generating(
    web_client: TestClient, private: ReportService, hub: FakeHub
) -> None:
    login(web_client, hub, "octocat")
    assert web_client.get(PAGE).status_code == 404
    assert web_client.get(API).json()["reason"] == "private_profile"
    assert private.current_job(key_for(LOGIN)) is None


def test_the_jobs_status_and_events_say_private(
    web_client: TestClient, web_app: FastAPI, web_service: ReportService, hub: FakeHub
) -> None:
    login(web_client, hub, "octocat")
    job_id = web_client.get(API).json()["job"]["id"]
    # What the worker does when the collector raises ProfilePrivate (actors.jobs).
    error = ProfilePrivate(LOGIN)
    web_service.lifecycle.finish(
        job_id, str(key_for(LOGIN)), "not_found", str(error), reason=error.reason
    )
    status = web_client.get(f"/api/jobs/{job_id}").json()
    assert status["status"] == "not_found" and status["reason"] == "private_profile"
    assert status["headline"] == TITLE
    assert SETTING in status["message"] and "No such GitHub user" not in status["message"]
    [(name, event)] = job_events(web_client, job_id, 1)
    assert name == "job" and event["headline"] == TITLE
