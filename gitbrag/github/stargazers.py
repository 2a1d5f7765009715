"""A repository's stargazer timeline: when people starred it, newest first, as far back as
we have read. Pure data and arithmetic; :mod:`gitbrag.github.repositories` fetches it.

A timeline read from the top down holds *every* star newer than its oldest entry, so it can
answer "how many stars in this range" once it reaches past the range start, or once the
count inside the range hits the cap. Later reports reuse it: they fetch only the newest page
(to add stars given since) and older pages it lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gitbrag.report.periods import DateRange
from gitbrag.report.records import StarCount


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True, slots=True)
class StarPage:
    """One page of ``stargazers(orderBy: STARRED_AT DESC)``."""

    starred_at: tuple[datetime, ...]
    cursor: str | None
    has_next: bool

    @classmethod
    def from_connection(cls, connection: dict[str, Any]) -> StarPage:
        return cls(
            tuple(_time(edge["starredAt"]) for edge in connection["edges"]),
            connection["pageInfo"]["endCursor"],
            bool(connection["pageInfo"]["hasNextPage"]),
        )


@dataclass(frozen=True, slots=True)
class Timeline:
    starred_at: tuple[datetime, ...]  # newest first
    cursor: str | None  # where older pages continue
    complete: bool  # reaches the very first star
    fetched_at: datetime  # when the newest page was read

    @classmethod
    def from_page(cls, page: StarPage, fetched_at: datetime) -> Timeline:
        return cls(page.starred_at, page.cursor, not page.has_next, fetched_at)

    def with_newest(
        self, page: StarPage, fetched_at: datetime, *, total: int | None = None
    ) -> Timeline:
        """This timeline updated with a fresh top page. If the page does not reach back to
        what we already had, the gap cannot be bridged: start over from the page. Stars taken
        back show too, and start it over: where the page overlaps what we had, both must
        list the same stars, and a timeline reaching the first star must hold ``total`` (the
        repository's ``stargazerCount``), when given. Stars taken back deeper than a page are
        seen only then (a timeline is kept for ``STARGAZERS_TTL`` at most)."""
        if not page.has_next or not self.starred_at:
            return Timeline.from_page(page, fetched_at)
        newest_known = self.starred_at[0]
        if not page.starred_at or page.starred_at[-1] > newest_known:
            return Timeline.from_page(page, fetched_at)
        newer = tuple(moment for moment in page.starred_at if moment > newest_known)
        overlap = page.starred_at[len(newer) :]
        if overlap != self.starred_at[: len(overlap)]:
            return Timeline.from_page(page, fetched_at)
        joined = Timeline(newer + self.starred_at, self.cursor, self.complete, fetched_at)
        if joined.complete and total is not None and len(joined.starred_at) != total:
            return Timeline.from_page(page, fetched_at)
        return joined

    def with_older(self, page: StarPage) -> Timeline:
        return Timeline(
            self.starred_at + page.starred_at, page.cursor, not page.has_next, self.fetched_at
        )

    def count(self, date_range: DateRange, cap: int) -> StarCount | None:
        """Stars gained in ``date_range`` (capped), or ``None`` if older pages are needed."""
        inside = sum(1 for moment in self.starred_at if date_range.contains(moment))
        if inside >= cap:
            return StarCount(cap, capped=True)
        if self.complete or (self.starred_at and self.starred_at[-1] < date_range.start):
            return StarCount(inside)
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "starred_at": [moment.isoformat() for moment in self.starred_at],
            "cursor": self.cursor,
            "complete": self.complete,
            "fetched_at": self.fetched_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Timeline:
        return cls(
            tuple(_time(value) for value in data["starred_at"]),
            data["cursor"],
            bool(data["complete"]),
            _time(data["fetched_at"]),
        )
