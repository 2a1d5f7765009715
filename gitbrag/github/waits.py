"""How the GitHub client waits for GitHub's limits: before sending (the token's shared
budget) and after GitHub said stop (primary and secondary rate limits).

- Before every request, :meth:`Waits.admit` takes a slot from the token's
  :class:`~gitbrag.github.budget.TokenBudget`, sleeping through the pauses and minute
  windows it asks for, and through a primary budget known to be spent.
- After a primary limit: sleep until the reset (a reset already past still gets a second).
- After a secondary limit: ``Retry-After`` exactly; without it ``secondary_wait``, doubling
  on each such limit the same request meets (GitHub: "wait for an exponentially increasing
  amount of time between retries"). The pause is shared by every user of the token.

A wait longer than ``max_wait``, or a request that met too many limits, raises
``RateLimited(until)``: a background job then waits in the queue, not in a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Final

from gitbrag.errors import RateLimited
from gitbrag.github.budget import RESOURCE_OF, Api, Seen, TokenBudget
from gitbrag.github.responses import Outcome

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], datetime]

MAX_WAITS: Final = 12  # rate limits one request met before giving up with RateLimited
MAX_ADMISSION_WAITS: Final = 1000  # a safety net: pauses of the token end as other requests end


class Waits:
    def __init__(
        self,
        budget: TokenBudget,
        *,
        sleep: Sleep,
        clock: Clock,
        secondary_wait: float,
        max_wait: float,
    ) -> None:
        self.budget = budget
        self._sleep = sleep
        self._now = clock
        self.secondary_wait = secondary_wait
        self.max_wait = max_wait

    async def admit(self, api: Api) -> str:
        """A slot for one request, after any wait the token's budget asks for. Waiting here
        is waiting for the token (others' pauses, the minute's points), not for this
        request's own failures: only a wait longer than ``max_wait`` gives up."""
        for _ in range(MAX_ADMISSION_WAITS):
            admission = await self.budget.acquire(api, self._now().timestamp())
            if admission.holder is not None:
                return admission.holder
            if admission.exhausted_until is not None:
                until = datetime.fromtimestamp(admission.exhausted_until, UTC)
                await self._until(until, 0, "GitHub rate limit spent")
            else:
                until = self._now() + timedelta(seconds=admission.wait)
                await self._until(until, 0, "pausing for the token's limits")
        raise RateLimited(self._now() + timedelta(seconds=self.secondary_wait))

    async def after_limit(self, api: Api, outcome: Outcome, waits: int, hits: int) -> None:
        """Wait out the primary or secondary limit ``outcome`` reports. ``waits``: limits
        this request met so far; ``hits``: of them, secondary limits without Retry-After."""
        now = self._now()
        if outcome.primary_reset is not None:
            reset = outcome.primary_reset
            await self.budget.observe(Seen(RESOURCE_OF[api], 0, reset.timestamp()))
            await self._until(max(reset, now + timedelta(seconds=1)), waits, "primary")
            return
        wait = outcome.retry_after
        if wait is None:
            wait = self.secondary_wait * 2.0 ** (hits - 1)
        until = now + timedelta(seconds=wait)
        await self.budget.pause(until.timestamp())
        await self._until(until, waits, "secondary rate limit")

    async def _until(self, until: datetime, waits: int, why: str) -> None:
        seconds = max(0.0, (until - self._now()).total_seconds())
        if seconds > self.max_wait or waits > MAX_WAITS:
            raise RateLimited(until)
        log.info("GitHub limit (%s): waiting %.1fs", why, seconds)
        await self._sleep(seconds)
