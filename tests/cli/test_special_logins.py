"""``gitbrag report`` for the logins the validator used to refuse (issue 18): an Enterprise
Managed User's ``handle_shortcode`` and a legacy login beginning with a hyphen (which goes
after ``--``, or argparse takes it for an option, and says how when it does)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gitbrag.cli import main
from gitbrag.fakehub import FakeHub, token_for
from gitbrag.fakehub.identity_data import LEADING_HYPHEN, MANAGED_USER
from gitbrag.report.periods import DateRange
from tests.oracles.report import expected_report


@pytest.mark.parametrize("login", [MANAGED_USER, LEADING_HYPHEN])
def test_the_report_of_a_special_login_is_the_truth(
    cli_env: FakeHub, capsys: pytest.CaptureFixture[str], login: str
) -> None:
    options = ["--period", "all_time", "--format", "json", "--quiet", "--token", token_for(login)]
    assert main(["report", *options, "--", login]) == 0
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    date_range = DateRange.for_period("all_time", cli_env.data.today)
    expected = expected_report(
        cli_env.data, login, date_range.since, date_range.until, "all_time", False
    )
    assert report["username"] == login
    assert report["totals"] == expected["totals"] and report["totals"]["pull_requests"] > 0
    assert report["user"]["id"] == expected["user"]["id"]


def test_a_leading_hyphen_taken_for_an_option_says_how(
    cli_env: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["report", LEADING_HYPHEN, "--token", token_for(LEADING_HYPHEN)])
    assert exited.value.code == 2
    assert "gitbrag report -- -jerry-" in capsys.readouterr().err
    assert cli_env.request_count() == 0
