"""Issue 20, item 3: writes (curation, cancel) take a session, a personal access token, or a
token gitbrag's own OAuth app issued (GitHub's "check a token" says so), never a token another
"Sign in with GitHub" site got. Reads take any valid token, as before."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.fakehub.state import CLIENT_ID
from gitbrag.jobs.service import ReportService
from tests.fixtures.web import key_for, store_report

CURATION = "/api/curation/github/octocat"
HIDE = {"action": "hide_repository", "target": "python/cpython"}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("kind", "client_id", "writes"),
    [
        ("classic", None, True),  # ghp_: made by its owner, pasted deliberately
        ("fine_grained", None, True),  # github_pat_
        ("oauth", CLIENT_ID, True),  # gitbrag's own OAuth app issued it
        ("oauth", "another-site", False),  # another "Sign in with GitHub" site's
        ("oauth", None, False),  # an app token nobody vouches for
        ("app", None, False),  # ghs_: an installation, not a person
    ],
)
def test_who_may_curate_with_a_token(
    web_client: TestClient,
    web_service: ReportService,
    hub: FakeHub,
    kind: str,
    client_id: str | None,
    writes: bool,
) -> None:
    store_report(web_service, key_for())
    token = hub.issue_token("octocat", kind, client_id)  # type: ignore[arg-type]
    hub.reset_counters()
    assert web_client.get(CURATION, headers=_bearer(token)).status_code == 200  # reads: any
    answer = web_client.post(CURATION, json=HIDE, headers=_bearer(token))
    if writes:
        assert answer.status_code == 200, answer.text
        assert answer.json()["hidden_repositories"] == ["python/cpython"]
    else:
        assert answer.status_code == 403
        assert "issued to another application" in answer.json()["detail"]
        assert web_client.get(CURATION, headers=_bearer(token)).json()["hidden_repositories"] == []
    # GitHub is asked about app tokens only, and once per validation.
    checks = hub.counters["oauth.check_token"]
    assert checks == (1 if kind == "oauth" else 0)
    web_client.post(CURATION, json=HIDE, headers=_bearer(token))
    assert hub.counters["oauth.check_token"] == checks


def test_a_foreign_token_cannot_cancel_its_owners_job(web_client: TestClient, hub: FakeHub) -> None:
    """The job was started with a token another site got; that token can watch it, not
    cancel it; the same person's personal token cannot either (another viewer)."""
    foreign = hub.issue_token("octocat", "oauth", "another-site")
    started = web_client.get("/api/reports/github/octocat", headers=_bearer(foreign))
    assert started.status_code == 202
    job_id = started.json()["job"]["id"]
    assert web_client.get(f"/api/jobs/{job_id}", headers=_bearer(foreign)).status_code == 200
    refused = web_client.delete(f"/api/jobs/{job_id}", headers=_bearer(foreign))
    assert refused.status_code == 403
    assert "another application" in refused.json()["detail"]
    assert web_client.get(f"/api/jobs/{job_id}").json()["status"] != "cancelled"
    # The cancel form with that token: the same.
    form = web_client.post(f"/jobs/{job_id}/cancel", headers=_bearer(foreign))
    assert form.status_code == 403


def test_own_tokens_cancel_their_jobs(web_client: TestClient, hub: FakeHub) -> None:
    mine = hub.issue_token("octocat", "classic")
    started = web_client.get("/api/reports/github/octocat", headers=_bearer(mine))
    job_id = started.json()["job"]["id"]
    cancelled = web_client.delete(f"/api/jobs/{job_id}", headers=_bearer(mine))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
