"""The objects GraphQL resolves against: one view per GitHub type, plus the query root.

A field ``nameWithOwner`` reads ``view.name_with_owner``; a callable attribute is called with
the field's arguments in snake_case (see ``graphql_api.resolve_field``). Connections are plain
dicts keyed by GraphQL field names.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gitbrag.fakehub.budgets import Budget
from gitbrag.fakehub.graphql_activity import ContributionsView, IssueView, pull_request_reviews
from gitbrag.fakehub.graphql_connections import connection, encode_cursor, fault, page
from gitbrag.fakehub.records import FakeIssue, FakePR, FakeRepo, FakeUser, iso
from gitbrag.fakehub.search import SearchSyntaxError, parse_query, run_search
from gitbrag.fakehub.state import HubState

SEARCH_CAP = 1000  # GitHub never returns a search result past the 1000th
FILES_CAP = 3000  # GitHub lists at most this many files of a pull request


@dataclass
class RequestContext:
    """Who asks, where the hub lives, the GraphQL budget after this query's cost, and how
    many connection nodes the query asked for so far (GitHub's resource limits)."""

    state: HubState
    viewer: str
    base_url: str
    budget: Budget
    requested_nodes: int = 0

    def avatar(self, login: str) -> str:
        return f"{self.base_url}/avatars/{login}.svg"

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.state.clock(), UTC)

    def ask(self, first: int | None, last: int | None = None) -> None:
        """A connection asks for ``first`` (or ``last``) nodes; past the resource limit it
        fails, with a ``path``, and the rest of the query still resolves."""
        self.requested_nodes += first or last or 0
        limit = self.state.behaviours.resource_limit_nodes
        if limit and self.requested_nodes > limit:
            self.state.count("resource_limits")
            raise fault("Resource limits for this query exceeded.", "RESOURCE_LIMITS_EXCEEDED")


class View:
    typename: str


class OwnerView(View):
    typename = "User"

    def __init__(self, ctx: RequestContext, user: FakeUser) -> None:
        self.ctx, self.user = ctx, user
        self.typename = "Organization" if user.type == "Organization" else "User"
        self.login = user.login
        self.name = user.name
        self.bio = user.bio
        self.company = user.company
        self.location = user.location
        self.website_url = user.blog
        self.url = f"https://github.com/{user.login}"
        self.resource_path = f"/{user.login}"
        self.database_id = user.id
        self.id = base64.b64encode(f"04:{self.typename}{user.id}".encode()).decode()
        self.created_at = iso(user.created_at)
        self.twitter_username = next(
            (url.rsplit("/", 1)[-1] for p, url in user.social_accounts if p == "twitter"), None
        )

    def avatar_url(self, size: int | None = None) -> str:
        url = self.ctx.avatar(self.user.login)
        return f"{url}?s={size}" if size else url

    def contributions_collection(self, **args: Any) -> ContributionsView:
        return ContributionsView(self.ctx, self.user, args)

    def social_accounts(
        self, first: int | None = None, after: str | None = None, **more: Any
    ) -> dict[str, Any]:
        self.ctx.ask(first, more.get("last"))
        accounts = [
            {"provider": p.upper(), "url": url, "displayName": url.rstrip("/").rsplit("/", 1)[-1]}
            for p, url in self.user.social_accounts
        ]
        window, info = page(accounts, "socialAccounts", first, after, more.get("last"))
        return connection(window, info, len(accounts))


class RepoView(View):
    typename = "Repository"

    def __init__(self, ctx: RequestContext, repo: FakeRepo) -> None:
        self.ctx, self.repo = ctx, repo
        self.name = repo.name
        self.name_with_owner = repo.name_with_owner
        self.url = repo.url
        self.description = repo.description
        self.stargazer_count = repo.stargazer_count
        self.is_private = repo.is_private
        self.visibility = "PRIVATE" if repo.is_private else "PUBLIC"
        self.is_fork = self.is_archived = self.is_disabled = self.is_template = False
        self.created_at = iso(repo.created_at)
        self.database_id = repo.id
        self.id = base64.b64encode(f"010:Repository{repo.id}".encode()).decode()
        self.resource_path = f"/{repo.name_with_owner}"

    def owner(self) -> OwnerView:
        user = self.ctx.state.user(self.repo.owner)
        assert user is not None, f"data set lacks owner {self.repo.owner}"
        return OwnerView(self.ctx, user)

    def pull_request(self, number: int) -> PullRequestView | None:
        pr = self.ctx.state.prs_by_repo.get((self.repo.name_with_owner.lower(), number))
        if pr is None:
            raise fault(
                f"Could not resolve to a PullRequest with the number of {number}.", "NOT_FOUND"
            )
        return PullRequestView(self.ctx, pr)

    def stargazers(
        self,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        self.ctx.ask(first, last)
        stars = self.repo.stargazers
        if order_by and order_by.get("direction") == "DESC":
            stars = stars[::-1]
        window, info = page(stars, "stargazers", first, after, last, before)
        users = self.ctx.state.data.users
        edges = [
            {
                "cursor": encode_cursor(pos),
                "starredAt": iso(when),
                "node": OwnerView(self.ctx, users[login.lower()]),
            }
            for pos, (login, when) in window
        ]
        return {
            "totalCount": len(stars),
            "pageInfo": info,
            "edges": edges,
            "nodes": [edge["node"] for edge in edges],
        }


class PullRequestView(View):
    typename = "PullRequest"

    def __init__(self, ctx: RequestContext, pr: FakePR) -> None:
        self.ctx, self.pr = ctx, pr
        self.number = pr.number
        self.title = pr.title
        self.url = pr.url
        self.resource_path = f"/{pr.repo}/pull/{pr.number}"
        self.state = pr.state
        self.merged = pr.merged_at is not None
        self.closed = pr.closed_at is not None
        self.is_draft = self.locked = False
        self.created_at = iso(pr.created_at)
        self.merged_at = iso(pr.merged_at)
        self.closed_at = iso(pr.closed_at)
        self.updated_at = iso(pr.updated_at)
        self.additions = pr.additions
        self.deletions = pr.deletions
        # A diff too large to compute: GitHub says 0 changed files (and lists none).
        self.changed_files = 0 if pr.diff_too_large else pr.changed_files
        self.author_association = pr.author_association
        self.body = ""
        self.full_database_id = self.database_id = pr.number
        self.id = base64.b64encode(f"PR_{pr.repo}#{pr.number}".encode()).decode()

    def author(self) -> OwnerView | None:
        user = self.ctx.state.user(self.pr.author)
        return OwnerView(self.ctx, user) if user else None

    def repository(self) -> RepoView:
        return RepoView(self.ctx, self.ctx.state.data.repos[self.pr.repo])

    base_repository = repository

    def reviews(self, **args: Any) -> dict[str, Any]:
        return pull_request_reviews(self.ctx, self.pr, **args)

    def files(
        self, first: int | None = None, after: str | None = None, **more: Any
    ) -> dict[str, Any] | None:
        """At most ``FILES_CAP`` files (``totalCount`` too); ``None`` without an error when
        the diff is too large, as GitHub answers."""
        self.ctx.ask(first, more.get("last"))
        if self.pr.diff_too_large:
            return None
        nodes = [
            {
                "path": f.path,
                "additions": f.additions,
                "deletions": f.deletions,
                "changeType": "MODIFIED",
                "viewerViewedState": "UNVIEWED",
            }
            for f in self.pr.files[:FILES_CAP]
        ]
        window, info = page(nodes, "files", first, after, more.get("last"), more.get("before"))
        return connection(window, info, len(nodes))


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
        nodes: list[View | IssueView] = [
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
