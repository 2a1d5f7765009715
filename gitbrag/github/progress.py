"""How the collector says how far it got: ``progress(phase, done, total)``, phases in order
``profile``, ``search``, ``activity``, ``files``, ``stars`` (and ``build``, from the report's
generation, :mod:`gitbrag.jobs.generation`)."""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[str, int, int], None]


def silent(phase: str, done: int, total: int) -> None:
    """The progress callback nobody watches (a search whose phase reports its own)."""
