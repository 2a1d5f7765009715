"""``gitbrag web [--host H] [--port P] [--workers N]``: serve the app with uvicorn.

uvicorn's standard extras (uvloop, httptools) do the HTTP work. The web processes are
stateless (everything shared lives in Redis), so ``--workers`` (default
``GITBRAG_WEB_WORKERS``, 0 = one per CPU) runs that many behind one listening socket, each
building its app from the environment (:func:`app_from_environment`).
"""

from __future__ import annotations

import argparse
import copy
import gc
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.config import LOGGING_CONFIG

from gitbrag.settings import Settings, get_settings
from web.app import create_app

# On SIGINT/SIGTERM, open responses (an SSE stream lives up to 300 s) get this long to finish
# before uvicorn cancels them: the process stops within seconds, well inside the grace
# period after which `gitbrag up` SIGKILLs it.
GRACEFUL_SHUTDOWN_SECONDS = 3


def app_from_environment() -> FastAPI:
    """The app, built in each worker process from ``GITBRAG_*`` (uvicorn's factory).

    Everything built so far (the app, its templates, the libraries: ~100k objects) lives as
    long as the process, so it is moved out of the garbage collector's sight (``gc.freeze``):
    a full collection then scans only what requests left behind, instead of pausing every
    request for tens of milliseconds now and then (measured: the p99 latency)."""
    app = create_app(get_settings())
    gc.collect()
    gc.freeze()
    return app


def logging_config() -> dict[str, Any]:
    """uvicorn's logging, plus gitbrag's own loggers (the request log) at INFO, in every
    worker process."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["gitbrag"] = {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    config["handlers"]["gitbrag"] = {
        "formatter": "gitbrag",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["gitbrag"] = {"handlers": ["gitbrag"], "level": "INFO", "propagate": False}
    return config


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    host = getattr(args, "host", None) or settings.host
    port = getattr(args, "port", None) or settings.port
    workers = getattr(args, "workers", None) or settings.web_processes
    uvicorn.run("web.server:app_from_environment", **uvicorn_options(settings, host, port, workers))
    return 0


def uvicorn_options(settings: Settings, host: str, port: int, workers: int) -> dict[str, Any]:
    return {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "loop": "uvloop",
        "http": "httptools",
        "proxy_headers": True,
        "server_header": False,  # no "Server: uvicorn" (OWASP: say nothing of the stack)
        # Only the configured proxies may say who the client is and whether it used https.
        "forwarded_allow_ips": settings.trusted_proxies,
        "access_log": False,  # WebMiddleware logs each request (path only, no query secrets)
        "log_config": logging_config(),
        "log_level": "info",
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
    }
