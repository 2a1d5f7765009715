"""The README card, the badge and the social image: valid SVG (parsed as XML) for every sample
user of the simulated GitHub and for a report not generated yet, in both themes; served from
the cache with zero GitHub requests (the simulated GitHub counts them), rendered once per
version, with caching headers for image proxies, and user text inert."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from gitbrag.fakehub import SAMPLE_USERS, FakeHub, token_for
from gitbrag.jobs.generation import generate_report
from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.report.periods import DateRange
from gitbrag.stores.curation import CurationStore
from tests.fixtures.web import (
    HTML_TITLE,
    METRICS_AUTH,
    key_for,
    sample_collection,
    sample_report,
    settings_for,
)

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def sample_reports(fakehub: FakeHub, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    """Every sample user's past year, generated once from the simulated GitHub."""
    settings = settings_for("redis://unused:1/0", fakehub, tmp_path_factory.mktemp("gen"))

    async def generate_all() -> dict[str, Report]:
        reports = {}
        for login in SAMPLE_USERS:
            key = ReportKey(login, DateRange.for_period("1_year"))
            reports[login] = await generate_report(settings, key, token_for(login))
        return reports

    return asyncio.run(generate_all())


def parse_svg(body: bytes) -> ElementTree.Element:
    root = ElementTree.fromstring(body)  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and (title.text or "").strip(), "a <title> for screen readers"
    assert root.find(f".//{SVG}script") is None and root.find(f".//{SVG}foreignObject") is None
    for element in root.iter():
        assert not any(name.startswith("on") for name in element.attrib), element.attrib
    return root


def texts(root: ElementTree.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def test_card_and_badge_for_every_sample_user_with_no_github_request(
    web_client: TestClient,
    web_service: ReportService,
    hub: FakeHub,
    sample_reports: dict[str, Report],
) -> None:
    for login, report in sample_reports.items():
        assert web_service.stores.reports.put(
            ReportKey(login, DateRange.for_period("1_year")), report
        )
    hub.reset_counters()
    for login, report in sample_reports.items():
        base = f"/user/github/{login.lower()}"
        for theme in ("light", "dark"):
            card = web_client.get(f"{base}/card.svg", params={"theme": theme})
            assert card.status_code == 200, (login, card.text)
            assert card.headers["content-type"] == "image/svg+xml; charset=utf-8"
            root = parse_svg(card.content)
            shown = " ".join(texts(root))
            assert f"@{report.user.login}" in shown
            assert f"{report.totals.pull_requests:,}" in texts(root)
            assert f"{report.totals.merged:,}" in texts(root)
            title = root.find(f"{SVG}title")
            assert title is not None and f"{report.totals.pull_requests:,} pull request" in (
                title.text or ""
            )
            background = root.find(f"{SVG}rect")
            assert background is not None
            assert background.get("fill") == ("#0d1117" if theme == "dark" else "#ffffff")
        badge = web_client.get(f"{base}/badge.svg")
        assert badge.status_code == 200
        root = parse_svg(badge.content)
        assert texts(root)[-1] == f"{report.totals.merged:,}"
        assert "merged PRs \u00b7 1 year" in texts(root)
    assert hub.request_count() == 0  # served from the cache: never a GitHub call


def test_missing_report_and_unknown_user_get_tidy_cards(
    web_client: TestClient, web_service: ReportService, hub: FakeHub
) -> None:
    hub.reset_counters()
    for theme in ("light", "dark"):
        card = web_client.get("/user/github/octocat/card.svg", params={"theme": theme})
        assert card.status_code == 200
        root = parse_svg(card.content)
        assert any("not generated yet" in text for text in texts(root))
        assert "max-age=300" in card.headers["cache-control"]  # the real one shows soon
        assert "etag" not in card.headers
    badge = web_client.get("/user/github/octocat/badge.svg")
    assert badge.status_code == 200 and "not generated yet" in texts(parse_svg(badge.content))
    assert web_client.get("/user/github/octocat/og.png").status_code == 404
    web_service.stores.reports.mark_unknown_user("ghost")
    unknown = web_client.get("/user/github/ghost/card.svg")
    assert unknown.status_code == 404
    assert any("No such GitHub user" in text for text in texts(parse_svg(unknown.content)))
    # No generation was asked for and GitHub was never called.
    assert web_service.current_job(key_for("octocat")) is None
    assert hub.request_count() == 0


def test_caching_headers_etag_and_render_once(
    web_client: TestClient, web_service: ReportService
) -> None:
    store_key = key_for("octocat")
    web_service.stores.reports.put(store_key, sample_report(store_key))
    url = "/user/github/octocat/card.svg"
    first = web_client.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    cache_control = first.headers["cache-control"]
    assert re.fullmatch(
        r"public, max-age=3600, stale-while-revalidate=86400, stale-if-error=604800",
        cache_control,
    ), cache_control
    assert first.headers["vary"] == "Accept-Encoding"
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = web_client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    renders = web_client.get("/metrics", headers=METRICS_AUTH).text
    assert re.search(r'gitbrag_renders_total\{kind="embed"\} 1\.0', renders), renders
    for _ in range(3):
        web_client.get(url)
    assert re.search(
        r'gitbrag_renders_total\{kind="embed"\} 1\.0',
        web_client.get("/metrics", headers=METRICS_AUTH).text,
    )
    # Width hints are rounded (a bounded number of renderings) and bounded; themes checked.
    narrow = parse_svg(web_client.get(url, params={"width": "312"}).content)
    assert narrow.get("width") == "300"
    wide = parse_svg(web_client.get(url, params={"width": "5000"}).content)
    assert wide.get("width") == "1000"
    assert web_client.get(url, params={"theme": "purple"}).status_code == 400
    assert web_client.get(url, params={"width": "wide"}).status_code == 400
    # A new version is served at once (a new ETag).
    web_service.stores.reports.put(store_key, sample_report(store_key))
    newer = web_client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert newer.status_code == 200 and newer.headers["etag"] != etag


def test_user_text_is_inert_in_the_card(web_client: TestClient, web_service: ReportService) -> None:
    """A name and a pinned title full of markup show as text in the SVG (XML-escaped)."""
    collection = sample_collection("octocat")
    evil_name = '</text><script>alert("name")</script><text>'
    collection.profile = dataclasses.replace(collection.profile, name=evil_name)
    key = key_for("octocat")
    web_service.stores.reports.put(key, sample_report(key, collection=collection))
    CurationStore(web_service.redis).change("octocat", lambda c: c.pin("octo-org/engine#4211"))
    body = web_client.get("/user/github/octocat/card.svg").content
    root = parse_svg(body)
    shown = texts(root)
    assert any(evil_name[:20] in text for text in shown)  # the name, as text
    assert any(HTML_TITLE[:20] in text for text in shown)  # the pinned title, as text
    assert b"<script>" not in body and b"&lt;script&gt;" in body


def test_social_image_is_a_1200_by_630_png_rendered_once(
    web_client: TestClient, web_service: ReportService, tmp_path: Path
) -> None:
    key = key_for("octocat", "2_years")
    web_service.stores.reports.put(key, sample_report(key))
    response = web_client.get("/user/github/octocat/og.png", params={"period": "2_years"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert "content-encoding" not in response.headers  # PNG is compressed already
    assert response.headers["cache-control"].startswith("public, max-age=")
    with Image.open(io.BytesIO(response.content)) as image:
        assert (image.format, image.size) == ("PNG", (1200, 630))
    again = web_client.get(
        "/user/github/octocat/og.png",
        params={"period": "2_years"},
        headers={"If-None-Match": response.headers["etag"]},
    )
    assert again.status_code == 304


def test_curation_changes_the_card_at_once(
    web_client: TestClient, web_service: ReportService
) -> None:
    key = key_for("octocat")
    report = sample_report(key)
    web_service.stores.reports.put(key, report)
    before = texts(parse_svg(web_client.get("/user/github/octocat/card.svg").content))
    assert str(report.totals.pull_requests) in before
    store = CurationStore(web_service.redis)
    store.change("octocat", lambda c: c.hide_repository("octo-org/engine"))
    after = texts(parse_svg(web_client.get("/user/github/octocat/card.svg").content))
    engine = next(r for r in report.repositories if r.name_with_owner == "octo-org/engine")
    shown = report.totals.pull_requests - len(engine.pull_requests)
    assert str(shown) in after
    assert f"{len(engine.pull_requests)} pull requests hidden by the author" in after
