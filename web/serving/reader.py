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

What is rendered is the report as its author chose to show it (``gitbrag.report.curation``): the
read returns the *rendered* version (the report's and the curation's) and, when something
must be rendered, the curation with the JSON. A :class:`Family` says how a kind of document is
rendered: the report's pages all at once (a bundle, with a marker once complete), or one
document at a time on first request (cards, badges, the social image).
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from anyio import to_thread
from prometheus_client import Counter

from gitbrag.per_loop import PerLoop
from gitbrag.report.curation import NO_CURATION, Curation, curated
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.stores.reports import artifact_field, bundle_field, curation_of
from gitbrag.stores.serving import JsonWanted, ServingStore, ViewQuery, ViewState
from web.serving.cache import CachedDocument, DocumentCache
from web.serving.chunks import Chunk
from web.serving.coalesce import Coalescer
from web.serving.document import Document

log = logging.getLogger(__name__)

RenderKey = tuple[str, str, str, str]  # report key, version, bundle, name ("": all of it)

# The JSON export: uncurated, CRC32 + the stored JSON's raw deflate (the JSON itself is in
# the report hash); curated, a whole document of the curated JSON.
JSON_ARTIFACT: Final = "json.gz"
JSON_LEVEL: Final = 6  # big JSON: level 9 costs far more for little

# (report key, the report as shown, site address, the document asked for) -> documents.
Render = Callable[[ReportKey, Report, str, str], dict[str, Document]]


@dataclass(frozen=True, slots=True)
class Family:
    """How one kind of document is rendered from the report as shown. ``whole``: every
    document of the bundle at once (then a missing one is known not to exist); otherwise
    only the one asked for, the first time anyone asks."""

    render: Render
    whole: bool
    label: str  # for the render metrics


def shown_report(report_json: bytes, curation_json: bytes | None) -> Report:
    """The report as its author chose to show it (decoding the stored JSON: run in a thread)."""
    report = Report.model_validate_json(report_json)
    curation = Curation.model_validate_json(curation_json) if curation_json else Curation()
    return curated(report, curation)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is asking, as far as Redis needs to know (their session or bearer validation)."""

    session_id: str | None = None
    bearer_token: str | None = None


ANONYMOUS_IDENTITY = Identity()


def _view_query(
    key: ReportKey,
    who: Identity,
    cached: CachedDocument | None,
    *,
    artifact: str,
    want_json: JsonWanted,
    bundle: str = "",
) -> ViewQuery:
    """The one read of a view of ``key`` by ``who``: the version of ``artifact`` we hold (an
    unchanged one comes back without its body), and when to bring the report's JSON."""
    return ViewQuery(
        str(key),
        who.session_id,
        who.bearer_token,
        have_version=cached.version if cached else "",
        artifact=artifact,
        bundle=bundle,
        want_json=want_json,
    )


@dataclass(frozen=True, slots=True)
class Read:
    state: ViewState
    document: CachedDocument | None  # None: no stored report, or no such page in it


class ReportReader:
    def __init__(
        self,
        store: ServingStore,
        pages: Family,
        cache: DocumentCache,
        rendered: Counter,
    ) -> None:
        self.store = store
        self.pages = pages
        self.cache = cache
        self.rendered = rendered  # counts renderings by kind (the family label, "json")
        self.reads: Coalescer[ViewQuery, ViewState] = Coalescer(store.read)
        self._renders: PerLoop[dict[RenderKey, asyncio.Future[dict[str, Document]]]] = PerLoop(dict)

    async def page(
        self,
        key: ReportKey,
        name: str,
        bundle: str,
        base_url: str,
        who: Identity,
        family: Family | None = None,
    ) -> Read:
        """The state of ``key`` and document ``name`` of its ``bundle`` (of ``family``: the
        report's pages by default)."""
        family = family or self.pages
        cache_key = (str(key), bundle, name)
        for _ in range(2):
            cached = self.cache.get(cache_key)
            query = _view_query(
                key,
                who,
                cached,
                artifact=f"{bundle}:{name}",
                bundle=bundle if family.whole else "",
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
                    key, meta.version, bundle, base_url, name, family, state
                )
                found = documents.get(name)
                entry = self.cache.get(cache_key) if found is not None else None
                if found is not None and (entry is None or entry.version != meta.version):
                    entry = self.cache.put(cache_key, meta.version, found)
                return Read(state, entry)
            # Our copy was evicted while the read was on its way: ask for the body.
        raise RuntimeError(f"no rendering of {key} after two reads")

    async def json(self, key: ReportKey, who: Identity) -> Read:
        """The state of ``key`` and its JSON as shown (as one precompressed chunk): the stored
        bytes, or the curated report when its author curated it."""
        cache_key = (str(key), "", "json")
        cached = self.cache.get(cache_key)
        query = _view_query(key, who, cached, artifact=JSON_ARTIFACT, want_json="always")
        state = await self.reads.get(query)
        meta = state.meta
        if meta is None:
            return Read(state, None)
        if cached is not None and cached.version == meta.version:
            return Read(state, cached)
        if state.report_json is None:  # evicted meanwhile: read it again, without our version
            return await self.json(key, who) if cached is not None else Read(state, None)
        raw = state.report_json
        if curation_of(meta.version) != NO_CURATION:
            document = await self._curated_json(str(key), meta.version, state)
        elif state.body_kind == "artifact" and state.body is not None:
            (crc,) = struct.unpack_from("<I", state.body)
            document = Document((Chunk(raw, state.body[4:], crc),))
        else:
            chunk = await to_thread.run_sync(lambda: Chunk.of(raw, level=JSON_LEVEL))
            self.rendered.labels("json").inc()
            blob = struct.pack("<I", chunk.crc) + chunk.deflated
            await self._keep(
                str(key), meta.version, {artifact_field(meta.version, JSON_ARTIFACT): blob}
            )
            document = Document((chunk,))
        return Read(state, self.cache.put(cache_key, meta.version, document))

    async def _curated_json(self, report_key: str, version: str, state: ViewState) -> Document:
        if state.body_kind == "artifact" and state.body is not None:
            return Document.from_bytes(state.body)
        report_json, curation_json = state.report_json, state.curation_json
        assert report_json is not None

        def render() -> Document:
            shown = shown_report(report_json, curation_json)
            return Document.of(shown.model_dump_json().encode(), level=JSON_LEVEL)

        document = await to_thread.run_sync(render)
        self.rendered.labels("json").inc()
        field = artifact_field(version, JSON_ARTIFACT)
        await self._keep(report_key, version, {field: document.to_bytes()})
        return document

    async def _render(
        self,
        key: ReportKey,
        version: str,
        bundle: str,
        base_url: str,
        name: str,
        family: Family,
        state: ViewState,
    ) -> dict[str, Document]:
        """Render ``bundle`` of ``version`` (or only ``name`` of it) once in this process
        (concurrent callers wait)."""
        renders = self._renders.get()
        render_key = (str(key), version, bundle, "" if family.whole else name)
        pending = renders.get(render_key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[dict[str, Document]] = asyncio.get_running_loop().create_future()
        renders[render_key] = future
        report_json, curation_json = state.report_json, state.curation_json
        assert report_json is not None

        def render() -> dict[str, Document]:
            return family.render(key, shown_report(report_json, curation_json), base_url, name)

        try:
            documents = await to_thread.run_sync(render)
            self.rendered.labels(family.label).inc()
            for document_name, document in documents.items():
                self.cache.put((str(key), bundle, document_name), version, document)
            fields = {
                artifact_field(version, f"{bundle}:{n}"): d.to_bytes() for n, d in documents.items()
            }
            marker = ""
            if family.whole:  # written with them: the bundle is complete
                marker = bundle_field(version, bundle)
                fields[marker] = b"1"
            await self._keep(str(key), version, fields, bundle=marker)
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
