"""The floor of ``bench/serving.py``: a bare Starlette app answering each benchmarked path with
the very bytes and headers gitbrag answered it with, from memory, on the same server stack
(uvicorn, uvloop, httptools). Whatever gitbrag costs above this is gitbrag's.

``GITBRAG_BENCH_FLOOR`` names a JSON file:
``{"/path": {"body": "<file>", "status": 200, "headers": {...}}}``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def _routes() -> list[Route]:
    spec = json.loads(Path(os.environ["GITBRAG_BENCH_FLOOR"]).read_text())
    routes = []
    for path, answer in spec.items():
        response = Response(
            Path(answer["body"]).read_bytes(),
            status_code=answer["status"],
            headers=answer["headers"],
        )

        async def endpoint(request: Request, response: Response = response) -> Response:
            return response

        routes.append(Route(path, endpoint))
    return routes


app = Starlette(routes=_routes())
