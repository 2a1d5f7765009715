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
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields
from typing import Any, Final

RATE_LIMIT_TYPES: Final = ("RATE_LIMITED", "RATE_LIMIT")
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


class Behaviours:
    """Thread-safe behaviour switches (see the module docstring); ``reset()`` turns all off."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings = _Settings()

    def configure(self, **changes: Any) -> None:
        """Change some switches; unknown names or bad values raise ``ValueError``."""
        names = {f.name: f.type for f in fields(_Settings)}
        unknown = set(changes) - set(names)
        if unknown:
            raise ValueError(f"unknown behaviours {sorted(unknown)}; known: {sorted(names)}")
        updated = _Settings(**{**asdict(self._settings), **changes})
        if updated.graphql_rate_limit_type not in RATE_LIMIT_TYPES:
            raise ValueError(f"graphql_rate_limit_type must be one of {RATE_LIMIT_TYPES}")
        if updated.short_search_pages not in SHORT_PAGE_MODES:
            raise ValueError(f"short_search_pages must be one of {SHORT_PAGE_MODES}")
        for name in ("resource_limit_nodes", "timeout_nodes", "max_in_flight"):
            value = getattr(updated, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0 (0 = off)")
        if not isinstance(updated.social_accounts_404, bool):
            raise ValueError("social_accounts_404 must be true or false")
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
