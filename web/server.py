"""``gitbrag web [--host H] [--port P]``: serve the app with uvicorn."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from gitbrag.settings import get_settings
from web.app import create_app

# On SIGINT/SIGTERM, open responses (an SSE stream lives up to 300 s) get this long to finish
# before uvicorn cancels them: the process stops within seconds, well inside the grace
# period after which `gitbrag up` SIGKILLs it.
GRACEFUL_SHUTDOWN_SECONDS = 3


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    host = getattr(args, "host", None) or settings.host
    port = getattr(args, "port", None) or settings.port
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app(settings)
    uvicorn.run(
        app,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips="*" if settings.public_url else "127.0.0.1",
        access_log=False,  # WebMiddleware logs each request (path only, no query secrets)
        log_level="info",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    return 0
