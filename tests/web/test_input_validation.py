"""Bad input is a 400/404 page (or JSON error), never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gitbrag.jobs.service import ReportService
from tests.fixtures.web import key_for, store_report


@pytest.mark.parametrize(
    "path",
    [
        "/user/github/-_-",
        "/user/github/--",
        "/user/github/" + "a" * 40,
        "/user/github/octo!cat",
        "/user/github/octo.cat",
        "/user/github/%F0%9F%90%99",
        "/user/github/octo%20cat",
        "/user/github/x%22%3E%3Cscript%3E",
        "/user/github/octocat?period=3_years",
        "/user/github/octocat?period=%00",
        "/user/github/octocat?since=2026-13-01",
        "/user/github/octocat?since=yesterday",
        "/user/github/octocat?since=2026-05-01&until=2026-04-01",
        "/user/github/octocat?since=2001-01-01",
        "/user/github/octocat?until=2999-01-01",
        "/user/github/octocat?period=1_year&since=2026-01-01",
        "/user/github/octocat?include_closed=maybe",
        "/user/github/octocat?period=" + "x" * 5000,
        "/user/github/octocat?" + "&".join(f"p{i}=v" for i in range(600)),
        "/search?q=not%20a%20user",
        "/search?q=" + "a" * 200,
    ],
)
def test_invalid_page_input_is_a_400_page(web_client: TestClient, path: str) -> None:
    response = web_client.get(path)
    assert response.status_code == 400, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert "That request does not make sense" in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/reports/github/_-_",
        "/api/reports/github/octocat?period=forever",
        "/api/reports/github/octocat?since=2026-05-01&until=2026-04-01",
        "/api/reports/github/octocat?since=%ff%fe",
        "/api/reports/github/octocat?include_closed=2",
    ],
)
def test_invalid_api_input_is_a_400_json(web_client: TestClient, path: str) -> None:
    response = web_client.get(path)
    assert response.status_code == 400
    assert response.json()["state"] == "error"
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "path", ["/nothing-here", "/user/github", "/user/gitlab/octocat", "/user/github/a/b"]
)
def test_unknown_paths_are_404_pages(web_client: TestClient, path: str) -> None:
    response = web_client.get(path)
    assert response.status_code == 404
    assert "There is nothing at this address." in response.text


def test_error_page_escapes_what_the_user_typed(web_client: TestClient) -> None:
    response = web_client.get("/user/github/octocat", params={"period": "<img src=x onerror=1>"})
    assert response.status_code == 400
    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=1&gt;" in response.text


def test_exports_of_a_missing_report_are_404(web_client: TestClient) -> None:
    assert web_client.get("/user/github/octocat.json").status_code == 404
    assert web_client.get("/user/github/octocat.md").status_code == 404
    assert web_client.get("/user/github/-_-.json").status_code == 400


def test_search_redirects_to_the_canonical_report(
    web_client: TestClient, web_service: ReportService
) -> None:
    store_report(web_service, key_for())
    for query in ("OctoCat", "@octocat", "https://github.com/Octocat", "github.com/octocat/"):
        response = web_client.get("/search", params={"q": query})
        assert response.status_code == 303, query
        assert response.headers["location"] == "/user/github/octocat"


def test_form_posts_with_bad_fields_are_400(web_client: TestClient) -> None:
    response = web_client.post("/user/github/octocat/refresh", data={"period": "nope"})
    assert response.status_code == 400
    response = web_client.post("/user/github/octocat/refresh", data={"csrf_token": "x" * 500})
    assert response.status_code == 400
