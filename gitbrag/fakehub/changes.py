"""What changes on GitHub between two collections, applied at run time (issue 21): a pull
request opened, pushed to, merged or closed; an issue opened or closed; a review submitted or
dismissed; a repository made private or public, or renamed; stars given and taken back.

Each function returns a changed copy of the data set sharing every record the change does not
touch (as ``accounts`` does for renames), so the original stays what tests compute their
oracles from and ``HubState.reset`` gets back to it. ``at`` is when the change happens (the
hub's clock by default, via ``HubState.change``).

GitHub's semantics, as its documentation and API show them:

- ``updatedAt`` of a pull request or issue moves with activity on it: a push, a merge or a
  close, a review submitted or dismissed, a comment (docs "Searching issues and pull
  requests", ``updated:``). Changes to its repository (visibility, name, stars) do not move it.
- A push gives the pull request a new head commit (``headRefOid``) and its diff (files,
  additions, deletions, ``changedFiles``) follows the new head; a merge keeps the head.
- A repository made private disappears from ``is:public`` searches and from everyone who is
  not a member; made public again, it comes back with its history.
- A renamed repository keeps its pull requests, issues and stars under the new name; its old
  name keeps answering ``repository(owner:, name:)`` (GitHub redirects renamed repositories:
  docs "Renaming a repository"; ``followRenames`` defaults to true). A repository renamed
  twice redirects both old names.
- A star carries ``starredAt``; unstarring removes it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, get_args

from gitbrag.fakehub.records import (
    DataSet,
    FakeFile,
    FakeIssue,
    FakePR,
    FakeRepo,
    FakeReview,
    IssueStateReason,
    ReviewState,
    commit_id,
)

REVIEW_STATES: Final = tuple(s for s in get_args(ReviewState) if s != "PENDING")
ISSUE_REASONS: Final = get_args(IssueStateReason)


class ChangeError(ValueError):
    """A change GitHub would refuse (an unknown repository or number, a name taken...)."""


def _repo(data: DataSet, nwo: str) -> FakeRepo:
    found = next((r for key, r in data.repos.items() if key.lower() == nwo.lower()), None)
    if found is None:
        raise ChangeError(f"no repository {nwo!r}")
    return found


def _pr(data: DataSet, nwo: str, number: int) -> FakePR:
    repo = _repo(data, nwo).name_with_owner
    found = next((p for p in data.pull_requests if (p.repo, p.number) == (repo, number)), None)
    if found is None:
        raise ChangeError(f"no pull request {repo}#{number}")
    return found


def _issue(data: DataSet, nwo: str, number: int) -> FakeIssue:
    repo = _repo(data, nwo).name_with_owner
    found = next((i for i in data.issues if (i.repo, i.number) == (repo, number)), None)
    if found is None:
        raise ChangeError(f"no issue {repo}#{number}")
    return found


def _with_pr(data: DataSet, old: FakePR, new: FakePR) -> DataSet:
    prs = [new if p is old else p for p in data.pull_requests]
    return dataclasses.replace(data, pull_requests=prs)


def _with_issue(data: DataSet, old: FakeIssue, new: FakeIssue) -> DataSet:
    return dataclasses.replace(data, issues=[new if i is old else i for i in data.issues])


def _with_repo(data: DataSet, old: FakeRepo, new: FakeRepo) -> DataSet:
    repos = {
        new.name_with_owner if r is old else k: new if r is old else r
        for k, r in data.repos.items()
    }
    return dataclasses.replace(data, repos=repos)


def _next_number(data: DataSet, repo: str) -> int:
    """Pull requests and issues share a repository's numbers, as on GitHub."""
    taken = [p.number for p in data.pull_requests if p.repo == repo]
    taken += [i.number for i in data.issues if i.repo == repo]
    return max(taken, default=0) + 1


def _user(data: DataSet, login: str) -> str:
    user = data.users.get(login.lower())
    if user is None:
        raise ChangeError(f"no account is called {login!r}")
    return user.login


def _files(files: list[Any]) -> list[FakeFile]:
    try:
        out = [FakeFile(str(f[0]), int(f[1]), int(f[2])) for f in files]
    except (TypeError, ValueError, IndexError):
        raise ChangeError("files are [path, additions, deletions] triples") from None
    if not out:
        raise ChangeError("a pull request changes at least one file")
    return out


# ---------------------------------------------------------------------------- pull requests


def open_pull_request(
    data: DataSet,
    at: datetime,
    *,
    repo: str,
    author: str,
    title: str,
    files: list[Any],
    association: str = "CONTRIBUTOR",
) -> DataSet:
    """A new open pull request by ``author`` in ``repo``, numbered after everything there."""
    target = _repo(data, repo).name_with_owner
    number = _next_number(data, target)
    pr = FakePR(
        target,
        number,
        title,
        _user(data, author),
        at,
        None,
        None,
        _files(files),
        association,
        head_oid=commit_id(target, number, at.isoformat()),
    )
    return dataclasses.replace(data, pull_requests=[*data.pull_requests, pr])


def push_to_pull_request(
    data: DataSet, at: datetime, *, repo: str, number: int, files: list[Any]
) -> DataSet:
    """New commits on an open pull request: a new head, its diff now ``files``."""
    pr = _pr(data, repo, number)
    if pr.state != "OPEN":
        raise ChangeError(f"{pr.repo}#{pr.number} is {pr.state.lower()}: nothing to push to")
    changed = dataclasses.replace(
        pr,
        files=_files(files),
        head_oid=commit_id(pr.head_oid, at.isoformat()),
        diff_too_large=False,
        touched_at=at,
    )
    return _with_pr(data, pr, changed)


def merge_pull_request(data: DataSet, at: datetime, *, repo: str, number: int) -> DataSet:
    pr = _pr(data, repo, number)
    if pr.state != "OPEN":
        raise ChangeError(f"{pr.repo}#{pr.number} is {pr.state.lower()}: it cannot be merged")
    return _with_pr(data, pr, dataclasses.replace(pr, merged_at=at, closed_at=at, touched_at=at))


def close_pull_request(data: DataSet, at: datetime, *, repo: str, number: int) -> DataSet:
    pr = _pr(data, repo, number)
    if pr.state != "OPEN":
        raise ChangeError(f"{pr.repo}#{pr.number} is {pr.state.lower()}: it cannot be closed")
    return _with_pr(data, pr, dataclasses.replace(pr, closed_at=at, touched_at=at))


def reopen_pull_request(data: DataSet, at: datetime, *, repo: str, number: int) -> DataSet:
    pr = _pr(data, repo, number)
    if pr.state != "CLOSED":
        raise ChangeError(f"{pr.repo}#{pr.number} is {pr.state.lower()}: it cannot be reopened")
    return _with_pr(data, pr, dataclasses.replace(pr, closed_at=None, touched_at=at))


# ---------------------------------------------------------------------------- reviews, issues


def submit_review(
    data: DataSet, at: datetime, *, repo: str, number: int, author: str, state: str
) -> DataSet:
    """A review of ``repo#number`` by ``author``, submitted ``at``."""
    if state not in REVIEW_STATES:
        raise ChangeError(f"state must be one of {REVIEW_STATES}")
    pr = _pr(data, repo, number)
    ids = [r.id for p in data.pull_requests for r in p.reviews]
    review = FakeReview(max(ids, default=5_000_000) + 1, _user(data, author), state, at)  # type: ignore[arg-type]
    return _with_pr(data, pr, dataclasses.replace(pr, reviews=[*pr.reviews, review]))


def dismiss_review(data: DataSet, at: datetime, *, repo: str, number: int, review: int) -> DataSet:
    """A maintainer dismisses review ``review`` of ``repo#number``: its state is DISMISSED,
    its ``submittedAt`` stays, the pull request is updated."""
    pr = _pr(data, repo, number)
    if not any(r.id == review for r in pr.reviews):
        raise ChangeError(f"{pr.repo}#{pr.number} has no review {review}")
    reviews = [
        dataclasses.replace(r, state="DISMISSED") if r.id == review else r for r in pr.reviews
    ]
    return _with_pr(data, pr, dataclasses.replace(pr, reviews=reviews, touched_at=at))


def open_issue(data: DataSet, at: datetime, *, repo: str, author: str, title: str) -> DataSet:
    target = _repo(data, repo).name_with_owner
    issue = FakeIssue(target, _next_number(data, target), title, _user(data, author), at, None)
    return dataclasses.replace(data, issues=[*data.issues, issue])


def close_issue(
    data: DataSet, at: datetime, *, repo: str, number: int, reason: str = "COMPLETED"
) -> DataSet:
    if reason not in ISSUE_REASONS or reason == "REOPENED":
        raise ChangeError("reason must be COMPLETED, NOT_PLANNED or DUPLICATE")
    issue = _issue(data, repo, number)
    if issue.closed_at is not None:
        raise ChangeError(f"{issue.repo}#{issue.number} is closed already")
    closed = dataclasses.replace(issue, closed_at=at, state_reason=reason, touched_at=at)  # type: ignore[arg-type]
    return _with_issue(data, issue, closed)


# ---------------------------------------------------------------------------- repositories


def set_visibility(data: DataSet, at: datetime, *, repo: str, private: bool) -> DataSet:
    """``repo`` made private (or public again); its pull requests and issues are untouched."""
    found = _repo(data, repo)
    if not isinstance(private, bool):
        raise ChangeError("private is true or false")
    return _with_repo(data, found, dataclasses.replace(found, is_private=private))


def rename_repository(data: DataSet, at: datetime, *, repo: str, name: str) -> DataSet:
    """``repo`` is called ``owner/name`` from now on; the old name redirects to it."""
    found = _repo(data, repo)
    old, new = found.name_with_owner, f"{found.owner}/{name}"
    if not name or "/" in name or not all(c.isalnum() or c in "-_." for c in name):
        raise ChangeError(f"{name!r} is not a repository name")
    clash = next((k for k in data.repos if k.lower() == new.lower()), None)
    if clash is not None and clash != old:
        raise ChangeError(f"{new!r} exists already")
    renamed = dataclasses.replace(found, name=name)

    def moved(nwo: str) -> str:
        return new if nwo == old else nwo

    redirects = {k: moved(v) for k, v in data.redirects.items()}
    if old.lower() != new.lower():
        redirects[old.lower()] = new
    redirects.pop(new.lower(), None)
    return dataclasses.replace(
        _with_repo(data, found, renamed),
        pull_requests=[
            dataclasses.replace(p, repo=new) if p.repo == old else p for p in data.pull_requests
        ],
        issues=[dataclasses.replace(i, repo=new) if i.repo == old else i for i in data.issues],
        redirects=redirects,
    )


def star(data: DataSet, at: datetime, *, repo: str, logins: list[str]) -> DataSet:
    """Each of ``logins`` stars ``repo`` at ``at`` (one who starred it already is left as is)."""
    found = _repo(data, repo)
    known = {login.lower() for login, _ in found.stargazers}
    new = [(_user(data, login), at) for login in logins if login.lower() not in known]
    return _with_repo(data, found, dataclasses.replace(found, stargazers=[*found.stargazers, *new]))


def unstar(data: DataSet, at: datetime, *, repo: str, logins: list[str]) -> DataSet:
    found = _repo(data, repo)
    gone = {login.lower() for login in logins}
    kept = [(login, when) for login, when in found.stargazers if login.lower() not in gone]
    return _with_repo(data, found, dataclasses.replace(found, stargazers=kept))


Change = Callable[..., DataSet]

#: Every change by the name the control endpoint takes (``POST /_fakehub/change``).
CHANGES: Final[dict[str, Change]] = {
    "open_pull_request": open_pull_request,
    "push_to_pull_request": push_to_pull_request,
    "merge_pull_request": merge_pull_request,
    "close_pull_request": close_pull_request,
    "reopen_pull_request": reopen_pull_request,
    "submit_review": submit_review,
    "dismiss_review": dismiss_review,
    "open_issue": open_issue,
    "close_issue": close_issue,
    "set_visibility": set_visibility,
    "rename_repository": rename_repository,
    "star": star,
    "unstar": unstar,
}
