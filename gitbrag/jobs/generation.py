"""Generating one report: collect a user's pull requests from GitHub, then build the report.

The one path shared by the report actor (:mod:`actors.report`) and ``gitbrag report``
(:mod:`gitbrag.cli_report`): the same GitHub client settings (timeouts from
``http_timeout_seconds``), the same phases reported to ``progress`` (the collector's
``profile``, ``search``, ``files``, ``stars``, then ``build``).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime

from gitbrag.github.budget import TokenBudget
from gitbrag.github.cache import ImmutableCache, MemoryCache
from gitbrag.github.client import GitHubClient
from gitbrag.github.collect import collect
from gitbrag.github.progress import ProgressCallback
from gitbrag.report.builder import build_report
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.settings import Settings


async def generate_report(
    settings: Settings,
    key: ReportKey,
    token: str,
    *,
    progress: ProgressCallback | None = None,
    cache: ImmutableCache | None = None,
    on_client: Callable[[GitHubClient], None] | None = None,
    budget: TokenBudget | None = None,
    fallback_token: str | None = None,
    fallback_budget: TokenBudget | None = None,
) -> Report:
    """Collect ``key`` with ``token`` from the configured GitHub and build its report.

    ``cache`` keeps what never changes (merged PRs' files...) between generations (a
    per-call memory cache without one); ``on_client`` is handed the GitHub client before it is
    used, so a caller can read its request count and budget afterwards, however it ends;
    ``budget`` is the token's state shared with other processes (in this process only without
    one). A range with more pull requests than ``max_report_pull_requests`` is refused
    (:class:`~gitbrag.errors.ReportTooLarge`) after one search.

    ``fallback_token`` (the server's token, with ``fallback_budget`` its shared budget): what
    GitHub withholds from ``token`` for good (an organisation's SAML single sign-on the
    viewer has no session for, a permission the token lacks) is read again with it; without
    one, or where it cannot read it either, the report names what is missing and is not
    complete. Its client is handed to ``on_client`` too (the job counts its requests); its
    troubles never fail the report (they leave the parts named as missing).
    Raises the :class:`~gitbrag.errors.GitHubError` family (``ProfilePrivate`` for a user who
    hid their activity).
    """
    async with AsyncExitStack() as clients:
        client = await clients.enter_async_context(
            GitHubClient.from_settings(settings, token, budget=budget)
        )
        if on_client is not None:
            on_client(client)
        if fallback_token and fallback_token != token:
            client.fallback = await clients.enter_async_context(
                GitHubClient.from_settings(settings, fallback_token, budget=fallback_budget)
            )
            if on_client is not None:
                on_client(client.fallback)
        collection = await collect(
            client,
            key,
            progress=progress,
            cache=cache if cache is not None else MemoryCache(),
            stars_cap=settings.stars_cap,
            max_pull_requests=settings.max_report_pull_requests,
        )
    if progress is not None:
        progress("build", 0, 1)
    return build_report(collection, key, datetime.now(UTC))
