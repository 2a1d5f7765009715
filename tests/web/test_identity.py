"""Two GitHub accounts holding one login one after the other (a rename released "octocat",
another account registered it): what belongs to a person follows the account id, never the
login. The first account is the simulated GitHub's octocat (a real OAuth login); the second
is a session of another account with the same login (``tests.web.accounts.session_of``), as
the OAuth callback makes it once GitHub has said so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.report.comparison import previous_key
from gitbrag.stores.connection import key_prefix
from gitbrag.stores.curation import CurationStore, account_owner
from gitbrag.stores.sessions import BearerValidation, Session, session_key
from tests.fixtures.web import csrf_token, key_for, login, settings_for
from tests.web.accounts import session_of, store_for
from web.app import create_app

PAGE = "/user/github/octocat"
API = "/api/reports/github/octocat"
CURATION = "/api/curation/github/octocat"
SUCCESSOR = 990_002  # the account that holds "octocat" after the first one let it go


def octocat_id(hub: FakeHub) -> int:
    user = hub.data.user("octocat")
    assert user is not None
    return user.id


def client_of(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="http://testserver", follow_redirects=False)


@pytest.fixture
def second(web_app: FastAPI) -> Iterator[TestClient]:
    """Another browser on the same app."""
    with client_of(web_app) as client:
        yield client


def test_a_former_holders_report_is_served_on_no_surface(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    key = key_for()
    former = octocat_id(hub)
    store_for(web_service, key, former)
    store_for(web_service, previous_key(key), former)
    surfaces = {
        PAGE: 200,
        API: 200,
        f"{PAGE}.json": 200,
        f"{PAGE}.md": 200,
        f"{PAGE}/og.png": 200,
        f"{PAGE}/repositories": 200,
        f"{PAGE}/compare": 200,
        f"{API}/compare": 200,
    }
    for path, status in surfaces.items():  # the account holding the login: served
        assert web_client.get(path).status_code == status, path
    card = web_client.get(f"{PAGE}/card.svg")
    assert card.status_code == 200 and "not generated yet" not in card.text

    # GitHub says another account holds "octocat" now (its owner logged in, say).
    web_service.saw_account("octocat", SUCCESSOR)
    gone = {
        PAGE: 401,  # missing, anonymous: log in to generate
        API: 401,
        f"{PAGE}.json": 404,
        f"{PAGE}.md": 404,
        f"{PAGE}/og.png": 404,
        f"{PAGE}/repositories": 404,
        f"{PAGE}/compare": 401,
        f"{API}/compare": 401,
    }
    for path, status in gone.items():
        response = web_client.get(path)
        assert response.status_code == status, path
        assert "The Octocat" not in response.text, path  # nothing of the former account
    assert web_client.get(API).json() == {"state": "login_required"}
    assert "not generated yet" in web_client.get(f"{PAGE}/card.svg").text
    assert "not generated yet" in web_client.get(f"{PAGE}/badge.svg").text
    assert web_service.get_report(key) is None


def test_the_new_holder_gets_a_report_of_their_own_generated(
    web_client: TestClient, web_app: FastAPI, web_service: ReportService, hub: FakeHub
) -> None:
    key = key_for()
    store_for(web_service, key, octocat_id(hub))
    session_of(web_app, web_client, "octocat", SUCCESSOR, hub.token("octocat"))
    web_service.saw_account("octocat", SUCCESSOR)
    page = web_client.get(PAGE)
    assert page.status_code == 200 and "The Octocat" not in page.text  # generating
    job = web_service.current_job(key)
    assert job is not None and job.subject == f"account:{SUCCESSOR}"


def test_curation_and_ownership_follow_the_account(
    web_client: TestClient,
    second: TestClient,
    web_app: FastAPI,
    web_service: ReportService,
    hub: FakeHub,
) -> None:
    first = octocat_id(hub)
    store_for(web_service, key_for(), first)
    assert login(web_client, hub, "octocat").status_code == 303
    assert web_service.login_holder("octocat") == first  # the OAuth login recorded it
    token = csrf_token(web_client)
    hide = {"action": "hide_repository", "target": "python/cpython"}
    mine = web_client.post(CURATION, json=hide, headers={"X-CSRF-Token": token})
    assert mine.status_code == 200 and mine.json()["hidden_repositories"] == ["python/cpython"]
    curations = CurationStore(web_service.redis)
    assert curations.get(account_owner(first)).hidden_repositories == ("python/cpython",)

    # The login changes hands: the second account logs in with "octocat".
    csrf = session_of(web_app, second, "octocat", SUCCESSOR, hub.token("octocat"))
    web_service.saw_account("octocat", SUCCESSOR)
    theirs = second.get(CURATION)
    assert theirs.status_code == 200
    assert theirs.json()["hidden_repositories"] == [] and theirs.json()["can_undo"] is False
    pin = {"action": "pin", "target": "octo-org/engine#4100"}
    refused_pin = second.post(CURATION, json=pin, headers={"X-CSRF-Token": csrf})
    # (the former account's pull request: none of the new holder's reports shows it)
    assert refused_pin.status_code == 400 and "not in any of your reports" in refused_pin.text
    page = second.get(f"{PAGE}/curate")
    assert page.status_code == 200 and "There is no report for this period yet" in page.text
    assert "Speed up the cache" not in page.text  # the former account's pull requests

    # The former account can no longer curate under the login, and keeps its own choices.
    refused = web_client.post(CURATION, json=hide, headers={"X-CSRF-Token": token})
    assert refused.status_code == 403 and "another GitHub account" in refused.json()["detail"]
    assert web_client.get(CURATION).status_code == 403
    assert curations.get(account_owner(first)).hidden_repositories == ("python/cpython",)
    assert curations.get(account_owner(first)).pinned == ()
    assert curations.get(account_owner(SUCCESSOR)).pinned == ()


def test_only_the_reports_account_is_offered_to_curate_it(
    web_client: TestClient,
    second: TestClient,
    web_app: FastAPI,
    web_service: ReportService,
    hub: FakeHub,
) -> None:
    """The former holder's session still says "octocat" until GitHub is asked again: the new
    holder's report is not offered to it as its own."""
    link = "Curate your report"
    session_of(web_app, web_client, "octocat", octocat_id(hub), hub.token("octocat"))
    session_of(web_app, second, "octocat", SUCCESSOR, hub.token("octocat"))
    store_for(web_service, key_for(), SUCCESSOR)
    assert link in second.get(PAGE).text
    assert link not in web_client.get(PAGE).text
    assert web_client.get(f"{PAGE}/curate").status_code == 403


def test_limits_quotas_and_cancel_rights_are_the_accounts(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    app = create_app(settings_for(redis_url, hub, tmp_path, refresh_quota_per_hour=1))
    service: ReportService = app.state.context.service
    with client_of(app) as first, client_of(app) as other:
        login(first, hub, "octocat")
        first_csrf = csrf_token(first)
        job = first.get(API).json()["job"]
        assert service.get_job(job["id"]).subject == f"account:{octocat_id(hub)}"  # type: ignore[union-attr]

        second_csrf = session_of(app, other, "octocat", SUCCESSOR, hub.token("octocat"))
        refused = other.delete(f"/api/jobs/{job['id']}", headers={"X-CSRF-Token": second_csrf})
        assert refused.status_code == 403

        # One forced refresh an hour each: per account, not per login.
        key = key_for("octocat", "2_years")
        refresh = f"{API}/refresh?period=2_years"
        assert first.post(refresh, headers={"X-CSRF-Token": first_csrf}).status_code == 202
        service.cancel_job(service.current_job(key).id)  # type: ignore[union-attr]
        assert first.post(refresh, headers={"X-CSRF-Token": first_csrf}).status_code == 429
        theirs = other.post(refresh, headers={"X-CSRF-Token": second_csrf})
        assert theirs.status_code == 202
        assert service.get_job(theirs.json()["job"]["id"]).subject == f"account:{SUCCESSOR}"  # type: ignore[union-attr]


@pytest.mark.parametrize("entry", ["octocat", "OctoCat:{first}"])
def test_an_admin_login_names_one_account(
    redis_url: str, hub: FakeHub, tmp_path: Path, entry: str
) -> None:
    first = octocat_id(hub)
    admins = entry.format(first=first)
    app = create_app(settings_for(redis_url, hub, tmp_path, admin_logins=f"{admins}, someone"))
    with client_of(app) as owner, client_of(app) as admin, client_of(app) as successor:
        login(owner, hub, "Mixed-Case-Dev")
        job_id = owner.get("/api/reports/github/mixed-case-dev").json()["job"]["id"]
        # A later account holding the admin's login is no admin (a bare entry: the first
        # account seen logging in with it was pinned).
        login(admin, hub, "octocat")
        csrf = session_of(app, successor, "octocat", SUCCESSOR, hub.token("octocat"))
        assert ">Cancel</button>" not in successor.get("/user/github/mixed-case-dev").text
        denied = successor.delete(f"/api/jobs/{job_id}", headers={"X-CSRF-Token": csrf})
        assert denied.status_code == 403
        assert ">Cancel</button>" in admin.get("/user/github/mixed-case-dev").text
        done = admin.delete(f"/api/jobs/{job_id}", headers={"X-CSRF-Token": csrf_token(admin)})
        assert done.status_code == 200 and done.json()["status"] == "cancelled"


def test_an_explicit_admin_entry_is_not_the_first_account_seen(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    app = create_app(settings_for(redis_url, hub, tmp_path, admin_logins=f"octocat:{SUCCESSOR}"))
    with client_of(app) as owner, client_of(app) as first, client_of(app) as named:
        login(owner, hub, "Mixed-Case-Dev")
        job_id = owner.get("/api/reports/github/mixed-case-dev").json()["job"]["id"]
        login(first, hub, "octocat")  # the login, but not the account the entry names
        denied = first.delete(f"/api/jobs/{job_id}", headers={"X-CSRF-Token": csrf_token(first)})
        assert denied.status_code == 403
        csrf = session_of(app, named, "octocat", SUCCESSOR, hub.token("octocat"))
        done = named.delete(f"/api/jobs/{job_id}", headers={"X-CSRF-Token": csrf})
        assert done.status_code == 200 and done.json()["status"] == "cancelled"


def test_a_session_from_before_account_ids_is_confirmed_with_github_first(
    web_client: TestClient, web_app: FastAPI, web_service: ReportService, hub: FakeHub
) -> None:
    """Until GitHub says which account the session's token is, the session owns nothing;
    its next request asks (one ``GET /user``), and records the login's holder."""
    hub.reset_counters()
    session_of(web_app, web_client, "octocat", None, hub.token("octocat"))  # + a page view
    session_id = web_client.cookies["gitbrag_session"]
    body = web_client.get(CURATION)
    assert body.status_code == 200 and body.json()["username"] == "octocat"
    assert hub.counters["GET /user"] == 1
    raw = web_service.redis.get(session_key(key_prefix(web_service.redis), session_id))
    assert raw is not None and json.loads(raw)["account_id"] == octocat_id(hub)
    assert web_service.login_holder("octocat") == octocat_id(hub)
    web_client.get(CURATION)
    assert hub.counters["GET /user"] == 1  # confirmed: not asked again


def test_a_renamed_viewer_keeps_their_session_under_the_new_login(
    web_client: TestClient, web_app: FastAPI, web_service: ReportService, hub: FakeHub
) -> None:
    """The session's account renamed itself (GitHub now answers "octocat" for its token):
    the session follows, and its old login is no longer theirs to curate."""
    session_of(web_app, web_client, "octocat-old", octocat_id(hub), hub.token("octocat"))
    session_id = web_client.cookies["gitbrag_session"]
    raw = web_service.redis.get(session_key(key_prefix(web_service.redis), session_id))
    assert raw is not None
    stale = Session(**{**json.loads(raw), "validated_at": 1.0, "created_at": 1.0})
    web_service.redis.set(
        session_key(key_prefix(web_service.redis), session_id), json.dumps(asdict(stale))
    )
    assert web_client.get(CURATION).status_code == 200
    assert web_client.get("/api/curation/github/octocat-old").status_code == 403
    raw = web_service.redis.get(session_key(key_prefix(web_service.redis), session_id))
    assert raw is not None and json.loads(raw)["login"] == "octocat"


def test_a_bearer_token_records_its_account_and_old_validations_are_checked_again(
    web_client: TestClient, web_app: FastAPI, web_service: ReportService, hub: FakeHub
) -> None:
    token = hub.token("octocat")
    headers = {"Authorization": f"Bearer {token}"}
    hub.reset_counters()
    assert web_client.get(CURATION, headers=headers).status_code == 200
    assert hub.counters["GET /user"] == 1
    assert web_service.login_holder("octocat") == octocat_id(hub)
    sessions = web_app.state.context.sessions
    cached = sessions.get_bearer(token)
    assert cached is not None and cached.account_id == octocat_id(hub)
    # A validation cached before account ids: asked again, then trusted.
    sessions.put_bearer(token, BearerValidation("octocat", cached.credential_ref, "bearer:x"))
    assert web_client.get(CURATION, headers=headers).status_code == 200
    assert web_client.get(API, headers=headers).status_code == 202
    assert hub.counters["GET /user"] == 2
