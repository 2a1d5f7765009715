"""Report views counted in memory and written to Redis in batches.

Pre-warming needs view counts (``gitbrag.stores.views``), not one Redis write per view: each
web process adds views up in a dict and writes them every ``view_flush_seconds`` in one
pipeline (``ServingStore.record_views``), and once more when it stops. A failed write keeps
the counts for the next one. The dict holds one entry per report viewed since the last write,
so it is bounded by the reports that exist.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping

from gitbrag.per_loop import PerLoop

log = logging.getLogger(__name__)

Flush = Callable[[Mapping[str, int]], Awaitable[None]]

# Views of a report that was not stored (a miss: the report must be generated) are counted
# under this name, which no report key can be, so the flush can tell the cache hit ratio
# (the console's chart) without a Redis write per view.
MISSED = ""


class ViewCounter:
    """Counts per event loop (``PerLoop``: one in a server process), each written by a timer
    task on its own loop."""

    def __init__(self, flush: Flush, *, interval_seconds: float) -> None:
        self._flush = flush
        self.interval_seconds = interval_seconds
        self._counts: PerLoop[_Counts] = PerLoop(_Counts)

    @property
    def pending(self) -> Mapping[str, int]:
        """Views counted on the running loop and not written yet."""
        counts = self._counts.current()
        return dict(counts.pending) if counts else {}

    def record(self, report_key: str) -> None:
        """Count one view (from a request handler, on the event loop)."""
        counts = self._counts.get()
        counts.pending[report_key] += 1
        if counts.timer is None or counts.timer.done():
            counts.timer = asyncio.create_task(self._run(counts))

    def record_miss(self) -> None:
        """Count one view of a report that is not stored."""
        self.record(MISSED)

    async def flush(self) -> None:
        """Write what the running loop counted so far (kept for the next try if Redis fails)."""
        counts = self._counts.current()
        if counts is not None:
            await self._write(counts)

    async def _write(self, counts: _Counts) -> None:
        batch, counts.pending = counts.pending, Counter()
        if not batch:
            return
        try:
            await self._flush(batch)
        except Exception:
            counts.pending.update(batch)
            log.warning("could not record %d report views; will retry", batch.total())

    async def _run(self, counts: _Counts) -> None:
        while True:
            await asyncio.sleep(self.interval_seconds)
            await self._write(counts)
            if not counts.pending:
                return  # idle: the next view starts the timer again

    async def aclose(self) -> None:
        """Stop the running loop's timer and write the rest (app shutdown)."""
        counts = self._counts.current()
        if counts is None:
            return
        if counts.timer is not None and not counts.timer.done():
            counts.timer.cancel()
        counts.timer = None
        await self._write(counts)


class _Counts:
    def __init__(self) -> None:
        self.pending: Counter[str] = Counter()
        self.timer: asyncio.Task[None] | None = None
