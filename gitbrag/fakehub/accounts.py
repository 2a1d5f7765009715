"""Accounts change names, and released names change hands (GitHub docs "Changing your GitHub
username": the old username "becomes available for anyone else to claim", and repositories
move to the new name). Here the old login answers 404 / ``NOT_FOUND`` (and REST search by it
422) at once, and no redirect is kept: a client must not rely on one.

The data set itself never changes: ``renamed`` and ``registered`` build a new ``DataSet`` that
shares every record the change does not touch, so the original stays what tests compute their
oracles from and ``HubState.reset`` gets back to it by dropping the copy. Records name people
by login; an account is its immutable ``FakeUser.id``, which a rename keeps and a registration
takes fresh.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any, Final

from gitbrag.fakehub.records import DataSet, FakeIssue, FakePR, FakeRepo, FakeReview, FakeUser

# GitHub's rules for new logins, plus what it still serves (underscores of managed users, the
# leading, trailing and doubled hyphens of legacy accounts): 1-39 of letters, digits, "-", "_".
_LOGIN: Final = re.compile(r"^(?=.*[A-Za-z0-9])[A-Za-z0-9_-]{1,39}$")
PROFILE_FIELDS: Final = ("name", "bio", "company", "location", "blog", "private_profile")


class AccountError(ValueError):
    """A rename or registration GitHub would refuse (unknown account, name taken, bad name)."""


def check_login(login: object) -> str:
    if not isinstance(login, str) or not _LOGIN.match(login):
        raise AccountError(f"{login!r} is not a login: 1-39 letters, digits, '-' or '_'")
    return login


def renamed(data: DataSet, old: str, new: str) -> DataSet:
    """``data`` with the account now called ``old`` called ``new``: its profile, tokens, pull
    requests, issues, reviews, stars, memberships and repositories (which move to the new
    owner name) follow it. A change of case alone is allowed, as on GitHub."""
    user = data.users.get(old.lower())
    if user is None:
        raise AccountError(f"no account is called {old!r}")
    check_login(new)
    holder = data.users.get(new.lower())
    if holder is not None and holder.id != user.id:
        raise AccountError(f"{new!r} is taken by another account")
    was = user.login

    def name(login: str) -> str:
        return new if login.lower() == was.lower() else login

    def nwo(full_name: str) -> str:
        owner, _, repo = full_name.partition("/")
        return f"{name(owner)}/{repo}"

    def review(r: FakeReview) -> FakeReview:
        return dataclasses.replace(r, author=name(r.author)) if r.author != name(r.author) else r

    def pr(p: FakePR) -> FakePR:
        reviews = [review(r) for r in p.reviews]
        changes = _changes(p, author=name(p.author), repo=nwo(p.repo))
        if any(a is not b for a, b in zip(reviews, p.reviews, strict=True)):
            changes["reviews"] = reviews
        return dataclasses.replace(p, **changes) if changes else p

    def issue(i: FakeIssue) -> FakeIssue:
        changes = _changes(i, author=name(i.author), repo=nwo(i.repo))
        return dataclasses.replace(i, **changes) if changes else i

    def repo(r: FakeRepo) -> FakeRepo:
        stars = [(name(login), when) for login, when in r.stargazers]
        changes = _changes(r, owner=name(r.owner), members={name(m) for m in r.members})
        if stars != r.stargazers:
            changes["stargazers"] = stars
        return dataclasses.replace(r, **changes) if changes else r

    def person(u: FakeUser) -> FakeUser:
        changes = _changes(u, login=name(u.login), members={name(m) for m in u.members})
        if u.id == user.id:
            changes["avatar_seed"] = u.avatar_name  # the picture stays the account's
        return dataclasses.replace(u, **changes) if changes else u

    people = [person(u) for u in data.users.values()]
    users = {u.login.lower(): u for u in people}
    repos = {r.name_with_owner: r for r in map(repo, data.repos.values())}
    tokens = {token: name(login) for token, login in data.tokens.items()}
    return _with(data, users, repos, [pr(p) for p in data.pull_requests], tokens, issue)


def registered(data: DataSet, login: str, account_id: int, **profile: Any) -> DataSet:
    """``data`` with a new account ``login`` (a new person: new id, no history)."""
    check_login(login)
    if login.lower() in data.users:
        raise AccountError(f"{login!r} is taken by another account")
    unknown = set(profile) - set(PROFILE_FIELDS)
    if unknown:
        raise AccountError(f"unknown profile fields {sorted(unknown)}; known: {PROFILE_FIELDS}")
    for key, value in profile.items():
        wanted = bool if key == "private_profile" else (str, type(None))
        if not isinstance(value, wanted):
            raise AccountError(f"profile field {key} has the wrong type: {value!r}")
    # A new person gets a picture of their own, whatever login they took.
    user = FakeUser(login=login, id=account_id, avatar_seed=f"~{account_id}", **profile)
    users = {**data.users, login.lower(): user}
    return _with(data, users, data.repos, data.pull_requests, data.tokens, lambda i: i)


def _changes(record: Any, **wanted: Any) -> dict[str, Any]:
    """The fields of ``record`` whose wanted value differs from the current one."""
    return {key: value for key, value in wanted.items() if getattr(record, key) != value}


def _with(
    data: DataSet,
    users: dict[str, FakeUser],
    repos: dict[str, FakeRepo],
    pull_requests: list[FakePR],
    tokens: dict[str, str],
    issue: Callable[[FakeIssue], FakeIssue],
) -> DataSet:
    return DataSet(
        users=users,
        repos=repos,
        pull_requests=pull_requests,
        tokens=tokens,
        today=data.today,
        issues=[issue(i) for i in data.issues],
        redirects=data.redirects,
    )
