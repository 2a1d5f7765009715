"""A report outside gitbrag: the README card (``card.svg``), the badge (``badge.svg``) and the
social preview image (``og.png``). Cached views like the report page (``web.served``): one
Redis read, a document rendered once per report version and curation (``web.embeds``),
``ETag``/``304`` and caching headers for image proxies and CDNs. Never a GitHub call and never
a generation: a report nobody generated yet gets a tidy card saying so.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, HTTPException
from starlette.requests import Request
from starlette.responses import Response

from gitbrag.report.keys import ReportKey
from web.context import AppContext, context_of
from web.embeds.card import parse_theme, parse_width
from web.embeds.render import BADGE, BUNDLE, PNG, SOCIAL_IMAGE, SVG, card_name
from web.params import REPORT_PARAMETERS, query_of, query_parameter
from web.schemas import HTML_PAGE, PNG_STAND_IN, SVG_STAND_IN
from web.served import requested_key
from web.serving import respond
from web.serving.front import ServedRoute
from web.serving.reader import ANONYMOUS_IDENTITY, Read
from web.serving.respond import Shared, document_response

router = APIRouter(tags=["embeds"], route_class=ServedRoute)

VARY = "Accept-Encoding"
# Embeds are fetched by other sites (READMEs through GitHub's camo, link previews): they may
# be loaded cross-origin. An SVG opened on its own is a document: it gets no script, no
# plug-in, nothing but its own inline styles (sandboxed).
CROSS_ORIGIN: Final = {"Cross-Origin-Resource-Policy": "cross-origin"}
SVG_HEADERS: Final = CROSS_ORIGIN | {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox"
}


def _embed_headers(media_type: str) -> dict[str, str]:
    return SVG_HEADERS if media_type == SVG else CROSS_ORIGIN


MISSING = "Report not generated yet: open it on gitbrag to generate it"
# Why GitHub has no report for the login (``ViewState.unknown_reason``): the card and the
# social image say it in words, the badge in one; never a card or image of zeros.
UNKNOWN = {
    "no_user": "No such GitHub user",
    "organization": "An organisation, not a person",
    "private_profile": "This profile's activity is private",
}
BADGE_UNKNOWN = {"private_profile": "private"}
NO_REPORT_POSSIBLE = (
    "GitHub has no report for the login: no such user, an organisation, a private profile"
)
CARD_PARAMETERS: list[dict[str, Any]] = [
    *REPORT_PARAMETERS,
    query_parameter("theme", "light (default) or dark", max_length=8),
    query_parameter("width", "width hint in pixels, 300-1000 (default 500)", max_length=5),
]


async def _read(request: Request, ctx: AppContext, key: ReportKey, name: str) -> Read:
    base_url = ctx.base_url(request)
    family = ctx.embeds.family
    return await ctx.reader.page(key, name, BUNDLE, base_url, ANONYMOUS_IDENTITY, family)


def _served(
    request: Request, ctx: AppContext, key: ReportKey, read: Read, name: str, media_type: str
) -> Response:
    meta = read.state.meta
    assert meta is not None and read.document is not None
    ctx.views.record(str(key))  # a README card keeps its report popular, so pre-warmed
    return document_response(
        request,
        read.document,
        media_type=media_type,
        cache_control=respond.embedded(ctx.settings.report_fresh_seconds),
        shared=Shared(name, (meta.version, BUNDLE)),
        vary=VARY,
        compressible=media_type != PNG,
        headers=_embed_headers(media_type),
    )


def _stand_in(ctx: AppContext, body: bytes, status_code: int, media_type: str = SVG) -> Response:
    headers = {
        "Cache-Control": respond.embedded_missing(ctx.settings.report_fresh_seconds),
        "Vary": VARY,
        **_embed_headers(media_type),
    }
    return Response(body, status_code=status_code, media_type=media_type, headers=headers)


def _unknown(reason: str) -> str:
    return UNKNOWN.get(reason, UNKNOWN["no_user"])


@router.get(
    "/user/github/{username}/card.svg",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}}, "description": "the card (SVG)"},
        404: {"content": SVG_STAND_IN, "description": NO_REPORT_POSSIBLE + " (a card saying so)"},
    },
    openapi_extra={"parameters": CARD_PARAMETERS},
)
async def card_svg(request: Request) -> Response:
    """The report's summary numbers and top languages as an SVG card for a README
    (`theme`: light or dark; `width` hint). A report not generated yet is a card saying so."""
    ctx = context_of(request)
    key = requested_key(request, ctx, "/card.svg")
    query = query_of(request.scope["query_string"])
    theme, width = parse_theme(query.get("theme")), parse_width(query.get("width"))
    read = await _read(request, ctx, key, card_name(theme, width))
    reason = read.state.unknown_reason
    if reason is not None:
        body = ctx.embeds.missing_card(key, _unknown(reason), theme, width)
        return _stand_in(ctx, body, 404)
    if read.state.meta is None:
        return _stand_in(ctx, ctx.embeds.missing_card(key, MISSING, theme, width), 200)
    return _served(request, ctx, key, read, card_name(theme, width), SVG)


@router.get(
    "/user/github/{username}/badge.svg",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}}, "description": "the badge (SVG)"},
        404: {"content": SVG_STAND_IN, "description": NO_REPORT_POSSIBLE + " (a badge saying so)"},
    },
    openapi_extra={"parameters": REPORT_PARAMETERS},
)
async def badge_svg(request: Request) -> Response:
    """A shields-style badge: "merged PRs · 1 year | 36"."""
    ctx = context_of(request)
    key = requested_key(request, ctx, "/badge.svg")
    read = await _read(request, ctx, key, BADGE)
    reason = read.state.unknown_reason
    if reason is not None:
        value = BADGE_UNKNOWN.get(reason, "no such user")
        return _stand_in(ctx, ctx.embeds.missing_badge(key, value, True), 404)
    if read.state.meta is None:
        return _stand_in(ctx, ctx.embeds.missing_badge(key, "not generated yet", False), 200)
    return _served(request, ctx, key, read, BADGE, SVG)


@router.get(
    "/user/github/{username}/og.png",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "1200 x 630 PNG"},
        404: {
            "content": HTML_PAGE | PNG_STAND_IN,
            "description": "no report yet (an error page), or GitHub has none for the login: "
            "no such user, an organisation, a private profile (a PNG saying so)",
        },
    },
    openapi_extra={"parameters": REPORT_PARAMETERS},
)
async def social_image_png(request: Request) -> Response:
    """The social preview image (`og:image`) of a report: 1200 x 630 PNG."""
    ctx = context_of(request)
    key = requested_key(request, ctx, "/og.png")
    read = await _read(request, ctx, key, SOCIAL_IMAGE)
    reason = read.state.unknown_reason
    if reason is not None:
        return _stand_in(ctx, ctx.embeds.missing_image(key, _unknown(reason)), 404, PNG)
    if read.state.meta is None:
        raise HTTPException(404, f"No report for {key.username} yet.")
    return _served(request, ctx, key, read, SOCIAL_IMAGE, PNG)
