"""A login that changes hands, under a running stack (issue 18's "must show"): embedded Redis,
a real ``gitbrag worker``, the simulated GitHub and the web app under uvicorn, driven through
the API with each account's own GitHub token.

``Mixed-Case-Dev`` generates and curates its report and starts a job; on GitHub it then
renames itself ``case-renamed`` and somebody else registers ``Mixed-Case-Dev``. The previous
account's curation, report and jobs stay its own (its report under the new login keeps its
choices); the new holder can neither curate nor cancel them; once the old report's freshness
has run out, the login serves the new account's report (regenerated with the server token for
an anonymous visitor, since nobody told gitbrag of the change).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from gitbrag.fakehub import token_for
from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from tests.harness import poll_until
from tests.web.live import LiveStack

pytestmark = pytest.mark.slow

FIRST = "Mixed-Case-Dev"  # the account that renames itself away
RENAMED = "case-renamed"
LOGIN = FIRST.lower()
SERVER = "star-gazer"  # the server token's account (anonymous generation)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    with LiveStack(
        tmp_path_factory.mktemp("renamed"),
        latency_ms=0,
        github_token=token_for(SERVER),
        anonymous_generation=True,
    ) as live:
        yield live


def client(stack: LiveStack, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=stack.url, headers=headers, timeout=60)


def report_of(api: httpx.Client, login: str, **params: str) -> dict[str, Any]:
    """The report of ``login`` once generated (asking generates it)."""
    done = poll_until(
        lambda: api.get(f"/api/reports/github/{login}", params=params),
        lambda response: response.status_code == 200 and response.json()["state"] == "fresh",
        timeout=120,
        what=f"the report of {login}",
        interval=0.2,
    )
    report: dict[str, Any] = done.json()["report"]
    return report


def age(stack: LiveStack, key: ReportKey, days: int) -> None:
    """The stored report of ``key``, made ``days`` earlier: its freshness has run out (the
    clock injected through the stored time, as the report store keeps it)."""
    service = ReportService.from_settings(stack.settings)
    stored = service.stores.reports.get(key)
    assert stored is not None
    older = stored.report.model_copy(
        update={"generated_at": stored.report.generated_at - timedelta(days=days)}
    )
    assert service.stores.reports.put(key, older)


def test_a_login_that_changes_hands(stack: LiveStack) -> None:
    first_id = stack.hub.data.user(FIRST).id  # type: ignore[union-attr]
    # A personal token (it curates, so another app's would not do); it belongs to the
    # account, not the login.
    first = client(stack, stack.hub.issue_token(FIRST, "classic"))
    anonymous = client(stack)

    # The first holder's report, curated: one repository hidden.
    report = report_of(first, LOGIN)
    assert report["user"]["id"] == first_id
    hidden = report["repositories"][0]["name_with_owner"]
    change = first.post(
        f"/api/curation/github/{LOGIN}", json={"action": "hide_repository", "target": hidden}
    )
    assert change.status_code == 200, change.text
    curated = report_of(first, LOGIN)
    assert hidden not in [repo["name_with_owner"] for repo in curated["repositories"]]
    # ... and a job of theirs (another period).
    started = first.get(f"/api/reports/github/{LOGIN}", params={"period": "2_years"})
    assert started.status_code in (200, 202), started.text
    job_id = started.json()["job"]["id"] if started.status_code == 202 else None
    report_of(first, LOGIN, period="2_years")

    # The past year's report turns stale; then, on GitHub, the login changes hands.
    key = ReportKey(LOGIN, DateRange.for_period("1_year"))
    age(stack, key, days=2)
    stack.hub.rename(FIRST, RENAMED)
    second_token = stack.hub.register(FIRST, name="Somebody Else", kind="classic")
    second_id = stack.hub.live_data.user(FIRST).id  # type: ignore[union-attr]
    assert second_id != first_id

    # An anonymous visitor: the stale report asks for a regeneration (the server token), which
    # finds the new account; from then on the login serves the new account's report.
    now_served = report_of(anonymous, LOGIN)
    assert now_served["user"]["id"] == second_id
    assert now_served["user"]["name"] == "Somebody Else"
    assert now_served["totals"]["pull_requests"] == 0
    assert now_served["curation"] is None  # the first holder's choices are not theirs
    # Every period of the login: the first holder's 2-year report is not served as theirs.
    two_years = anonymous.get(f"/api/reports/github/{LOGIN}", params={"period": "2_years"})
    assert two_years.status_code in (200, 202)
    if two_years.status_code == 200:
        assert two_years.json()["report"]["user"]["id"] == second_id

    # The new holder cannot curate or cancel the first holder's work.
    second = client(stack, second_token)
    assert second.post(
        f"/api/curation/github/{RENAMED}", json={"action": "reset", "target": ""}
    ).status_code in (401, 403)
    if job_id is not None:
        cancel = second.delete(f"/api/jobs/{job_id}")
        assert cancel.status_code == 403, cancel.text
        assert first.get(f"/api/jobs/{job_id}").json()["status"] == "done"
    # Their own curation of the login is theirs alone: it changes nothing of the first's.
    assert second.get(f"/api/curation/github/{LOGIN}").json()["hidden_repositories"] == []

    # The first holder, under the new login: their report, their choices (their token's
    # check may still name the old login: the account decides).
    renamed = report_of(first, RENAMED)
    assert renamed["user"]["id"] == first_id and renamed["user"]["login"] == RENAMED
    assert hidden not in [repo["name_with_owner"] for repo in renamed["repositories"]]
    assert renamed["curation"]["hidden_repositories"] == 1
    mine = first.get(f"/api/curation/github/{RENAMED}")
    assert mine.status_code == 200, mine.text
    assert mine.json()["hidden_repositories"] == [hidden]
