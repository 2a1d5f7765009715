"""The report we build (pydantic): the ``Report`` model *is* the JSON schema of docs/spec.md
section 3 (``schema_version`` 1). Built by :mod:`gitbrag.report.builder` from the records of
:mod:`gitbrag.report.records`; stored, served and rendered as is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from gitbrag.report.records import IssueState, IssueStateReason, PRState

SizeBucket = Literal["one_liner", "small", "medium", "large", "huge", "massive"]
SIZE_BUCKETS: tuple[SizeBucket, ...] = ("one_liner", "small", "medium", "large", "huge", "massive")
SIZE_LABELS: dict[str, str] = {
    "one_liner": "One-liner",
    "small": "Small",
    "medium": "Medium",
    "large": "Large",
    "huge": "Huge",
    "massive": "Massive",
}
SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SocialAccountOut(_Model):
    provider: str
    url: str


class UserOut(_Model):
    login: str
    name: str | None
    avatar_url: str
    html_url: str
    bio: str | None
    company: str | None
    location: str | None
    blog: str | None
    social_accounts: list[SocialAccountOut] = []
    # GitHub's immutable account id (``None`` in reports made before it was recorded): what
    # belongs to a person (curation, ownership) follows it, not the login.
    id: int | None = None


class Totals(_Model):
    pull_requests: int
    merged: int
    open: int
    closed: int
    repositories: int
    additions: int
    deletions: int
    changed_files: int
    stars_gained: int


class Sizes(_Model):
    one_liner: int = 0
    small: int = 0
    medium: int = 0
    large: int = 0
    huge: int = 0
    massive: int = 0


class LanguageShare(_Model):
    name: str
    lines: int
    percent: float
    color: str | None


class MonthCount(_Model):
    month: str  # "2026-03"
    pull_requests: int
    reviews: int = 0  # reviews given that month (0 in reports made before reviews counted)


class PullRequestOut(_Model):
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
    size: SizeBucket
    # Lines changed per language (as ``languages``, by file path); None in reports made before
    # it was kept. Lets the author's curation recount languages without the files.
    languages: dict[str, int] | None = None


class RepositoryOut(_Model):
    name_with_owner: str
    url: str
    description: str | None
    stars: int
    stars_gained: int
    stars_gained_capped: bool
    role: str
    pull_requests: list[PullRequestOut]


class ReviewStates(_Model):
    APPROVED: int = 0
    CHANGES_REQUESTED: int = 0
    COMMENTED: int = 0
    DISMISSED: int = 0


class ReviewedRepositoryOut(_Model):
    name_with_owner: str
    url: str
    reviews: int
    pull_requests: int  # distinct pull requests reviewed there
    last_reviewed_at: datetime
    # The reviews there by state and by month ("2026-03"), so the author's curation can leave
    # a repository out and recount; None in reports made before they were kept.
    states: ReviewStates | None = None
    months: dict[str, int] | None = None


class ReviewsOut(_Model):
    """Reviews given: submitted in the range, on other people's pull requests, public
    repositories only."""

    total: int
    pull_requests: int
    repositories: int
    states: ReviewStates
    by_repository: list[ReviewedRepositoryOut]  # newest review first


class IssueOut(_Model):
    number: int
    title: str
    url: str
    state: IssueState
    state_reason: IssueStateReason | None
    created_at: datetime
    closed_at: datetime | None
    # False when the server could not say why it was closed (an older GitHub Enterprise
    # Server has no ``stateReason``); True in reports made before it was kept.
    state_reason_known: bool = True


class IssueRepositoryOut(_Model):
    name_with_owner: str
    url: str
    issues: list[IssueOut]  # newest first


class IssuesOut(_Model):
    """Issues opened in the range, public repositories only. ``closed`` = ``completed`` +
    ``not_planned`` + ``closed_reason_unknown`` (a duplicate is not planned; closed before
    GitHub kept a reason, ``stateReason: null``: completed, as GitHub shows it; closed on a
    server that cannot say, an older Enterprise Server without ``stateReason``: unknown, never
    called completed)."""

    total: int
    open: int
    closed: int
    completed: int
    not_planned: int
    repositories: int
    by_repository: list[IssueRepositoryOut]  # newest issue first
    closed_reason_unknown: int = 0  # 0 in reports made before it was counted


class Highlights(_Model):
    """Sentences built from the report alone (``gitbrag.report.highlights``): a summary
    paragraph and one bullet per pinned pull request and notable repository, as plain text."""

    summary: str
    bullets: list[str]


class PinnedOut(_Model):
    name_with_owner: str
    number: int


class CurationOut(_Model):
    """What the author's curation (``gitbrag.report.curation``) changed in this report: pull
    requests and whole repositories left out (``hidden_pull_requests`` counts every pull
    request left out, those of hidden repositories included), and the pinned pull requests it
    shows."""

    hidden_pull_requests: int
    hidden_repositories: int
    pinned: list[PinnedOut]


class Report(_Model):
    schema_version: int = SCHEMA_VERSION
    username: str
    period: str | None
    since: str
    until: str
    generated_at: datetime
    include_closed: bool
    complete: bool
    incomplete_reasons: list[str]
    user: UserOut
    totals: Totals
    sizes: Sizes
    roles: dict[str, int]
    languages: list[LanguageShare]
    months: list[MonthCount]
    repositories: list[RepositoryOut]
    # None in reports made before reviews and issues were collected.
    reviews: ReviewsOut | None = None
    issues: IssuesOut | None = None
    # None in reports made before highlights existed (the web fills them in when it renders).
    highlights: Highlights | None = None
    # None unless the author curated the report (the stored report never is: it is applied
    # when served, so a regeneration keeps the author's choices).
    curation: CurationOut | None = None
