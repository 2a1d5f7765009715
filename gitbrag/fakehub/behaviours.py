"""GitHub behaviours the simulated GitHub can show, each off by default and switchable per
test (``FakeHub.behaviours.configure(...)`` in process, ``POST /_fakehub/behaviours`` out of
process). Unlike ``faults`` (one bad answer now and then), these are how GitHub works under
load or at scale:

- ``graphql_rate_limit_type``: the ``type`` of the error a GraphQL request gets once the
  token's budget is spent: ``RATE_LIMITED`` (documented) or ``RATE_LIMIT`` with
  ``code: graphql_rate_limit`` (seen in 2026, githubkit#271).
- ``primary_reset_seconds``: when a ``primary`` fault spends the budget, how soon it resets.
- ``resource_limit_nodes``: a GraphQL document asking for more connection nodes (the sum
  of its ``first`` arguments) than this gets ``RESOURCE_LIMITS_EXCEEDED`` errors, with a
  ``path``, on the connections past the limit, and partial data for the rest (GitHub's
  resource limits, changelog 2025-09-01).
- ``timeout_nodes``: a document asking for more nodes than this times out whole (HTTP 200,
  ``data: null``, GitHub's "...may be the result of a timeout" error).
- ``short_search_pages``: ``"once"``: the first page served for each search query lacks its
  last result (paging continues after it); ``"always"``: every page does. GitHub documents
  that searches can time out and return what they found so far.
- ``social_accounts_404``: ``/users/{login}/social_accounts`` answers 404, like GitHub
  Enterprise Server before 3.9.
- ``max_in_flight``: more concurrent requests than this for one token get a 403 secondary
  rate limit with ``Retry-After: 1`` (GitHub allows 100).

Round two (issue 18; each answer and its public source in the module that gives it):

- ``private_profiles``: users with a private profile hide their activity from searches and
  ``contributionsCollection``; REST search by them is 422 (``visibility``).
- ``sso_enforcement``: organisations enforcing SAML SSO hide what they own from their
  members' tokens without an SSO session (``visibility``).
- ``token_permissions``: fine-grained and GitHub App tokens are refused what they may not
  read (``tokens``).
- ``legacy_schema``: GraphQL is an older GitHub Enterprise Server's, without
  ``Issue.stateReason`` and ``User.socialAccounts``; a document selecting one fails whole
  (``enterprise``).
- ``rate_limiting_disabled``: an Enterprise Server with API rate limiting turned off: no
  ``x-ratelimit-*`` headers, GraphQL ``rateLimit: null``, ``GET /rate_limit`` 404, never
  rate limited (``enterprise``).

Counters prove a behaviour was shown (``FakeHub.counters``): ``resource_limits``,
``timeout``, ``short_search_page``, ``secondary.concurrency``, ``social_accounts_404``,
``private_profile.search`` / ``private_profile.contributions``, ``saml.forbidden`` /
``saml.partial_results``, ``token_permissions.forbidden``, ``legacy_schema.undefined_field``,
``rate_limiting_disabled.not_enabled``; and for accounts ``rename``, ``register``,
``rename.old_login`` (a released login looked up).

Presets (``configure(preset=...)`` starts from every switch off, then applies the preset,
then the other arguments):

- ``"real_github"``: github.com as a well-behaved client meets it: round one's behaviours at
  realistic levels (the ``RATE_LIMIT`` error shape, resource limits and timeouts only for
  queries far bigger than a careful client sends, the first page of each search short once,
  GitHub's 100 requests in flight) and round two's github.com behaviours (private profiles,
  SAML SSO, token permissions).
- ``"old_enterprise"``: an older GitHub Enterprise Server: ``legacy_schema``,
  ``rate_limiting_disabled`` and ``social_accounts_404``.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields
from typing import Any, Final

RATE_LIMIT_TYPES: Final = ("RATE_LIMITED", "RATE_LIMIT")
# GitHub's documented ceiling is 500,000 nodes a query; its resource limits and 10-second
# timeout strike well below that for heavy queries. These levels let what a careful client
# sends through (gitbrag's documents ask for at most ~4,000 nodes) and refuse, in part, a
# page of 100 pull requests with 100 files each (~10,100), or time out twice that.
REAL_RESOURCE_LIMIT_NODES: Final = 10_000
REAL_TIMEOUT_NODES: Final = 20_000
SHORT_PAGE_MODES: Final = ("", "once", "always")


@dataclass
class _Settings:
    graphql_rate_limit_type: str = "RATE_LIMITED"
    primary_reset_seconds: float = 2.0
    resource_limit_nodes: int = 0
    timeout_nodes: int = 0
    short_search_pages: str = ""
    social_accounts_404: bool = False
    max_in_flight: int = 0
    private_profiles: bool = False
    sso_enforcement: bool = False
    token_permissions: bool = False
    legacy_schema: bool = False
    rate_limiting_disabled: bool = False


_SWITCHES: Final = (
    "social_accounts_404",
    "private_profiles",
    "sso_enforcement",
    "token_permissions",
    "legacy_schema",
    "rate_limiting_disabled",
)
PRESETS: Final[dict[str, dict[str, Any]]] = {
    "real_github": {
        "graphql_rate_limit_type": "RATE_LIMIT",
        "resource_limit_nodes": REAL_RESOURCE_LIMIT_NODES,
        "timeout_nodes": REAL_TIMEOUT_NODES,
        "short_search_pages": "once",
        "max_in_flight": 100,
        "private_profiles": True,
        "sso_enforcement": True,
        "token_permissions": True,
    },
    "old_enterprise": {
        "legacy_schema": True,
        "rate_limiting_disabled": True,
        "social_accounts_404": True,
    },
}


class Behaviours:
    """Thread-safe behaviour switches (see the module docstring); ``reset()`` turns all off."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings = _Settings()

    def configure(self, preset: str | None = None, **changes: Any) -> None:
        """Change some switches, or start from a preset (see the module docstring); unknown
        names or bad values raise ``ValueError``."""
        names = {f.name: f.type for f in fields(_Settings)}
        unknown = set(changes) - set(names)
        if unknown:
            raise ValueError(f"unknown behaviours {sorted(unknown)}; known: {sorted(names)}")
        if preset is not None and preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; known: {sorted(PRESETS)}")
        base = asdict(_Settings()) | PRESETS[preset] if preset else asdict(self._settings)
        updated = _Settings(**{**base, **changes})
        if updated.graphql_rate_limit_type not in RATE_LIMIT_TYPES:
            raise ValueError(f"graphql_rate_limit_type must be one of {RATE_LIMIT_TYPES}")
        if updated.short_search_pages not in SHORT_PAGE_MODES:
            raise ValueError(f"short_search_pages must be one of {SHORT_PAGE_MODES}")
        for name in ("resource_limit_nodes", "timeout_nodes", "max_in_flight"):
            value = getattr(updated, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0 (0 = off)")
        for name in _SWITCHES:
            if not isinstance(getattr(updated, name), bool):
                raise ValueError(f"{name} must be true or false")
        if float(updated.primary_reset_seconds) < 0:
            raise ValueError("primary_reset_seconds must be >= 0")
        with self._lock:
            self._settings = updated

    def reset(self) -> None:
        with self._lock:
            self._settings = _Settings()

    def settings(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self._settings)

    @property
    def graphql_rate_limit_type(self) -> str:
        return self._settings.graphql_rate_limit_type

    @property
    def primary_reset_seconds(self) -> float:
        return float(self._settings.primary_reset_seconds)

    @property
    def resource_limit_nodes(self) -> int:
        return self._settings.resource_limit_nodes

    @property
    def timeout_nodes(self) -> int:
        return self._settings.timeout_nodes

    @property
    def short_search_pages(self) -> str:
        return self._settings.short_search_pages

    @property
    def social_accounts_404(self) -> bool:
        return self._settings.social_accounts_404

    @property
    def max_in_flight(self) -> int:
        return self._settings.max_in_flight

    @property
    def private_profiles(self) -> bool:
        return self._settings.private_profiles

    @property
    def sso_enforcement(self) -> bool:
        return self._settings.sso_enforcement

    @property
    def token_permissions(self) -> bool:
        return self._settings.token_permissions

    @property
    def legacy_schema(self) -> bool:
        return self._settings.legacy_schema

    @property
    def rate_limiting_disabled(self) -> bool:
        return self._settings.rate_limiting_disabled
