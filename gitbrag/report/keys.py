"""The key that names one report: whose, which range, which options."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gitbrag.report.logins import validate_username
from gitbrag.report.periods import DateRange, parse_period


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
