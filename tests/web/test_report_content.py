"""What the report page and its exports contain, and how they are protected."""

from __future__ import annotations

import io
import json
import re

from fastapi.testclient import TestClient
from PIL import Image

from gitbrag.jobs.service import ReportService
from gitbrag.render.markdown import render_markdown
from gitbrag.report.models import Report
from tests.fixtures.web import HTML_TITLE, key_for, store_report
from web.presenters.formatting import human_date
from web.templating import STATIC_DIR, TEMPLATE_DIR

PAGE = "/user/github/octocat"


def test_html_in_pr_titles_renders_as_text(
    web_client: TestClient, web_service: ReportService
) -> None:
    store_report(web_service, key_for())
    page = web_client.get(PAGE).text
    assert HTML_TITLE not in page
    assert '<script>alert("pwned")</script>' not in page
    assert "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt; Fix &lt;b&gt;bold&lt;/b&gt;" in page
    assert "The &lt;fast&gt; engine" in page  # repository descriptions too
    assert "Builds &lt;things&gt; &amp; ships them" in page  # and the bio
    markdown = web_client.get(f"{PAGE}.md")
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "<script>" not in markdown.text and "<b>bold</b>" not in markdown.text
    assert "pwned" in markdown.text


def test_exports_are_the_same_report(web_client: TestClient, web_service: ReportService) -> None:
    key = key_for("octocat", "2_years", include_closed=True)
    report = store_report(web_service, key)
    exported = web_client.get(f"{PAGE}.json", params={"period": "2_years", "include_closed": "1"})
    assert exported.status_code == 200
    assert exported.json() == json.loads(report.model_dump_json())
    assert exported.json()["schema_version"] == 1
    markdown = web_client.get(f"{PAGE}.md", params={"period": "2_years", "include_closed": "true"})
    assert markdown.text == render_markdown(report)


def test_report_page_sections(web_client: TestClient, web_service: ReportService) -> None:
    report = store_report(web_service, key_for())
    page = web_client.get(PAGE).text
    # Profile header, period tabs (current one marked) and the custom range form.
    assert "The Octocat" in page and 'href="https://github.com/octocat"' in page
    assert 'href="https://octocat.example"' in page  # bare blog host made a safe link
    assert 'aria-current="page">Past year</a>' in page
    assert 'href="/user/github/octocat?period=2_years"' in page
    assert 'name="since"' in page and 'name="until"' in page and 'name="include_closed"' in page
    # Summary cards with the totals, the language bar in Linguist colours, charts as SVG.
    assert f'<span class="card-value">{report.totals.pull_requests}</span>' in page
    python = next(share for share in report.languages if share.name == "Python")
    assert python.color and f'fill="{python.color}"' in page
    assert 'class="chart chart-months"' in page
    assert page.count('<rect class="bar') == len(report.months)
    assert 'class="size-fill size-medium"' in page
    # Repositories with role badges and stars gained (capped shows "+").
    assert "role-member" in page and ">Member</span>" in page
    assert "+310 in period" in page and "+1,000+ in period" in page
    # The dates the report used (not recomputed), share links and exports.
    assert f"{human_date(report.since)} \u2013 {human_date(report.until)}" in page
    assert 'data-copy="http://testserver/user/github/octocat"' in page
    assert "twitter.com/intent/tweet?" in page and "linkedin.com/sharing" in page
    assert 'href="/user/github/octocat.md"' in page and 'href="/user/github/octocat.json"' in page


def test_social_cards_and_canonical_url(web_client: TestClient, web_service: ReportService) -> None:
    store_report(web_service, key_for("octocat", "5_years"))
    page = web_client.get(PAGE, params={"period": "5_years"}).text
    canonical = "http://testserver/user/github/octocat?period=5_years"
    assert f'<link rel="canonical" href="{canonical}">' in page
    assert f'<meta property="og:url" content="{canonical}">' in page
    assert '<meta property="og:type" content="profile">' in page
    assert re.search(r'<meta property="og:title" content="The Octocat \(@octocat\): \d+ pull', page)
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    # The social image: an absolute URL of the report's own 1200 x 630 PNG.
    image_url = "http://testserver/user/github/octocat/og.png?period=5_years"
    assert f'<meta property="og:image" content="{image_url}">' in page
    assert f'<meta name="twitter:image" content="{image_url}">' in page
    assert '<meta property="og:image:width" content="1200">' in page
    image = web_client.get(image_url)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(image.content)) as png:
        assert (png.format, png.size) == ("PNG", (1200, 630))
    description = re.search(r'<meta name="description" content="([^"]+)"', page)
    assert description and "authored" in description.group(1)


def test_empty_report_has_a_friendly_empty_state(
    web_client: TestClient, web_service: ReportService
) -> None:
    from tests.fixtures.web import sample_collection, sample_report

    key = key_for("no-prs")
    empty = sample_collection("no-prs")
    empty.pull_requests.clear()
    web_service.stores.reports.put(key, sample_report(key, collection=empty))
    page = web_client.get("/user/github/no-prs").text
    assert "No pull requests in this period" in page
    assert 'href="/user/github/no-prs?period=all_time"' in page


def test_security_headers_and_csp_without_inline_script(web_client: TestClient) -> None:
    response = web_client.get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    # The API answers carry them too.
    assert "content-security-policy" in web_client.get("/api/jobs/nope").headers


def test_templates_have_no_inline_script_style_or_cdn() -> None:
    for path in TEMPLATE_DIR.glob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path.name
        assert "<style" not in text and " style=" not in text, path.name
        assert not re.search(r"\son[a-z]+=", text), path.name
        assert "cdn" not in text.lower(), path.name
    for asset in ("app.css", "print.css", "app.js", "theme.js", "favicon.svg", "og-image.png"):
        assert (STATIC_DIR / asset).is_file()


def test_static_assets_are_versioned_and_served(web_client: TestClient) -> None:
    page = web_client.get("/").text
    css = re.search(r'href="(/static/app\.css\?v=[0-9a-f]{10})"', page)
    assert css
    served = web_client.get(css.group(1))
    assert served.status_code == 200 and "prefers-color-scheme: dark" in served.text
    assert '<link rel="stylesheet" href="/static/print.css?v=' in page and 'media="print"' in page


def test_pages_are_compressed_for_clients_that_accept_it(
    web_client: TestClient, web_service: ReportService
) -> None:
    store_report(web_service, key_for())
    page = web_client.get(PAGE, headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    assert "The Octocat" in page.text  # httpx decompresses transparently
    plain = web_client.get(PAGE, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers


def test_incomplete_report_says_what_is_missing(
    web_client: TestClient, web_service: ReportService
) -> None:
    from tests.fixtures.web import sample_collection, sample_report

    key = key_for()
    collection = sample_collection()
    collection.incomplete_reasons.append("Stars of octo-org/engine could not be counted")
    web_service.stores.reports.put(key, sample_report(key, collection=collection))
    page = web_client.get(PAGE).text
    assert "Some data could not be collected" in page
    assert "Stars of octo-org/engine could not be counted" in page


def test_reviews_given_and_issues_opened_sections(
    web_client: TestClient, web_service: ReportService
) -> None:
    report = store_report(web_service, key_for())
    assert report.reviews is not None and report.issues is not None
    page = web_client.get(PAGE).text
    # Summary cards.
    assert '<span class="card-label">Reviews given</span>' in page
    assert f'<span class="card-value">{report.reviews.total}</span>' in page
    assert "on 36 pull requests of other people in 2 repositories" in page
    assert '<span class="card-label">Issues opened</span>' in page
    issues = report.issues
    assert (
        f"{issues.open} open · {issues.completed} completed · {issues.not_planned} not planned"
        in page
    )
    # Reviews per month on the months chart, on its own scale.
    assert "Pull requests and reviews per month" in page
    assert page.count('class="review-point"') == len(report.months)
    assert 'class="review-line"' in page
    # The reviews panel: states, the repositories (own-PR and private reviews left out).
    assert 'class="states-bar"' in page and "Changes requested" in page
    assert 'href="https://github.com/rust-lang/rust"' in page
    assert "secret/lab" not in page
    # Each repository of the pull-request list says how many reviews were given there.
    engine = next(r for r in report.reviews.by_repository if r.name_with_owner == "octo-org/engine")
    assert f"{engine.reviews} reviews given</span>" in page
    # The issues panel: the newest ten, HTML in titles as text, the rest a link away.
    assert (
        "&lt;img src=x onerror=alert(&#34;issue&#34;)&gt; Crash on &lt;i&gt;empty&lt;/i&gt;" in page
    )
    assert "<img src=x" not in page
    assert page.count('<li class="issue">') == 10 < issues.total
    assert (
        f'href="/user/github/octocat/issues" data-show-all-issues data-total="{issues.total}">'
        f"Show all {issues.total} issues</a>" in page
    )
    for badge in ("issue-open", "issue-completed", "issue-not_planned", ">Reopened<"):
        assert badge in page
    every = web_client.get(f"{PAGE}/issues")
    assert every.status_code == 200
    assert every.text.count('<li class="issue">') == issues.total
    numbers = [int(n) for n in re.findall(r"#(\d+) · <time", every.text)]
    newest_first = sorted(
        (i for repo in issues.by_repository for i in repo.issues),
        key=lambda i: (i.created_at, i.number),
        reverse=True,
    )
    assert numbers == [i.number for i in newest_first]


def test_reports_made_before_reviews_counted_show_no_empty_sections(
    web_client: TestClient, web_service: ReportService
) -> None:
    key = key_for()
    stored = store_report(web_service, key).model_dump(mode="json")
    del stored["reviews"], stored["issues"]
    for month in stored["months"]:
        del month["reviews"]
    assert web_service.stores.reports.put(key, Report.model_validate(stored))
    page = web_client.get(PAGE).text
    assert "Reviews given" not in page and "Issues opened" not in page
    assert "review-line" not in page and "Pull requests per month" in page


def test_a_long_issue_list_stays_bounded_and_pages_through_every_issue(
    web_client: TestClient, web_service: ReportService
) -> None:
    key = key_for()
    report = store_report(web_service, key)
    assert report.issues is not None
    many = report.issues.by_repository[0]
    extra = [
        many.issues[0].model_copy(update={"number": 10_000 + i, "title": f"Bulk issue {i}"})
        for i in range(400)
    ]
    repo = many.model_copy(update={"issues": extra + many.issues})
    issues = report.issues.model_copy(update={"total": len(repo.issues), "by_repository": [repo]})
    assert web_service.stores.reports.put(key, report.model_copy(update={"issues": issues}))
    page = web_client.get(PAGE).text
    assert page.count('<li class="issue">') == 10
    assert f"Show all {issues.total} issues</a>" in page
    assert len(page.encode()) < 300_000
    seen: list[str] = []
    url: str | None = f"{PAGE}/issues"
    while url:
        paged = web_client.get(url)
        assert paged.status_code == 200
        seen += re.findall(r"#(\d+) · <time", paged.text)
        found = re.search(r'href="([^"]+)" rel="next"', paged.text)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert len(seen) == len(set(seen)) == issues.total
    assert web_client.get(f"{PAGE}/issues?page={len(seen) // 100 + 2}").status_code == 404


def test_issue_pages_only_when_the_report_page_cannot_hold_them(
    web_client: TestClient, web_service: ReportService
) -> None:
    key = key_for()
    report = store_report(web_service, key)
    assert report.issues is not None
    few = report.issues.model_copy(
        update={
            "total": 3,
            "by_repository": [
                report.issues.by_repository[0].model_copy(
                    update={"issues": report.issues.by_repository[0].issues[:3]}
                )
            ],
        }
    )
    assert web_service.stores.reports.put(key, report.model_copy(update={"issues": few}))
    page = web_client.get(PAGE).text
    assert page.count('<li class="issue">') == 3 and "data-show-all-issues" not in page
    assert web_client.get(f"{PAGE}/issues").status_code == 404
