"""One read per view: the report's state from Redis and its rendered document, rendering the
version's bundle the first time any web process needs it.

    view ──► DocumentCache (this process) ──► version still current? (the one Redis read)
                                         └──► no: the artifact came with the read ─► cache
                                              └─ not rendered yet: the JSON came instead
                                                 ─► render the bundle (thread, once per
                                                    version here) ─► keep it in Redis
                                                    beside the version ─► cache

Concurrent reads share Redis calls (:class:`~web.serving.coalesce.Coalescer`), and concurrent
renders of one bundle in this process share one render.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from dataclasses import dataclass
from typing import Final

from anyio import to_thread

from gitbrag.per_loop import PerLoop
from gitbrag.periods import ReportKey
from gitbrag.stores.reports import ARTIFACT_FIELD, BUNDLE_FIELD
from gitbrag.stores.serving import ServingStore, ViewQuery, ViewState
from web.metrics import Metrics
from web.serving.bundle import BundleRenderer
from web.serving.cache import CachedDocument, DocumentCache
from web.serving.chunks import Chunk
from web.serving.coalesce import Coalescer
from web.serving.document import Document

log = logging.getLogger(__name__)

RenderKey = tuple[str, str, str]  # report key, version, bundle

JSON_FIELD: Final = ARTIFACT_FIELD + "json.gz"  # CRC32 + the JSON's raw deflate
JSON_LEVEL: Final = 6  # big JSON: level 9 costs far more for little


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is asking, as far as Redis needs to know (their session or bearer validation)."""

    session_id: str | None = None
    bearer_token: str | None = None


ANONYMOUS_IDENTITY = Identity()


@dataclass(frozen=True, slots=True)
class Read:
    state: ViewState
    document: CachedDocument | None  # None: no stored report, or no such page in it


class ReportReader:
    def __init__(
        self,
        store: ServingStore,
        renderer: BundleRenderer,
        cache: DocumentCache,
        metrics: Metrics,
    ) -> None:
        self.store = store
        self.renderer = renderer
        self.cache = cache
        self.metrics = metrics
        self.reads: Coalescer[ViewQuery, ViewState] = Coalescer(store.read)
        self._renders: PerLoop[dict[RenderKey, asyncio.Future[dict[str, Document]]]] = PerLoop(dict)

    async def page(
        self, key: ReportKey, name: str, bundle: str, base_url: str, who: Identity
    ) -> Read:
        """The state of ``key`` and document ``name`` of its ``bundle``."""
        cache_key = (str(key), bundle, name)
        for _ in range(2):
            cached = self.cache.get(cache_key)
            query = ViewQuery(
                str(key),
                who.session_id,
                who.bearer_token,
                have_version=cached.version if cached else "",
                artifact=f"{ARTIFACT_FIELD}{bundle}:{name}",
                bundle=BUNDLE_FIELD + bundle,
                want_json="fallback",
            )
            state = await self.reads.get(query)
            meta = state.meta
            if meta is None or state.body_kind == "absent":
                return Read(state, None)
            if cached is not None and cached.version == meta.version:
                return Read(state, cached)
            if state.body_kind == "artifact" and state.body is not None:
                document = Document.from_bytes(state.body)
                return Read(state, self.cache.put(cache_key, meta.version, document))
            if state.report_json is not None:
                documents = await self._render(
                    key, meta.version, bundle, base_url, state.report_json
                )
                found = documents.get(name)
                entry = self.cache.get(cache_key) if found is not None else None
                if found is not None and (entry is None or entry.version != meta.version):
                    entry = self.cache.put(cache_key, meta.version, found)
                return Read(state, entry)
            # Our copy was evicted while the read was on its way: ask for the body.
        raise RuntimeError(f"no rendering of {key} after two reads")

    async def json(self, key: ReportKey, who: Identity) -> Read:
        """The state of ``key`` and its stored JSON (as one precompressed chunk)."""
        cache_key = (str(key), "", "json")
        cached = self.cache.get(cache_key)
        query = ViewQuery(
            str(key),
            who.session_id,
            who.bearer_token,
            have_version=cached.version if cached else "",
            artifact=JSON_FIELD,
            want_json="always",
        )
        state = await self.reads.get(query)
        meta = state.meta
        if meta is None:
            return Read(state, None)
        if cached is not None and cached.version == meta.version:
            return Read(state, cached)
        if state.report_json is None:  # evicted meanwhile: read it again, without our version
            return await self.json(key, who) if cached is not None else Read(state, None)
        raw = state.report_json
        if state.body_kind == "artifact" and state.body is not None:
            (crc,) = struct.unpack_from("<I", state.body)
            chunk = Chunk(raw, state.body[4:], crc)
        else:
            chunk = await to_thread.run_sync(lambda: Chunk.of(raw, level=JSON_LEVEL))
            self.metrics.renders.labels("json").inc()
            blob = struct.pack("<I", chunk.crc) + chunk.deflated
            await self._keep(str(key), meta.version, {JSON_FIELD: blob})
        return Read(state, self.cache.put(cache_key, meta.version, Document((chunk,))))

    async def _render(
        self, key: ReportKey, version: str, bundle: str, base_url: str, report_json: bytes
    ) -> dict[str, Document]:
        """Render ``bundle`` of ``version`` once in this process (concurrent callers wait)."""
        renders = self._renders.get()
        render_key = (str(key), version, bundle)
        pending = renders.get(render_key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[dict[str, Document]] = asyncio.get_running_loop().create_future()
        renders[render_key] = future
        try:
            documents = await to_thread.run_sync(self.renderer.render, key, report_json, base_url)
            self.metrics.renders.labels("bundle").inc()
            for name, document in documents.items():
                self.cache.put((str(key), bundle, name), version, document)
            fields = {f"{ARTIFACT_FIELD}{bundle}:{n}": d.to_bytes() for n, d in documents.items()}
            fields[BUNDLE_FIELD + bundle] = b"1"  # written with them: the bundle is complete
            await self._keep(str(key), version, fields, bundle=BUNDLE_FIELD + bundle)
            future.set_result(documents)
            return documents
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters (if any) get it too
            raise
        finally:
            del renders[render_key]

    async def _keep(
        self, report_key: str, version: str, fields: dict[str, bytes], *, bundle: str = ""
    ) -> None:
        """Store renderings for the other web processes (best effort: ours has them)."""
        try:
            await self.store.put_artifacts(report_key, version, fields, bundle=bundle)
        except Exception:
            log.warning("could not keep renderings of %s in Redis", report_key, exc_info=True)
