"""What we collect from GitHub for one user and range: plain frozen dataclasses.

They are the boundary between ``gitbrag.github`` (which fills them) and ``gitbrag.report.builder``
(which turns them into the ``Report`` of :mod:`gitbrag.report.models`). The state vocabularies are
GitHub's, as the report keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from gitbrag.report.periods import DateRange

PRState = Literal["merged", "open", "closed"]
ReviewState = Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"]
REVIEW_STATES: tuple[ReviewState, ...] = ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED")
IssueState = Literal["open", "closed"]
IssueStateReason = Literal["completed", "not_planned", "reopened"]


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str
    additions: int
    deletions: int


@dataclass(frozen=True, slots=True)
class RepositoryInfo:
    name_with_owner: str
    url: str
    description: str | None
    stars: int
    is_private: bool = False


@dataclass(frozen=True, slots=True)
class PullRequestRecord:
    repository: str  # nameWithOwner
    number: int
    title: str
    url: str
    state: PRState
    created_at: datetime
    merged_at: datetime | None
    closed_at: datetime | None
    additions: int
    deletions: int
    changed_files: int
    author_association: str
    files: tuple[FileChange, ...] = ()
    files_complete: bool = True
    # Why ``files`` leaves out some of the changes (``files_complete`` false), for the report.
    files_note: str | None = None
    # The head commit (``headRefOid``) the files were read at: a refresh reads them again
    # only when it moved (``None``: not known, as in records kept before issue 21).
    head_oid: str | None = None


@dataclass(frozen=True, slots=True)
class SocialAccount:
    provider: str
    url: str


@dataclass(frozen=True, slots=True)
class UserProfile:
    login: str
    name: str | None
    avatar_url: str
    html_url: str
    bio: str | None = None
    company: str | None = None
    location: str | None = None
    blog: str | None = None
    social_accounts: tuple[SocialAccount, ...] = ()
    # GitHub's immutable account id (REST ``id``, GraphQL ``databaseId``): a login can be
    # renamed away and registered again by someone else; the id stays with the person.
    id: int | None = None


@dataclass(frozen=True, slots=True)
class StarCount:
    """Stars a repository gained in the range; ``capped`` means "at least ``count``"."""

    count: int
    capped: bool = False


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """One submitted review of a pull request (``pull_request_author`` None: a deleted
    account)."""

    id: str
    repository: str  # nameWithOwner
    repository_url: str
    repository_private: bool
    pull_request: int
    pull_request_author: str | None
    state: ReviewState
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class IssueRecord:
    repository: str  # nameWithOwner
    repository_url: str
    repository_private: bool
    number: int
    title: str
    url: str
    state: IssueState
    state_reason: IssueStateReason | None
    created_at: datetime
    closed_at: datetime | None
    # False when the server could not say (an older GitHub Enterprise Server has no
    # ``Issue.stateReason``): a closed issue then counts as closed, its reason unknown. True
    # with ``state_reason`` None: GitHub has the field and kept no reason (completed).
    state_reason_known: bool = True


@dataclass(slots=True)
class Collection:
    """Everything the builder needs, as collected from GitHub for one user and range.

    ``reviews`` and ``issues`` are ``None`` when they were not collected at all (a caller
    that asked only for pull requests), as opposed to collected and empty."""

    profile: UserProfile
    pull_requests: list[PullRequestRecord]
    repositories: dict[str, RepositoryInfo]
    stars_gained: dict[str, StarCount]
    incomplete_reasons: list[str] = field(default_factory=list)
    reviews: list[ReviewRecord] | None = None
    issues: list[IssueRecord] | None = None


@dataclass(slots=True)
class Snapshot:
    """A report's collection as kept for the next generation of the same report to refresh
    from (issue 21): the ``collection`` the builder got, the range and option it covers, when
    it was collected (``collected_at``: when this collection began asking GitHub;
    ``cold_at``: when the cold collection it builds on did, itself for a cold one), and
    ``left_out``: the pull requests the search found in the range that the report leaves out
    (closed without merge, when it does not include them), which GitHub's counts include."""

    collection: Collection
    range: DateRange
    include_closed: bool
    collected_at: datetime
    cold_at: datetime
    left_out: list[PullRequestRecord] = field(default_factory=list)
