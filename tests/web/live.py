"""The whole stack for real browsers (:class:`tests.harness.LiveStack`) and how Chromium runs.

Used by the browser tests and by ``python -m tests.screenshots``.
"""

from __future__ import annotations

from tests.harness import LiveStack

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "LiveStack"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
