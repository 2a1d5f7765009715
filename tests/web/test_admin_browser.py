"""The operations console in headless Chromium against the whole stack (issue 22's browser
must-show): an admin watches a job go queued → running → done live on ``/admin`` (one
document, no reload), cancels a running job, retries a failed one, purges dead letters and
sees each action in the audit list; a non-admin and an anonymous visitor get 404, and a
forged CSRF token 403."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.stores.connection import broker_namespace, connect, limiter_prefix
from tests.web.live import CHROMIUM, CHROMIUM_ARGS, LiveStack

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Every status each job row showed, in order (a MutationObserver added before any script).
RECORD_ROWS = """
window.__rows = {};
new MutationObserver(() => {
  document.querySelectorAll("tr[data-job-id]").forEach((row) => {
    const seen = window.__rows[row.dataset.jobId] || (window.__rows[row.dataset.jobId] = []);
    if (seen[seen.length - 1] !== row.dataset.status) seen.push(row.dataset.status);
  });
}).observe(document, {subtree: true, childList: true, attributes: true});
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    with LiveStack(
        tmp_path_factory.mktemp("admin"), latency_ms=150, admin_logins="octocat"
    ) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _log_in(page: Page, stack: LiveStack, login: str, return_to: str) -> None:
    page.goto(f"{stack.url}/auth/login?return_to={return_to}")
    page.get_by_role("button", name=f"Authorize as {login}").click()


def _history(page: Page, job_id: str) -> list[str]:
    rows: dict[str, list[str]] = page.evaluate("window.__rows")
    return rows.get(job_id, [])


def _wait_for(page: Page, job_id: str, status: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while status not in _history(page, job_id):
        assert time.monotonic() < deadline, (job_id, status, _history(page, job_id))
        page.wait_for_timeout(200)


def test_non_admins_get_404_and_a_forged_token_403(stack: LiveStack, browser: Browser) -> None:
    anonymous = browser.new_context()
    page = anonymous.new_page()
    assert page.goto(stack.url + "/admin").status == 404  # type: ignore[union-attr]
    assert page.request.post(stack.url + "/admin/prewarm/pause").status == 404
    anonymous.close()
    someone = browser.new_context()
    page = someone.new_page()
    _log_in(page, stack, "big-diff", "/")
    page.wait_for_url(stack.url + "/")
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value") or ""
    assert page.goto(stack.url + "/admin").status == 404  # type: ignore[union-attr]
    form = {"csrf_token": token}
    assert page.request.post(stack.url + "/admin/prewarm/pause", form=form).status == 404
    someone.close()
    admin = browser.new_context()
    page = admin.new_page()
    _log_in(page, stack, "octocat", "/admin")
    page.wait_for_url(stack.url + "/admin")
    forged = {"csrf_token": "forged-" + "x" * 40}
    assert page.request.post(stack.url + "/admin/prewarm/pause", form=forged).status == 403
    admin.close()


def test_an_admin_watches_and_steers_the_jobs_live(stack: LiveStack, browser: Browser) -> None:
    settings = stack.settings
    service = ReportService(connect(settings), settings)
    octocat = service.store_credential(stack.hub.token("octocat"), viewer_id=None, ttl_seconds=3600)
    rejected = service.store_credential("not-a-github-token", viewer_id=None, ttl_seconds=3600)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.add_init_script(RECORD_ROWS)
    page = context.new_page()
    _log_in(page, stack, "octocat", "/admin")
    page.wait_for_url(stack.url + "/admin")
    page.evaluate("window.__sameDocument = true")

    # The limiter lets one job per reported user run: with the user's slot taken for a few
    # seconds (as another job would), the job waits, queued, then runs.
    service.redis.set(limiter_prefix(service.redis) + "star-gazer", 1, px=4000)
    second = service.request_report(ReportKey.parse("star-gazer:1_year:open"), octocat)
    _wait_for(page, second.id, "done")
    history = _history(page, second.id)
    assert history[0] == "queued" and "running" in history and history[-1] == "done", history
    assert history.index("queued") < history.index("running") < history.index("done")
    assert page.evaluate("window.__sameDocument") is True  # live: no reload
    assert page.locator("[data-admin-state]").text_content() == "Live"  # over SSE
    workers = page.locator("#h-workers + .table-scroll tbody tr")
    assert workers.count() >= 1 and "gone" not in (workers.first.text_content() or "")

    # Cancel a running job.
    slow = service.request_report(ReportKey.parse("prolific-bot:2_years:open"), octocat)
    _wait_for(page, slow.id, "running")
    with page.expect_navigation():
        page.locator(f'tr[data-job-id="{slow.id}"] button', has_text="Cancel").click()
    page.locator(
        f'[data-jobs="finished"] tr[data-job-id="{slow.id}"][data-status="cancelled"]'
    ).wait_for(timeout=30_000)

    # Retry a failed job (GitHub rejected its token): it runs again, with the admin's token.
    broken = service.request_report(ReportKey.parse("mixed-case-dev:2_years:open"), rejected)
    failed_row = page.locator(
        f'[data-jobs="finished"] tr[data-job-id="{broken.id}"][data-status="failed"]'
    )
    failed_row.wait_for(timeout=60_000)
    with page.expect_navigation():
        failed_row.get_by_role("button", name="Retry").click()
    flash = page.locator(".admin-flash").text_content() or ""
    assert flash.startswith("job "), flash  # "job <id> queued"
    again = flash.split()[1]
    assert again != broken.id
    finished = f'[data-jobs="finished"] tr[data-job-id="{again}"][data-status="done"]'
    page.locator(finished).wait_for(timeout=120_000)

    # Purge dead letters (as Dramatiq's broker keeps them, for DEAD_MESSAGE_TTL_MS: one from
    # two hours ago).
    redis = service.redis
    xq = f"{broker_namespace(redis)}:reports.XQ"
    message = {"message_id": "dead-job", "actor_name": "generate_report", "kwargs": {}}
    redis.zadd(xq, {"dead-message": time.time() * 1000 - 2 * 3_600_000})
    redis.hset(xq + ".msgs", "dead-message", json.dumps(message))
    page.locator('[data-dead-letters] tr[data-message-id="dead-message"]').wait_for(timeout=10_000)
    before = int(page.locator('[data-metric="dead"]').text_content() or "0")
    page.locator('input[name="older_than_hours"]').fill("1")
    with page.expect_navigation():
        page.get_by_role("button", name="Purge").click()
    assert page.locator(".admin-flash").text_content() == "1 purged"
    assert int(page.locator('[data-metric="dead"]').text_content() or "0") == before - 1
    assert page.locator('tr[data-message-id="dead-message"]').count() == 0

    audit = page.locator("[data-audit]").text_content() or ""
    assert f"cancel {slow.id}" in audit
    assert f"retry {broken.id}" in audit
    assert "purge dead letters older than 1 h: 1 purged" in audit
    assert audit.count("@octocat") >= 3
    context.close()


def test_the_console_polls_without_event_source(stack: LiveStack, browser: Browser) -> None:
    settings = stack.settings
    service = ReportService(connect(settings), settings)
    context = browser.new_context()
    context.add_init_script("delete window.EventSource;")  # an old browser or a strict proxy
    page = context.new_page()
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/admin/" in r.url else None)
    _log_in(page, stack, "octocat", "/admin")
    page.wait_for_url(stack.url + "/admin")
    credential = service.server_credential() or service.store_credential(
        stack.hub.token("octocat"), viewer_id=None, ttl_seconds=3600
    )
    job = service.request_report(ReportKey.parse("octocat:5_years:open"), credential)
    page.locator(f'tr[data-job-id="{job.id}"]').first.wait_for(timeout=30_000)
    assert page.locator("[data-admin-state]").text_content() == "Live (polling)"
    assert any("/admin/live" in url for url in polls)
    assert not any("/admin/events" in url for url in polls)
    context.close()
