"""``make screenshots``: PNGs of the home, generating, report (light and dark) and mobile
report pages, of the report's reviews-given and issues-opened cards and sections, of the
comparison page and of the README card (both themes), and of the operations console (light,
dark, phone), taken in headless Chromium against the whole stack on the simulated GitHub.

    python -m tests.screenshots [--out docs/screenshots] [--only admin]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import FloatRect, Page, sync_playwright

from tests.web.live import CHROMIUM, CHROMIUM_ARGS, LiveStack

ROOT = Path(__file__).resolve().parents[1]


def _login(page: Page, base: str, user: str, return_to: str) -> None:
    page.goto(f"{base}/auth/login?return_to={return_to}")
    page.get_by_role("button", name=f"Authorize as {user}").click()
    page.wait_for_url(f"{base}{return_to}*")


def wait_for_percent(page: Page, minimum: int, timeout: float = 60.0) -> int:
    """Poll the progress text (the page's CSP forbids Playwright's eval-based waits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = page.locator(".job-percent").first.text_content() or "0%"
        if int(text.rstrip("%") or 0) >= minimum:
            return int(text.rstrip("%"))
        time.sleep(0.05)
    raise TimeoutError(f"progress never reached {minimum}%")


def _around(page: Page, first: str, last: str, margin: float = 12) -> FloatRect:
    """The page area from the top of ``first`` to the bottom of ``last``, in the page's
    coordinates while it is scrolled to the top (as it is after loading)."""
    top, bottom = page.locator(first).first.bounding_box(), page.locator(last).first.bounding_box()
    assert top is not None and bottom is not None, (first, last)
    left = min(top["x"], bottom["x"]) - margin
    right = max(top["x"] + top["width"], bottom["x"] + bottom["width"]) + margin
    return {
        "x": max(0, left),
        "y": max(0, top["y"] - margin),
        "width": right - max(0, left),
        "height": bottom["y"] + bottom["height"] - top["y"] + 2 * margin,
    }


def take(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with (
        tempfile.TemporaryDirectory(prefix="gitbrag-shots-") as tmp,
        LiveStack(Path(tmp), latency_ms=120, demo=True) as stack,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        desktop = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
        page = desktop.new_page()

        page.goto(stack.url + "/")
        written.append(out / "home.png")
        page.screenshot(path=written[-1])

        # A big report nobody generated yet: log in, land on the generating page mid-search.
        _login(page, stack.url, "octocat", "/user/github/prolific-bot")
        wait_for_percent(page, 12)
        written.append(out / "generating.png")
        page.screenshot(path=written[-1])

        # The report for octocat, generated in front of us (it runs beside prolific-bot's).
        page.goto(stack.url + "/user/github/octocat")
        page.wait_for_selector(".report .cards", timeout=120_000)
        time.sleep(0.3)
        written.append(out / "report-light.png")
        page.screenshot(path=written[-1], full_page=True)

        written.append(out / "report-activity.png")
        clip = _around(page, ".cards", ".grid-2.activity")
        page.screenshot(path=written[-1], full_page=True, clip=clip)

        dark = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
        dark_page = dark.new_page()
        dark_page.goto(stack.url + "/user/github/octocat")
        written.append(out / "report-dark.png")
        dark_page.screenshot(path=written[-1], full_page=True)

        # The past year beside the year before: the earlier report is generated first.
        page.goto(stack.url + "/user/github/octocat/compare")
        page.wait_for_selector(".compare-cards", timeout=120_000)
        written.append(out / "compare.png")
        page.screenshot(path=written[-1], full_page=True)

        # The README card, as GitHub's image proxy would fetch it, in both themes.
        for theme in ("light", "dark"):
            page.goto(f"{stack.url}/user/github/octocat/card.svg?theme={theme}")
            box = page.locator("svg").bounding_box()
            assert box is not None
            written.append(out / f"card-{theme}.png")
            page.screenshot(
                path=written[-1],
                clip={"x": 0, "y": 0, "width": box["width"], "height": box["height"]},
            )

        mobile = browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            color_scheme="light",
        )
        mobile_page = mobile.new_page()
        mobile_page.goto(stack.url + "/user/github/octocat")
        written.append(out / "report-mobile.png")
        mobile_page.screenshot(path=written[-1])
        browser.close()
    return written + take_admin(out)


def take_admin(out: Path) -> list[Path]:
    """The operations console (``/admin``), light, dark and on a phone, on a stack with some
    history: reports generated, one failing, one running, a dead letter, audited actions."""
    import json

    from gitbrag.jobs.service import ReportService
    from gitbrag.report.keys import ReportKey
    from gitbrag.stores.connection import broker_namespace, connect

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with (
        tempfile.TemporaryDirectory(prefix="gitbrag-shots-") as tmp,
        LiveStack(Path(tmp), latency_ms=120, demo=True, admin_logins="octocat") as stack,
        sync_playwright() as playwright,
    ):
        service = ReportService(connect(stack.settings), stack.settings)
        token = service.store_credential(
            stack.hub.token("octocat"), viewer_id=None, ttl_seconds=3600
        )
        bad = service.store_credential("not-a-github-token", viewer_id=None, ttl_seconds=3600)
        done = [
            service.request_report(ReportKey.parse(f"{login}:{period}:open"), token)
            for login, period in (("octocat", "1_year"), ("star-gazer", "2_years"))
        ]
        service.request_report(ReportKey.parse("mixed-case-dev:2_years:open"), bad)
        for job in done:
            deadline = time.monotonic() + 120
            while not (service.get_job(job.id) or job).finished and time.monotonic() < deadline:
                time.sleep(0.2)
        service.request_report(ReportKey.parse("prolific-bot:2_years:open"), token)
        service.request_report(ReportKey.parse("prolific-bot:1_year:open"), token)
        xq = f"{broker_namespace(service.redis)}:reports.XQ"
        service.redis.zadd(xq, {"0c7f2a": time.time() * 1000 - 3_600_000})
        message = {"message_id": "0c7f2a-job", "actor_name": "generate_report",
                   "kwargs": {"key": "octocat:5_years:merged-open"}}  # fmt: skip
        service.redis.hset(xq + ".msgs", "0c7f2a", json.dumps(message))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        light = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
        page = light.new_page()
        _login(page, stack.url, "octocat", "/admin")
        with page.expect_navigation():
            page.get_by_role("button", name="Pause pre-warming").click()
        page.locator('[data-jobs="active"] tr[data-status="running"]').first.wait_for(
            timeout=60_000
        )
        time.sleep(1.5)
        written.append(out / "admin-light.png")
        page.screenshot(path=written[-1], full_page=True)
        dark = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
        dark.add_cookies(light.cookies())
        dark_page = dark.new_page()
        dark_page.goto(stack.url + "/admin")
        time.sleep(1.5)
        written.append(out / "admin-dark.png")
        dark_page.screenshot(path=written[-1], full_page=True)
        phone = browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            color_scheme="light",
        )
        phone.add_cookies(light.cookies())
        phone_page = phone.new_page()
        phone_page.goto(stack.url + "/admin")
        time.sleep(1.5)
        written.append(out / "admin-mobile.png")
        phone_page.screenshot(path=written[-1])
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", choices=["admin"], help="only the operations console's")
    args = parser.parse_args(argv)
    for path in take_admin(args.out) if args.only == "admin" else take(args.out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
