"""GitHub's issue-search semantics for the qualifiers gitbrag sends, over the fake data set.

Supported, in any order: ``is:pr`` / ``type:pr`` and ``is:issue`` / ``type:issue`` (neither:
both kinds), ``author:LOGIN`` and ``-author:LOGIN`` (case-insensitive), ``reviewed-by:LOGIN``
(pull requests with a submitted review by LOGIN), ``repo:OWNER/NAME``,
``user:``/``org:`` (repository owner), ``is:public`` / ``is:private``, ``is:merged``,
``is:unmerged`` (open, or closed without merge; issues are never merged), ``is:open``,
``is:closed`` (merged included, as on GitHub), ``created:`` and ``updated:`` (the last
change: opened, closed or reviewed) with ``A..B``, ``A..*``, ``*..B``,
``>=A``, ``>A``, ``<=B``, ``<B`` or a single ``A`` (dates ``YYYY-MM-DD`` cover their whole
day; ISO datetimes are exact), and ``sort:created-asc|created-desc|updated-asc|updated-desc``
(``sort:created`` and ``sort:updated`` are descending, as on GitHub; default newest first by
creation).
Other words must all appear in the title. Private repositories match only for their members
and never with ``is:public``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from gitbrag.fakehub.data import FakeIssue, FakePR, FakeRepo

Item = FakePR | FakeIssue
Predicate = Callable[[Item], bool]


class SearchSyntaxError(ValueError):
    """The query cannot be understood (GitHub answers these with a validation error)."""


@dataclass
class SearchQuery:
    author: str | None = None
    reviewers: list[str] = field(default_factory=list)  # reviewed-by: logins (lower case)
    excluded: list[str] = field(default_factory=list)  # -author: logins (lower case)
    newest_first: bool = True
    sort_by: str = "created"  # or "updated"
    visibility: str | None = None  # "public" | "private" | None
    kinds: set[str] = field(default_factory=set)  # "pr", "issue"; empty: both
    predicates: list[Predicate] = field(default_factory=list)


def _parse_bound(text: str, *, upper: bool) -> datetime:
    """A date covers its whole day: as an upper bound it means the day's last instant."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) - timedelta(microseconds=1) if upper else start
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SearchSyntaxError(f"invalid date {text!r} in created: qualifier") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _created_range(value: str) -> tuple[datetime | None, datetime | None]:
    """Inclusive ``(low, high)`` bounds of a ``created:`` qualifier value."""
    if ".." in value:
        low, high = value.split("..", 1)
        return (
            None if low in ("", "*") else _parse_bound(low, upper=False),
            None if high in ("", "*") else _parse_bound(high, upper=True),
        )
    if value.startswith(">="):
        return _parse_bound(value[2:], upper=False), None
    if value.startswith("<="):
        return None, _parse_bound(value[2:], upper=True)
    if value.startswith(">"):
        return _parse_bound(value[1:], upper=True) + timedelta(microseconds=1), None
    if value.startswith("<"):
        return None, _parse_bound(value[1:], upper=False) - timedelta(microseconds=1)
    return _parse_bound(value, upper=False), _parse_bound(value, upper=True)


def _in_repo(name_with_owner: str) -> Predicate:
    return lambda pr: pr.repo.lower() == name_with_owner


def _owned_by(owner: str) -> Predicate:
    return lambda pr: pr.repo.lower().startswith(owner + "/")


def _created_within(low: datetime | None, high: datetime | None) -> Predicate:
    return lambda pr: (
        (low is None or pr.created_at >= low) and (high is None or pr.created_at <= high)
    )


def _updated_within(low: datetime | None, high: datetime | None) -> Predicate:
    return lambda item: (
        (low is None or item.updated_at >= low) and (high is None or item.updated_at <= high)
    )


def _reviewed_by(login: str) -> Predicate:
    """A pull request with a submitted review by ``login`` (a pending one is not a review)."""
    return lambda item: (
        isinstance(item, FakePR)
        and any(
            review.author.lower() == login and review.submitted_at is not None
            for review in item.reviews
        )
    )


def _not_by(login: str) -> Predicate:
    return lambda item: item.author.lower() != login


def parse_query(text: str) -> SearchQuery:
    query = SearchQuery()
    words: list[str] = []
    for token in text.split():
        key, sep, value = token.partition(":")
        key = key.lower()
        if not sep or not value:
            words.append(token.lower())
        elif key in ("is", "type"):
            _apply_is(query, value.lower())
        elif key == "author":
            query.author = value.lower()
        elif key == "-author":
            query.predicates.append(_not_by(value.lower()))
            query.excluded.append(value.lower())
        elif key == "reviewed-by":
            query.predicates.append(_reviewed_by(value.lower()))
            query.reviewers.append(value.lower())
            query.kinds.add("pr")
        elif key == "repo":
            query.predicates.append(_in_repo(value.lower()))
        elif key in ("user", "org"):
            query.predicates.append(_owned_by(value.lower()))
        elif key == "created":
            query.predicates.append(_created_within(*_created_range(value)))
        elif key == "updated":
            query.predicates.append(_updated_within(*_created_range(value)))
        elif key == "sort":
            field, _, direction = value.lower().partition("-")
            if field in ("created", "updated") and direction in ("", "asc", "desc"):
                query.sort_by = field
                query.newest_first = direction != "asc"
        else:
            words.append(token.lower())
    if words:
        query.predicates.append(lambda pr: all(w in pr.title.lower() for w in words))
    return query


def named_users(query: SearchQuery) -> list[str]:
    """Every login a user qualifier names (``author:``, ``-author:``, ``reviewed-by:``)."""
    return ([query.author] if query.author else []) + query.reviewers + query.excluded


def _merged(item: Item) -> bool:
    return isinstance(item, FakePR) and item.merged_at is not None


def _apply_is(query: SearchQuery, value: str) -> None:
    if value in ("public", "private"):
        query.visibility = value
    elif value in ("issue", "pr"):
        query.kinds.add(value)
    elif value == "merged":
        query.predicates.append(_merged)
    elif value == "unmerged":
        query.predicates.append(lambda item: not _merged(item))
    elif value == "open":
        query.predicates.append(lambda pr: pr.closed_at is None)
    elif value == "closed":
        query.predicates.append(lambda pr: pr.closed_at is not None)
    else:
        raise SearchSyntaxError(f"unsupported qualifier is:{value}")


def run_search(
    query: SearchQuery,
    candidates: Iterable[Item],
    repos: dict[str, FakeRepo],
    viewer: str | None,
) -> list[Item]:
    """Every match, in the query's order (the caller applies GitHub's 1000-result cap)."""
    viewer_key = viewer.lower() if viewer else None
    kinds = query.kinds or {"pr", "issue"}

    def visible(pr: Item) -> bool:
        repo = repos[pr.repo]
        if not repo.is_private:
            return query.visibility != "private"
        if query.visibility == "public" or viewer_key is None:
            return False
        return viewer_key in {m.lower() for m in repo.members}

    matches = [
        pr
        for pr in candidates
        if ("pr" if isinstance(pr, FakePR) else "issue") in kinds
        and (query.author is None or pr.author.lower() == query.author)
        and visible(pr)
        and all(p(pr) for p in query.predicates)
    ]
    if query.sort_by == "updated":
        matches.sort(
            key=lambda pr: (pr.updated_at, pr.created_at, pr.repo, pr.number),
            reverse=query.newest_first,
        )
    else:
        matches.sort(key=lambda pr: (pr.created_at, pr.repo, pr.number), reverse=query.newest_first)
    return matches
