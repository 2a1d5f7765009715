"""Tiny constructors for collected records, so report tests read like tables."""

from __future__ import annotations

from datetime import UTC, date, datetime

from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.report.records import (
    Collection,
    FileChange,
    IssueRecord,
    IssueState,
    IssueStateReason,
    PRState,
    PullRequestRecord,
    RepositoryInfo,
    ReviewRecord,
    ReviewState,
    StarCount,
    UserProfile,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# The day the report tests run on, a year's report of it, and when that report is made.
TODAY = date(2026, 11, 29)
ONE_YEAR = ReportKey("octo-cat", DateRange.for_period("1_year", TODAY))
GENERATED = at("2026-11-29T12:00:00")


def pr(
    repo: str,
    number: int,
    created: str,
    state: PRState = "merged",
    additions: int = 10,
    deletions: int = 2,
    files: tuple[FileChange, ...] = (),
    role: str = "CONTRIBUTOR",
    title: str = "A change",
) -> PullRequestRecord:
    created_at = at(created)
    return PullRequestRecord(
        repository=repo,
        number=number,
        title=title,
        url=f"https://github.com/{repo}/pull/{number}",
        state=state,
        created_at=created_at,
        merged_at=created_at if state == "merged" else None,
        closed_at=created_at if state != "open" else None,
        additions=additions,
        deletions=deletions,
        changed_files=len(files) or 1,
        author_association=role,
        files=files,
    )


def repo(name: str, stars: int = 5, private: bool = False) -> RepositoryInfo:
    return RepositoryInfo(name, f"https://github.com/{name}", f"About {name}", stars, private)


def collection(
    prs: list[PullRequestRecord],
    repos: list[RepositoryInfo] | None = None,
    stars: dict[str, StarCount] | None = None,
    *,
    reviews: list[ReviewRecord] | None = None,
    issues: list[IssueRecord] | None = None,
) -> Collection:
    names = {p.repository for p in prs}
    repos = repos if repos is not None else [repo(name) for name in sorted(names)]
    return Collection(
        profile=UserProfile(
            "Octo-Cat", "Octo Cat", "https://a/x.png", "https://github.com/Octo-Cat"
        ),
        pull_requests=prs,
        repositories={r.name_with_owner: r for r in repos},
        stars_gained=stars or {},
        reviews=reviews,
        issues=issues,
    )


def review(
    repo: str,
    number: int,
    submitted: str,
    state: ReviewState = "APPROVED",
    *,
    author: str | None = "someone-else",
    review_id: str | None = None,
    private: bool = False,
) -> ReviewRecord:
    """A review by the report's user of ``repo#number``, a pull request ``author`` opened."""
    return ReviewRecord(
        id=review_id or f"{repo}#{number}@{submitted}",
        repository=repo,
        repository_url=f"https://github.com/{repo}",
        repository_private=private,
        pull_request=number,
        pull_request_author=author,
        state=state,
        submitted_at=at(submitted),
    )


def issue(
    repo: str,
    number: int,
    created: str,
    state: IssueState = "open",
    reason: IssueStateReason | None = None,
    *,
    private: bool = False,
    title: str = "Something is wrong",
    reason_known: bool = True,
) -> IssueRecord:
    created_at = at(created)
    return IssueRecord(
        repository=repo,
        repository_url=f"https://github.com/{repo}",
        repository_private=private,
        number=number,
        title=title,
        url=f"https://github.com/{repo}/issues/{number}",
        state=state,
        state_reason=reason,
        created_at=created_at,
        closed_at=created_at if state == "closed" else None,
        state_reason_known=reason_known,
    )
