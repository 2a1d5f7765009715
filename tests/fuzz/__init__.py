"""Fuzzing every route (hypothesis) and the JSON API against its schema (schemathesis).

``FUZZ_EXAMPLES`` sets the examples per route or operation (``make chaos`` runs many more
than ``make test``), ``FUZZ_RANDOM=1`` draws new ones each run (``make test`` replays the same,
derandomized), and with ``FUZZ_RECORD`` every answer's status is appended to that file
(``make chaos`` counts them for ``docs/reliability.md``)."""

from __future__ import annotations

import json
import os


def record(kind: str, route: str, status: int) -> None:
    """Append one answer to ``FUZZ_RECORD`` (if set)."""
    path = os.environ.get("FUZZ_RECORD")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"kind": kind, "route": route, "status": status}) + "\n")
