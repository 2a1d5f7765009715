"""Logins the validator used to reject work on every surface: Enterprise Managed Users'
``handle_shortcode`` (an underscore: ``octo_acme``) and legacy logins beginning with a hyphen
(``-jerry-``), with safe canonical redirects for their capitalised spellings."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ElementTree

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.report.comparison import previous_key
from tests.fixtures.web import key_for
from tests.web.accounts import session_of, store_for

LOGINS = ("octo_acme", "-jerry-")
ACCOUNT = {"octo_acme": 70_001, "-jerry-": 70_002}


@pytest.fixture(params=LOGINS)
def user(request: pytest.FixtureRequest, web_service: ReportService) -> str:
    login: str = request.param
    key = key_for(login)
    store_for(web_service, key, ACCOUNT[login], own_pull_requests=12)  # "Show all 12"
    store_for(web_service, previous_key(key), ACCOUNT[login])
    return login


def test_every_view_serves_the_report(web_client: TestClient, user: str) -> None:
    page = f"/user/github/{user}"
    html = web_client.get(page)
    assert html.status_code == 200 and f"@{user}" in html.text
    api = web_client.get(f"/api/reports/github/{user}")
    assert api.status_code == 200 and api.json()["report"]["user"]["login"] == user
    assert api.json()["report"]["user"]["id"] == ACCOUNT[user]
    exported = web_client.get(f"{page}.json")
    assert exported.status_code == 200 and exported.json()["username"] == user
    assert f'filename="gitbrag-{user}.json"' in exported.headers["content-disposition"]
    markdown = web_client.get(f"{page}.md")
    assert markdown.status_code == 200 and user in markdown.text
    for part in ("/repositories", "/issues", f"/repositories/{user}/dotfiles"):
        assert web_client.get(page + part).status_code == 200, part
    assert web_client.get(f"{page}/repositories/_-/dotfiles").status_code == 400
    assert web_client.get(f"{page}/compare").status_code == 200
    compared = web_client.get(f"/api/reports/github/{user}/compare")
    assert compared.status_code == 200 and compared.json()["state"] == "fresh"


def test_embeds_render(web_client: TestClient, user: str) -> None:
    page = f"/user/github/{user}"
    card = web_client.get(f"{page}/card.svg")
    assert card.status_code == 200
    words = [n.text or "" for n in ElementTree.fromstring(card.content).iter() if n.text]
    assert any(f"@{user}" in word for word in words)
    assert web_client.get(f"{page}/badge.svg").status_code == 200
    image = web_client.get(f"{page}/og.png")
    assert image.status_code == 200
    with Image.open(io.BytesIO(image.content)) as png:
        assert png.size == (1200, 630)


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/user/github/-Jerry-", "/user/github/-jerry-"),
        ("/user/github/Octo_Acme?period=2_years", "/user/github/octo_acme?period=2_years"),
        ("/user/github/OCTO_ACME.json", "/user/github/octo_acme.json"),
        ("/user/github/-JERRY-/card.svg?theme=dark", "/user/github/-jerry-/card.svg?theme=dark"),
        ("/user/github/-Jerry-/compare", "/user/github/-jerry-/compare"),
        (
            "/user/github/Octo_Acme/repositories?page=2",
            "/user/github/octo_acme/repositories?page=2",
        ),
    ],
)
def test_capitalised_spellings_redirect_to_the_local_lower_case_address(
    web_client: TestClient, path: str, target: str
) -> None:
    moved = web_client.get(path)
    assert moved.status_code == 301 and moved.headers["location"] == target


@pytest.mark.parametrize(
    "path",
    ["/user/github/-_-", "/user/github/_", "/user/github/--_.json", "/user/github/_-_/card.svg"],
)
def test_punctuation_alone_is_no_login_and_never_redirects(
    web_client: TestClient, path: str
) -> None:
    assert web_client.get(path).status_code in (400, 404)


@pytest.mark.parametrize(
    ("query", "target"),
    [
        ("Octo_Acme", "/user/github/octo_acme"),
        ("https://github.com/-Jerry-", "/user/github/-jerry-"),
    ],
)
def test_search_finds_them(web_client: TestClient, query: str, target: str) -> None:
    found = web_client.get("/search", params={"q": query})
    assert found.status_code == 303 and found.headers["location"] == target


def test_the_owner_curates_and_refreshes(
    web_client: TestClient, web_app: FastAPI, web_service: ReportService, hub: FakeHub, user: str
) -> None:
    csrf = session_of(web_app, web_client, user, ACCOUNT[user], hub.token("octocat"))
    web_service.saw_account(user, ACCOUNT[user])
    curation = f"/api/curation/github/{user}"
    hide = {"action": "hide_repository", "target": f"{user}/dotfiles"}
    changed = web_client.post(curation, json=hide, headers={"X-CSRF-Token": csrf})
    assert changed.status_code == 200 and changed.json()["hidden_repositories"] == [
        f"{user}/dotfiles"
    ]
    pin = {"csrf_token": csrf, "action": "pin", "target": "octo-org/engine#4100"}
    assert web_client.post(f"/user/github/{user}/curation", data=pin).status_code == 303
    assert web_client.get(f"/user/github/{user}/curate").status_code == 200
    shown = web_client.get(f"/user/github/{user}.json").json()
    names = [repo["name_with_owner"] for repo in shown["repositories"]]
    assert f"{user}/dotfiles" not in names and shown["curation"]["hidden_repositories"] == 1

    refreshed = web_client.post(
        f"/user/github/{user}/refresh", data={"csrf_token": csrf, "period": "1_year"}
    )
    assert refreshed.status_code == 303 and refreshed.headers["location"] == f"/user/github/{user}"
    job = web_service.current_job(key_for(user))
    assert job is not None and job.subject == f"account:{ACCOUNT[user]}"
