from datetime import date

import pytest

from gitbrag.errors import InvalidInput
from gitbrag.report.keys import ReportKey
from gitbrag.report.logins import validate_username
from gitbrag.report.periods import DateRange

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    "name",
    # Legacy accounts begin or end with a hyphen or hold two in a row, and Enterprise Managed
    # Users are handle_shortcode: they exist and must work.
    [
        "a",
        "octocat",
        "Mixed-Case-Dev",
        "a1-b2-c3",
        "x" * 39,
        "artur-",
        "gil--dev",
        "a-",
        "0---0",
        "-jerry-",
        "-a",
        "octo_acme",
        "a_b",
        "mona-lisa_octo-corp",
        "_x",
    ],
)
def test_valid_usernames(name: str) -> None:
    assert validate_username(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "-", "_", "-_-", "x" * 40, "a-" * 20, "a b", "a/b", "é", "a:b", "../etc", "a\n", "a.b"],
)
def test_invalid_usernames(name: str) -> None:
    with pytest.raises(InvalidInput):
        validate_username(name)


@pytest.mark.parametrize(
    ("period", "since"),
    [
        ("1_year", date(2025, 11, 29)),
        ("2_years", date(2024, 11, 29)),
        ("5_years", date(2021, 11, 30)),
        ("all_time", date(2008, 1, 1)),
        (" ALL_TIME ", date(2008, 1, 1)),
    ],
)
def test_periods_end_today(period: str, since: date) -> None:
    resolved = DateRange.resolve(period=period, today=TODAY)
    assert (resolved.since, resolved.until) == (since, TODAY)


@pytest.mark.parametrize(
    ("period", "since", "until"),
    [
        ("3_years", None, None),
        (None, "2026-02-30", None),
        (None, "2026-05-01", "2026-04-01"),
        (None, "2007-12-31", None),
        (None, None, "2026-12-01"),
        ("1_year", "2026-01-01", None),
    ],
)
def test_bad_ranges(period: str | None, since: str | None, until: str | None) -> None:
    with pytest.raises(InvalidInput):
        DateRange.resolve(period, since, until, today=TODAY)


def test_report_keys_are_case_insensitive_and_round_trip() -> None:
    custom = ReportKey("Octo-Cat", DateRange.resolve(None, "2026-01-01", "2026-02-01", TODAY))
    assert str(custom) == "octo-cat:2026-01-01..2026-02-01:merged-open"
    assert ReportKey.parse(str(custom), TODAY) == custom
    preset = ReportKey("octo-cat", DateRange.for_period("2_years", TODAY), include_closed=True)
    assert str(preset) == "octo-cat:2_years:closed"
    assert ReportKey.parse(str(preset), TODAY) == preset


def test_range_bounds() -> None:
    resolved = DateRange.resolve(None, "2026-01-01", "2026-01-31", TODAY)
    assert resolved.start.isoformat() == "2026-01-01T00:00:00+00:00"
    assert resolved.end.isoformat() == "2026-02-01T00:00:00+00:00"
