"""Folding what changed into the previous records (gitbrag.github.refresh_merge), case by case."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from gitbrag.github.refresh_merge import (
    RepositoryNow,
    carried_issues,
    carried_pull_requests,
    files_still_hold,
    merged_reviews,
)
from gitbrag.report.periods import DateRange
from gitbrag.report.records import FileChange, IssueRecord, PullRequestRecord, ReviewRecord

RANGE = DateRange(date(2026, 1, 1), date(2026, 6, 30))
INSIDE = datetime(2026, 3, 1, tzinfo=UTC)
BEFORE = datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)


def pr(
    repo: str = "o/r", number: int = 1, created: datetime = INSIDE, **changes: object
) -> PullRequestRecord:
    record = PullRequestRecord(
        repository=repo,
        number=number,
        title="t",
        url=f"https://github.com/{repo}/pull/{number}",
        state="merged",
        created_at=created,
        merged_at=created,
        closed_at=created,
        additions=10,
        deletions=2,
        changed_files=1,
        author_association="OWNER",
        files=(FileChange("a.py", 10, 2),),
        head_oid="a" * 40,
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def issue(repo: str = "o/r", number: int = 2) -> IssueRecord:
    return IssueRecord(
        repo,
        f"https://github.com/{repo}",
        False,
        number,
        "i",
        f"https://github.com/{repo}/issues/{number}",
        "open",
        None,
        INSIDE,
        None,
    )


def review(repo: str = "o/r", number: int = 3, review_id: str = "R1") -> ReviewRecord:
    return ReviewRecord(
        review_id, repo, f"https://github.com/{repo}", False, number, "someone", "APPROVED", INSIDE
    )


SAME = {"o/r": RepositoryNow("o/r", "https://github.com/o/r")}
RENAMED = {"o/r": RepositoryNow("o/new", "https://github.com/o/new")}
HIDDEN = {"o/r": RepositoryNow("o/r", "", hidden=True)}


def test_pull_requests_follow_their_repository() -> None:
    assert carried_pull_requests([pr()], SAME, RANGE) == {("o/r", 1): pr()}
    moved = carried_pull_requests([pr()], RENAMED, RANGE)
    assert moved == {("o/new", 1): pr("o/new")}  # the URL follows the new name
    assert carried_pull_requests([pr()], HIDDEN, RANGE) == {}
    assert carried_pull_requests([pr(created=BEFORE)], SAME, RANGE) == {}  # out of range now
    assert carried_pull_requests([pr("x/y")], SAME, RANGE) == {}  # a repository nobody asked


def test_issues_follow_their_repository() -> None:
    (moved,) = carried_issues([issue()], RENAMED, RANGE).values()
    assert (moved.repository, moved.repository_url, moved.url) == (
        "o/new",
        "https://github.com/o/new",
        "https://github.com/o/new/issues/2",
    )
    assert carried_issues([issue()], HIDDEN, RANGE) == {}


def test_reviews_read_again_replace_the_previous_ones() -> None:
    kept, dismissed = review(number=3, review_id="R1"), review(number=4, review_id="R2")
    fresh = {("o/new", 4): [replace(dismissed, repository="o/new", state="DISMISSED")]}
    merged = merged_reviews([kept, dismissed], RENAMED, fresh)
    assert [(r.id, r.repository, r.state) for r in merged] == [
        ("R1", "o/new", "APPROVED"),
        ("R2", "o/new", "DISMISSED"),
    ]
    assert merged_reviews([kept], HIDDEN, {}) == []
    assert merged_reviews([kept], SAME, {("o/r", 3): []}) == []  # none left of that PR


@pytest.mark.parametrize(
    ("now", "before", "holds"),
    [
        (pr(), pr(), True),
        (pr(head_oid="b" * 40), pr(), False),  # pushed to
        (pr(additions=11), pr(), False),  # its base moved under it
        (pr(), pr(head_oid=None), False),  # kept before heads were
        (pr(), None, False),  # new
        (pr(), pr(files=(), files_complete=False, files_note=None), False),  # never read
        (
            pr(changed_files=5000),
            pr(
                changed_files=5000,
                files_complete=False,
                files_note="GitHub lists only 1 of its 5,000 changed files",
            ),
            True,  # truncated by GitHub itself: reading again brings the same
        ),
    ],
)
def test_files_hold_while_the_head_and_lines_do(
    now: PullRequestRecord, before: PullRequestRecord | None, holds: bool
) -> None:
    assert files_still_hold(now, before) is holds
