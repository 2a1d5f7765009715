"""Reviews a user gave in a date range: ``contributionsCollection`` spans, then
``reviews(author:)`` of each pull request reviewed (docs/reviews-and-issues.md says why this
plan, and what it costs).

GitHub refuses a ``contributionsCollection`` spanning more than a year, so the range is cut
into spans on a fixed grid of 365-day tiles from 2008-01-01 (the same tiles whatever the
range, so a review on the second two tiles meet belongs to exactly one). Each span is one
alias of a batched document; its ``pullRequestReviewContributions`` list one contribution per
pull request reviewed in the span, 100 per page, and every span's next page rides in the
same next document (:mod:`gitbrag.github.batches`, which also shrinks what GitHub refuses).

A contribution is only the most recent review of its pull request, so each pull request
comes with the first ``INLINE_REVIEWS`` of the user's reviews of it (``reviews(author:)``);
a pull request with more is read on, batched, from where that page ended. Every review of a
reviewed pull request comes back, whenever it was submitted: the builder keeps those in the
range, each once (a pull request reviewed in two spans is listed by both).

Private repositories are dropped here, whatever the token sees (the builder drops them
again), and so are the user's own pull requests: neither is ever read on.

What GitHub withholds from the token for good is read with the fallback token where there is
one (:mod:`gitbrag.github.batches`), else named (:mod:`gitbrag.github.withheld`): reviewed
pull requests of an organisation enforcing SAML single sign-on come back ``null`` inside a
span (``"<n> pull requests reviewed: the organisation <org> enforces …"``), and a token
refused ``contributionsCollection`` (a GitHub App's: "Resource not accessible by
integration") loses the whole ``user`` (``"reviews given: the token cannot read
contributions (…)"``, once for all spans).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from gitbrag.github.batches import Size, read_batched
from gitbrag.github.client import GitHubClient
from gitbrag.github.queries import pull_request_reviews_query, review_contributions_query
from gitbrag.github.responses import Denial
from gitbrag.github.windows import format_time, parse_time
from gitbrag.github.withheld import Withheld, reason
from gitbrag.report.periods import ALL_TIME_START, DateRange
from gitbrag.report.records import REVIEW_STATES, ReviewRecord, ReviewState

TILE_START: Final = DateRange.start_of(ALL_TIME_START)
TILE: Final = timedelta(days=365)  # GitHub: "must not exceed 1 year"
ONE_SECOND: Final = timedelta(seconds=1)
CONTRIBUTIONS_PAGE: Final = 100
SPANS_BATCH: Final = 20  # 2008 to 2026 in one document
INLINE_REVIEWS: Final = 10
REVIEWS_PAGE: Final = 100
REVIEWS_BATCH: Final = 20

Advance = Callable[[], None]
PRKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Span:
    """From ``start`` to ``end``, both inclusive, whole seconds, at most one tile."""

    start: datetime
    end: datetime

    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"


def spans(date_range: DateRange) -> list[Span]:
    """The range cut on the 365-day grid from 2008-01-01, oldest first."""
    first, last = date_range.start, date_range.end - ONE_SECOND
    tile = (first - TILE_START) // TILE
    out = []
    while (tile_start := TILE_START + tile * TILE) <= last:
        out.append(Span(max(first, tile_start), min(last, tile_start + TILE - ONE_SECOND)))
        tile += 1
    return out


@dataclass(eq=False, slots=True)
class _SpanJob:
    span: Span
    cursor: str | None = None
    size: Size = field(default_factory=lambda: Size(CONTRIBUTIONS_PAGE, SPANS_BATCH))


@dataclass(eq=False, slots=True)
class _MoreReviews:
    repository: str
    number: int
    cursor: str | None
    size: Size = field(default_factory=lambda: Size(REVIEWS_PAGE, REVIEWS_BATCH))


@dataclass(slots=True)
class _Reviewed:
    repository: str
    url: str
    number: int
    author: str | None
    reviews: dict[str, tuple[ReviewState, datetime]] = field(default_factory=dict)


@dataclass(slots=True)
class ReviewsResult:
    """The reviews, what could not be had, and how many review contributions GitHub listed
    (every one, the user's own pull requests' and private ones included; 0 with no
    activity at all, as for a private profile)."""

    reviews: list[ReviewRecord] = field(default_factory=list)
    incomplete_reasons: list[str] = field(default_factory=list)
    contributions: int = 0


class ReviewReader:
    """Reads the reviews a user gave: review spans, then more reviews of pull requests with
    more than a page (``take`` keeps one reviewed pull request node: a refresh feeds it
    the nodes of its own search)."""

    def __init__(self, client: GitHubClient, login: str) -> None:
        self.client = client
        self.login = login
        self.reviewed: dict[PRKey, _Reviewed] = {}
        self.more: list[_MoreReviews] = []
        self.reasons: list[str] = []
        self.contributions = 0
        self.withheld = Withheld()  # reviewed pull requests GitHub withholds
        self.refused: dict[str, None] = {}  # whole spans withheld: one reason each, in order

    def spans_query(self, jobs: list[_SpanJob], first: int) -> tuple[str, dict[str, Any]]:
        variables: dict[str, Any] = {
            "login": self.login,
            "first": first,
            "reviews": INLINE_REVIEWS,
        }
        for i, job in enumerate(jobs):
            variables |= {
                f"f{i}": format_time(job.span.start),
                f"t{i}": format_time(job.span.end),
                f"a{i}": job.cursor,
            }
        return review_contributions_query(len(jobs)), variables

    def more_query(self, jobs: list[_MoreReviews], first: int) -> tuple[str, dict[str, Any]]:
        variables: dict[str, Any] = {"login": self.login, "first": first}
        for i, job in enumerate(jobs):
            owner, name = job.repository.split("/", 1)
            variables |= {f"o{i}": owner, f"n{i}": name, f"p{i}": job.number, f"a{i}": job.cursor}
        return pull_request_reviews_query(len(jobs)), variables

    async def read_spans(self, jobs: list[_SpanJob], advance: Advance) -> None:
        while jobs:
            answer = await read_batched(self.client, jobs, self.spans_query, kind="reviews")
            for job in answer.failed:
                self.reasons.append(f"reviews given from {job.span.label()}")
                advance()
            unfinished = []
            for job, node in answer.read:
                withheld = answer.denials_of(job)
                contributions = _contributions(node)
                if contributions is None:
                    if withheld:
                        self.refused[reason("reviews given", withheld[0])] = None
                    else:
                        self.reasons.append(f"reviews given from {job.span.label()}")
                    advance()
                    continue
                nodes = contributions["nodes"] or ()
                self.contributions += len(nodes)
                for contribution in nodes:
                    self.take((contribution or {}).get("pullRequest"))
                per_node = _per_node(withheld)
                self.withheld.add("pull requests reviewed", per_node, len(per_node))
                info = contributions["pageInfo"]
                if info["hasNextPage"]:
                    job.cursor = info["endCursor"]
                    unfinished.append(job)
                else:
                    advance()
            jobs = unfinished

    def take(self, node: dict[str, Any] | None) -> None:
        """Keep a reviewed pull request's reviews (public, someone else's only)."""
        if not node or node["repository"]["isPrivate"]:
            return
        author = (node.get("author") or {}).get("login")
        if author is not None and author.lower() == self.login.lower():
            return
        key = (node["repository"]["nameWithOwner"], int(node["number"]))
        known = key in self.reviewed
        if not known:
            self.reviewed[key] = _Reviewed(key[0], node["repository"]["url"], key[1], author)
        reviews = node["reviews"]
        self.add(self.reviewed[key], reviews["nodes"])
        if reviews["pageInfo"]["hasNextPage"] and not known:
            self.more.append(_MoreReviews(key[0], key[1], reviews["pageInfo"]["endCursor"]))

    @staticmethod
    def add(reviewed: _Reviewed, nodes: list[dict[str, Any]] | None) -> None:
        for review in nodes or ():
            submitted = parse_time((review or {}).get("submittedAt"))
            state = review["state"] if review else None
            if submitted is not None and state in REVIEW_STATES:  # not PENDING
                reviewed.reviews[str(review["id"])] = (state, submitted)

    async def read_more(self) -> None:
        jobs, self.more = self.more, []
        while jobs:
            answer = await read_batched(self.client, jobs, self.more_query, kind="reviews")
            for job in answer.failed:
                self.reasons.append(f"reviews of {job.repository}#{job.number}")
            unfinished = []
            for job, node in answer.read:
                reviews = ((node or {}).get("pullRequest") or {}).get("reviews")
                if reviews is None:
                    subject = f"reviews of {job.repository}#{job.number}"
                    withheld = answer.denials_of(job)
                    owner = job.repository.split("/", 1)[0]
                    self.reasons.append(
                        reason(subject, withheld[0], owner) if withheld else subject
                    )
                    continue
                self.add(self.reviewed[(job.repository, job.number)], reviews["nodes"])
                if reviews["pageInfo"]["hasNextPage"]:
                    job.cursor = reviews["pageInfo"]["endCursor"]
                    unfinished.append(job)
            jobs = unfinished

    def records(self) -> list[ReviewRecord]:
        return [
            ReviewRecord(
                id=review_id,
                repository=pr.repository,
                repository_url=pr.url,
                repository_private=False,
                pull_request=pr.number,
                pull_request_author=pr.author,
                state=state,
                submitted_at=submitted,
            )
            for pr in self.reviewed.values()
            for review_id, (state, submitted) in pr.reviews.items()
        ]


def _per_node(denials: tuple[Denial, ...]) -> list[Denial]:
    """One denial per contribution GitHub nulled (the first index in each path)."""
    by_node: dict[int, Denial] = {}
    for denial in denials:
        index = next((step for step in denial.path if isinstance(step, int)), None)
        if index is not None:
            by_node.setdefault(index, denial)
    return list(by_node.values())


def _contributions(node: dict[str, Any] | None) -> dict[str, Any] | None:
    collection = (node or {}).get("contributionsCollection")
    if not isinstance(collection, dict):
        return None
    found: dict[str, Any] | None = collection.get("pullRequestReviewContributions")
    return found


async def collect_reviews(
    client: GitHubClient, login: str, date_range: DateRange, *, advance: Advance | None = None
) -> ReviewsResult:
    """Every review ``login`` submitted of someone else's pull request in a public
    repository, for pull requests reviewed in ``date_range`` (their reviews outside it too:
    the builder selects). Spans or pull requests that keep failing are named in
    ``incomplete_reasons``; ``advance`` is called as each span is read to its end."""
    reader = ReviewReader(client, login)
    await reader.read_spans([_SpanJob(span) for span in spans(date_range)], advance or _none)
    await reader.read_more()
    reasons = reader.reasons + list(reader.refused) + reader.withheld.reasons()
    return ReviewsResult(reader.records(), reasons, reader.contributions)


def _none() -> None:
    """Nobody is watching."""
