"""Responses made of cached documents, and how HTTP caches may keep them: the coding the
client takes, the holes filled, the caching headers, and ``304 Not Modified`` for a client (or
CDN) that has the body already.

* Anonymous views of a fresh report are the same bytes for everyone until the report turns
  stale: ``public, max-age, stale-while-revalidate`` (scaled to ``report_fresh_seconds``, and
  never past the moment the report turns stale), so a CDN or reverse proxy can answer them.
* Other anonymous views (a stale report, exports) may be stored but are revalidated first
  (``no-cache``); their strong ``ETag`` makes that a ``304`` without a body.
* Anything carrying a session or a CSRF token, or answering a bearer client: ``private,
  no-store`` and no ``ETag``.
* Embeds (cards, badges, the social image) are fetched by image proxies (GitHub's camo) and
  CDNs, never with a session: ``public`` with a ``max-age`` of a 24th of the freshness period,
  ``stale-while-revalidate`` of a whole one and ``stale-if-error`` of a week of them, so a
  README card keeps showing while gitbrag is briefly down; a card saying "not generated yet"
  only a 288th (five minutes for a day), so the real one shows soon after.

ETags are strong: one per report version, rendering bundle, page, variant and content coding
(a gzip body and its identity twin are different representations).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from web.serving.cache import CachedDocument
from web.serving.chunks import Chunk, gzip_member

PRIVATE: Final = "private, no-store"
REVALIDATE: Final = "no-cache"
# Bodies differ by coding, by session cookie and by bearer token.
VARY: Final = "Accept-Encoding, Cookie, Authorization"


def public(fresh_seconds: int, age_seconds: float) -> str:
    """For a fresh report ``age_seconds`` old: shared caches keep it a 96th of the freshness
    period (15 minutes for a day), and may serve it stale for a 24th more while they
    revalidate, but never keep it past the moment it turns stale."""
    left = max(0, int(fresh_seconds - age_seconds))
    max_age = min(fresh_seconds // 96, left)
    revalidate = min(fresh_seconds // 24, max(0, left - max_age))
    return f"public, max-age={max_age}, stale-while-revalidate={revalidate}"


def embedded(fresh_seconds: int) -> str:
    """For cards, badges and the social image of a stored report (fresh or stale)."""
    max_age = max(60, fresh_seconds // 24)
    return (
        f"public, max-age={max_age}, stale-while-revalidate={fresh_seconds}, "
        f"stale-if-error={7 * fresh_seconds}"
    )


def embedded_missing(fresh_seconds: int) -> str:
    """For the card or badge standing in for a report not generated yet (or no such user)."""
    max_age = max(30, fresh_seconds // 288)
    return f"public, max-age={max_age}, stale-while-revalidate={max_age}"


def accepts_gzip(headers: Mapping[str, str]) -> bool:
    """``Accept-Encoding`` lists gzip (or ``*``) without ``q=0``."""
    for item in headers.get("accept-encoding", "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "*"):
            continue
        quality = params.replace(" ", "").lower()
        if quality.startswith("q="):
            try:
                if float(quality[2:]) == 0:
                    continue
            except ValueError:
                continue
        return True
    return False


def etag(*parts: str, gzip: bool) -> str:
    return '"' + "-".join((*parts, "gz" if gzip else "id")) + '"'


def matches(if_none_match: str | None, current: str) -> bool:
    """``If-None-Match`` names ``current`` (weak comparison, as RFC 9110 asks for it)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = current.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


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
    vary: str = VARY,
    headers: Mapping[str, str] | None = None,
    compressible: bool = True,
) -> Response:
    """``cached`` with the viewer's holes filled; ``compressible=False`` for bytes that are
    compressed already (a PNG), always sent as they are."""
    gzip = compressible and accepts_gzip(request.headers)
    out = {"Cache-Control": cache_control, "Vary": vary, **(headers or {})}
    if shared is not None:
        tag = etag(*shared.etag_parts, shared.variant, gzip=gzip)
        out["ETag"] = tag
        if status_code == 200 and matches(request.headers.get("if-none-match"), tag):
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
    vary: str = VARY,
) -> Response:
    """A body assembled for this request only (the API's envelope around the stored JSON):
    precompressed chunks and fresh bytes (compressed at level 1 when the client takes gzip)."""
    gzip = accepts_gzip(request.headers)
    headers = {"Cache-Control": cache_control, "Vary": vary}
    if gzip:
        headers["Content-Encoding"] = "gzip"
        chunks = [p if isinstance(p, Chunk) else Chunk.of(p, level=1) for p in parts]
        content = gzip_member(chunks)
    else:
        content = b"".join(p.raw if isinstance(p, Chunk) else p for p in parts)
    return Response(content, status_code=status_code, headers=headers, media_type=media_type)
