"""Rendered documents this web process holds: least recently used first out, bounded by bytes.

An entry is one document of one report version (``CacheKey``: report key, bundle, document
name). A view checks the entry's version against the stored one (``ViewQuery.have_version``)
on every request, so a new version replaces the entry on the next request; nothing expires by
time. Bodies that are the same for every anonymous viewer are assembled once per entry and
kept with it (:meth:`CachedDocument.body`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from web.serving.chunks import Chunk, gzip_member, identity
from web.serving.document import Document

CacheKey = tuple[str, str, str]  # report key, bundle, document name


@dataclass(frozen=True, slots=True)
class Body:
    """A whole response body in both codings."""

    identity: bytes
    gzip: bytes

    @classmethod
    def of(cls, chunks: list[Chunk]) -> Body:
        return cls(identity(chunks), gzip_member(chunks))

    @classmethod
    def of_document(cls, document: Document, holes: Mapping[str, bytes]) -> Body:
        return cls(document.raw(holes), gzip_member(document.fill(holes)))

    @property
    def size(self) -> int:
        return len(self.identity) + len(self.gzip)


@dataclass(slots=True)
class CachedDocument:
    version: str
    document: Document
    bodies: dict[str, Body] = field(default_factory=dict)
    size: int = 0

    def body(self, variant: str, holes: Callable[[], Mapping[str, bytes]]) -> Body:
        """The body of ``variant`` (same for everyone who gets it), assembled once."""
        found = self.bodies.get(variant)
        if found is None:
            found = self.bodies[variant] = Body.of_document(self.document, holes())
            self.size += found.size
        return found


class DocumentCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[CacheKey, CachedDocument] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: CacheKey) -> CachedDocument | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(key)
        return entry

    def put(self, key: CacheKey, version: str, document: Document) -> CachedDocument:
        entry = CachedDocument(version, document, size=document.size)
        self._entries[key] = entry
        self._entries.move_to_end(key)
        self._evict(keep=key)
        return entry

    @property
    def size(self) -> int:
        return sum(entry.size for entry in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def _evict(self, keep: CacheKey) -> None:
        total = self.size
        for key in list(self._entries):
            if total <= self.max_bytes:
                return
            if key != keep:
                total -= self._entries.pop(key).size
