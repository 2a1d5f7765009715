"""The author's curation of their public reports: pull requests and whole repositories left
out (a hidden repository's reviews given and issues opened too), and up to five pinned pull
requests. Pure: a :class:`Curation` value and
:func:`curated`, which applies one to a report.

A curation belongs to a user (every period of their reports), is kept apart from the reports
(``gitbrag.stores.curation``) so a regeneration keeps it, and is applied when a report is
served: totals, sizes, languages, months, highlights and the exports all count only what is
shown, and ``Report.curation`` says how much the author hid, so the numbers stay honest.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Final

from pydantic import BaseModel, ConfigDict

from gitbrag.errors import InvalidInput
from gitbrag.report import counts
from gitbrag.report.models import (
    CurationOut,
    IssuesOut,
    PinnedOut,
    Report,
    RepositoryOut,
    ReviewsOut,
)
from gitbrag.report.summary import Frame, Rows, highlighted, summarise

MAX_PINS: Final = 5
# What one account's choices may hold (request data must not grow Redis without bound, nor
# make a render slow): entries per list, and bytes of the whole (JSON). Every entry must be
# in one of the author's reports (``web.routes.curation``), so a real curation is far less.
MAX_HIDDEN_REPOSITORIES: Final = 1000
MAX_HIDDEN_PULL_REQUESTS: Final = 2000
MAX_BYTES: Final = 128 * 1024
NO_CURATION: Final = "0"  # the version of an empty curation

# An owner is a login (``gitbrag.report.periods``: Enterprise Managed Users' ``handle_shortcode``
# and legacy logins beginning with a hyphen own repositories too); a name 1-100 of letters,
# digits, ``.``, ``_``, ``-``.
_OWNER_NAME = r"(?=[-_]*[A-Za-z0-9])[A-Za-z0-9_-]{1,39}/[A-Za-z0-9._-]{1,100}"
_REPOSITORY = re.compile(_OWNER_NAME, re.ASCII)
_PULL_REQUEST = re.compile(f"({_OWNER_NAME})#([0-9]{{1,9}})", re.ASCII)


def repository_name(value: str) -> str:
    """``owner/name`` as given, or ``InvalidInput``."""
    value = value.strip()
    if not _REPOSITORY.fullmatch(value):
        raise InvalidInput("not a repository name (owner/name)")
    return value


def pull_request_ref(value: str) -> tuple[str, int]:
    """``owner/name#123`` -> ``("owner/name", 123)``, or ``InvalidInput``."""
    found = _PULL_REQUEST.fullmatch(value.strip())
    if found is None or int(found.group(2)) == 0:
        raise InvalidInput("not a pull request (owner/name#number)")
    return found.group(1), int(found.group(2))


def ref(name_with_owner: str, number: int) -> str:
    return f"{name_with_owner}#{number}"


def _without(items: tuple[str, ...], value: str) -> tuple[str, ...]:
    return tuple(item for item in items if item.lower() != value.lower())


def _lowered(items: tuple[str, ...]) -> frozenset[str]:
    return frozenset(item.lower() for item in items)


class Curation(BaseModel):
    """One user's choices. Names compare case-insensitively (as GitHub's do); lookups are
    set membership (a render asks twice per pull request)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hidden_repositories: tuple[str, ...] = ()  # "owner/name"
    hidden_pull_requests: tuple[str, ...] = ()  # "owner/name#123"
    pinned: tuple[str, ...] = ()  # "owner/name#123", in the author's order

    @property
    def empty(self) -> bool:
        return not (self.hidden_repositories or self.hidden_pull_requests or self.pinned)

    @property
    def version(self) -> str:
        """A digest of the choices (``"0"`` when there are none): the same choices always
        have the same version, so renderings of them can be reused after an undo."""
        if self.empty:
            return NO_CURATION
        canonical = self.model_dump_json().lower().encode()
        return hashlib.sha256(canonical).hexdigest()[:16]

    @cached_property
    def _hidden_repository_set(self) -> frozenset[str]:
        return _lowered(self.hidden_repositories)

    @cached_property
    def _hidden_pull_request_set(self) -> frozenset[str]:
        return _lowered(self.hidden_pull_requests)

    @cached_property
    def _pinned_set(self) -> frozenset[str]:
        return _lowered(self.pinned)

    def _with(self, changes: dict[str, tuple[str, ...]]) -> Curation:
        """A new curation with ``changes`` (never ``model_copy``: it would copy the cached
        lookup sets along)."""
        return Curation(**{**self.model_dump(), **changes})

    def checked(self) -> Curation:
        """This curation, or ``InvalidInput`` when it holds more than a curation may."""
        if len(self.hidden_repositories) > MAX_HIDDEN_REPOSITORIES:
            raise InvalidInput(f"at most {MAX_HIDDEN_REPOSITORIES:,} hidden repositories")
        if len(self.hidden_pull_requests) > MAX_HIDDEN_PULL_REQUESTS:
            raise InvalidInput(f"at most {MAX_HIDDEN_PULL_REQUESTS:,} hidden pull requests")
        if len(self.model_dump_json()) > MAX_BYTES:
            raise InvalidInput("your curation is as large as it may be: show something first")
        return self

    def hide_repository(self, name: str) -> Curation:
        name = repository_name(name)
        if self.hides_repository(name):
            return self
        pinned = tuple(p for p in self.pinned if pull_request_ref(p)[0].lower() != name.lower())
        hidden = tuple(sorted((*self.hidden_repositories, name), key=str.lower))
        return self._with({"hidden_repositories": hidden, "pinned": pinned}).checked()

    def show_repository(self, name: str) -> Curation:
        name = repository_name(name)
        return self._with({"hidden_repositories": _without(self.hidden_repositories, name)})

    def hide_pull_request(self, value: str) -> Curation:
        repo, number = pull_request_ref(value)
        key = ref(repo, number)
        if self.hides_pull_request(repo, number):
            return self
        hidden = tuple(sorted((*self.hidden_pull_requests, key), key=str.lower))
        return self._with(
            {"hidden_pull_requests": hidden, "pinned": _without(self.pinned, key)}
        ).checked()

    def show_pull_request(self, value: str) -> Curation:
        key = ref(*pull_request_ref(value))
        return self._with({"hidden_pull_requests": _without(self.hidden_pull_requests, key)})

    def pin(self, value: str) -> Curation:
        """Pin a pull request (shown again if it was hidden, and its repository too)."""
        repo, number = pull_request_ref(value)
        key = ref(repo, number)
        if self.pins(repo, number):
            return self
        if len(self.pinned) >= MAX_PINS:
            raise InvalidInput(f"you can pin at most {MAX_PINS} pull requests; unpin one first")
        return self._with(
            {
                "pinned": (*self.pinned, key),
                "hidden_pull_requests": _without(self.hidden_pull_requests, key),
                "hidden_repositories": _without(self.hidden_repositories, repo),
            }
        )

    def unpin(self, value: str) -> Curation:
        key = ref(*pull_request_ref(value))
        return self._with({"pinned": _without(self.pinned, key)})

    def hides_repository(self, name: str) -> bool:
        return name.lower() in self._hidden_repository_set

    def hides_pull_request(self, name_with_owner: str, number: int) -> bool:
        return ref(name_with_owner, number).lower() in self._hidden_pull_request_set

    def pins(self, name_with_owner: str, number: int) -> bool:
        return ref(name_with_owner, number).lower() in self._pinned_set

    def undone(self, undo: Undo) -> Curation:
        """The curation before the change ``undo`` was recorded for (``undo_of``)."""
        return Curation(
            hidden_repositories=_restored(self.hidden_repositories, undo.repositories),
            hidden_pull_requests=_restored(self.hidden_pull_requests, undo.pull_requests),
            pinned=self.pinned if undo.pinned is None else undo.pinned,
        )


class Swap(BaseModel):
    """What one list lost (``add`` back) and gained (``remove`` again) in a change."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


class Undo(BaseModel):
    """What takes a curation back to the one before a change: a diff, so an undo history
    costs what the changes changed (one entry for a click, the whole list for a reset)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    repositories: Swap = Swap()
    pull_requests: Swap = Swap()
    pinned: tuple[str, ...] | None = None  # the pins before, when they changed (at most 5)


def _swap(before: tuple[str, ...], after: tuple[str, ...]) -> Swap:
    was, now = _lowered(before), _lowered(after)
    return Swap(
        add=tuple(item for item in before if item.lower() not in now),
        remove=tuple(item for item in after if item.lower() not in was),
    )


def undo_of(before: Curation, after: Curation) -> Undo:
    """The ``Undo`` that turns ``after`` back into ``before``."""
    return Undo(
        repositories=_swap(before.hidden_repositories, after.hidden_repositories),
        pull_requests=_swap(before.hidden_pull_requests, after.hidden_pull_requests),
        pinned=None if before.pinned == after.pinned else before.pinned,
    )


def _restored(items: tuple[str, ...], swap: Swap) -> tuple[str, ...]:
    removed = _lowered(swap.remove)
    kept = {item.lower(): item for item in items if item.lower() not in removed}
    kept.update((item.lower(), item) for item in swap.add)
    return tuple(sorted(kept.values(), key=str.lower))


# --------------------------------------------------------------------------- applying it


def _frame(report: Report, reviews: ReviewsOut | None) -> Frame:
    """The months ``report`` shows and its languages' colours; its languages as they were when
    its pull requests do not say theirs (a report made before per-PR languages), its reviews
    per month as they were unless ``reviews`` changed and its rows say their months."""
    per_pr = all(
        pr.languages is not None for repo in report.repositories for pr in repo.pull_requests
    )
    return Frame(
        months=[month.month for month in report.months],
        colors={share.name: share.color for share in report.languages},
        languages=None if per_pr else list(report.languages),
        reviews_by_month=None
        if _review_months_recounted(report.reviews, reviews)
        else {month.month: month.reviews for month in report.months},
    )


@dataclass(frozen=True, slots=True)
class _Shown:
    """The repositories a curation keeps (each with the pull requests it keeps), how many pull
    requests and repositories it left out, and what it left out as incomplete reasons name
    it (``owner/name``, ``owner/name#1:``; lower case)."""

    repositories: list[RepositoryOut]
    hidden_pull_requests: int
    hidden_repositories: int
    left_out: list[str]


def _shown(report: Report, curation: Curation) -> _Shown:
    repositories: list[RepositoryOut] = []
    hidden_prs = hidden_repos = 0
    left_out: list[str] = []
    for repo in report.repositories:
        name = repo.name_with_owner
        if curation.hides_repository(name):
            hidden_repos += 1
            hidden_prs += len(repo.pull_requests)
            left_out.append(name.lower())
            continue
        kept = [pr for pr in repo.pull_requests if not curation.hides_pull_request(name, pr.number)]
        hidden_prs += len(repo.pull_requests) - len(kept)
        left_out += [
            f"{name.lower()}#{pr.number}:"
            for pr in repo.pull_requests
            if curation.hides_pull_request(name, pr.number)
        ]
        if kept:
            same = len(kept) == len(repo.pull_requests)
            repositories.append(repo if same else repo.model_copy(update={"pull_requests": kept}))
    return _Shown(repositories, hidden_prs, hidden_repos, left_out)


def curated(report: Report, curation: Curation) -> Report:
    """``report`` as its author chose to show it, with its highlights (also filled in for a
    report stored before highlights existed)."""
    if curation.empty:
        if report.highlights is not None:
            return report
        return highlighted(report)
    shown = _shown(report, curation)
    reasons = [
        reason
        for reason in report.incomplete_reasons
        if not any(_names(reason, hidden) for hidden in shown.left_out)
    ]
    pinned = [
        PinnedOut(name_with_owner=repo.name_with_owner, number=pr.number)
        for pin in curation.pinned
        for repo in shown.repositories
        for pr in repo.pull_requests
        if ref(repo.name_with_owner, pr.number).lower() == pin.lower()
    ]
    reviews = _reviews(report.reviews, curation)
    rows = Rows(shown.repositories, reviews.by_repository if reviews is not None else ())
    summary = summarise(rows, _frame(report, reviews))
    return highlighted(
        report.model_copy(
            update={
                "complete": not reasons,
                "incomplete_reasons": reasons,
                **summary._asdict(),
                "reviews": reviews,
                "issues": _issues(report.issues, curation),
                "repositories": shown.repositories,
                "curation": CurationOut(
                    hidden_pull_requests=shown.hidden_pull_requests,
                    hidden_repositories=shown.hidden_repositories,
                    pinned=pinned,
                ),
            }
        )
    )


def _reviews(reviews: ReviewsOut | None, curation: Curation) -> ReviewsOut | None:
    """Reviews given without the hidden repositories' (recounted from their rows; states as
    they were when a report made before per-repository states hides one)."""
    if reviews is None:
        return None
    kept = [r for r in reviews.by_repository if not curation.hides_repository(r.name_with_owner)]
    if len(kept) == len(reviews.by_repository):
        return reviews
    known = all(row.states is not None for row in reviews.by_repository)
    return counts.reviews(kept, None if known else reviews.states)


def _review_months_recounted(before: ReviewsOut | None, after: ReviewsOut | None) -> bool:
    """Whether reviews per month are counted again once hidden repositories are left out (not
    when nothing changed, nor when the rows do not know their months)."""
    if before is None or after is None or after is before:
        return False
    return all(row.months is not None for row in before.by_repository)


def _issues(issues: IssuesOut | None, curation: Curation) -> IssuesOut | None:
    """Issues opened without the hidden repositories' (every count recounted)."""
    if issues is None:
        return None
    kept = [r for r in issues.by_repository if not curation.hides_repository(r.name_with_owner)]
    if len(kept) == len(issues.by_repository):
        return issues
    return counts.issues(kept)


def _names(reason: str, hidden: str) -> bool:
    """Whether an incomplete reason is about a hidden pull request (``repo#1:``) or
    repository (its name as a word), so it does not give the hidden item away."""
    lowered = reason.lower()
    if hidden not in lowered:  # most reasons name nothing hidden: no pattern to compile
        return False
    if hidden.endswith(":"):
        return True
    pattern = rf"(?<![\w./-]){re.escape(hidden)}(?![\w-]|\.\w)"
    return re.search(pattern, lowered) is not None
