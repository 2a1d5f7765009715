"""GraphQL views of reviews and ``User.contributionsCollection`` (see ``graphql_views``).

GitHub's semantics, as documented in its schema and docs:

- ``contributionsCollection(from, to)``: ``from`` defaults to a year before ``to``, ``to`` to
  now; a span over one year is refused. Both bounds are inclusive.
- ``pullRequestReviewContributions``: one contribution per pull request the user reviewed in
  the span (the most recently submitted of its reviews there), newest first by default.
  Contributions in repositories the viewer cannot see are not listed: they are only counted,
  in ``restrictedContributionsCount`` (with reviews, issues and pull requests opened there).
- ``PullRequest.reviews(author:, states:)``: a pull request's reviews, oldest first; a
  ``PENDING`` review (started, not submitted, no ``submittedAt``) is seen only by its author.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from graphql import GraphQLError

from gitbrag.fakehub.graphql_connections import connection, fault, page
from gitbrag.fakehub.records import FakePR, FakeReview, FakeUser, iso
from gitbrag.fakehub.visibility import hides_activity

if TYPE_CHECKING:
    from gitbrag.fakehub.graphql_views import OwnerView, PullRequestView, RepoView, RequestContext

ONE_YEAR: Final = timedelta(days=365)


def _views() -> Any:
    from gitbrag.fakehub import graphql_views  # the views import this module too

    return graphql_views


def _moment(value: Any, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise fault(f"Argument '{name}' is not a valid DateTime: {value!r}", "INVALID") from None
    if moment.tzinfo is None:
        raise fault(f"Argument '{name}' needs a time zone: {value!r}", "INVALID")
    return moment


class ReviewView:
    typename = "PullRequestReview"

    def __init__(self, ctx: RequestContext, pr: FakePR, review: FakeReview) -> None:
        self.ctx, self.pr, self.review = ctx, pr, review
        self.id = review.node_id
        self.full_database_id = self.database_id = review.id
        self.state = review.state
        self.submitted_at = iso(review.submitted_at)
        self.published_at = self.submitted_at
        self.created_at = iso(review.submitted_at or pr.created_at)
        self.updated_at = self.created_at
        self.body = self.body_text = ""
        self.url = f"{pr.url}#pullrequestreview-{review.id}"
        self.resource_path = f"/{pr.repo}/pull/{pr.number}#pullrequestreview-{review.id}"

    def author(self) -> OwnerView | None:
        user = self.ctx.state.user(self.review.author)
        return _views().OwnerView(self.ctx, user) if user else None

    def pull_request(self) -> PullRequestView | GraphQLError:
        return _views().conversation_view(self.ctx, self.pr)  # type: ignore[no-any-return]

    def repository(self) -> RepoView | GraphQLError:
        repo = self.ctx.state.data.repos[self.pr.repo]
        return _views().repository_view(self.ctx, repo)  # type: ignore[no-any-return]


def pull_request_reviews(
    ctx: RequestContext,
    pr: FakePR,
    *,
    author: str | None = None,
    states: list[str] | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> dict[str, Any]:
    """``PullRequest.reviews``: oldest first; pending reviews only for their author."""
    ctx.ask(first, last)
    viewer = ctx.viewer.lower()
    reviews = [
        review
        for review in pr.reviews
        if (author is None or review.author.lower() == author.lower())
        and (states is None or review.state in states)
        and (review.state != "PENDING" or review.author.lower() == viewer)
    ]
    window, info = page(reviews, "reviews", first, after, last, before)
    views = [(pos, ReviewView(ctx, pr, review)) for pos, review in window]
    return connection(views, info, len(reviews))


class ReviewContributionView:
    typename = "CreatedPullRequestReviewContribution"

    def __init__(self, ctx: RequestContext, pr: FakePR, review: FakeReview) -> None:
        self.ctx, self.pr, self.review = ctx, pr, review
        self.occurred_at = iso(review.submitted_at)
        self.is_restricted = False
        self.url = f"{pr.url}#pullrequestreview-{review.id}"
        self.resource_path = f"/{pr.repo}/pull/{pr.number}#pullrequestreview-{review.id}"

    def pull_request(self) -> PullRequestView | GraphQLError:
        return _views().conversation_view(self.ctx, self.pr)  # type: ignore[no-any-return]

    def pull_request_review(self) -> ReviewView | GraphQLError:
        return self.ctx.sso_refusal(self.pr.repo) or ReviewView(self.ctx, self.pr, self.review)

    def repository(self) -> RepoView | GraphQLError:
        repo = self.ctx.state.data.repos[self.pr.repo]
        return _views().repository_view(self.ctx, repo)  # type: ignore[no-any-return]

    def user(self) -> OwnerView | None:
        user = self.ctx.state.user(self.review.author)
        return _views().OwnerView(self.ctx, user) if user else None


class ContributionsView:
    """``User.contributionsCollection`` of ``user`` from ``start`` to ``end`` (inclusive)."""

    typename = "ContributionsCollection"

    def __init__(self, ctx: RequestContext, user: FakeUser, args: dict[str, Any]) -> None:
        end = _moment(args["to"], "to") if args.get("to") else ctx.now()
        start = _moment(args["from"], "from") if args.get("from") else end - ONE_YEAR
        if end < start:
            raise fault("The 'to' argument must be after the 'from' argument", "INVALID")
        if end - start > ONE_YEAR:
            raise fault(
                "The total time spanned by 'from' and 'to' must not exceed 1 year", "INVALID"
            )
        self.ctx, self.user, self.start, self.end = ctx, user, start, end
        self.started_at, self.ended_at = iso(start), iso(end)
        self.hidden = hides_activity(ctx.state, user.login)  # a private profile: empty
        if self.hidden:
            ctx.state.count("private_profile.contributions")

    def _within(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment <= self.end

    def _review_contributions(self) -> tuple[list[tuple[FakePR, FakeReview]], int]:
        """(visible contributions, restricted ones): the newest review in span per PR."""
        latest: dict[tuple[str, int], tuple[FakePR, FakeReview, datetime]] = {}
        if self.hidden:
            return [], 0
        for pr, review in self.ctx.state.reviews_by_author.get(self.user.login.lower(), []):
            when = review.submitted_at
            if review.state == "PENDING" or when is None or not self._within(when):
                continue
            held = latest.get((pr.repo, pr.number))
            if held is None or when >= held[2]:
                latest[(pr.repo, pr.number)] = (pr, review, when)
        visible, hidden = [], 0
        for pr, review, _ in latest.values():
            if self._sees(pr.repo):
                visible.append((pr, review))
            else:
                hidden += 1
        return visible, hidden

    def _sees(self, nwo: str) -> bool:
        return self.ctx.state.can_see(self.ctx.state.data.repos[nwo], self.ctx.viewer)

    def pull_request_review_contributions(
        self,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        self.ctx.ask(first, last)
        items, _ = self._review_contributions()
        newest_first = (order_by or {}).get("direction", "DESC") == "DESC"
        items.sort(key=lambda item: (item[1].submitted_at, item[1].id), reverse=newest_first)
        window, info = page(items, "pullRequestReviewContributions", first, after, last, before)
        views = [
            (pos, ReviewContributionView(self.ctx, pr, review)) for pos, (pr, review) in window
        ]
        return connection(views, info, len(items))

    @property
    def restricted_contributions_count(self) -> int:
        """Contributions in repositories the viewer cannot see: counted, never listed."""
        if self.hidden:
            return 0
        login = self.user.login.lower()
        _, reviews = self._review_contributions()
        issues = sum(
            1
            for issue in self.ctx.state.issues_by_author.get(login, [])
            if self._within(issue.created_at) and not self._sees(issue.repo)
        )
        prs = sum(
            1
            for pr in self.ctx.state.prs_by_author.get(login, [])
            if self._within(pr.created_at) and not self._sees(pr.repo)
        )
        return reviews + issues + prs

    @property
    def has_any_restricted_contributions(self) -> bool:
        return self.restricted_contributions_count > 0
