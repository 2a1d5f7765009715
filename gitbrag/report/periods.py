"""Periods and date ranges: the presets (past year, 2 and 5 years, all time), a custom
range of inclusive UTC dates, and how user input becomes one."""

from __future__ import annotations

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
