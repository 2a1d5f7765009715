"""How the collector says how far it got: ``progress(phase, done, total)``, phases in order
``profile``, ``search``, ``activity``, ``files``, ``stars`` (and ``build``, from the report's
generation, :mod:`gitbrag.jobs.generation`).

The collector overlaps its phases (files are read while the search goes on, reviews while
pull requests are searched), but a watcher sees them one after the other: :class:`InOrder`
holds what a later phase reports until the collector moves on to it, then passes on the
latest, and drops what an earlier phase says late."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

ProgressCallback = Callable[[str, int, int], None]

PHASES: Final = ("profile", "search", "activity", "files", "stars")


def silent(phase: str, done: int, total: int) -> None:
    """The progress callback nobody watches (a search whose phase reports its own)."""


class InOrder:
    """A progress callback that passes phases on to ``report`` in :data:`PHASES` order (see
    the module docstring); :meth:`reach` moves on to a phase."""

    def __init__(self, report: ProgressCallback) -> None:
        self._report = report
        self._current = 0
        self._latest: dict[str, tuple[int, int]] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        at = PHASES.index(phase)
        if at < self._current:
            return
        self._latest[phase] = (done, total)
        if at == self._current:
            self._report(phase, done, total)

    def reach(self, phase: str) -> None:
        """From now on ``phase`` is reported (with the latest it said while held back)."""
        at = PHASES.index(phase)
        if at <= self._current:
            return
        self._current = at
        if phase in self._latest:
            self._report(phase, *self._latest[phase])
