"""Bounded pages for big reports: the report page lists the first repositories, each with its
most recent pull requests, and its most recent issues; the rest is reached through paged URLs
(``?page=N``, ``web.presenters.paths``) that work without JavaScript and that ``app.js`` loads
in place. Paged URLs keep the report's own query (period, dates, include_closed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from gitbrag.report.keys import ReportKey
from gitbrag.report.models import PullRequestOut, RepositoryOut
from web.presenters.activity import IssueRow
from web.presenters.paths import issues_path, pulls_path

Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Page(Generic[Item]):
    """Page ``number`` (from 1) of ``count``, holding ``items`` of ``total``."""

    items: tuple[Item, ...]
    number: int
    count: int
    total: int
    per_page: int
    path: str
    previous_path: str | None
    next_path: str | None

    @property
    def first(self) -> int:
        """1-based index of the first item shown (0 when there are none)."""
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return (self.number - 1) * self.per_page + len(self.items)

    @property
    def remaining(self) -> int:
        """Items after this page."""
        return self.total - self.last


def paginate(
    items: Sequence[Item], per_page: int, path_for: Callable[[int], str]
) -> list[Page[Item]]:
    """Every page of ``items`` (at least one, maybe empty)."""
    count = max(1, -(-len(items) // per_page))
    return [
        Page(
            items=tuple(items[(number - 1) * per_page : number * per_page]),
            number=number,
            count=count,
            total=len(items),
            per_page=per_page,
            path=path_for(number),
            previous_path=path_for(number - 1) if number > 1 else None,
            next_path=path_for(number + 1) if number < count else None,
        )
        for number in range(1, count + 1)
    ]


@dataclass(frozen=True, slots=True)
class IssuesView:
    """The issues the report page lists (the most recent) and the way to all of them."""

    recent: tuple[IssueRow, ...]
    total: int
    path: str


def issues_view(key: ReportKey, rows: Sequence[IssueRow], recent: int) -> IssuesView:
    return IssuesView(tuple(rows[:recent]), len(rows), issues_path(key, 1))


@dataclass(frozen=True, slots=True)
class RepositoryView:
    """A repository as the report lists it: its most recent pull requests and a way to all."""

    repo: RepositoryOut
    recent: tuple[PullRequestOut, ...]
    total: int
    pulls_path: str


def repository_views(
    key: ReportKey, repositories: Sequence[RepositoryOut], recent: int
) -> list[RepositoryView]:
    return [
        RepositoryView(
            repo=repo,
            recent=tuple(repo.pull_requests[:recent]),
            total=len(repo.pull_requests),
            pulls_path=pulls_path(key, repo.name_with_owner, 1),
        )
        for repo in repositories
    ]
