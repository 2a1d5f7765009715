"""Report inputs: usernames, periods and date ranges, and the key that names a report."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final, Literal

from gitbrag.errors import InvalidInput

Period = Literal["1_year", "2_years", "5_years", "all_time"]
PERIODS: Final[tuple[Period, ...]] = ("1_year", "2_years", "5_years", "all_time")
DEFAULT_PERIOD: Final[Period] = "1_year"
PERIOD_DAYS: Final[dict[Period, int]] = {"1_year": 365, "2_years": 730, "5_years": 1825}
PERIOD_LABELS: Final[dict[Period, str]] = {
    "1_year": "Past year",
    "2_years": "Past 2 years",
    "5_years": "Past 5 years",
    "all_time": "All time",
}
ALL_TIME_START: Final = date(2008, 1, 1)

# Logins GitHub has: 1-39 letters, digits, hyphens and underscores. New personal accounts
# may not begin or end with a hyphen or hold two in a row, but legacy accounts from before
# that rule do (``artur-``, ``gil--dev``, ``-jerry-``; shinnn/github-username-regex#4) and
# still work; Enterprise Managed Users are ``handle_shortcode`` (docs "Username
# considerations for external authentication"). At least one letter or digit: nothing GitHub
# issues is punctuation alone. ASCII only (``re.ASCII``: ``\w`` would take any script).
_USERNAME = re.compile(r"(?=[-_]*[A-Za-z0-9])[A-Za-z0-9_-]{1,39}", re.ASCII)


def validate_username(username: str) -> str:
    """Return ``username`` unchanged if it can be a GitHub login, else raise InvalidInput."""
    if not _USERNAME.fullmatch(username):
        raise InvalidInput(
            "not a valid GitHub username: 1-39 letters, digits, hyphens or underscores"
        )
    return username


def today_utc() -> date:
    return datetime.now(UTC).date()


def parse_period(value: str) -> Period:
    normalized = value.strip().lower()
    for period in PERIODS:
        if period == normalized:
            return period
    raise InvalidInput(f"unknown period {value!r}; choose one of {', '.join(PERIODS)}")


def parse_date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{name} must be a date like 2026-01-31, not {value!r}") from None


@dataclass(frozen=True, slots=True)
class DateRange:
    """An inclusive range of UTC dates, and the preset period it came from (if any)."""

    since: date
    until: date
    period: Period | None = None

    def __post_init__(self) -> None:
        if self.since > self.until:
            raise InvalidInput("since must not be after until")
        if self.since < ALL_TIME_START:
            raise InvalidInput(f"since must not be before {ALL_TIME_START.isoformat()}")

    @classmethod
    def for_period(cls, period: Period, today: date | None = None) -> DateRange:
        today = today or today_utc()
        if period == "all_time":
            return cls(ALL_TIME_START, today, period)
        return cls(today - timedelta(days=PERIOD_DAYS[period]), today, period)

    @classmethod
    def resolve(
        cls,
        period: str | None = None,
        since: str | None = None,
        until: str | None = None,
        today: date | None = None,
    ) -> DateRange:
        """Turn user input into a range: a preset period, or a custom since/until."""
        today = today or today_utc()
        if since is None and until is None:
            return cls.for_period(parse_period(period or DEFAULT_PERIOD), today)
        if period is not None and period.strip():
            raise InvalidInput("give either a period or since/until, not both")
        start = parse_date(since, "since") if since else ALL_TIME_START
        end = parse_date(until, "until") if until else today
        if end > today:
            raise InvalidInput("until must not be in the future")
        return cls(start, end, None)

    @property
    def start(self) -> datetime:
        return datetime(self.since.year, self.since.month, self.since.day, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the range (exclusive upper bound)."""
        return self.start_of(self.until + timedelta(days=1))

    @staticmethod
    def start_of(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=UTC)

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    @property
    def label(self) -> str:
        if self.period:
            return PERIOD_LABELS[self.period]
        return f"{self.since.isoformat()} to {self.until.isoformat()}"


@dataclass(frozen=True, slots=True)
class ReportKey:
    """Names one report: who, which range, which options. Usernames are case-insensitive."""

    username: str
    range: DateRange
    include_closed: bool = False

    def __post_init__(self) -> None:
        validate_username(self.username)
        object.__setattr__(self, "username", self.username.lower())

    def __str__(self) -> str:
        # Presets are keyed by name so "1_year" is one report that moves with the calendar;
        # custom ranges are keyed by their dates.
        dates = f"{self.range.since.isoformat()}..{self.range.until.isoformat()}"
        span = self.range.period or dates
        closed = "closed" if self.include_closed else "merged-open"
        return f"{self.username}:{span}:{closed}"

    @classmethod
    def parse(cls, value: str, today: date | None = None) -> ReportKey:
        """Inverse of ``str(key)`` (a preset is re-resolved against today)."""
        username, span, closed = value.split(":")
        if ".." in span:
            since, until = span.split("..")
            date_range = DateRange(date.fromisoformat(since), date.fromisoformat(until))
        else:
            date_range = DateRange.for_period(parse_period(span), today)
        return cls(username, date_range, closed == "closed")
