"""``gitbrag report`` end to end against the simulated GitHub over loopback."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from gitbrag.cli import main
from gitbrag.fakehub.data import SAMPLE_USERS, token_for
from gitbrag.fakehub.identity_data import PRIVATE_PROFILE
from gitbrag.fakehub.server import FakeHub
from gitbrag.report.periods import DateRange
from tests.cli.helpers import run_json
from tests.oracles.report import expected_report


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    report = dict(report)
    report.pop("generated_at")
    # Sentences built from the rest: checked number by number in tests/core/test_highlights.py.
    assert isinstance(report.pop("highlights")["summary"], str)
    user = dict(report["user"])
    user.pop("avatar_url")
    user.pop("html_url")
    report["user"] = user
    return report


RANGES = ["1_year", "all_time", "custom"]


@pytest.mark.parametrize("include_closed", [False, True], ids=["merged-open", "closed"])
@pytest.mark.parametrize("span", RANGES)
@pytest.mark.parametrize("login", SAMPLE_USERS)
def test_json_equals_brute_force(
    cli_env: FakeHub,
    capsys: pytest.CaptureFixture[str],
    login: str,
    span: str,
    include_closed: bool,
) -> None:
    data = cli_env.data
    if span == "custom":
        date_range = DateRange(data.today - timedelta(days=500), data.today - timedelta(days=30))
        args = ["--since", date_range.since.isoformat(), "--until", date_range.until.isoformat()]
    else:
        date_range = DateRange.for_period(span, data.today)  # type: ignore[arg-type]
        args = ["--period", span]
    if include_closed:
        args.append("--include-closed")
    report = run_json(capsys, login, *args, "--token", token_for(login))

    expected = expected_report(
        data,
        login,
        date_range.since,
        date_range.until,
        date_range.period,
        include_closed,
    )
    assert comparable(report) == expected
    profile = httpx.get(f"{cli_env.api_url}/users/{login}").json()
    assert report["user"]["avatar_url"] == profile["avatar_url"]
    assert report["user"]["html_url"] == profile["html_url"]


def test_usage_errors_exit_2(cli_env: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    token = token_for("octocat")
    for args in (
        ["bad.name", "--token", token],
        ["x" * 40, "--token", token],
        ["octocat", "--period", "3_years", "--token", token],
        ["octocat", "--since", "2026-05-01", "--until", "2026-04-01", "--token", token],
        ["octocat", "--since", "yesterday", "--token", token],
    ):
        assert main(["report", *args]) == 2
        err = capsys.readouterr().err
        assert err.startswith("gitbrag: ") and len(err.strip().splitlines()) == 1
    assert cli_env.request_count() == 0


def test_unknown_user_and_bad_token_exit_1(
    cli_env: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "no-such-user-here", "--token", token_for("octocat")]) == 1
    assert "no user" in capsys.readouterr().err.lower()
    assert main(["report", "octocat", "--token", "ghp_not_a_real_token"]) == 1
    err = capsys.readouterr().err
    assert "token" in err.lower() and len(err.strip().splitlines()) == 1


def test_revoked_token_exits_1_with_one_line(
    cli_env: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    token = token_for("octocat")
    cli_env.revoke(token)
    assert main(["report", "octocat", "--token", token]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_faults_do_not_change_the_report(
    cli_env: FakeHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = token_for("octocat")
    clean = run_json(capsys, "octocat", "--period", "all_time", "--token", token)
    cli_env.faults.rate = 0.2
    cli_env.faults.kinds = {"502", "504", "timeout"}
    cli_env.faults.secondary_every = 7
    monkeypatch.setenv("GITBRAG_RETRY_BACKOFF_SECONDS", "0.01")
    faulty = run_json(capsys, "octocat", "--period", "all_time", "--token", token)
    assert comparable(faulty) == comparable(clean)
    assert faulty["complete"] is True


def test_table_and_markdown_formats(cli_env: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    token = token_for("octocat")
    assert main(["report", "octocat", "--period", "all_time", "--token", token]) == 0
    table = capsys.readouterr().out
    assert "@octocat" in table and "pull requests" in table
    assert main(["report", "octocat", "--format", "markdown", "--token", token]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# ") and "## Highlights" in markdown
    assert "<script>" not in markdown


def test_an_organisation_login_exits_1_with_its_answer(
    cli_env: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "Octo-Org", "--token", token_for("octocat")]) == 1
    err = capsys.readouterr().err
    assert err == (
        "gitbrag: octo-org is a GitHub organisation, not a user: gitbrag reports the pull "
        "requests a person authored\n"
    )


def test_more_pull_requests_than_a_report_reads_exits_1_after_one_search(
    cli_env: FakeHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITBRAG_MAX_REPORT_PULL_REQUESTS", "1000")
    code = main(["report", "prolific-bot", "--period", "2_years", "--token", token_for("octocat")])
    assert code == 1
    err = capsys.readouterr().err
    assert "lists 2," in err and "reads at most 1,000" in err and "shorter period" in err
    assert cli_env.counters["search"] == 1  # refused on the first page's issueCount


def test_a_private_profile_exits_1_naming_the_privacy_setting(
    cli_env: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_env.behaviours.configure(private_profiles=True)
    login = PRIVATE_PROFILE
    assert main(["report", login, "--token", token_for("octocat"), "--quiet"]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == (
        f"gitbrag: {login}'s activity is private: they turned on “Make profile private and "
        "hide activity” in their GitHub profile settings, so GitHub does not show their pull "
        "requests, reviews or issues to anyone else\n"
    )
    assert cli_env.counters["GET /search/issues"] == 1  # one REST probe, refused 422


def test_an_empty_profile_search_answers_is_an_empty_report(
    cli_env: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_env.behaviours.configure(private_profiles=True)
    report = run_json(capsys, "no-prs", "--period", "1_year", "--token", token_for("octocat"))
    date_range = DateRange.for_period("1_year", cli_env.data.today)
    expected = expected_report(
        cli_env.live_data, "no-prs", date_range.since, date_range.until, "1_year", False
    )
    assert comparable(report) == expected
    assert report["totals"]["pull_requests"] == 0 and report["complete"] is True
    assert cli_env.counters["GET /search/issues"] == 1  # the probe, answered 200
