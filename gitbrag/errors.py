"""The error tree of gitbrag.

    GitBragError
    ├── InvalidInput          bad username, period or date range (exit code 2, HTTP 400)
    ├── ConfigError           a setting is missing or contradicts another (exit code 2)
    ├── StoreUnavailable      Redis does not answer (HTTP 503; the next request retries)
    ├── StackError            `gitbrag up` cannot start (gitbrag.runtime.stack)
    ├── ReportTooLarge        the user has more pull requests in the range than one report reads
    ├── QuotaExceeded       a new job would pass an abuse limit (HTTP 429 + Retry-After)
    └── GitHubError           anything GitHub answered that we could not turn into data
        ├── NotFound          the user does not exist (HTTP 404)
        │   ├── IsOrganization  the login is an organisation's, not a person's (HTTP 404)
        │   └── ProfilePrivate  the user hid their activity ("private profile"; HTTP 404)
        ├── Unauthorized      the token is invalid, expired or revoked (401)
        ├── RateLimited       the token's budget is exhausted until ``reset_at``
        ├── GitHubUnavailable transient failures that outlived every retry
        ├── SsoRequired       an organisation's SAML single sign-on hides it from this token
        ├── NotAccessible     the token lacks a permission ("Resource not accessible by …")
        ├── UserNotSearchable REST search refuses the login (hidden activity, or no such user)
        └── SchemaMismatch    the server's GraphQL schema lacks a field (older Enterprise)

The last four are permanent for the token or the server: never retried. The collector turns
them into data ("incomplete because …", ``ProfilePrivate``, a document without the field);
only where it cannot do without the part do they reach the caller.

Only ``gitbrag.github`` raises the ``GitHubError`` family; it translates httpx and HTTP
statuses once, at the boundary. Likewise only ``gitbrag.stores`` raises ``StoreUnavailable``,
translated from redis-py's connection errors by the stores' client
(:func:`gitbrag.stores.connection.connect`).
"""

from __future__ import annotations

import math
from datetime import datetime


class GitBragError(Exception):
    """Root of every error gitbrag raises on purpose. ``str(error)`` is safe to show a user."""


class InvalidInput(GitBragError):
    """The caller asked for something that can never work (bad username, period, range)."""


class ConfigError(GitBragError):
    """The configuration cannot work: a required setting is missing, or two contradict."""


class StoreUnavailable(GitBragError):
    """Redis (the broker and every store) did not answer: down, unreachable or timing out."""


class GitHubError(GitBragError):
    """GitHub could not give us what we asked for."""


class NotFound(GitHubError):
    reason = "no_user"

    def __init__(self, login: str, message: str | None = None) -> None:
        super().__init__(message or f"GitHub has no user named {login!r}")
        self.login = login


class IsOrganization(NotFound):
    """The login belongs to an organisation: there is no person whose pull requests to list."""

    reason = "organization"

    def __init__(self, login: str) -> None:
        super().__init__(
            login,
            f"{login} is a GitHub organisation, not a user: gitbrag reports the pull requests "
            "a person authored",
        )


class ProfilePrivate(NotFound):
    """The account exists but its owner turned on "Make profile private and hide activity":
    GitHub's searches answer as if it had no activity at all, so any report would be a
    confident list of zeros. There is nothing to report, and nothing is cached as a report."""

    reason = "private_profile"

    def __init__(self, login: str) -> None:
        super().__init__(
            login,
            f"{login}'s activity is private: they turned on “Make profile private and hide "
            "activity” in their GitHub profile settings, so GitHub does not show their pull "
            "requests, reviews or issues to anyone else",
        )


class ReportTooLarge(GitBragError):
    """GitHub counts more pull requests in the range than one report may read (a setting):
    collecting them would hold the token's budget for hours, so the report is refused."""

    def __init__(self, login: str, found: int, cap: int, noun: str = "pull requests") -> None:
        super().__init__(
            f"GitHub lists {found:,} {noun} by {login} in this range; a report reads at "
            f"most {cap:,}. Choose a shorter period."
        )
        self.noun = noun
        self.login = login
        self.found = found
        self.cap = cap


class QuotaExceeded(GitBragError):
    """A new report job would pass a limit (docs/spec.md section 10): ``kind`` is ``per_hour`` (the
    requester's new jobs in the last hour), ``active`` (their unfinished jobs) or ``queue``
    (every unfinished job). Cached reports are still served; ask again after
    ``retry_after_seconds``."""

    MESSAGES = {
        "per_hour": "You have started {limit} report generations in the last hour, the most "
        "allowed. Reports already generated are still here for everyone.",
        "active": "You already have {limit} reports generating. Wait for one to finish before "
        "starting another.",
        "queue": "gitbrag is generating as many reports as it can right now. Please try again "
        "in a minute.",
    }

    def __init__(self, kind: str, retry_after_seconds: float, limit: int = 0) -> None:
        super().__init__(self.MESSAGES.get(kind, self.MESSAGES["queue"]).format(limit=limit))
        self.kind = kind
        self.limit = limit
        self.retry_after_seconds = max(1, math.ceil(retry_after_seconds))


class Unauthorized(GitHubError):
    def __init__(self, message: str = "GitHub rejected the token (invalid, expired or revoked)"):
        super().__init__(message)


class RateLimited(GitHubError):
    def __init__(self, reset_at: datetime) -> None:
        self.reset_at = reset_at
        super().__init__(f"GitHub rate limit exhausted until {reset_at.isoformat()}")


class GitHubUnavailable(GitHubError):
    """GitHub kept failing (5xx, timeouts) after all retries."""


class SsoRequired(GitHubError):
    """An organisation enforcing SAML single sign-on hides what was asked from this token: the
    token has no SSO session for it (GitHub's 403 with ``X-GitHub-SSO: required; url=…``).
    ``organization`` and ``url`` (where to authorise the token) are what GitHub named."""

    def __init__(self, organization: str | None, url: str | None, message: str) -> None:
        where = f"the organisation {organization}" if organization else "an organisation"
        fix = f"; authorise the token at {url}" if url else ""
        super().__init__(
            f"{where} enforces SAML single sign-on and the token has no SSO session for it"
            f"{fix} (GitHub: {message})"
        )
        self.organization = organization
        self.url = url


class NotAccessible(GitHubError):
    """The token may not read this at all (a fine-grained token or a GitHub App without the
    permission): GitHub's "Resource not accessible by personal access token / integration"."""

    def __init__(self, message: str) -> None:
        super().__init__(f"the token cannot read this ({message})")
        self.github_message = message


class UserNotSearchable(GitHubError):
    """REST search refused to search a login: "The listed users cannot be searched either
    because the users do not exist or you do not have permission to view the users." For a
    login that exists, that is a private profile (the collector raises ``ProfilePrivate``)."""


class SchemaMismatch(GitHubError):
    """The server's GraphQL schema lacks a field the document selects (an older GitHub
    Enterprise Server): the whole document failed (``undefinedField``), no data."""

    def __init__(self, type_name: str, field_name: str, message: str) -> None:
        super().__init__(
            f"this GitHub server has no field {type_name}.{field_name} (GitHub: {message})"
        )
        self.type_name = type_name
        self.field_name = field_name
