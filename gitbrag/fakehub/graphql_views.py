"""The objects GraphQL resolves against: one view per GitHub type (the query root is in
``graphql_root``; reviews and ``contributionsCollection`` in ``graphql_activity``).

A field ``nameWithOwner`` reads ``view.name_with_owner``; a callable attribute is called with
the field's arguments in snake_case (see ``graphql_api.resolve_field``). Connections are plain
dicts keyed by GraphQL field names.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError

from gitbrag.fakehub.budgets import Budget
from gitbrag.fakehub.graphql_activity import ContributionsView, pull_request_reviews
from gitbrag.fakehub.graphql_connections import connection, encode_cursor, fault, page
from gitbrag.fakehub.records import FakeIssue, FakePR, FakeRepo, FakeUser, iso
from gitbrag.fakehub.state import HubState
from gitbrag.fakehub.tokens import BY_INTEGRATION, BY_PERSONAL_ACCESS_TOKEN, TokenKind, forbidden
from gitbrag.fakehub.visibility import saml_error, sso_block

FILES_CAP = 3000  # GitHub lists at most this many files of a pull request


@dataclass
class RequestContext:
    """Who asks (the viewer's login, account id and token kind), where the hub lives, the
    GraphQL budget after this query's cost, how many connection nodes the query asked for so
    far (GitHub's resource limits), and the organisations whose SAML SSO refused something."""

    state: HubState
    viewer: str
    base_url: str
    budget: Budget
    requested_nodes: int = 0
    account_id: int | None = None
    token_kind: TokenKind = "oauth"
    sso_refused: list[FakeUser] = field(default_factory=list)
    saml_errors: int = 0

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

    def sso_refusal(self, nwo: str) -> GraphQLError | None:
        """The error nulling an object of repository ``nwo`` (``owner/name``) when SAML SSO
        hides it from this token (``visibility``), else ``None``."""
        org = sso_block(self.state, self.account_id, nwo)
        if org is None:
            return None
        if all(seen.id != org.id for seen in self.sso_refused):
            self.sso_refused.append(org)
        self.state.count("saml.forbidden")
        self.saml_errors += 1
        # Every second one without ``extensions``, as GitHub sends them (Homebrew/brew#18778).
        return saml_error(with_extensions=self.saml_errors % 2 == 1)

    def refuse(self, kind: TokenKind) -> GraphQLError | None:
        """The ``FORBIDDEN`` error a token of ``kind`` gets here (``tokens``), else ``None``."""
        if self.token_kind != kind or not self.state.behaviours.token_permissions:
            return None
        self.state.count("token_permissions.forbidden")
        return forbidden(BY_INTEGRATION if kind == "app" else BY_PERSONAL_ACCESS_TOKEN)


def repository_view(ctx: RequestContext, repo: FakeRepo) -> RepoView | GraphQLError:
    """A repository as this token sees it: its view, or the error that nulls it. Every path
    to a repository, pull request or issue goes through here or ``conversation_view``."""
    return ctx.sso_refusal(repo.name_with_owner) or RepoView(ctx, repo)


def conversation_view(
    ctx: RequestContext, item: FakePR | FakeIssue
) -> PullRequestView | IssueView | GraphQLError:
    refusal = ctx.sso_refusal(item.repo)
    if refusal is not None:
        return refusal
    return PullRequestView(ctx, item) if isinstance(item, FakePR) else IssueView(ctx, item)


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

    # Computed when a document asks for them (a stargazer page never does).
    @property
    def id(self) -> str:
        return base64.b64encode(f"04:{self.typename}{self.user.id}".encode()).decode()

    @property
    def created_at(self) -> str | None:
        return iso(self.user.created_at)

    @property
    def twitter_username(self) -> str | None:
        accounts = self.user.social_accounts
        return next((url.rsplit("/", 1)[-1] for p, url in accounts if p == "twitter"), None)

    def avatar_url(self, size: int | None = None) -> str:
        url = self.ctx.avatar(self.user.avatar_name)
        return f"{url}?s={size}" if size else url

    def contributions_collection(self, **args: Any) -> ContributionsView | GraphQLError:
        # Non-null: a refusal nulls the user (or viewer) object itself.
        return self.ctx.refuse("app") or ContributionsView(self.ctx, self.user, args)

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
        self.database_id = repo.id

    # Computed when a document asks for them (many documents never do).
    @property
    def created_at(self) -> str | None:
        return iso(self.repo.created_at)

    @property
    def id(self) -> str:
        return base64.b64encode(f"010:Repository{self.repo.id}".encode()).decode()

    @property
    def resource_path(self) -> str:
        return f"/{self.repo.name_with_owner}"

    def owner(self) -> OwnerView:
        user = self.ctx.state.user(self.repo.owner)
        assert user is not None, f"data set lacks owner {self.repo.owner}"
        return OwnerView(self.ctx, user)

    def pull_request(self, number: int) -> PullRequestView | IssueView | GraphQLError:
        pr = self.ctx.state.prs_by_repo.get((self.repo.name_with_owner.lower(), number))
        if pr is None:
            raise fault(
                f"Could not resolve to a PullRequest with the number of {number}.", "NOT_FOUND"
            )
        return conversation_view(self.ctx, pr)

    def stargazers(
        self,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: dict[str, str] | None = None,
    ) -> dict[str, Any] | GraphQLError:
        refusal = self.ctx.refuse("fine_grained")  # non-null: nulls the repository
        if refusal is not None:
            return refusal
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


class _ConversationView(View):
    """The fields GitHub's ``Issue`` and ``PullRequest`` share (one number sequence per
    repository; ``kind`` is the URL path's ``issues`` or ``pull``)."""

    def __init__(
        self, ctx: RequestContext, item: FakePR | FakeIssue, kind: str, id_prefix: str
    ) -> None:
        self.ctx, self.item = ctx, item
        self.kind, self.id_prefix = kind, id_prefix
        self.number = item.number
        self.title = item.title
        self.url = item.url
        self.state = item.state
        self.closed = item.closed_at is not None
        self.locked = False
        self.body = ""
        self.full_database_id = self.database_id = item.number

    # Computed when a document asks for them (a file list never does).
    @property
    def resource_path(self) -> str:
        return f"/{self.item.repo}/{self.kind}/{self.item.number}"

    @property
    def created_at(self) -> str | None:
        return iso(self.item.created_at)

    @property
    def closed_at(self) -> str | None:
        return iso(self.item.closed_at)

    @property
    def updated_at(self) -> str | None:
        return iso(self.item.updated_at)

    @property
    def id(self) -> str:
        item = self.item
        return base64.b64encode(f"{self.id_prefix}{item.repo}#{item.number}".encode()).decode()

    def author(self) -> OwnerView | None:
        user = self.ctx.state.user(self.item.author)
        return OwnerView(self.ctx, user) if user else None

    def repository(self) -> RepoView | GraphQLError:
        return repository_view(self.ctx, self.ctx.state.data.repos[self.item.repo])


class PullRequestView(_ConversationView):
    typename = "PullRequest"

    def __init__(self, ctx: RequestContext, pr: FakePR) -> None:
        super().__init__(ctx, pr, "pull", "PR_")
        self.pr = pr
        self.merged = pr.merged_at is not None
        self.is_draft = False
        self.author_association = pr.author_association
        self.head_ref_oid = pr.head_oid

    @property
    def merged_at(self) -> str | None:
        return iso(self.pr.merged_at)

    @property
    def additions(self) -> int:
        return self.pr.additions

    @property
    def deletions(self) -> int:
        return self.pr.deletions

    @property
    def changed_files(self) -> int:
        """A diff too large to compute: GitHub says 0 changed files (and lists none)."""
        return 0 if self.pr.diff_too_large else self.pr.changed_files

    def base_repository(self) -> RepoView | GraphQLError:
        return self.repository()

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


class IssueView(_ConversationView):
    typename = "Issue"

    def __init__(self, ctx: RequestContext, issue: FakeIssue) -> None:
        super().__init__(ctx, issue, "issues", "I_")
        self.issue = issue

    def state_reason(self, enable_duplicate: bool = False) -> str | None:
        """``DUPLICATE`` reads as ``NOT_PLANNED`` unless asked with ``enableDuplicate``."""
        reason = self.issue.state_reason
        if reason == "DUPLICATE" and not enable_duplicate:
            return "NOT_PLANNED"
        return reason
