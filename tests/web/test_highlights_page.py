"""Highlights on the report page ("Copy as bullets" copies the Markdown export's bullets) and
an HTML/Markdown injection in a title kept inert in the page, the Markdown, the JSON and the
card."""

from __future__ import annotations

import dataclasses
import html
import re
import xml.etree.ElementTree as ElementTree

from fastapi.testclient import TestClient

from gitbrag.jobs.service import ReportService
from gitbrag.stores.curation import CurationStore
from tests.fixtures.web import key_for, sample_collection, sample_report, store_report
from tests.oracles.highlights import check_highlights

PAGE = "/user/github/octocat"
INJECTION = "[click me](javascript:alert(1)) **bold** <img src=x onerror=alert(1)> `code` # head"


def test_copy_as_bullets_copies_the_markdown_bullets(
    web_client: TestClient, web_service: ReportService
) -> None:
    report = store_report(web_service, key_for())
    page = web_client.get(PAGE).text
    section = page.split("data-highlights>", 1)[1].split("</section>", 1)[0]
    assert report.highlights is not None
    assert report.highlights.summary in section  # no user text in it: nothing escaped
    copied = re.search(r'data-copy="([^"]*)" data-copied-label="Bullets copied"', section)
    assert copied, section
    markdown = web_client.get(f"{PAGE}.md").text
    head = markdown.split("## Highlights", 1)[1].split("\n## ", 1)[0]
    bullets = "\n".join(line for line in head.splitlines() if line.startswith("- "))
    assert html.unescape(copied.group(1)) == bullets
    assert len(re.findall(r"<li(?: class=\"is-pinned\")?>", section)) == len(
        report.highlights.bullets
    )


def test_an_injection_title_stays_inert_everywhere(
    web_client: TestClient, web_service: ReportService
) -> None:
    key = key_for()
    collection = sample_collection()
    evil = collection.pull_requests[0]
    assert evil.repository == "octo-org/engine"
    collection.pull_requests[0] = dataclasses.replace(evil, title=INJECTION, additions=5000)
    report = sample_report(key, collection=collection)
    web_service.stores.reports.put(key, report)
    CurationStore(web_service.redis).change("octocat", lambda c: c.pin("octo-org/engine#4211"))

    # JSON: the title is data, byte for byte, in a JSON document; the highlights hold it too.
    exported = web_client.get(f"{PAGE}.json")
    assert exported.headers["content-type"] == "application/json"
    assert exported.headers["x-content-type-options"] == "nosniff"
    body = exported.json()
    assert any(INJECTION in bullet for bullet in body["highlights"]["bullets"])
    check_highlights(body)

    # The page: escaped everywhere (highlights, pins, the tables), no element made of it.
    page = web_client.get(PAGE).text
    assert "<img src=x" not in page and 'href="javascript:' not in page
    highlights = page.split("data-highlights>", 1)[1].split("</section>", 1)[0]
    assert "&lt;img src=x onerror=alert(1)&gt;" in highlights
    assert "**bold**" in highlights  # Markdown syntax is plain text in HTML

    # Markdown: no link, emphasis, code or heading can come out of the title.
    markdown = web_client.get(f"{PAGE}.md").text
    assert "](javascript:" not in markdown and "<img" not in markdown
    assert "\\[click me\\]\\(javascript:alert\\(1\\)\\) \\*\\*bold\\*\\*" in markdown
    assert "&lt;img src=x onerror=alert\\(1\\)&gt; \\`code\\` \\# head" in markdown

    # The card: the pinned title as XML text, no element made of it.
    card = web_client.get(f"{PAGE}/card.svg").content
    root = ElementTree.fromstring(card)
    assert root.find(".//{http://www.w3.org/2000/svg}image") is None
    shown = [e.text or "" for e in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any("[click me](javascript:" in text for text in shown)
    assert b"<img" not in card
