"""Responses made of cached documents: the coding the client takes, the holes filled, the
caching headers, and ``304 Not Modified`` for a client (or CDN) that has the body already."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from web.serving import http_cache
from web.serving.cache import CachedDocument
from web.serving.chunks import Chunk, gzip_member

Holes = Callable[[], Mapping[str, bytes]]


@dataclass(frozen=True, slots=True)
class Shared:
    """A body that is the same for everyone who gets it: assembled once, with a strong ETag."""

    variant: str
    etag_parts: tuple[str, ...]


def no_holes() -> Mapping[str, bytes]:
    return {}


def document_response(
    request: Request,
    cached: CachedDocument,
    *,
    media_type: str,
    cache_control: str,
    holes: Holes = no_holes,
    shared: Shared | None = None,
    status_code: int = 200,
    vary: str = http_cache.VARY,
    headers: Mapping[str, str] | None = None,
    compressible: bool = True,
) -> Response:
    """``cached`` with the viewer's holes filled; ``compressible=False`` for bytes that are
    compressed already (a PNG), always sent as they are."""
    gzip = compressible and http_cache.accepts_gzip(request.headers)
    out = {"Cache-Control": cache_control, "Vary": vary, **(headers or {})}
    if shared is not None:
        tag = http_cache.etag(*shared.etag_parts, shared.variant, gzip=gzip)
        out["ETag"] = tag
        if status_code == 200 and http_cache.matches(request.headers.get("if-none-match"), tag):
            return Response(status_code=304, headers=out)
        body = cached.body(shared.variant, holes)
        content = body.gzip if gzip else body.identity
    else:
        filled = holes()
        document = cached.document
        content = gzip_member(document.fill(filled)) if gzip else document.raw(filled)
    if gzip:
        out["Content-Encoding"] = "gzip"
    return Response(content, status_code=status_code, headers=out, media_type=media_type)


def bytes_response(
    request: Request,
    parts: list[Chunk | bytes],
    *,
    media_type: str,
    cache_control: str,
    status_code: int = 200,
    vary: str = http_cache.VARY,
) -> Response:
    """A body assembled for this request only (the API's envelope around the stored JSON):
    precompressed chunks and fresh bytes (compressed at level 1 when the client takes gzip)."""
    gzip = http_cache.accepts_gzip(request.headers)
    headers = {"Cache-Control": cache_control, "Vary": vary}
    if gzip:
        headers["Content-Encoding"] = "gzip"
        chunks = [p if isinstance(p, Chunk) else Chunk.of(p, level=1) for p in parts]
        content = gzip_member(chunks)
    else:
        content = b"".join(p.raw if isinstance(p, Chunk) else p for p in parts)
    return Response(content, status_code=status_code, headers=headers, media_type=media_type)
