"""Highlights for every sample user of the simulated GitHub, read back number by number
(``tests/oracles/highlights.py``) from the report's JSON, and as the Markdown export's first
section."""

from __future__ import annotations

import pytest

from gitbrag.cli import main
from gitbrag.fakehub.data import SAMPLE_USERS, token_for
from gitbrag.fakehub.server import FakeHub
from tests.cli.helpers import run_json
from tests.oracles.highlights import check_highlights


@pytest.mark.parametrize("include_closed", [False, True], ids=["merged-open", "closed"])
@pytest.mark.parametrize("period", ["1_year", "all_time"])
@pytest.mark.parametrize("login", SAMPLE_USERS)
def test_every_number_in_the_highlights_is_the_reports_own(
    cli_env: FakeHub,
    capsys: pytest.CaptureFixture[str],
    login: str,
    period: str,
    include_closed: bool,
) -> None:
    args = [login, "--period", period, "--token", token_for(login)]
    report = run_json(capsys, *args, *(["--include-closed"] if include_closed else []))
    assert report["schema_version"] == 1
    check_highlights(report)
    if report["totals"]["pull_requests"]:
        assert report["highlights"]["bullets"], "a report with pull requests has bullets"


def test_markdown_starts_with_the_highlights(
    cli_env: FakeHub,
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = run_json(capsys, "octocat", "--period", "all_time", "--token", token_for("octocat"))
    code = main(["report", "octocat", "--period", "all_time", "--format", "markdown", "--quiet",
                 "--token", token_for("octocat")])  # fmt: skip
    markdown = capsys.readouterr().out
    assert code == 0
    sections = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert sections[0] == "## Highlights"
    head = markdown.split("## Highlights", 1)[1].split("\n## ", 1)[0]
    assert report["highlights"]["summary"] in head  # the summary has no user text to escape
    bullets = [line for line in head.splitlines() if line.startswith("- ")]
    assert len(bullets) == len(report["highlights"]["bullets"])
    # Links to the repositories and pull requests, user text escaped (HTML in titles inert).
    assert "](https://" in head
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
