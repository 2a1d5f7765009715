"""What GitHub's answer means: the one place that maps HTTP statuses, rate-limit headers and
GraphQL errors to gitbrag's error tree (``gitbrag.errors``) or to "wait" / "retry".

==========================================================  ===================================
what GitHub answered                                        what the client does
==========================================================  ===================================
401                                                         raise ``Unauthorized`` (no retry)
403/429 with ``x-ratelimit-remaining: 0``                   raise ``RateLimited(reset_at)``
GraphQL error type ``RATE_LIMITED``                         raise ``RateLimited(reset_at)``
403/429 with ``Retry-After`` (secondary limit)              sleep that long, retry
403/429 "secondary rate limit" without ``Retry-After``      sleep ``secondary_wait``, retry
other 403                                                   raise ``GitHubError``
404 for a user                                              raise ``NotFound(login)``
500/502/503/504, timeouts, connection errors,               retry with exponential backoff and
GraphQL "...may be the result of a timeout"                 jitter; GraphQL asks for smaller
                                                            pages (``$first`` halved)
GraphQL ``NOT_FOUND``/``FORBIDDEN`` on some fields          return the data (those fields null)
any other GraphQL error or HTTP error                       raise ``GitHubError(message)``
retries exhausted                                           raise ``GitHubUnavailable``
==========================================================  ===================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Final

from gitbrag.errors import GitHubError, NotFound, RateLimited, Unauthorized

GRAPHQL_TIMEOUT_MARKER: Final = "may be the result of a timeout"
PARTIAL_ERROR_TYPES: Final = frozenset({"NOT_FOUND", "FORBIDDEN"})
RETRYABLE_STATUSES: Final = frozenset({500, 502, 503, 504})
SHRINKING_STATUSES: Final = frozenset({502, 504})
DEFAULT_RESET_SECONDS: Final = 60


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one response means: at most one of ``error``, ``wait_seconds``, ``transient``."""

    error: GitHubError | None = None
    wait_seconds: float | None = None  # a secondary rate limit: wait, then retry
    transient: str | None = None  # worth retrying with backoff; says why
    shrink: bool = False  # ...and smaller pages may help


OK: Final = Outcome()


def reset_time(headers: Mapping[str, str], now: datetime) -> datetime:
    """When the budget comes back, from ``x-ratelimit-reset`` (epoch seconds; recordings
    sometimes carry milliseconds), else a minute from ``now``."""
    raw = headers.get("x-ratelimit-reset")
    try:
        epoch = float(raw) if raw is not None else None
    except ValueError:
        epoch = None
    if epoch is None:
        return now + timedelta(seconds=DEFAULT_RESET_SECONDS)
    if epoch > 1e11:
        epoch /= 1000
    return datetime.fromtimestamp(epoch, UTC)


def _retry_after(value: str, now: datetime) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None


def _message(payload: Any, status: int) -> str:
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        return str(payload["message"])
    return f"HTTP {status}"


def classify(
    status: int,
    headers: Mapping[str, str],
    payload: Any,
    *,
    graphql: bool,
    login: str | None = None,
    now: datetime,
    secondary_wait: float = 60.0,
) -> Outcome:
    """Map one GitHub response to an :class:`Outcome`; the table in the module docstring."""
    if status == 401:
        return Outcome(error=Unauthorized())
    if status in (403, 429):
        if headers.get("x-ratelimit-remaining") == "0":
            return Outcome(error=RateLimited(reset_time(headers, now)))
        retry_after = headers.get("retry-after")
        if retry_after is not None and (seconds := _retry_after(retry_after, now)) is not None:
            return Outcome(wait_seconds=seconds)
        message = _message(payload, status)
        if status == 429 or "secondary rate limit" in message.lower():
            return Outcome(wait_seconds=secondary_wait)
        return Outcome(error=GitHubError(f"GitHub refused the request: {message}"))
    if status == 404 and login is not None:
        return Outcome(error=NotFound(login))
    if status in RETRYABLE_STATUSES:
        return Outcome(transient=f"HTTP {status}", shrink=status in SHRINKING_STATUSES)
    if status >= 400:
        return Outcome(
            error=GitHubError(f"GitHub answered HTTP {status}: {_message(payload, status)}")
        )
    if not graphql:
        return OK
    if not isinstance(payload, dict):
        return Outcome(transient="unreadable GraphQL response")
    return _classify_graphql_errors(payload, headers, now)


def _classify_graphql_errors(
    payload: dict[str, Any], headers: Mapping[str, str], now: datetime
) -> Outcome:
    errors = [e for e in payload.get("errors") or [] if isinstance(e, dict)]
    if not errors:
        return (
            OK
            if isinstance(payload.get("data"), dict)
            else Outcome(transient="GraphQL without data")
        )
    if any(e.get("type") == "RATE_LIMITED" for e in errors):
        return Outcome(error=RateLimited(reset_time(headers, now)))
    messages = "; ".join(str(e.get("message", "unknown error")) for e in errors)
    if any(GRAPHQL_TIMEOUT_MARKER in str(e.get("message", "")) for e in errors):
        return Outcome(transient=f"GraphQL timeout: {messages}", shrink=True)
    partial = all(e.get("type") in PARTIAL_ERROR_TYPES and e.get("path") for e in errors)
    if partial and isinstance(payload.get("data"), dict):
        return OK
    return Outcome(error=GitHubError(f"GitHub GraphQL error: {messages}"))
