"""The whole stack (embedded Redis, a real ``gitbrag worker``, the simulated GitHub, uvicorn):
the 2,600-PR user's past year beside the year before, both reports generated through the
pipeline like any report, compared through the API and the page; the author's curation kept
across a real regeneration; cards served with no GitHub request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gitbrag.report.comparison import previous_range
from gitbrag.report.periods import DateRange
from tests.harness import poll_until
from tests.web.live import LiveStack

pytestmark = pytest.mark.slow

USER = "prolific-bot"
FIGURES = ("pull_requests", "merged", "repositories", "additions", "deletions", "stars_gained")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    with LiveStack(tmp_path_factory.mktemp("compare"), latency_ms=0, threads=4) as live:
        yield live


@pytest.fixture(scope="module")
def owner(stack: LiveStack) -> Iterator[httpx.Client]:
    """An API client with the user's own personal access token (it curates: a token another
    app got may only read)."""
    headers = {"Authorization": f"Bearer {stack.hub.issue_token(USER, 'classic')}"}
    with httpx.Client(base_url=stack.url, headers=headers, timeout=60) as client:
        yield client


def report_json(client: httpx.Client, **params: str) -> dict[str, Any]:
    response = client.get(f"/api/reports/github/{USER}", params=params)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()["report"]
    return report


def test_the_big_users_year_beside_the_year_before(stack: LiveStack, owner: httpx.Client) -> None:
    first = owner.get(f"/api/reports/github/{USER}/compare")
    assert first.status_code == 202, first.text
    jobs = first.json()["jobs"]
    assert jobs["current"] is not None and jobs["previous"] is not None  # both generated
    done = poll_until(
        lambda: owner.get(f"/api/reports/github/{USER}/compare"),
        lambda response: response.status_code == 200,
        timeout=600,
        what="both reports generated",
        interval=0.5,
    )
    comparison = done.json()
    current = report_json(owner)
    earlier = previous_range(DateRange.for_period("1_year"))
    before = report_json(owner, since=earlier.since.isoformat(), until=earlier.until.isoformat())
    assert current["totals"]["pull_requests"] > 1000 and before["totals"]["pull_requests"] > 500
    for name in FIGURES:
        now, then = current["totals"][name], before["totals"][name]
        delta = comparison["deltas"][name]
        assert (delta["current"], delta["previous"], delta["change"]) == (now, then, now - then)
    assert comparison["previous"]["since"] == earlier.since.isoformat()
    earlier_names = {repo["name_with_owner"] for repo in before["repositories"]}
    assert [r["name_with_owner"] for r in comparison["new_repositories"]] == [
        repo["name_with_owner"]
        for repo in current["repositories"]
        if repo["name_with_owner"] not in earlier_names
    ]

    stack.hub.reset_counters()
    page = httpx.get(f"{stack.url}/user/github/{USER}/compare", timeout=60)  # anonymous
    assert page.status_code == 200
    prs = comparison["deltas"]["pull_requests"]
    assert f"{prs['current']:,}" in page.text and f"was {prs['previous']:,}" in page.text
    card = httpx.get(f"{stack.url}/user/github/{USER}/card.svg", timeout=60)
    assert card.status_code == 200 and f"{prs['current']:,}".encode() in card.content
    assert stack.hub.request_count() == 0  # cached views: no GitHub request


def test_a_regeneration_keeps_the_authors_choices(stack: LiveStack, owner: httpx.Client) -> None:
    before = report_json(owner)
    hidden = before["repositories"][-1]["name_with_owner"]
    changed = owner.post(
        f"/api/curation/github/{USER}", json={"action": "hide_repository", "target": hidden}
    )
    assert changed.status_code == 200 and changed.json()["hidden_repositories"] == [hidden]
    refresh = owner.post(f"/api/reports/github/{USER}/refresh")
    assert refresh.status_code == 202
    job_id = refresh.json()["job"]["id"]
    poll_until(
        lambda: owner.get(f"/api/jobs/{job_id}").json()["status"],
        lambda status: status in ("done", "failed"),
        timeout=600,
        what="the regeneration",
        interval=0.5,
    )
    after = report_json(owner)
    assert after["generated_at"] != before["generated_at"]  # a new version...
    assert hidden not in {repo["name_with_owner"] for repo in after["repositories"]}
    assert after["curation"]["hidden_repositories"] == 1  # ...with the author's choices
    page = httpx.get(f"{stack.url}/user/github/{USER}", timeout=60)
    assert f'data-repository="{hidden}"' not in page.text
    assert "hidden by the author" in page.text
