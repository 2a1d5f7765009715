"""Who a new report job counts against, and how many it may have (docs/spec.md section 10).

A logged-in viewer (browser session or bearer token) counts as their GitHub account (its
immutable id: a login can change hands, and a new holder of a login does not inherit the
previous one's jobs), across sessions and tokens; anonymous generation
(``ANONYMOUS_GENERATION``, the server token) counts per client address, IPv6 addresses per
/64 (one subscriber's whole network) and named by a keyed digest, so no address is stored
and the keys stay few; the scheduler counts only toward the queue cap. The limits themselves
are settings; the claim script of :mod:`gitbrag.stores.claims` applies them atomically.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from gitbrag.settings import Settings
from gitbrag.stores.claims import JobQuotas

__all__ = [
    "JobQuotas",
    "address_subject",
    "for_address",
    "for_scheduler",
    "for_viewer",
    "viewer_subject",
]


def address_subject(address: str, secret_key: str) -> str:
    """A short, keyed name for a client address (its /64 for IPv6); unparsable addresses
    (a test client's "testclient") share one name."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        network = "unknown"
    else:
        if isinstance(parsed, ipaddress.IPv6Address):
            mapped = parsed.ipv4_mapped
            network = str(mapped or ipaddress.ip_network(f"{parsed}/64", strict=False))
        else:
            network = str(parsed)
    digest = hmac.new(secret_key.encode(), b"address:" + network.encode(), hashlib.sha256)
    return "addr:" + digest.hexdigest()[:20]


def viewer_subject(login: str, account_id: int | None) -> str:
    """Whose a logged-in viewer's jobs and forced refreshes are: their GitHub account, by id
    (by login only for a session from before account ids, until GitHub is asked again)."""
    if account_id is not None:
        return f"account:{account_id}"
    return "login:" + login.lower()


def for_viewer(settings: Settings, login: str, account_id: int | None = None) -> JobQuotas:
    """A logged-in viewer's limits (``login`` and ``account_id`` are what GitHub said the
    token belongs to)."""
    return JobQuotas(
        subject=viewer_subject(login, account_id),
        per_hour=settings.viewer_jobs_per_hour,
        active=settings.viewer_active_jobs,
        queue=settings.max_queued_jobs,
    )


def for_address(settings: Settings, address: str) -> JobQuotas:
    """Anonymous generation's limits, per client address."""
    return JobQuotas(
        subject=address_subject(address, settings.resolved_secret_key()),
        per_hour=settings.anonymous_jobs_per_hour,
        active=settings.anonymous_active_jobs,
        queue=settings.max_queued_jobs,
    )


def for_scheduler(settings: Settings) -> JobQuotas:
    """Pre-warming: no viewer, only the queue cap (a full queue skips the tick's rest)."""
    return JobQuotas(queue=settings.max_queued_jobs)
