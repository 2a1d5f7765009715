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
403 with ``X-GitHub-SSO: required; url=…``, or "Resource       raise ``SsoRequired(org, url)``
protected by organization SAML enforcement"                    (permanent for the token)
403 "Resource not accessible by personal access token" / "by   raise ``NotAccessible(message)``
integration"                                                   (permanent for the token)
403/429 with ``Retry-After`` and no other explanation          secondary limit, as above
429 without anything                                           secondary limit, as above
other 403                                                      raise ``GitHubError``
404 where absence is an answer (``missing_ok``)                return ``None`` (``absent``)
404 for a user                                                 raise ``NotFound(login)``
422 "The listed users cannot be searched…" (REST search)       raise ``UserNotSearchable``
500/503                                                        retry with backoff and jitter
502/504, transport timeouts, GraphQL "...may be the result     retry with backoff and jitter,
of a timeout", GraphQL ``RESOURCE_LIMITS_EXCEEDED`` or         asking for less (``shrink``):
``MAX_NODE_LIMIT_EXCEEDED`` for the whole query                smaller pages / smaller batches
GraphQL errors that all carry a ``path``, with ``data``        partial answer: in a batch, keep
                                                               the data and retry the failed
                                                               aliases smaller; elsewhere only
                                                               permanent ones (below) are
                                                               accepted, any other is retried
                                                               smaller
GraphQL partial ``NOT_FOUND``/``FORBIDDEN``, SAML failures     permanent partial answer: fields
(``extensions.saml_failure`` or the SAML message, with or      null, never retried; SAML and
without ``type``) and "Resource not accessible by …"           token refusals are ``denials``
                                                               (with the organisation and URL
                                                               of ``X-GitHub-SSO``) the
                                                               collector reads again with the
                                                               fallback token or names
GraphQL 200, errors only, ``extensions.code: undefinedField``  raise ``SchemaMismatch(type,
(an older Enterprise Server's schema)                          field)``: never retried
GraphQL 200 without ``data``                                   retry with backoff
REST 200 with ``X-GitHub-SSO: partial-results;                 the answer (``sso_hint`` names
organizations=<ids>``                                          the organisations left out)
any other GraphQL error or HTTP error                          raise ``GitHubError(message)``
retries exhausted                                              raise ``GitHubUnavailable``
=============================================================  ================================

Sources: GitHub's REST and GraphQL rate-limit documentation ("Exceeding the rate limit"),
githubkit#271 and octokit/plugin-throttling.js#848 (``RATE_LIMIT``/``graphql_rate_limit``
inside HTTP 200), octokit/plugin-throttling.js#437 (the "abuse" wording GitHub used before
"secondary rate limit"), GitHub's changelog of 2025-09-01 (resource limits: partial data with
``RESOURCE_LIMITS_EXCEEDED``) and of 2025-07-21 (timeouts count against the primary limit).
SAML single sign-on: docs "Authenticating to the REST API" (personal access tokens and SAML
SSO: ``X-GitHub-SSO: required; url=…`` and ``partial-results; organizations=…``),
fwouts/prmonitor#1042, cli/cli#2661 and #7881, muesli/markscribe#72 (the GraphQL
``FORBIDDEN`` with ``saml_failure``), Homebrew/brew#18778 (the same error without
``extensions``: the message is matched too). Fine-grained and App tokens: docs "Permissions
required for fine-grained personal access tokens" / "for GitHub Apps" (a ``FORBIDDEN``
"Resource not accessible by …" nulls the field's parent object). Private profiles: docs
"Setting your profile to private", changelog 2022-04-21, cli/cli#6879, mathlib4#31286 and
zephyr#94070 (the 422 body). Older Enterprise Servers: the GHES GraphQL changelogs (fields
such as ``Issue.stateReason`` arrive in later releases; a document selecting a missing one
fails whole with ``undefinedField``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Final, Literal

from gitbrag.errors import (
    GitHubError,
    NotAccessible,
    NotFound,
    SchemaMismatch,
    SsoRequired,
    Unauthorized,
    UserNotSearchable,
)

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
SAML_WORDING: Final = re.compile(r"protected by organi[sz]ation SAML enforcement", re.I)
NOT_ACCESSIBLE_WORDING: Final = re.compile(r"resource not accessible by \w", re.I)
UNSEARCHABLE_WORDING: Final = re.compile(r"cannot be searched", re.I)
UNDEFINED_FIELD: Final = "undefinedField"
_MISSING_FIELD: Final = re.compile(r"Field '(\w+)' doesn't exist on type '(\w+)'")
_SSO_ORGANIZATION: Final = re.compile(r"/orgs/([A-Za-z0-9][A-Za-z0-9-]*)/sso(?:[/?#]|$)")


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

DenialKind = Literal["saml", "token", "forbidden"]


@dataclass(frozen=True, slots=True)
class SsoHint:
    """What ``X-GitHub-SSO`` says: ``required; url=…`` (the token needs an SSO session for the
    organisation in ``url``, ``/orgs/<org>/sso?…``) or ``partial-results;
    organizations=<ids>`` (a list or search left those organisations' items out)."""

    required: bool = False
    url: str | None = None
    organization: str | None = None
    partial_organization_ids: tuple[int, ...] = ()


def sso_hint(headers: Mapping[str, str]) -> SsoHint | None:
    """The ``X-GitHub-SSO`` header read, or ``None`` without one (or one not understood)."""
    raw = headers.get("x-github-sso")
    if not raw:
        return None
    directive, _, rest = raw.partition(";")
    directive = directive.strip().lower()
    if directive == "required":
        _, found, url = rest.partition("url=")
        address = url.strip() if found and url.strip() else None
        match = _SSO_ORGANIZATION.search(address or "")
        return SsoHint(required=True, url=address, organization=match[1] if match else None)
    if directive == "partial-results":
        _, _, ids = rest.partition("organizations=")
        numbers = tuple(int(part) for part in ids.split(",") if part.strip().isdigit())
        return SsoHint(partial_organization_ids=numbers)
    return None


@dataclass(frozen=True, slots=True)
class Denial:
    """A part of a GraphQL answer GitHub nulled for good for this token: ``saml`` (an
    organisation's SAML single sign-on; ``organization`` and ``url`` from ``X-GitHub-SSO``
    when GitHub named them), ``token`` ("Resource not accessible by …": the token lacks the
    permission) or ``forbidden`` (any other ``FORBIDDEN``). ``path`` is the error's path."""

    path: tuple[str | int, ...]
    kind: DenialKind
    message: str
    organization: str | None = None
    url: str | None = None

    @property
    def alias(self) -> str | None:
        """The top-level field (a batch's alias) the denial is under."""
        return self.path[0] if self.path and isinstance(self.path[0], str) else None

    @property
    def field(self) -> str | None:
        """The field GitHub refused (the last name in the path), e.g. ``stargazers``."""
        names = [step for step in self.path if isinstance(step, str)]
        return names[-1] if names else None


def denial_kind(error: Mapping[str, Any]) -> DenialKind | None:
    """Whether a GraphQL error is a permanent refusal for this token, and which."""
    message = str(error.get("message") or "")
    extensions = error.get("extensions")
    saml = isinstance(extensions, dict) and extensions.get("saml_failure") is True
    if saml or SAML_WORDING.search(message):
        return "saml"
    if NOT_ACCESSIBLE_WORDING.search(message):
        return "token"
    if error.get("type") == "FORBIDDEN":
        return "forbidden"
    return None


def denials(payload: Any, headers: Mapping[str, str]) -> tuple[Denial, ...]:
    """Every denial of a GraphQL answer, SAML ones with the organisation GitHub named."""
    if not isinstance(payload, dict):
        return ()
    hint = sso_hint(headers)
    found = []
    for error in payload.get("errors") or ():
        if not isinstance(error, dict) or not isinstance(error.get("path"), list):
            continue
        kind = denial_kind(error)
        if kind is None:
            continue
        named = kind == "saml" and hint is not None and hint.required
        found.append(
            Denial(
                tuple(error["path"]),
                kind,
                str(error.get("message") or "FORBIDDEN"),
                hint.organization if named and hint else None,
                hint.url if named and hint else None,
            )
        )
    return tuple(found)


def _permanent(error: Mapping[str, Any]) -> bool:
    """A partial error that asking again (or for less) never fixes."""
    return error.get("type") in PARTIAL_ERROR_TYPES or denial_kind(error) is not None


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


def _refused_for_good(headers: Mapping[str, str], message: str) -> Outcome | None:
    """A 403 that is the token's standing, not a limit: SAML SSO or a missing permission."""
    hint = sso_hint(headers)
    if (hint is not None and hint.required) or SAML_WORDING.search(message):
        named = hint if hint is not None and hint.required else SsoHint()
        return Outcome(error=SsoRequired(named.organization, named.url, message))
    if NOT_ACCESSIBLE_WORDING.search(message):
        return Outcome(error=NotAccessible(message))
    return None


def _unsearchable(payload: Any) -> str | None:
    """The 422 message of a REST search that refuses the login it was asked about."""
    if not isinstance(payload, dict):
        return None
    for error in payload.get("errors") or ():
        message = error.get("message") if isinstance(error, dict) else None
        if isinstance(message, str) and UNSEARCHABLE_WORDING.search(message):
            return message
    return None


def _schema_mismatch(errors: list[dict[str, Any]]) -> SchemaMismatch | None:
    """The first ``undefinedField`` error as ``SchemaMismatch`` (type and field from its
    ``extensions``, else from GitHub's message)."""
    for error in errors:
        extensions = error.get("extensions")
        if not isinstance(extensions, dict) or extensions.get("code") != UNDEFINED_FIELD:
            continue
        message = str(error.get("message") or UNDEFINED_FIELD)
        named = _MISSING_FIELD.search(message)
        type_name = extensions.get("typeName") or (named[2] if named else "?")
        field_name = extensions.get("fieldName") or (named[1] if named else "?")
        return SchemaMismatch(str(type_name), str(field_name), message)
    return None


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
        refused = _refused_for_good(headers, message) if status == 403 else None
        if refused is not None:
            return refused
        if SECONDARY_WORDING.search(message) or "retry-after" in headers or status == 429:
            return _secondary(headers, now)
        return Outcome(error=GitHubError(f"GitHub refused the request: {message}"))
    if status == 404 and missing_ok:
        return Outcome(absent=True)
    if status == 404 and login is not None:
        return Outcome(error=NotFound(login))
    if status == 422 and (unsearchable := _unsearchable(payload)) is not None:
        return Outcome(error=UserNotSearchable(f"GitHub search refused: {unsearchable}"))
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
    if not has_data and (mismatch := _schema_mismatch(errors)) is not None:
        return Outcome(error=mismatch)
    if has_data and all(e.get("path") for e in errors):
        if batch or all(_permanent(e) for e in errors):
            return OK
        return Outcome(transient=f"GraphQL partial answer: {messages}", shrink=True)
    if GRAPHQL_TIMEOUT_MARKER in messages:
        return Outcome(transient=f"GraphQL timeout: {messages}", shrink=True)
    if any(e.get("type") in SHRINK_ERROR_TYPES for e in errors):
        return Outcome(transient=f"GraphQL resource limits: {messages}", shrink=True)
    return Outcome(error=GitHubError(f"GitHub GraphQL error: {messages}"))


def failed_aliases(payload: dict[str, Any]) -> dict[str, str]:
    """The top-level aliases of a partial GraphQL answer whose errors are worth retrying
    smaller (anything but the permanent ``NOT_FOUND``/``FORBIDDEN``, SAML and "not accessible"
    refusals), each with its first error message."""
    failed: dict[str, str] = {}
    for error in payload.get("errors") or []:
        if not isinstance(error, dict) or _permanent(error):
            continue
        path = error.get("path")
        if isinstance(path, list) and path and isinstance(path[0], str):
            failed.setdefault(path[0], str(error.get("message", "unknown error")))
    return failed
