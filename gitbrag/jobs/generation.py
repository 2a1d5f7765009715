"""Generating one report: collect a user's pull requests from GitHub, then build the report.

The one path shared by the report actor (:mod:`actors.report`) and ``gitbrag report``
(:mod:`gitbrag.cli_report`): the same GitHub client settings (timeouts from
``http_timeout_seconds``), the same phases reported to ``progress`` (the collector's
``profile``, ``search``, ``activity``, ``files``, ``stars``, then ``build``).

Given the report's previous collection (``previous``, kept by the worker in
``gitbrag.stores.collections``), a generation **refreshes** it (issue 21,
:mod:`gitbrag.github.refresh`: only what changed since is read) when it may: the collection
behind it is recent enough (``refresh_max_age_days``), complete, of the same account, and
GitHub's answers can be folded in exactly. Otherwise it collects **cold**, and
:class:`Generation` says why, for the job's record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gitbrag.github.batch_sizes import BatchSizes
from gitbrag.github.budget import TokenBudget
from gitbrag.github.cache import ImmutableCache, MemoryCache
from gitbrag.github.capacity import Cost
from gitbrag.github.client import GitHubClient
from gitbrag.github.collect import collect_snapshot
from gitbrag.github.progress import ProgressCallback
from gitbrag.github.refresh import RefreshRefused, refresh, refusal
from gitbrag.report.builder import build_report
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.report.records import Snapshot
from gitbrag.settings import Settings

log = logging.getLogger(__name__)

NOTHING_KEPT = "no earlier collection of this report is kept"
NO_COST = Cost(0, 0)


@dataclass(frozen=True, slots=True)
class Generation:
    """A generated report, the collection it was built from (``snapshot``: to keep for the
    next generation; ``None``: nothing worth keeping), whether it was refreshed from the
    previous one (``incremental``) or collected cold and why (``cold_reason``), and what it
    cost (every client's requests, a refused refresh's included)."""

    report: Report
    snapshot: Snapshot | None
    incremental: bool = False
    cold_reason: str | None = None
    cost: Cost = NO_COST


async def generate(
    settings: Settings,
    key: ReportKey,
    token: str,
    *,
    previous: Snapshot | None = None,
    progress: ProgressCallback | None = None,
    cache: ImmutableCache | None = None,
    on_client: Callable[[GitHubClient], None] | None = None,
    budget: TokenBudget | None = None,
    fallback_token: str | None = None,
    fallback_budget: TokenBudget | None = None,
    batch_sizes: BatchSizes | None = None,
) -> Generation:
    """Collect ``key`` with ``token`` from the configured GitHub (refreshing ``previous``
    where it may, see the module docstring) and build its report.

    ``cache`` keeps what never changes (merged PRs' files...) between generations (a
    per-call memory cache without one); ``on_client`` is handed every GitHub client before it
    is used, so a caller can read its request count and budget afterwards, however it ends;
    ``budget`` is the token's state shared with other processes (in this process only without
    one), ``batch_sizes`` what GitHub's host takes in one batched document (learned by this
    client alone without one). A range with more pull requests than
    ``max_report_pull_requests`` is refused (:class:`~gitbrag.errors.ReportTooLarge`) after
    one search.

    ``fallback_token`` (the server's token, with ``fallback_budget`` its shared budget): what
    GitHub withholds from ``token`` for good (an organisation's SAML single sign-on the
    viewer has no session for, a permission the token lacks) is read again with it; without
    one, or where it cannot read it either, the report names what is missing and is not
    complete. Its client is handed to ``on_client`` too (the job counts its requests); its
    troubles never fail the report (they leave the parts named as missing). A refresh never
    uses it: what the token is refused makes the generation cold.
    Raises the :class:`~gitbrag.errors.GitHubError` family (``ProfilePrivate`` for a user who
    hid their activity).
    """
    cache = cache if cache is not None else MemoryCache()
    clients: list[GitHubClient] = []
    async with AsyncExitStack() as stack:

        def track(client: GitHubClient) -> GitHubClient:
            clients.append(client)
            if on_client is not None:
                on_client(client)
            return client

        client = track(
            await stack.enter_async_context(
                GitHubClient.from_settings(settings, token, budget=budget, batch_sizes=batch_sizes)
            )
        )
        if fallback_token and fallback_token != token:
            client.fallback = track(
                await stack.enter_async_context(
                    GitHubClient.from_settings(
                        settings, fallback_token, budget=fallback_budget, batch_sizes=batch_sizes
                    )
                )
            )
        snapshot, reason = await _refreshed(settings, key, client, previous, progress, cache)
        if snapshot is None:
            snapshot = await collect_snapshot(
                client,
                key,
                progress=progress,
                cache=cache,
                stars_cap=settings.stars_cap,
                max_pull_requests=settings.max_report_pull_requests,
            )
    if progress is not None:
        progress("build", 0, 1)
    report = build_report(snapshot.collection, key, datetime.now(UTC))
    spent = Cost(
        rest=sum(c.rest_requests for c in clients),
        points=sum(c.graphql_points for c in clients),
    )
    return Generation(report, snapshot, reason is None, reason, spent)


async def _refreshed(
    settings: Settings,
    key: ReportKey,
    client: GitHubClient,
    previous: Snapshot | None,
    progress: ProgressCallback | None,
    cache: ImmutableCache,
) -> tuple[Snapshot | None, str | None]:
    """``previous`` refreshed into ``key``'s collection, or ``None`` and why not."""
    if previous is None:
        return None, NOTHING_KEPT
    now = datetime.now(UTC)
    max_age = timedelta(days=settings.refresh_max_age_days)
    reason = refusal(previous, key, now, max_age)
    if reason is not None:
        return None, reason
    try:
        snapshot = await refresh(
            client,
            key,
            previous,
            progress=progress,
            cache=cache,
            stars_cap=settings.stars_cap,
            max_pull_requests=settings.max_report_pull_requests,
        )
    except RefreshRefused as refused:
        log.info("report %s collected in full: %s", key, refused.reason)
        return None, refused.reason
    return snapshot, None


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
    """:func:`generate`'s report, collected cold (the command line keeps no collection)."""
    generation = await generate(
        settings,
        key,
        token,
        progress=progress,
        cache=cache,
        on_client=on_client,
        budget=budget,
        fallback_token=fallback_token,
        fallback_budget=fallback_budget,
    )
    return generation.report
