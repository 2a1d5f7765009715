"""Which of gitbrag's files one cached view passes through: a trace, not an estimate.

A report is generated from the simulated GitHub (in process) and stored in an embedded Redis;
the app then serves ``GET /user/github/octocat`` (and any path given) through Starlette's
``TestClient``. The first view renders the report's bundle; the traced view is a later, warm
one (and, with ``--cold``, the first view as well). Every Python frame whose code lives in
``gitbrag/``, ``web/`` or ``actors/`` is recorded, in call order:

- the files, in the order first entered, with how many calls each took;
- the steps: how often the path moved from one project file to another.

Usage: ``python -m bench._trace_view [PATH ...] [--cold]``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import threading
from collections import Counter
from itertools import pairwise
from pathlib import Path
from types import FrameType
from typing import Any

from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub, generate, token_for
from gitbrag.jobs.generation import generate_report
from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.runtime.redis_server import EmbeddedRedis
from tests.harness import ROOT, test_settings
from web.app import create_app

PACKAGES = tuple(str(ROOT / name) + "/" for name in ("gitbrag", "web", "actors"))


class Tracer:
    """Records project frames while ``on`` (set per request)."""

    def __init__(self) -> None:
        self.on = False
        self.calls: list[str] = []

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if self.on and event == "call":
            filename = frame.f_code.co_filename
            if filename.startswith(PACKAGES):
                self.calls.append(filename.removeprefix(str(ROOT) + "/"))

    def take(self) -> list[str]:
        calls, self.calls = self.calls, []
        return calls


def summary(calls: list[str]) -> dict[str, Any]:
    order = list(dict.fromkeys(calls))
    steps = sum(1 for a, b in pairwise(calls) if a != b)
    return {"files": len(order), "steps": steps, "calls": Counter(calls), "order": order}


def main(argv: list[str]) -> int:
    cold = "--cold" in argv
    paths = [arg for arg in argv if not arg.startswith("--")] or ["/user/github/octocat"]
    tracer = Tracer()
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp) / "redis") as redis_server:
        data = generate()
        with FakeHub(data) as hub:
            settings = test_settings(redis_server.url, Path(tmp), hub=hub)
            key = ReportKey("octocat", DateRange.for_period("1_year", data.today))
            report = asyncio.run(generate_report(settings, key, token_for("octocat")))
            app = create_app(settings)
            service: ReportService = app.state.context.service
            service.stores.reports.put(key, report)
            threading.setprofile(tracer)
            sys.setprofile(tracer)
            try:
                with TestClient(app, base_url="http://testserver") as client:
                    for path in paths:
                        for label in ("first view", "warm view"):
                            tracer.on = True
                            status = client.get(path).status_code
                            tracer.on = False
                            calls = tracer.take()
                            if label == "first view" and not cold:
                                continue
                            found = summary(calls)
                            print(
                                f"== {path} ({label}, HTTP {status}): {found['files']} files, "
                                f"{found['steps']} steps between files"
                            )
                            for name in found["order"]:
                                print(f"  {found['calls'][name]:6d}  {name}")
            finally:
                sys.setprofile(None)
                threading.setprofile(None)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
