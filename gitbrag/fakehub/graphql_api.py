"""GraphQL over the fake data set, executed by graphql-core against GitHub's published schema.

The schema (``schema.graphql`` beside this module, a copy of octokit's published GitHub schema)
is built once per process. Queries are parsed and validated once per distinct text. Resolution
uses view objects: a field ``nameWithOwner`` reads ``view.name_with_owner``; a callable
attribute is called with the field's arguments in snake_case. Connections are plain dicts.
Errors carry GitHub's top-level ``type`` (``NOT_FOUND``, ``EXCESSIVE_PAGINATION``...).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from importlib import resources
from typing import Any, TypeVar

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    build_schema,
    execute_sync,
    parse,
    validate,
)

from gitbrag.fakehub.budgets import Budget
from gitbrag.fakehub.data import FakePR, FakeRepo, FakeUser
from gitbrag.fakehub.search import SearchSyntaxError, parse_query, run_search
from gitbrag.fakehub.state import HubState

SEARCH_CAP = 1000
MAX_PAGE = 100
T = TypeVar("T")


@cache
def github_schema() -> GraphQLSchema:
    """GitHub's schema, built once (~0.6 s). SDL validation is skipped as SPEC prescribes."""
    sdl = resources.files("gitbrag.fakehub").joinpath("schema.graphql").read_text("utf-8")
    schema = build_schema(sdl, assume_valid_sdl=True)
    schema._validation_errors = []  # the published SDL has harmless violations
    return schema


@lru_cache(maxsize=256)
def prepare(query: str) -> DocumentNode | tuple[GraphQLError, ...]:
    """Parse and validate once per distinct query text."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return (exc,)
    errors = validate(github_schema(), document)
    return tuple(errors) if errors else document


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fault(message: str, kind: str) -> GraphQLError:
    return GraphQLError(message, extensions={"type": kind})


def encode_cursor(position: int) -> str:
    return base64.b64encode(f"cursor:{position}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        kind, _, position = text.partition(":")
        if kind == "cursor" and position.isdigit():
            return int(position)
    except (ValueError, UnicodeDecodeError):
        pass
    raise fault(f"`{cursor}` does not appear to be a valid cursor.", "INVALID_CURSOR_ARGUMENTS")


def page(
    items: Sequence[T],
    connection: str,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
) -> tuple[list[tuple[int, T]], dict[str, Any]]:
    """GitHub-style cursor paging: ``([(1-based position, item)], pageInfo)``."""
    if first is None and last is None:
        raise fault(
            f"You must provide a `first` or `last` value to properly paginate the "
            f"`{connection}` connection.",
            "MISSING_PAGINATION_BOUNDARIES",
        )
    for name, value in (("first", first), ("last", last)):
        if value is not None and value > MAX_PAGE:
            raise fault(
                f"Requesting {value} records on the `{connection}` connection exceeds the "
                f"`{name}` limit of {MAX_PAGE} records.",
                "EXCESSIVE_PAGINATION",
            )
        if value is not None and value < 0:
            raise fault(
                f"`{name}` on the `{connection}` connection cannot be less than zero.", "INVALID"
            )
    start = decode_cursor(after) if after else 0
    stop = min(len(items), decode_cursor(before) - 1) if before else len(items)
    if first is not None:
        stop = min(stop, start + first)
    if last is not None:
        start = max(start, stop - last)
    window = [(i + 1, items[i]) for i in range(start, stop)]
    info = {
        "hasNextPage": stop < len(items),
        "hasPreviousPage": start > 0,
        "startCursor": encode_cursor(window[0][0]) if window else None,
        "endCursor": encode_cursor(window[-1][0]) if window else None,
    }
    return window, info


def connection(window: list[tuple[int, Any]], info: dict[str, Any], total: int) -> dict[str, Any]:
    return {
        "totalCount": total,
        "pageInfo": info,
        "nodes": [node for _, node in window],
        "edges": [{"cursor": encode_cursor(pos), "node": node} for pos, node in window],
    }


@dataclass
class RequestContext:
    """Who asks, where the hub lives, and the GraphQL budget after this query's cost."""

    state: HubState
    viewer: str
    base_url: str
    budget: Budget

    def avatar(self, login: str) -> str:
        return f"{self.base_url}/avatars/{login}.svg"


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

    def social_accounts(
        self, first: int | None = None, after: str | None = None, **more: Any
    ) -> dict[str, Any]:
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
        self.additions = pr.additions
        self.deletions = pr.deletions
        self.changed_files = pr.changed_files
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

    def files(
        self, first: int | None = None, after: str | None = None, **more: Any
    ) -> dict[str, Any]:
        nodes = [
            {
                "path": f.path,
                "additions": f.additions,
                "deletions": f.deletions,
                "changeType": "MODIFIED",
                "viewerViewedState": "UNVIEWED",
            }
            for f in self.pr.files
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
        if type != "ISSUE":
            raise fault(f"search type {type} is not simulated; use ISSUE", "UNSUPPORTED")
        try:
            parsed = parse_query(query)
        except SearchSyntaxError as exc:
            raise fault(str(exc), "INVALID") from None
        candidates = (
            state.prs_by_author.get(parsed.author, [])
            if parsed.author is not None
            else state.data.pull_requests
        )
        matches = run_search(parsed, candidates, state.data.repos, self.ctx.viewer)
        window, info = page(matches[:SEARCH_CAP], "search", first, after, last, before)
        nodes = [PullRequestView(self.ctx, pr) for _, pr in window]
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


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


@cache
def snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def resolve_field(source: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    if isinstance(source, dict):
        return source.get(info.field_name)
    value = getattr(source, snake(info.field_name), None)
    if callable(value):
        return value(**{snake(k): v for k, v in args.items()})
    return value


def resolve_type(value: Any, info: GraphQLResolveInfo[Any], abstract_type: Any) -> str:
    return str(value.typename)


def format_error(error: GraphQLError) -> dict[str, Any]:
    """GitHub's error shape: ``type`` at top level, then path, locations, message."""
    formatted: dict[str, Any] = dict(error.formatted)
    extensions = formatted.pop("extensions", None) or {}
    if "type" in extensions:
        formatted = {"type": extensions.pop("type"), **formatted}
    if extensions:
        formatted["extensions"] = extensions
    return formatted


def execute_query(
    ctx: RequestContext,
    query: str,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> dict[str, Any]:
    """The JSON body GitHub would answer (always HTTP 200 once authenticated)."""
    prepared = prepare(query)
    if isinstance(prepared, tuple):
        return {"errors": [format_error(e) for e in prepared]}
    result = execute_sync(
        github_schema(),
        prepared,
        root_value=QueryRoot(ctx),
        variable_values=variables,
        operation_name=operation_name,
        field_resolver=resolve_field,
        type_resolver=resolve_type,
    )
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [format_error(e) for e in result.errors]
    body["data"] = result.data
    return body
