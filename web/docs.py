"""``/docs``: Swagger UI for the OpenAPI document, without inline script or unpinned assets.

FastAPI's own page loads ``swagger-ui-dist@5`` (whatever 5.x the CDN serves that day) with no
Subresource Integrity and starts it from an inline script, which needs ``'unsafe-inline'``.
Here the two assets are one exact version, each with its SRI digest (computed from that
version's npm package, which the CDN serves byte for byte), so a changed file is refused by
the browser; the bootstrap is our static ``swagger-init.js``. The page's policy allows the
CDN for those two files and nothing inline.
"""

from __future__ import annotations

from typing import Final

from web.templating import static_url

SWAGGER_UI_VERSION: Final = "5.36.0"
CDN: Final = "https://cdn.jsdelivr.net"
_BASE: Final = f"{CDN}/npm/swagger-ui-dist@{SWAGGER_UI_VERSION}"
SWAGGER_JS: Final = (
    f"{_BASE}/swagger-ui-bundle.js",
    "sha384-fUpRgC19yPykTqzdrUbdAg8NTiu16NEKf9U12J+IJWCg8/1mEI8f2+PEIz60Wyd+",
)
SWAGGER_CSS: Final = (
    f"{_BASE}/swagger-ui.css",
    "sha384-z/AtSaOHGn5MJ5auAHXUypohywlIWLBZo1jeGmhdpVIbCnFhxAH92cwdV41oyINc",
)


def docs_security_policy() -> str:
    """The page's Content-Security-Policy: scripts and styles from this site and the two
    pinned files' CDN (the inline ``style`` attributes Swagger UI sets on its own elements
    need ``'unsafe-inline'`` for styles; scripts get none)."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {CDN}",
            f"style-src 'self' 'unsafe-inline' {CDN}",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def docs_page(openapi_url: str) -> str:
    """The page: the pinned assets with their digests, and our bootstrap (which reads the
    OpenAPI document's address from ``data-openapi-url``)."""
    (js, js_sri), (css, css_sri) = SWAGGER_JS, SWAGGER_CSS
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gitbrag API</title>
<link rel="stylesheet" href="{css}" integrity="{css_sri}" crossorigin="anonymous">
</head><body><div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{js}" integrity="{js_sri}" crossorigin="anonymous"></script>
<script src="{static_url("swagger-init.js")}"></script>
</body></html>"""
