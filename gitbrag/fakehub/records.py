"""The records of the simulated GitHub's data set (a contract: see ``gitbrag.fakehub.data``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Final, Literal

PRState = Literal["OPEN", "CLOSED", "MERGED"]
# PENDING: started and not submitted (``submitted_at`` None), seen only by its author.
ReviewState = Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"]
# Why a closed issue is closed (None: closed before GitHub had reasons, or an open issue never
# reopened). GraphQL shows DUPLICATE as NOT_PLANNED unless asked ``enableDuplicate: true``.
IssueStateReason = Literal["COMPLETED", "NOT_PLANNED", "DUPLICATE", "REOPENED"]
EPOCH: Final = datetime(2008, 2, 8, tzinfo=UTC)


def commit_id(*parts: object) -> str:
    """A deterministic 40-hex commit id for ``parts`` (a pull request's head)."""
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


def token_for(login: str) -> str:
    """The deterministic token of ``login`` (case-insensitive), as listed in ``DataSet.tokens``."""
    return "gho_fake_" + hashlib.sha256(login.lower().encode()).hexdigest()[:27]


@dataclass
class FakeFile:
    path: str
    additions: int
    deletions: int


@dataclass
class FakeUser:
    login: str
    id: int
    name: str | None = None
    bio: str | None = None
    company: str | None = None
    location: str | None = None
    blog: str | None = None
    social_accounts: list[tuple[str, str]] = field(default_factory=list)
    created_at: datetime = EPOCH
    type: str = "User"  # "User" or "Organization", as GitHub's REST ``type``
    # "Make profile private and hide activity" (shown only with ``Behaviours.private_profiles``)
    private_profile: bool = False
    # An organisation enforcing SAML single sign-on (``Behaviours.sso_enforcement``)
    sso_enforced: bool = False
    members: set[str] = field(default_factory=set)  # an organisation's member logins
    # What the avatar is drawn from ("": the login). GitHub's avatars belong to the account
    # (``avatars.githubusercontent.com/u/<id>``): a renamed account keeps its picture, a new
    # holder of a released login gets another one (``accounts``).
    avatar_seed: str = ""

    @property
    def avatar_name(self) -> str:
        """The name in the account's avatar URL (``/avatars/<name>.svg``)."""
        return self.avatar_seed or self.login


@dataclass
class FakeRepo:
    owner: str
    name: str
    description: str | None
    is_private: bool
    created_at: datetime
    stargazers: list[tuple[str, datetime]] = field(default_factory=list)  # ascending
    members: set[str] = field(default_factory=set)  # logins that see it when private
    id: int = 0

    @property
    def name_with_owner(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def url(self) -> str:
        return f"https://github.com/{self.owner}/{self.name}"

    @property
    def stargazer_count(self) -> int:
        return len(self.stargazers)


@dataclass
class FakeReview:
    """A pull-request review by ``author``, in the order GitHub lists them (oldest first)."""

    id: int
    author: str
    state: ReviewState
    submitted_at: datetime | None  # None while PENDING

    @property
    def node_id(self) -> str:
        return f"PRR_fake{self.id}"


@dataclass
class FakeIssue:
    repo: str
    number: int
    title: str
    author: str
    created_at: datetime
    closed_at: datetime | None
    state_reason: IssueStateReason | None = None
    # The last change made at run time (``changes``): it moves ``updated_at`` as GitHub does.
    touched_at: datetime | None = None

    @property
    def state(self) -> Literal["OPEN", "CLOSED"]:
        return "CLOSED" if self.closed_at is not None else "OPEN"

    @property
    def url(self) -> str:
        return f"https://github.com/{self.repo}/issues/{self.number}"

    @property
    def updated_at(self) -> datetime:
        return max(self.created_at, self.closed_at or self.created_at, self.touched_at or EPOCH)


@dataclass
class FakePR:
    repo: str
    number: int
    title: str
    author: str
    created_at: datetime
    merged_at: datetime | None
    closed_at: datetime | None
    files: list[FakeFile]
    author_association: str
    # GitHub could not compute the diff: GraphQL answers ``files: null`` (no error) and
    # ``changedFiles: 0``, while additions and deletions stay right.
    diff_too_large: bool = False
    reviews: list[FakeReview] = field(default_factory=list)  # oldest first
    # The head commit (``headRefOid``, set once the PR is numbered: ``commit_id``): a push
    # changes it (``changes``), a rename of the repository does not.
    head_oid: str = ""
    # The last change made at run time that GitHub counts as activity (a push, a merge, a
    # review dismissed...): it moves ``updated_at``.
    touched_at: datetime | None = None

    @property
    def state(self) -> PRState:
        if self.merged_at is not None:
            return "MERGED"
        return "CLOSED" if self.closed_at is not None else "OPEN"

    @property
    def additions(self) -> int:
        return sum(f.additions for f in self.files)

    @property
    def deletions(self) -> int:
        return sum(f.deletions for f in self.files)

    @property
    def changed_files(self) -> int:
        return len(self.files)

    @property
    def url(self) -> str:
        return f"https://github.com/{self.repo}/pull/{self.number}"

    @property
    def updated_at(self) -> datetime:
        """The last change: opened, closed or merged, or a review submitted."""
        moments = [self.created_at, self.closed_at or self.created_at, self.touched_at or EPOCH]
        moments += [r.submitted_at for r in self.reviews if r.submitted_at is not None]
        return max(moments)


@dataclass
class DataSet:
    users: dict[str, FakeUser]  # key: lower-case login
    repos: dict[str, FakeRepo]  # key: name_with_owner
    pull_requests: list[FakePR]
    tokens: dict[str, str]  # token -> login
    today: date
    issues: list[FakeIssue] = field(default_factory=list)  # oldest first
    # Renamed repositories: lower-case old ``owner/name`` -> the name it has now (GitHub
    # redirects a renamed repository's old name; ``changes.rename_repository``).
    redirects: dict[str, str] = field(default_factory=dict)

    def prs_by(self, login: str) -> list[FakePR]:
        """Every PR authored by ``login`` (case-insensitive), oldest first."""
        wanted = login.lower()
        return [pr for pr in self.pull_requests if pr.author.lower() == wanted]

    def user(self, login: str) -> FakeUser | None:
        return self.users.get(login.lower())

    def issues_by(self, login: str) -> list[FakeIssue]:
        """Every issue opened by ``login`` (case-insensitive), oldest first."""
        wanted = login.lower()
        return [issue for issue in self.issues if issue.author.lower() == wanted]

    def reviews_by(self, login: str) -> list[tuple[FakePR, FakeReview]]:
        """Every review ``login`` started or submitted (pending ones too), with its PR."""
        wanted = login.lower()
        return [
            (pr, review)
            for pr in self.pull_requests
            for review in pr.reviews
            if review.author.lower() == wanted
        ]


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
