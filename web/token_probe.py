"""What the server's GitHub token can read, said once at startup and shown by ``/readyz``.

Fine-grained and GitHub App tokens may lack permissions a classic token has; reports then
name the parts GitHub withheld (``gitbrag.github.withheld``). So that an operator learns it
before the first report does, the web's startup probes the configured server token
(:func:`gitbrag.github.capabilities.probe_capabilities`, three requests) — one process a day,
whatever the number of web processes (``TokenCapabilityStore.claim``) — logs what it lacks
(a warning) and keeps the finding in Redis, where every process's ``/readyz`` reads it.
The probe never delays startup or readiness, and a GitHub or Redis outage only postpones it.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool

from gitbrag.errors import GitHubError, StoreUnavailable
from gitbrag.github.capabilities import probe_capabilities
from gitbrag.github.client import GitHubClient
from gitbrag.jobs.service import ReportService
from gitbrag.settings import Settings

log = logging.getLogger("gitbrag.web")


async def probe_server_token(settings: Settings, service: ReportService) -> None:
    """Probe the server token if no process has lately (see the module docstring)."""
    token = settings.github_token
    if not token:
        return
    store = service.stores.token_capabilities
    try:
        if not await run_in_threadpool(store.claim, token):
            return
    except StoreUnavailable:
        return  # Redis is away: the next start (or process) probes
    budget = service.stores.token_budgets.for_token(token)
    try:
        async with GitHubClient.from_settings(settings, token, budget=budget) as client:
            found = await probe_capabilities(client)
    except (GitHubError, StoreUnavailable) as exc:
        log.warning("could not check what the server token can read: %s", exc)
        with contextlib.suppress(StoreUnavailable):
            await run_in_threadpool(store.release, token)
        return
    await run_in_threadpool(
        lambda: store.put(
            token, login=found.login, lacking=found.lacking, unchecked=list(found.unchecked)
        )
    )
    if found.lacking:
        log.warning("the server token (%s) %s", found.login or "unknown login", found.describe())
    else:
        log.info("the server token (%s): %s", found.login or "unknown login", found.describe())


def server_token_readiness(settings: Settings, service: ReportService) -> dict[str, Any] | None:
    """``/readyz``'s ``server_token`` part: what the token lacks (never its login: the page is
    public), ``None`` without a server token."""
    token = settings.github_token
    if not token:
        return None
    found = service.stores.token_capabilities.get(token)
    if found is None:
        return {"checked": False}
    return {
        "checked": True,
        "checked_at": found.get("checked_at"),
        "lacking": found.get("lacking") or {},
        "unchecked": found.get("unchecked") or [],
    }
