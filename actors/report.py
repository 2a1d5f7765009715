"""The report actor: collect from GitHub, build, store. Thin; the job logic is in ``actors.jobs``.

Arguments are JSON-simple: the report key (``str(ReportKey)``) and a credential ref. The job
id is the message id (read through ``CurrentMessage``). One running job per reported user
(``concurrency_key``); ``Abort`` and ``TimeLimitExceeded`` are final (``throws``); rate limits
put the message back on the queue for the reset time (a copy keeping its id, counting
``rate_limit_waits`` instead of retries); HTTP timeouts (``http_timeout_seconds``) stay below
the time limit. The GitHub client shares its token's budget with every process through Redis;
what GitHub withholds from the viewer's token for good is read with the server token, if any.
"""

from __future__ import annotations

import asyncio
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage
from dramatiq.middleware.time_limit import TimeLimitExceeded
from dramatiq_abort import Abort

import actors.broker  # noqa: F401  (the broker and its middleware come first)
from actors.jobs import run_report_job
from actors.worker import GitHubClients, worker_context
from gitbrag.github.cache import ImmutableCache
from gitbrag.github.progress import ProgressCallback
from gitbrag.jobs import generation
from gitbrag.jobs.lifecycle import REPORT_ACTOR, REPORT_QUEUE
from gitbrag.report.keys import ReportKey
from gitbrag.settings import get_settings

# Settings checks that HTTP timeouts stay below the time limit (a validator).
_settings = get_settings()
RATE_LIMIT_WAITS = "rate_limit_waits"  # message option: waits for GitHub's rate limit so far


def reported_user(message: dramatiq.Message[Any]) -> str | None:
    """The limiter key: the reported GitHub username (first part of the report key)."""
    key = message.kwargs.get("key")
    return str(key).split(":", 1)[0] if key else None


async def generate_from_github(
    key: ReportKey,
    token: str,
    progress: ProgressCallback,
    cache: ImmutableCache,
    clients: GitHubClients,
) -> generation.Generation:
    """Collect ``key`` from the configured GitHub (or the simulated one), refreshing the
    report's last collection where it may, and build the report; the client is handed to
    ``clients`` so the job records its requests and budget. What GitHub's host takes in one
    batched document is learned with every other worker."""
    settings = get_settings()
    ctx = worker_context()
    budgets = ctx.stores.token_budgets
    server_token = settings.github_token
    previous = await asyncio.to_thread(ctx.collections.get, key)
    return await generation.generate(
        settings,
        key,
        token,
        previous=previous,
        progress=progress,
        cache=cache,
        on_client=clients.track,
        batch_sizes=ctx.batch_sizes.for_host(settings.graphql_url),
        budget=budgets.for_token(token),
        # What GitHub withholds from the viewer's token for good (an organisation's SAML
        # single sign-on, a permission it lacks) is read with the server's token, if any.
        fallback_token=server_token,
        fallback_budget=budgets.for_token(server_token) if server_token else None,
    )


@dramatiq.actor(
    actor_name=REPORT_ACTOR,
    queue_name=REPORT_QUEUE,
    time_limit=_settings.job_time_limit_seconds * 1000,
    max_retries=_settings.max_retries,
    throws=(Abort, TimeLimitExceeded),
    abortable=True,
    concurrency_key=reported_user,
    concurrency_limit=_settings.reported_user_concurrency,
)
def generate_report(key: str, credential: str) -> None:
    message = CurrentMessage.get_current_message()
    assert message is not None
    waits = int(message.options.get(RATE_LIMIT_WAITS, 0))

    def defer(delay_ms: int) -> None:
        again = message.copy(options={RATE_LIMIT_WAITS: waits + 1})
        dramatiq.get_broker().enqueue(again, delay=delay_ms)

    run_report_job(
        worker_context(),
        job_id=message.message_id,
        key_text=key,
        credential=credential,
        retries=int(message.options.get("retries", 0)),
        max_retries=_settings.max_retries,
        generate=generate_from_github,
        defer=defer,
        rate_limit_waits=waits,
    )
