"""The error tree of gitbrag.

    GitBragError
    ├── InvalidInput          bad username, period or date range (exit code 2, HTTP 400)
    ├── ConfigError           a setting is missing or contradicts another (exit code 2)
    ├── StoreUnavailable      Redis does not answer (HTTP 503; the next request retries)
    ├── StackError            `gitbrag up` cannot start (gitbrag.runtime.stack)
    └── GitHubError           anything GitHub answered that we could not turn into data
        ├── NotFound          the user does not exist (HTTP 404)
        ├── Unauthorized      the token is invalid, expired or revoked (401)
        ├── RateLimited       the token's budget is exhausted until ``reset_at``
        └── GitHubUnavailable transient failures that outlived every retry

Only ``gitbrag.github`` raises the ``GitHubError`` family; it translates httpx and HTTP
statuses once, at the boundary. Likewise only ``gitbrag.stores`` raises ``StoreUnavailable``,
translated from redis-py's connection errors by the stores' client
(:func:`gitbrag.stores.connection.connect`).
"""

from __future__ import annotations

from datetime import UTC, datetime


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
    def __init__(self, login: str) -> None:
        super().__init__(f"GitHub has no user named {login!r}")
        self.login = login


class Unauthorized(GitHubError):
    def __init__(self, message: str = "GitHub rejected the token (invalid, expired or revoked)"):
        super().__init__(message)


class RateLimited(GitHubError):
    def __init__(self, reset_at: datetime) -> None:
        self.reset_at = reset_at
        super().__init__(f"GitHub rate limit exhausted until {reset_at.isoformat()}")

    def seconds_until_reset(self, now: datetime | None = None) -> float:
        now = now or datetime.now(UTC)
        return max(0.0, (self.reset_at - now).total_seconds())


class GitHubUnavailable(GitHubError):
    """GitHub kept failing (5xx, timeouts) after all retries."""
