"""Bounded pages for big reports: under 300 KB of HTML whatever the pull request count, with
"Show all N" paging through every pull request of a repository without JavaScript (the
browser test does it with JavaScript), and exports that stay complete.

The big report (``tests/web/big_report.py``): 3,000 pull requests over 45 repositories, 1,600
of them in one.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from gitbrag.jobs.service import ReportService
from gitbrag.report.models import Report
from tests.fixtures.web import key_for
from tests.web.big_report import BIG_REPO, big_report

LIMIT = 300 * 1024
PR_NUMBER = re.compile(r'<td class="pr-number"><a href="[^"]+" rel="noopener">#(\d+)</a>')
REPOSITORY = re.compile(r'<article class="repo" data-repository="([^"]+)">')
NEXT = re.compile(r'<a class="button button-small button-quiet" href="([^"]+)" rel="next">')


@pytest.fixture
def big(web_service: ReportService) -> Report:
    report = big_report()
    assert report.totals.pull_requests == 3000 and len(report.repositories) == 45
    assert web_service.stores.reports.put(key_for("prolific-bot", "2_years"), report)
    return report


def _html(client: TestClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:200])
    assert len(response.content) < LIMIT, (url, len(response.content))
    return response.text


def test_the_report_page_stays_small(web_client: TestClient, big: Report) -> None:
    page = web_client.get("/user/github/prolific-bot?period=2_years")
    assert page.status_code == 200
    assert len(page.content) < LIMIT
    shown = REPOSITORY.findall(page.text)
    assert shown == [repo.name_with_owner for repo in big.repositories[:20]]
    assert len(PR_NUMBER.findall(page.text)) == sum(
        min(10, len(repo.pull_requests)) for repo in big.repositories[:20]
    )
    assert "Show all 1,600 pull requests" in page.text
    assert "&lt;in /app&gt;" in page.text  # titles still escaped


def test_long_titles_still_fit(web_client: TestClient, web_service: ReportService) -> None:
    """GitHub titles run to 256 characters: the most repositories and rows a page shows
    still fit with every title that long."""
    report = big_report(title_length=230)
    assert min(len(pr.title) for repo in report.repositories for pr in repo.pull_requests) > 240
    assert web_service.stores.reports.put(key_for("prolific-bot", "2_years"), report)
    page = web_client.get("/user/github/prolific-bot?period=2_years")
    assert page.status_code == 200 and len(page.content) < LIMIT


def test_show_all_pages_through_every_pull_request_without_javascript(
    web_client: TestClient, big: Report
) -> None:
    page = _html(web_client, "/user/github/prolific-bot?period=2_years")
    link = re.search(r'href="([^"]+)" data-show-all data-total="1600"', page)
    assert link is not None
    url: str | None = link.group(1).replace("&amp;", "&")
    assert url == "/user/github/prolific-bot/repositories/bot-farm/deps-a?period=2_years"
    numbers: list[int] = []
    pages = 0
    while url:
        html = _html(web_client, url)
        numbers += [int(n) for n in PR_NUMBER.findall(html)]
        pages += 1
        found = NEXT.search(html)
        url = found.group(1).replace("&amp;", "&") if found else None
        assert url is None or "period=2_years" in url
    expected = next(r for r in big.repositories if r.name_with_owner == BIG_REPO)
    assert numbers == [pr.number for pr in expected.pull_requests]  # all, once, newest first
    assert pages == 16


def test_more_repositories_page_through_every_repository(
    web_client: TestClient, big: Report
) -> None:
    page = _html(web_client, "/user/github/prolific-bot?period=2_years")
    names = REPOSITORY.findall(page)
    found = re.search(r'href="([^"]+)" data-more-repositories', page)
    assert found is not None and "(25 more)" in page
    url: str | None = found.group(1).replace("&amp;", "&")
    while url:
        html = _html(web_client, url)
        names += REPOSITORY.findall(html)
        after = NEXT.search(html)
        url = after.group(1).replace("&amp;", "&") if after else None
    # The link goes on from page 2: every repository, once, in the report's order.
    assert names == [repo.name_with_owner for repo in big.repositories]
    first = _html(web_client, "/user/github/prolific-bot/repositories?period=2_years")
    assert REPOSITORY.findall(first) == names[:20]  # page 1 is the report page's list


def test_exports_stay_complete(web_client: TestClient, big: Report) -> None:
    exported = web_client.get("/user/github/prolific-bot.json?period=2_years").json()
    assert sum(len(repo["pull_requests"]) for repo in exported["repositories"]) == 3000
    markdown = web_client.get("/user/github/prolific-bot.md?period=2_years").text
    assert markdown.count("/pull/") >= 3000


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/user/github/prolific-bot/repositories/bot-farm/deps-a?period=2_years&page=17", 404),
        ("/user/github/prolific-bot/repositories/bot-farm/nothing?period=2_years", 404),
        # A repository whose every pull request is on the report page has no "Show all".
        ("/user/github/prolific-bot/repositories/bot-farm/few?period=2_years", 404),
        ("/user/github/prolific-bot/repositories?period=2_years&page=4", 404),
        ("/user/github/prolific-bot/repositories?period=2_years&page=0", 400),
        ("/user/github/prolific-bot/repositories?period=2_years&page=two", 400),
        ("/user/github/prolific-bot/repositories/bot-farm/-bad?period=2_years", 400),
        ("/user/github/nobody/repositories", 404),
        ("/user/github/Prolific-Bot/repositories?period=2_years", 301),
    ],
)
def test_paged_urls_that_do_not_exist(
    web_client: TestClient, big: Report, path: str, status: int
) -> None:
    assert web_client.get("/user/github/prolific-bot?period=2_years").status_code == 200
    response = web_client.get(path)
    assert response.status_code == status, response.text[:300]
    if status == 301:
        assert response.headers["location"] == (
            "/user/github/prolific-bot/repositories?period=2_years"
        )
