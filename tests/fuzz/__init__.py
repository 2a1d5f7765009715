"""Fuzzing every route (hypothesis) and the JSON API against its schema (schemathesis).

``FUZZ_EXAMPLES`` sets the examples per route or operation (``make chaos`` runs many more
than ``make test``), ``FUZZ_RANDOM=1`` draws new ones each run (``make test`` replays the same,
derandomized), and with ``FUZZ_RECORD`` every answer's status is appended to that file
(``make chaos`` counts them for ``docs/reliability.md``)."""

from __future__ import annotations

import json
import os
import unicodedata
from urllib.parse import unquote


def input_classes(url: str) -> list[str]:
    """Which hostile classes a request's (decoded) address carries: ``unicode_digit`` (a
    digit ``str.isdigit`` accepts beyond ASCII), ``control`` (C0/C1 but tab, newline),
    ``bidi`` (an embedding, override, isolate or mark), ``long`` (over 1,000 characters)."""
    text = unquote(url)
    found = []
    if any(char.isdigit() and not char.isascii() for char in text):
        found.append("unicode_digit")
    if any(unicodedata.category(char) == "Cc" and char not in "\t\n" for char in text):
        found.append("control")
    if any(unicodedata.bidirectional(char) in BIDI_CONTROLS for char in text):
        found.append("bidi")
    if len(text) > 1000:
        found.append("long")
    return found


BIDI_CONTROLS = frozenset({"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"})


def record(kind: str, route: str, status: int, url: str = "") -> None:
    """Append one answer to ``FUZZ_RECORD`` (if set), with the input classes its address
    carried (``input_classes``)."""
    path = os.environ.get("FUZZ_RECORD")
    if path:
        answer = {"kind": kind, "route": route, "status": status, "classes": input_classes(url)}
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(answer) + "\n")
