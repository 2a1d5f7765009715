"""Folding what changed since a report's previous collection into it (issue 21): pure, no
GitHub, tested with tables of cases.

A refresh (:mod:`gitbrag.github.refresh`) learns, for every repository the previous
collection named, what it is now (:class:`RepositoryNow`: renamed, made private, gone), and
reads afresh the pull requests, issues and reviewed pull requests that changed since. The
functions here give the records a cold collection would give:

- a record of a repository now private or gone leaves; one of a renamed repository takes the
  new name and the URLs that follow from it (a pull request's ``<repository URL>/pull/<n>``,
  an issue's ``.../issues/<n>``, as GitHub forms them);
- a record created outside the report's range now (a preset period moves with the calendar)
  leaves;
- a fresh record replaces the previous one of the same pull request or issue; a reviewed pull
  request read afresh replaces every previous review of it (a review dismissed since is
  dismissed);
- a pull request keeps its previous file list only when nothing that decides it moved
  (:func:`files_still_hold`: the same head commit, lines and changed files, and a list that was
  read in full or truncated by GitHub itself); the others are read again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from gitbrag.github.files import truncation
from gitbrag.report.periods import DateRange
from gitbrag.report.records import IssueRecord, PullRequestRecord, ReviewRecord

Identity = tuple[str, int]  # (repository nameWithOwner, number)


@dataclass(frozen=True, slots=True)
class RepositoryNow:
    """A repository as a refresh found it: its name and URL now, and whether it left the
    public (private now, or gone: GitHub answers ``NOT_FOUND`` to whoever cannot see it)."""

    name: str
    url: str
    hidden: bool = False


Repositories = dict[str, RepositoryNow]  # by the name the previous collection knew


def identity(record: PullRequestRecord | IssueRecord) -> Identity:
    return (record.repository, record.number)


def _moved_pull_request(pr: PullRequestRecord, now: RepositoryNow) -> PullRequestRecord:
    if pr.repository == now.name:
        return pr
    return replace(pr, repository=now.name, url=f"{now.url}/pull/{pr.number}")


def _moved_issue(issue: IssueRecord, now: RepositoryNow) -> IssueRecord:
    if issue.repository == now.name:
        return issue
    return replace(
        issue,
        repository=now.name,
        repository_url=now.url,
        url=f"{now.url}/issues/{issue.number}",
    )


def _moved_review(review: ReviewRecord, now: RepositoryNow) -> ReviewRecord:
    if review.repository == now.name:
        return review
    return replace(review, repository=now.name, repository_url=now.url)


def carried_pull_requests(
    previous: Iterable[PullRequestRecord], repositories: Repositories, date_range: DateRange
) -> dict[Identity, PullRequestRecord]:
    """The previous pull requests still in the report's public range, under their
    repositories' names now, by identity."""
    carried: dict[Identity, PullRequestRecord] = {}
    for pr in previous:
        now = repositories.get(pr.repository)
        if now is None or now.hidden or not date_range.contains(pr.created_at):
            continue
        moved = _moved_pull_request(pr, now)
        carried[identity(moved)] = moved
    return carried


def carried_issues(
    previous: Iterable[IssueRecord], repositories: Repositories, date_range: DateRange
) -> dict[Identity, IssueRecord]:
    """:func:`carried_pull_requests` for issues."""
    carried: dict[Identity, IssueRecord] = {}
    for issue in previous:
        now = repositories.get(issue.repository)
        if now is None or now.hidden or not date_range.contains(issue.created_at):
            continue
        moved = _moved_issue(issue, now)
        carried[identity(moved)] = moved
    return carried


def merged_reviews(
    previous: Iterable[ReviewRecord],
    repositories: Repositories,
    fresh: dict[Identity, list[ReviewRecord]],
) -> list[ReviewRecord]:
    """The previous reviews of repositories still public (under their names now), except
    those of the pull requests read afresh, whose reviews are ``fresh``'s."""
    kept = []
    for review in previous:
        now = repositories.get(review.repository)
        if now is None or now.hidden:
            continue
        moved = _moved_review(review, now)
        if (moved.repository, moved.pull_request) not in fresh:
            kept.append(moved)
    return kept + [review for reviews in fresh.values() for review in reviews]


def files_still_hold(pr: PullRequestRecord, before: PullRequestRecord | None) -> bool:
    """Whether ``before``'s file list is ``pr``'s too: the same head commit (known on both),
    the same lines and changed files, and a list read in full or truncated by GitHub itself
    (never one that failed to be read)."""
    if before is None or before.head_oid is None or before.head_oid != pr.head_oid:
        return False
    shape = (pr.additions, pr.deletions, pr.changed_files)
    if shape != (before.additions, before.deletions, before.changed_files):
        return False
    return before.files_complete or before.files_note == truncation(before, len(before.files))


def with_files_of(pr: PullRequestRecord, before: PullRequestRecord) -> PullRequestRecord:
    return replace(
        pr, files=before.files, files_complete=before.files_complete, files_note=before.files_note
    )
