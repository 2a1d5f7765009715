"""Every viewer kind by every cache state of a report view: the right controls and notices,
the right caching headers, and nothing of one viewer in another's response.

Viewers: an anonymous visitor, the logged-in viewer who started the running job (the
"owner"), another logged-in viewer, and an API client with a bearer token. States: fresh,
stale, missing, and updating (a fresh report while a regeneration runs). Report pages are
rendered once per version and shared; these tests are what keeps the viewer-specific parts
(account area, CSRF tokens, cancel and refresh controls, notices) right per request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.settings import Settings
from tests.fixtures.web import csrf_token, key_for, login, settings_for, store_report
from web.auth import unmask_csrf

PAGE = "/user/github/octocat"
API = "/api/reports/github/octocat"
STALE = 2 * 86_400
OWNER, OTHER, BEARER = "big-diff", "star-gazer", "private-eye"
CSRF_VALUE = re.compile(r'name="csrf_token" value="([^"]*)"')


class Viewers:
    """Clients of one app: anonymous, two sessions, a bearer client (same TestClient, header)."""

    def __init__(self, app: FastAPI, hub: FakeHub, stack: ExitStack) -> None:
        def client() -> TestClient:
            return stack.enter_context(
                TestClient(app, base_url="http://testserver", follow_redirects=False)
            )

        self.anonymous = client()
        self.owner = client()
        self.other = client()
        login(self.owner, hub, OWNER)
        login(self.other, hub, OTHER)
        self.owner_csrf = csrf_token(self.owner)
        self.other_csrf = csrf_token(self.other)
        self.bearer = client()
        self.bearer.headers["Authorization"] = f"Bearer {hub.token(BEARER)}"

    def start_refresh_as_owner(self) -> str:
        """The owner forces a regeneration (no worker runs here: the job stays queued)."""
        response = self.owner.post(f"{PAGE}/refresh", data={"csrf_token": self.owner_csrf})
        assert response.status_code == 303, response.text
        job = self.owner.get(API).json()["job"]
        assert job is not None
        return str(job["id"])


@pytest.fixture
def web_settings(redis_url: str, hub: FakeHub, tmp_path: Path) -> Settings:
    """One recent pull request per repository on the report page, so the sample report's
    repositories have "Show all" pages too (the privacy test reads them)."""
    return settings_for(redis_url, hub, tmp_path, page_recent_pull_requests=1)


@pytest.fixture
def viewers(web_app: FastAPI, hub: FakeHub) -> Iterator[Viewers]:
    with ExitStack() as stack:
        yield Viewers(web_app, hub, stack)


def _plain(masked: str) -> str:
    """The session's token a page's (masked, ``web.auth.mask_csrf``) CSRF value carries."""
    return (unmask_csrf(masked) or b"").decode("latin-1")


def _csrf_values(html: str) -> set[str]:
    """The session tokens a page's forms carry (each masked afresh per response)."""
    return {_plain(value) for value in CSRF_VALUE.findall(html) if value}


# --------------------------------------------------------------------------- fresh


def test_fresh_anonymous_gets_the_shared_page(viewers: Viewers, web_service: ReportService) -> None:
    store_report(web_service, key_for(), age_seconds=600)
    page = viewers.anonymous.get(PAGE)
    assert page.status_code == 200
    assert "Log in<span" in page.text and "Log out" not in page.text
    assert "Refresh now" not in page.text and "Updating." not in page.text
    assert "Log in to refresh" not in page.text and _csrf_values(page.text) == set()
    assert page.headers["cache-control"].startswith("public, max-age=")
    assert "stale-while-revalidate=" in page.headers["cache-control"]
    assert page.headers["etag"].startswith('"') and page.headers["vary"] == (
        "Accept-Encoding, Cookie, Authorization"
    )


def test_fresh_logged_in_viewer_gets_refresh_now_with_their_csrf_token(
    viewers: Viewers, web_service: ReportService
) -> None:
    store_report(web_service, key_for(), age_seconds=600)
    page = viewers.other.get(PAGE)
    assert page.status_code == 200
    assert f"@{OTHER}</a>" in page.text and "Log out" in page.text
    assert "Refresh now" in page.text and "Updating." not in page.text
    assert _csrf_values(page.text) == {_plain(viewers.other_csrf)}
    assert page.headers["cache-control"] == "private, no-store"
    assert "etag" not in page.headers


def test_fresh_bearer_client(viewers: Viewers, web_service: ReportService) -> None:
    report = store_report(web_service, key_for(), age_seconds=600)
    api = viewers.bearer.get(API)
    assert api.status_code == 200
    assert api.json()["state"] == "fresh" and api.json()["job"] is None
    assert api.json()["report"]["totals"] == report.totals.model_dump()
    assert api.headers["cache-control"] == "private, no-store"
    page = viewers.bearer.get(PAGE)
    assert page.status_code == 200
    assert "Log out" not in page.text and _csrf_values(page.text) == set()
    assert page.headers["cache-control"] == "private, no-store"


# --------------------------------------------------------------------------- stale


def test_stale_anonymous_is_asked_to_log_in_and_nothing_runs(
    viewers: Viewers, web_service: ReportService
) -> None:
    store_report(web_service, key_for(), age_seconds=STALE)
    page = viewers.anonymous.get(PAGE)
    assert page.status_code == 200
    assert "This report may be out of date" in page.text and "Log in to refresh" in page.text
    assert "Updating." not in page.text and "Refresh now" not in page.text
    assert page.headers["cache-control"] == "no-cache" and "etag" in page.headers
    assert web_service.current_job(key_for()) is None


def test_stale_logged_in_viewer_starts_the_regeneration_and_may_cancel_it(
    viewers: Viewers, web_service: ReportService
) -> None:
    store_report(web_service, key_for(), age_seconds=STALE)
    page = viewers.owner.get(PAGE)
    job = web_service.current_job(key_for())
    assert job is not None and job.status == "queued"
    assert "Updating." in page.text and f'data-job-id="{job.id}"' in page.text
    assert ">Cancel</button>" in page.text and "Refresh now" not in page.text
    assert _csrf_values(page.text) == {_plain(viewers.owner_csrf)}
    # Another logged-in viewer sees the same job running, without its Cancel button.
    other = viewers.other.get(PAGE)
    assert "Updating." in other.text and f'data-job-id="{job.id}"' in other.text
    assert ">Cancel</button>" not in other.text and "Refresh now" not in other.text
    assert _csrf_values(other.text) == {_plain(viewers.other_csrf)}
    # And so does an anonymous visitor (no "log in to refresh": it is being refreshed).
    anonymous = viewers.anonymous.get(PAGE)
    assert "Updating." in anonymous.text and "Log in to refresh" not in anonymous.text
    assert ">Cancel</button>" not in anonymous.text
    assert anonymous.headers["cache-control"] == "no-cache" and "etag" not in anonymous.headers
    assert web_service.current_job(key_for()).id == job.id  # type: ignore[union-attr]


def test_stale_bearer_client_starts_the_regeneration(
    viewers: Viewers, web_service: ReportService
) -> None:
    store_report(web_service, key_for(), age_seconds=STALE)
    api = viewers.bearer.get(API)
    assert api.status_code == 200 and api.json()["state"] == "stale"
    job = web_service.current_job(key_for())
    assert job is not None and api.json()["job"]["id"] == job.id


# --------------------------------------------------------------------------- missing


def test_missing_report_for_each_viewer(viewers: Viewers, web_service: ReportService) -> None:
    anonymous = viewers.anonymous.get(PAGE)
    assert anonymous.status_code == 401 and "Log in to generate this report" in anonymous.text
    assert web_service.current_job(key_for()) is None
    owner = viewers.owner.get(PAGE)
    job = web_service.current_job(key_for())
    assert job is not None
    assert owner.status_code == 200 and "Building the report" in owner.text
    assert ">Cancel</button>" in owner.text
    assert owner.headers["cache-control"] == "private, no-store"
    other = viewers.other.get(PAGE)
    assert "Building the report" in other.text and ">Cancel</button>" not in other.text
    # Someone's job runs, so the anonymous visitor now watches it instead of a login prompt.
    watching = viewers.anonymous.get(PAGE)
    assert watching.status_code == 200 and f'data-job-id="{job.id}"' in watching.text
    api = viewers.bearer.get(API)
    assert api.status_code == 202 and api.json()["job"]["id"] == job.id


# --------------------------------------------------------------------------- updating


def test_updating_fresh_report_for_each_viewer(
    viewers: Viewers, web_service: ReportService
) -> None:
    store_report(web_service, key_for(), age_seconds=600)
    before = viewers.anonymous.get(PAGE)
    assert "Updating." not in before.text and before.headers["cache-control"].startswith("public")
    job_id = viewers.start_refresh_as_owner()
    owner = viewers.owner.get(PAGE)
    assert "Updating." in owner.text and f'data-job-id="{job_id}"' in owner.text
    assert ">Cancel</button>" in owner.text and "Refresh now" not in owner.text
    other = viewers.other.get(PAGE)
    assert "Updating." in other.text and ">Cancel</button>" not in other.text
    assert "Refresh now" not in other.text
    # The anonymous visitor's next view says so too: never the shared page from before.
    anonymous = viewers.anonymous.get(PAGE)
    assert "Updating." in anonymous.text and ">Cancel</button>" not in anonymous.text
    assert anonymous.headers["cache-control"] == "no-cache" and "etag" not in anonymous.headers
    api = viewers.bearer.get(API).json()
    assert api["state"] == "fresh" and api["job"]["id"] == job_id
    # Once the job is gone, the shared page is back.
    web_service.cancel_job(job_id)
    after = viewers.anonymous.get(PAGE)
    assert "Updating." not in after.text and after.headers["etag"] == before.headers["etag"]


# --------------------------------------------------------------------------- privacy


def test_no_response_carries_another_viewers_token_or_login(
    viewers: Viewers, web_service: ReportService
) -> None:
    """Two sessions, an anonymous visitor and a bearer client take turns on the same cached
    documents (page, paged pages, exports, API; gzip and identity; fresh, then updating):
    each body has its own viewer's login and CSRF token, and none of anyone else's."""
    store_report(web_service, key_for(), age_seconds=600)
    paths = [
        PAGE,
        "/user/github/octocat/repositories",
        "/user/github/octocat/repositories/octo-org/engine",
        f"{PAGE}.json",
        f"{PAGE}.md",
        API,
    ]
    tokens = {"owner": _plain(viewers.owner_csrf), "other": _plain(viewers.other_csrf)}
    logins = {"owner": f"@{OWNER}</a>", "other": f"@{OTHER}</a>"}
    clients = {
        "owner": viewers.owner,
        "anonymous": viewers.anonymous,
        "other": viewers.other,
        "bearer": viewers.bearer,
    }
    seen = 0
    for state in ("fresh", "updating"):
        if state == "updating":
            viewers.start_refresh_as_owner()
        for _ in range(2):
            for path in paths:
                for encoding in ("gzip", "identity"):
                    for name, client in clients.items():
                        response = client.get(path, headers={"Accept-Encoding": encoding})
                        assert response.status_code == 200, (name, path, response.text[:200])
                        body = response.text
                        for who, token in tokens.items():
                            assert token not in body  # only ever masked
                            carried = token in _csrf_values(body)
                            assert carried == (who == name and path.startswith(PAGE)
                                               and not path.endswith((".json", ".md"))), (
                                name, who, path, encoding, state
                            )  # fmt: skip
                        for who, marker in logins.items():
                            assert (marker in body) == (who == name and "Log out" in body), (
                                name, who, path
                            )  # fmt: skip
                        if name in ("anonymous", "bearer"):
                            assert _csrf_values(body) == set() and "Log out" not in body
                        seen += 1
    assert seen == 2 * 2 * len(paths) * 2 * len(clients)
