"""The GraphQL query root: ``search``, ``repository``, ``user``, ``organization``,
``repositoryOwner``, ``viewer`` and ``rateLimit``, each resolution counted under its field's
name; the objects it returns are the views of ``graphql_views`` (through its
``repository_view`` / ``conversation_view``, which apply SAML SSO enforcement). Search hides a
private profile's activity and ``rateLimit`` is ``null`` with rate limiting off
(``visibility``, ``enterprise``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError

from gitbrag.fakehub.graphql_connections import encode_cursor, fault, page
from gitbrag.fakehub.graphql_views import (
    IssueView,
    OwnerView,
    PullRequestView,
    RepoView,
    RequestContext,
    conversation_view,
    repository_view,
)
from gitbrag.fakehub.records import FakeIssue, FakePR, iso
from gitbrag.fakehub.search import SearchSyntaxError, parse_query, run_search
from gitbrag.fakehub.visibility import hides_activity

SEARCH_CAP = 1000  # GitHub never returns a search result past the 1000th


class SearchResult:
    """``SearchResultItemConnection``. Nodes resolve only when selected: one an organisation's
    SAML SSO hides is ``null`` with its error where it is asked for (``nodes``, ``edges``),
    and ``issueCount`` still counts it."""

    typename = "SearchResultItemConnection"
    code_count = discussion_count = repository_count = user_count = wiki_count = 0

    def __init__(
        self,
        ctx: RequestContext,
        count: int,
        window: list[tuple[int, FakePR | FakeIssue]],
        info: dict[str, Any],
    ) -> None:
        self.ctx, self.issue_count, self.window, self.page_info = ctx, count, window, info

    def nodes(self) -> list[PullRequestView | IssueView | GraphQLError]:
        return [conversation_view(self.ctx, item) for _, item in self.window]

    def edges(self) -> list[dict[str, Any]]:
        return [
            {
                "cursor": encode_cursor(pos),
                "node": conversation_view(self.ctx, item),
                "textMatches": [],
            }
            for pos, item in self.window
        ]


class QueryRoot:
    """Top-level fields. Each resolution is counted under the field's name (e.g. ``search``)."""

    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx

    def search(
        self,
        query: str,
        type: str,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> SearchResult:
        state = self.ctx.state
        state.count("search")
        self.ctx.ask(first, last)
        if type != "ISSUE":
            raise fault(f"search type {type} is not simulated; use ISSUE", "UNSUPPORTED")
        try:
            parsed = parse_query(query)
        except SearchSyntaxError as exc:
            raise fault(str(exc), "INVALID") from None
        named = [*parsed.reviewers, *([parsed.author] if parsed.author else [])]
        if any(hides_activity(state, login) for login in named):
            # A private profile: nothing found, and no error either.
            state.count("private_profile.search")
            return SearchResult(self.ctx, 0, [], page([], "search", first, after, last, before)[1])
        candidates: list[FakePR | FakeIssue] = []
        if parsed.author is not None:
            candidates += state.prs_by_author.get(parsed.author, [])
            candidates += state.issues_by_author.get(parsed.author, [])
        else:
            candidates += state.data.pull_requests
            candidates += state.data.issues
        matches = run_search(parsed, candidates, state.data.repos, self.ctx.viewer)
        window, info = page(matches[:SEARCH_CAP], "search", first, after, last, before)
        if window and self._short(query):
            window = window[:-1]  # paging goes on after the result left out
        return SearchResult(self.ctx, len(matches), window, info)

    def _short(self, query: str) -> bool:
        """Leave this search page short (``Behaviours.short_search_pages``): always, or the
        first page served for each query ("once")?"""
        mode = self.ctx.state.behaviours.short_search_pages
        if not mode:
            return False
        short = mode == "always" or self.ctx.state.first_serve((self.ctx.viewer.lower(), query))
        if short:
            self.ctx.state.count("short_search_page")
        return short

    def repository(
        self, owner: str, name: str, follow_renames: bool = True
    ) -> RepoView | GraphQLError:
        self.ctx.state.count("repository")
        repo = self.ctx.state.repo(owner, name, follow_renames=follow_renames)
        if repo is None or not self.ctx.state.can_see(repo, self.ctx.viewer):
            raise fault(
                f"Could not resolve to a Repository with the name '{owner}/{name}'.", "NOT_FOUND"
            )
        return repository_view(self.ctx, repo)

    def user(self, login: str) -> OwnerView | None:
        self.ctx.state.count("user")
        user = self.ctx.state.user(login)
        if user is None or user.type != "User":
            raise fault(f"Could not resolve to a User with the login of '{login}'.", "NOT_FOUND")
        return OwnerView(self.ctx, user)

    def organization(self, login: str) -> OwnerView | None:
        self.ctx.state.count("organization")
        user = self.ctx.state.user(login)
        if user is None or user.type != "Organization":
            raise fault(
                f"Could not resolve to an Organization with the login of '{login}'.", "NOT_FOUND"
            )
        return OwnerView(self.ctx, user)

    def repository_owner(self, login: str) -> OwnerView | None:
        self.ctx.state.count("repositoryOwner")
        user = self.ctx.state.user(login)
        return OwnerView(self.ctx, user) if user else None

    def viewer(self) -> OwnerView:
        self.ctx.state.count("viewer")
        user = self.ctx.state.user(self.ctx.viewer)
        assert user is not None
        return OwnerView(self.ctx, user)

    def rate_limit(self, dry_run: bool = False) -> dict[str, Any] | None:
        if self.ctx.state.behaviours.rate_limiting_disabled:
            self.ctx.state.count("rate_limiting_disabled.not_enabled")
            return None  # GHES with rate limiting off answers rateLimit: null
        budget = self.ctx.budget
        return {
            "limit": budget.limit,
            "cost": 1,
            "remaining": budget.remaining,
            "used": budget.used,
            "resetAt": iso(datetime.fromtimestamp(budget.reset_epoch, UTC)),
            "nodeCount": 0,
        }
