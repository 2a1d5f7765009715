"""Headless Chromium against the whole stack: embedded Redis, a real worker, the simulated
GitHub (with latency) and the web app under uvicorn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, sync_playwright

from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from tests.fixtures.web import sample_report
from tests.web.big_report import BIG_KEY, BIG_PAGE, BIG_REPO, big_report
from tests.web.live import CHROMIUM, CHROMIUM_ARGS, LiveStack

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    with LiveStack(tmp_path_factory.mktemp("live"), latency_ms=300) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Records every change of the progress bar's percent and message (a MutationObserver added
# before any page script runs), so a test reads what was shown instead of sampling the page.
RECORD_PROGRESS = """
window.__progressShown = [];
new MutationObserver(() => {
  const percent = document.querySelector(".job-percent");
  const message = document.querySelector(".job-message");
  if (!percent && !message) return;
  const entry = {percent: percent ? percent.textContent.trim() : "",
                 message: message ? message.textContent.trim() : ""};
  const last = window.__progressShown[window.__progressShown.length - 1];
  if (!last || last.percent !== entry.percent || last.message !== entry.message) {
    window.__progressShown.push(entry);
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


@pytest.fixture
def page(browser: Browser, stack: LiveStack) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.add_init_script(RECORD_PROGRESS)
    errors: list[str] = []
    page = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        # Only our origin counts (the simulated GitHub's login page has no favicon). A page
        # answered with a deliberate status (401 login prompt, 404 unknown user) is logged
        # as a failed load of the document itself; assets and API calls still count.
        url = message.location.get("url", "")
        deliberate = message.text.startswith("Failed to load resource") and not any(
            part in url for part in ("/static/", "/api/")
        )
        if message.type == "error" and url.startswith(stack.url) and not deliberate:
            errors.append(f"{message.text} at {message.location}")

    page.on("console", on_console)
    yield page
    context.close()
    # A CSP violation or a script error shows up here.
    assert errors == []


def _authorize(page: Page, login: str) -> None:
    page.get_by_role("button", name=f"Authorize as {login}").click()


def test_login_generate_and_watch_the_report_appear(stack: LiveStack, page: Page) -> None:
    page.goto(stack.url + "/")
    page.get_by_role("link", name="Log in with GitHub").click()
    _authorize(page, "octocat")
    page.wait_for_url(stack.url + "/")
    assert page.locator(".viewer").text_content() == "@octocat"

    page.goto(stack.url + "/user/github/octocat?period=2_years")
    assert page.locator(".generating-title").text_content() == "Building the report"
    marker = page.evaluate_handle("document.body")  # survives only if the page never reloads
    page.locator(".report .cards").wait_for(timeout=90_000)
    # Every value the progress bar and its message showed, as the page recorded them.
    shown: list[dict[str, str]] = page.evaluate("window.__progressShown")
    seen = [int(entry["percent"].rstrip("%") or 0) for entry in shown if entry["percent"]]
    messages = {entry["message"] for entry in shown}
    # The bar advanced through several values, with phase text, and never went backwards.
    assert len(set(seen)) >= 3, shown
    assert seen == sorted(seen), shown
    assert any(m.startswith("Counting stars") for m in messages), messages
    # The report replaced the generating page in place: same document, no reload.
    assert marker.evaluate("body => body.isConnected") is True
    assert page.url == stack.url + "/user/github/octocat?period=2_years"
    assert page.locator(".profile-name").text_content()
    assert page.locator(".repo").count() > 0
    title = page.locator("td.pr-title", has_text="<script>").first
    assert "<script>" in (title.text_content() or "")  # HTML from GitHub shows as text


def test_anonymous_visitor_logs_in_and_lands_back_on_the_report(
    stack: LiveStack, page: Page
) -> None:
    target = "/user/github/mixed-case-dev?period=5_years"
    page.goto(stack.url + target)
    assert page.locator("h1").text_content() == "No report for @mixed-case-dev yet"
    page.get_by_role("link", name="Log in to generate this report").click()
    _authorize(page, "big-diff")
    page.wait_for_url(stack.url + target)
    # Logged in now: the report generates and appears on the same page.
    page.locator(".report .cards").wait_for(timeout=90_000)
    assert page.locator(".profile-login").text_content() == "@Mixed-Case-Dev"
    assert page.url == stack.url + target


def test_dark_mode_toggle_and_mobile_layout(
    stack: LiveStack, browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="light")
    page = context.new_page()
    page.goto(stack.url + "/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.locator("[data-theme-toggle]").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != background
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"  # remembered
    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()


def test_polling_fallback_without_event_source(stack: LiveStack, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.add_init_script("delete window.EventSource;")  # an old browser or a strict proxy
    page = context.new_page()
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/api/jobs/" in r.url else None)
    page.goto(stack.url + "/auth/login?return_to=/user/github/star-gazer")
    _authorize(page, "octocat")
    page.wait_for_url(stack.url + "/user/github/star-gazer")
    page.locator(".report .cards").wait_for(timeout=90_000)
    assert polls and not any(url.endswith("/events") for url in polls)
    assert page.locator(".profile-login").text_content() == "@star-gazer"
    context.close()


def test_unknown_user_ends_on_a_clear_not_found_page(stack: LiveStack, page: Page) -> None:
    page.goto(stack.url + "/auth/login?return_to=/user/github/nobody-here-42")
    _authorize(page, "octocat")
    page.wait_for_url(stack.url + "/user/github/nobody-here-42")
    heading = page.locator("h1", has_text="No such GitHub user")
    heading.wait_for(timeout=60_000)
    assert "No GitHub user named nobody-here-42." in (
        page.locator(".error-message").text_content() or ""
    )


def test_cancel_from_the_generating_page(stack: LiveStack, page: Page) -> None:
    page.goto(stack.url + "/auth/login?return_to=/user/github/prolific-bot")
    _authorize(page, "octocat")
    page.wait_for_url(stack.url + "/user/github/prolific-bot")
    page.get_by_role("button", name="Cancel").click()
    page.locator(".generating-title", has_text="Generation cancelled").wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Try again").is_visible()


def test_print_stylesheet_prints_a_light_report_without_chrome(
    stack: LiveStack, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1000, "height": 800}, color_scheme="dark")
    page = context.new_page()
    page.goto(stack.url + "/auth/login?return_to=/user/github/octocat?period=2_years")
    _authorize(page, "octocat")
    page.locator(".report .cards").wait_for(timeout=90_000)  # cached, or generated now
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(13, 17, 23)"
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".share").is_visible()
    assert page.locator(".cards").is_visible()
    context.close()


def _rows(repo: Locator) -> list[int]:
    texts = repo.locator("tbody[data-pr-rows] td.pr-number").all_text_contents()
    return [int(text.lstrip("#")) for text in texts]


def test_show_all_loads_every_pull_request_in_place(stack: LiveStack, page: Page) -> None:
    """The big report's page shows each repository's most recent pull requests; "Show all"
    loads the rest page by page into the same table, and "Show more repositories" the other
    repositories, without leaving the page."""
    assert stack.settings is not None
    service = ReportService.from_settings(stack.settings)
    report = big_report()
    assert service.stores.reports.put(BIG_KEY, report)
    service.redis.close()
    page.goto(stack.url + BIG_PAGE)
    marker = page.evaluate_handle("document.body")  # survives only if the page never reloads
    # "Last updated": an absolute time in the HTML, said relatively by the browser.
    updated = page.locator(".freshness time[data-relative]")
    assert (updated.text_content() or "").endswith(" ago")
    assert (updated.get_attribute("title") or "").endswith(" UTC")
    repo = page.locator(f'article.repo[data-repository="{BIG_REPO}"]')
    assert len(_rows(repo)) == 10
    link = repo.locator("a[data-show-all]")
    assert link.text_content() == "Show all 1,600 pull requests"
    clicks = 0
    while link.count():
        before = len(_rows(repo))
        link.click()
        clicks += 1
        page.wait_for_function(
            '([repo, before]) => document.querySelector(`article.repo[data-repository="${repo}"]'
            " tbody[data-pr-rows]`).rows.length !== before",
            arg=[BIG_REPO, before],
        )
        assert clicks <= 16
    expected = next(r for r in report.repositories if r.name_with_owner == BIG_REPO)
    assert _rows(repo) == [pr.number for pr in expected.pull_requests]
    assert clicks == 16
    more = page.locator("a[data-more-repositories]")
    while more.count():
        before = page.locator("article.repo").count()
        more.click()
        page.wait_for_function(
            "before => document.querySelectorAll('article.repo').length > before", arg=before
        )
    names = page.locator("article.repo").evaluate_all("els => els.map(e => e.dataset.repository)")
    assert names == [repo.name_with_owner for repo in report.repositories]
    # A repository loaded in place pages its pull requests in place too.
    loaded = [repo for repo in report.repositories[20:] if len(repo.pull_requests) > 10][-1]
    last = page.locator(f'article.repo[data-repository="{loaded.name_with_owner}"]')
    expected_last = [pr.number for pr in loaded.pull_requests]
    assert len(_rows(last)) == 10
    last.locator("a[data-show-all]").click()
    page.wait_for_function(
        '([repo, total]) => document.querySelector(`article.repo[data-repository="${repo}"]'
        " tbody[data-pr-rows]`).rows.length === total",
        arg=[loaded.name_with_owner, len(expected_last)],
    )
    assert _rows(last) == expected_last and last.locator("a[data-show-all]").count() == 0
    # The oldest repository has all its pull requests on the page: no "Show all".
    few = page.locator('article.repo[data-repository="bot-farm/few"]')
    assert len(_rows(few)) == 5 and few.locator("a[data-show-all]").count() == 0
    assert marker.evaluate("body => body.isConnected") is True
    assert page.url == stack.url + BIG_PAGE


def test_reviews_given_and_issues_opened_render(stack: LiveStack, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    target = "/user/github/octocat?period=all_time"
    page.goto(stack.url + f"/auth/login?return_to={target}")
    _authorize(page, "octocat")
    page.locator(".report .activity-cards").wait_for(timeout=90_000)  # cached, or generated now
    data = stack.hub.data
    given = [
        review
        for pr, review in data.reviews_by("octocat")
        if review.submitted_at is not None
        and pr.author != "octocat"
        and not data.repos[pr.repo].is_private
    ]
    opened = [i for i in data.issues_by("octocat") if not data.repos[i.repo].is_private]
    cards = page.locator(".activity-cards .card")
    assert cards.nth(0).locator(".card-label").text_content() == "Reviews given"
    assert cards.nth(0).locator(".card-value").text_content() == str(len(given))
    assert cards.nth(1).locator(".card-label").text_content() == "Issues opened"
    assert cards.nth(1).locator(".card-value").text_content() == str(len(opened))
    # Reviews per month drawn over the pull requests, and the state bar.
    assert page.locator(".chart-months .review-line").is_visible()
    assert page.locator("#reviews-given .states-bar").is_visible()
    assert page.locator(".repo .reviews-here").first.is_visible()
    # The issue list shows the newest ten; "Show all" loads the rest in place, newest first.
    issues = page.locator("#issues-opened .issue")
    assert issues.count() == 10 < len(opened)
    link = page.locator("#issues-opened a[data-show-all-issues]")
    assert link.text_content() == f"Show all {len(opened)} issues"
    marker = page.evaluate_handle("document.body")  # survives only if the page never reloads
    link.click()
    page.wait_for_function(
        "count => document.querySelectorAll('#issues-opened .issue').length === count",
        arg=len(opened),
    )
    assert link.count() == 0  # nothing left to load
    assert marker.evaluate("body => body.isConnected") is True
    newest_first = sorted(opened, key=lambda i: (i.created_at, i.number), reverse=True)
    shown = page.locator("#issues-opened .issue-meta").all_text_contents()
    assert [text.split(" · ")[0] for text in shown] == [
        f"{i.repo}#{i.number}" for i in newest_first
    ]
    # Titles from GitHub are text, never markup.
    assert page.locator("#issues-opened .issue-title", has_text="<script>").count() == 1
    context.close()


def test_copy_as_bullets_puts_the_markdown_bullets_on_the_clipboard(
    stack: LiveStack, browser: Browser
) -> None:
    key = ReportKey("octocat", DateRange.for_period("5_years"))
    service = ReportService.from_settings(stack.settings)
    assert service.stores.reports.put(key, sample_report(key))
    service.redis.close()
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    page = context.new_page()
    page.goto(stack.url + "/user/github/octocat?period=5_years")
    button = page.get_by_role("button", name="Copy as bullets")
    button.click()
    page.get_by_role("button", name="Bullets copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    markdown = httpx.get(stack.url + "/user/github/octocat.md?period=5_years").text
    highlights = markdown.split("## Highlights", 1)[1].split("\n## ", 1)[0]
    bullets = [line for line in highlights.splitlines() if line.startswith("- ")]
    assert copied.splitlines() == bullets and len(bullets) == 4  # 3 repositories, 1 reviewed
    assert "\\<" not in copied and "&lt;script&gt;" in copied  # titles escaped for Markdown
    context.close()
