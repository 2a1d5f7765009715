"""What GitHub's answer means: the one place that maps HTTP statuses, rate-limit headers and
GraphQL errors to gitbrag's error tree (``gitbrag.errors``) or to "wait" / "retry".

=============================================================  ================================
what GitHub answered                                           what the client does
=============================================================  ================================
401                                                            raise ``Unauthorized`` (no retry)
403/429 with ``x-ratelimit-remaining: 0``, or "API rate limit  primary limit: wait for
exceeded"                                                      ``x-ratelimit-reset`` (``primary``)
GraphQL 200, error ``type`` ``RATE_LIMITED`` or ``RATE_LIMIT``  primary limit, as above
or ``code`` ``graphql_rate_limit``
403/429 or GraphQL 200 (as an error or a REST-shaped body)     secondary limit: wait
saying "secondary rate limit" or
"abuse detection mechanism" (GitHub Enterprise wording)        ``Retry-After``, else an
                                                               escalating wait (``secondary``)
403/429 with ``Retry-After`` and no other explanation          secondary limit, as above
429 without anything                                           secondary limit, as above
other 403                                                      raise ``GitHubError``
404 where absence is an answer (``missing_ok``)                return ``None`` (``absent``)
404 for a user                                                 raise ``NotFound(login)``
500/503                                                        retry with backoff and jitter
502/504, transport timeouts, GraphQL "...may be the result     retry with backoff and jitter,
of a timeout", GraphQL ``RESOURCE_LIMITS_EXCEEDED`` or         asking for less (``shrink``):
``MAX_NODE_LIMIT_EXCEEDED`` for the whole query                smaller pages / smaller batches
GraphQL errors that all carry a ``path``, with ``data``        partial answer: in a batch, keep
                                                               the data and retry the failed
                                                               aliases smaller; elsewhere only
                                                               ``NOT_FOUND``/``FORBIDDEN``
                                                               (fields null) are accepted, any
                                                               other is retried smaller
GraphQL 200 without ``data``                                   retry with backoff
any other GraphQL error or HTTP error                          raise ``GitHubError(message)``
retries exhausted                                              raise ``GitHubUnavailable``
=============================================================  ================================

Sources: GitHub's REST and GraphQL rate-limit documentation ("Exceeding the rate limit"),
githubkit#271 and octokit/plugin-throttling.js#848 (``RATE_LIMIT``/``graphql_rate_limit``
inside HTTP 200), octokit/plugin-throttling.js#437 (the "abuse" wording GitHub used before
"secondary rate limit"), GitHub's changelog of 2025-09-01 (resource limits: partial data with
``RESOURCE_LIMITS_EXCEEDED``) and of 2025-07-21 (timeouts count against the primary limit).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Final

from gitbrag.errors import GitHubError, NotFound, Unauthorized

GRAPHQL_TIMEOUT_MARKER: Final = "may be the result of a timeout"
PARTIAL_ERROR_TYPES: Final = frozenset({"NOT_FOUND", "FORBIDDEN"})
PRIMARY_ERROR_TYPES: Final = frozenset({"RATE_LIMITED", "RATE_LIMIT"})
PRIMARY_ERROR_CODES: Final = frozenset({"graphql_rate_limit"})
SHRINK_ERROR_TYPES: Final = frozenset({"RESOURCE_LIMITS_EXCEEDED", "MAX_NODE_LIMIT_EXCEEDED"})
SECONDARY_WORDING: Final = re.compile(
    r"secondary rate limit|abuse detection|abuse rate limit", re.I
)
PRIMARY_WORDING: Final = re.compile(r"api rate limit (?:already )?exceeded", re.I)
RETRYABLE_STATUSES: Final = frozenset({500, 502, 503, 504})
SHRINKING_STATUSES: Final = frozenset({502, 504})
DEFAULT_RESET_SECONDS: Final = 60


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one response means. At most one of ``error``, ``primary_reset``, ``secondary``,
    ``transient`` and ``absent`` is set; none set means "use the payload"."""

    error: GitHubError | None = None
    primary_reset: datetime | None = None  # primary limit: the budget returns at this time
    secondary: bool = False  # secondary limit: wait, then retry
    retry_after: float | None = None  # ...for exactly this long, if GitHub said so
    transient: str | None = None  # worth retrying with backoff; says why
    shrink: bool = False  # ...and asking for less may help
    absent: bool = False  # a 404 that means "none" (``missing_ok``)


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


def retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), if present and readable."""
    value = headers.get("retry-after")
    if value is None:
        return None
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


def _secondary(headers: Mapping[str, str], now: datetime) -> Outcome:
    return Outcome(secondary=True, retry_after=retry_after(headers, now))


def classify(
    status: int,
    headers: Mapping[str, str],
    payload: Any,
    *,
    graphql: bool,
    login: str | None = None,
    now: datetime,
    batch: bool = False,
    missing_ok: bool = False,
) -> Outcome:
    """Map one GitHub response to an :class:`Outcome`; the table in the module docstring.

    ``batch``: the GraphQL document is a batch of aliases whose failed parts the caller
    retries itself, so any error with a ``path`` is a partial answer.
    """
    if status == 401:
        return Outcome(error=Unauthorized())
    if status in (403, 429):
        message = _message(payload, status)
        if headers.get("x-ratelimit-remaining") == "0" or PRIMARY_WORDING.search(message):
            return Outcome(primary_reset=reset_time(headers, now))
        if SECONDARY_WORDING.search(message) or "retry-after" in headers or status == 429:
            return _secondary(headers, now)
        return Outcome(error=GitHubError(f"GitHub refused the request: {message}"))
    if status == 404 and missing_ok:
        return Outcome(absent=True)
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
    return _classify_graphql(payload, headers, now, batch=batch)


def _classify_graphql(
    payload: dict[str, Any], headers: Mapping[str, str], now: datetime, *, batch: bool
) -> Outcome:
    errors = [e for e in payload.get("errors") or [] if isinstance(e, dict)]
    has_data = isinstance(payload.get("data"), dict)
    if not errors and SECONDARY_WORDING.search(_message(payload, 200)):
        return _secondary(headers, now)  # a REST-shaped secondary-limit body, status 200
    if not errors:
        return OK if has_data else Outcome(transient="GraphQL without data")
    if any(
        e.get("type") in PRIMARY_ERROR_TYPES or e.get("code") in PRIMARY_ERROR_CODES for e in errors
    ):
        return Outcome(primary_reset=reset_time(headers, now))
    messages = "; ".join(str(e.get("message", "unknown error")) for e in errors)
    if SECONDARY_WORDING.search(messages):
        return _secondary(headers, now)
    if has_data and all(e.get("path") for e in errors):
        if batch or all(e.get("type") in PARTIAL_ERROR_TYPES for e in errors):
            return OK
        return Outcome(transient=f"GraphQL partial answer: {messages}", shrink=True)
    if GRAPHQL_TIMEOUT_MARKER in messages:
        return Outcome(transient=f"GraphQL timeout: {messages}", shrink=True)
    if any(e.get("type") in SHRINK_ERROR_TYPES for e in errors):
        return Outcome(transient=f"GraphQL resource limits: {messages}", shrink=True)
    return Outcome(error=GitHubError(f"GitHub GraphQL error: {messages}"))


def failed_aliases(payload: dict[str, Any]) -> dict[str, str]:
    """The top-level aliases of a partial GraphQL answer whose errors are worth retrying
    smaller (anything but ``NOT_FOUND``/``FORBIDDEN``), each with its first error message."""
    failed: dict[str, str] = {}
    for error in payload.get("errors") or []:
        if not isinstance(error, dict) or error.get("type") in PARTIAL_ERROR_TYPES:
            continue
        path = error.get("path")
        if isinstance(path, list) and path and isinstance(path[0], str):
            failed.setdefault(path[0], str(error.get("message", "unknown error")))
    return failed
