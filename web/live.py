"""Live job progress for Server-Sent Events: one poll per job, shared by every stream that
watches it, and caps on streams.

A stream does not read Redis itself. :class:`JobFeeds` keeps one :class:`_Feed` per watched
job in this process: a single task reads the job every ``poll_seconds`` (one threadpool
thread, one Redis read) and wakes the streams when the job's payload changes; the feed ends
when the job finishes or nobody watches any more. So 500 viewers of one job cost what one
does, and page views keep the threadpool.

Streams are capped per process: ``max_streams`` in total and ``max_per_client`` per client
address. :meth:`JobFeeds.admit` says no beyond that (the API answers 429 with Retry-After;
the page falls back to polling ``GET /api/jobs/{id}``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# What a feed reads: the job's payload, or None when the job does not exist (any more).
ReadJob = Callable[[str], Awaitable[dict[str, Any] | None]]


@dataclass
class _Feed:
    job_id: str
    payload: dict[str, Any] | None = None
    version: int = 0  # bumped on every change; 0: not read yet
    over: bool = False  # finished or gone: no more changes
    watchers: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


@dataclass(frozen=True, slots=True)
class FeedStats:
    streams: int
    feeds: int
    polls: int  # job reads so far, all feeds together
    max_concurrent_reads: int  # the most job reads that were ever in flight at once


class Ticket:
    """An admitted stream's place under the caps; :meth:`release` once, when it ends."""

    def __init__(self, feeds: JobFeeds, client: str) -> None:
        self._feeds = feeds
        self.client = client
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._feeds._release(self.client)


class JobFeeds:
    def __init__(
        self,
        read: ReadJob,
        *,
        poll_seconds: float,
        max_streams: int,
        max_per_client: int,
        finished: Callable[[dict[str, Any]], bool],
    ) -> None:
        self._read = read
        self._finished = finished
        self.poll_seconds = poll_seconds
        self.max_streams = max_streams
        self.max_per_client = max_per_client
        self._feeds: dict[str, _Feed] = {}
        self._clients: Counter[str] = Counter()
        self._streams = 0
        self._polls = 0
        self._reading = 0
        self._max_reading = 0

    # ------------------------------------------------------------------ caps

    def admit(self, client: str) -> Ticket | None:
        """A place for one more stream from ``client``, or None over a cap."""
        if self._streams >= self.max_streams or self._clients[client] >= self.max_per_client:
            return None
        self._streams += 1
        self._clients[client] += 1
        return Ticket(self, client)

    def _release(self, client: str) -> None:
        self._streams -= 1
        self._clients[client] -= 1
        if self._clients[client] <= 0:
            del self._clients[client]  # the counter never keeps an address nobody uses

    def stats(self) -> FeedStats:
        return FeedStats(self._streams, len(self._feeds), self._polls, self._max_reading)

    # ------------------------------------------------------------------ watching

    async def watch(
        self, job_id: str, *, keepalive_seconds: float
    ) -> AsyncIterator[dict[str, Any] | None]:
        """The job's payload now and on every change, until it finishes (then the last one)
        or is gone (then ``None``); an empty dict every ``keepalive_seconds`` of silence."""
        feed = self._feeds.get(job_id)
        if feed is None:
            feed = self._feeds[job_id] = _Feed(job_id)
        feed.watchers += 1
        if feed.task is None:
            feed.task = asyncio.create_task(self._poll(feed))
        seen = 0
        try:
            while True:
                if feed.version > seen:
                    seen = feed.version
                    yield feed.payload
                    if feed.over:
                        return
                    continue
                if feed.over:
                    return
                feed.changed.clear()
                if feed.version > seen or feed.over:
                    continue
                try:
                    await asyncio.wait_for(feed.changed.wait(), keepalive_seconds)
                except TimeoutError:
                    yield {}
        finally:
            feed.watchers -= 1
            if feed.watchers == 0:
                if feed.task is not None and not feed.task.done():
                    feed.task.cancel()
                if self._feeds.get(job_id) is feed:
                    del self._feeds[job_id]

    async def _poll(self, feed: _Feed) -> None:
        last: str | None = None
        while feed.watchers > 0:
            self._reading += 1
            self._max_reading = max(self._max_reading, self._reading)
            try:
                payload = await self._read(feed.job_id)
            except Exception:  # Redis away for a moment: the streams wait, the feed retries
                log.warning("job feed %s: read failed", feed.job_id, exc_info=True)
                await asyncio.sleep(self.poll_seconds)
                continue
            finally:
                self._reading -= 1
                self._polls += 1
            encoded = json.dumps(payload, sort_keys=True)
            if encoded != last:
                last = encoded
                feed.payload = payload
                feed.over = payload is None or self._finished(payload)
                feed.version += 1
                feed.changed.set()
            if feed.over:
                return
            await asyncio.sleep(self.poll_seconds)
