"""The GraphQL query root: ``search``, ``repository``, ``user``, ``organization``,
``repositoryOwner``, ``viewer`` and ``rateLimit``, each resolution counted under its field's
name; the objects it returns are the views of ``graphql_views``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gitbrag.fakehub.graphql_connections import encode_cursor, fault, page
from gitbrag.fakehub.graphql_views import (
    IssueView,
    OwnerView,
    PullRequestView,
    RepoView,
    RequestContext,
)
from gitbrag.fakehub.records import FakeIssue, FakePR, iso
from gitbrag.fakehub.search import SearchSyntaxError, parse_query, run_search

SEARCH_CAP = 1000  # GitHub never returns a search result past the 1000th


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
    ) -> dict[str, Any]:
        state = self.ctx.state
        state.count("search")
        self.ctx.ask(first, last)
        if type != "ISSUE":
            raise fault(f"search type {type} is not simulated; use ISSUE", "UNSUPPORTED")
        try:
            parsed = parse_query(query)
        except SearchSyntaxError as exc:
            raise fault(str(exc), "INVALID") from None
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
        nodes: list[PullRequestView | IssueView] = [
            PullRequestView(self.ctx, item)
            if isinstance(item, FakePR)
            else IssueView(self.ctx, item)
            for _, item in window
        ]
        return {
            "issueCount": len(matches),
            "codeCount": 0,
            "discussionCount": 0,
            "repositoryCount": 0,
            "userCount": 0,
            "wikiCount": 0,
            "pageInfo": info,
            "nodes": nodes,
            "edges": [
                {"cursor": encode_cursor(pos), "node": node, "textMatches": []}
                for (pos, _), node in zip(window, nodes, strict=True)
            ],
        }

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

    def repository(self, owner: str, name: str, follow_renames: bool = True) -> RepoView | None:
        self.ctx.state.count("repository")
        repo = self.ctx.state.repo(owner, name)
        if repo is None or not self.ctx.state.can_see(repo, self.ctx.viewer):
            raise fault(
                f"Could not resolve to a Repository with the name '{owner}/{name}'.", "NOT_FOUND"
            )
        return RepoView(self.ctx, repo)

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

    def rate_limit(self, dry_run: bool = False) -> dict[str, Any]:
        budget = self.ctx.budget
        return {
            "limit": budget.limit,
            "cost": 1,
            "remaining": budget.remaining,
            "used": budget.used,
            "resetAt": iso(datetime.fromtimestamp(budget.reset_epoch, UTC)),
            "nodeCount": 0,
        }
