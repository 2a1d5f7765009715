"""``gitbrag report``: collect a user's pull requests and print the report.

Exit codes: 0 done; 1 GitHub or user error (unknown user, an organisation's login, bad token,
rate limit, more pull requests than one report reads); 2 usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from rich.console import Console

from gitbrag.errors import GitHubError, InvalidInput, ReportTooLarge
from gitbrag.jobs.generation import generate_report
from gitbrag.render.markdown import render_markdown
from gitbrag.render.table import print_report
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.settings import Settings

PHASE_LABELS = {
    "profile": "Reading profile",
    "search": "Searching pull requests",
    "activity": "Counting reviews and issues",
    "files": "Reading changed files",
    "stars": "Counting stars",
    "build": "Building report",
}


class ProgressLine:
    """A one-line progress indicator on stderr (silent when stderr is not a terminal)."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled and stream.isatty()
        self._width = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        label = PHASE_LABELS.get(phase, phase)
        text = f"{label} {done}/{total}" if total else f"{label}…"
        self.stream.write("\r" + text.ljust(self._width))
        self._width = max(self._width, len(text))
        self.stream.flush()

    def clear(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


def parse_key(args: argparse.Namespace) -> ReportKey:
    date_range = DateRange.resolve(args.period, args.since, args.until)
    return ReportKey(args.username, date_range, bool(args.include_closed))


def _fail(code: int, message: str) -> int:
    print(f"gitbrag: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        key = parse_key(args)
    except InvalidInput as error:
        return _fail(2, str(error))
    token = args.token or settings.github_token
    if not token:
        return _fail(2, "a GitHub token is required: --token or GITBRAG_GITHUB_TOKEN")
    progress = ProgressLine(sys.stderr, enabled=not args.quiet)
    try:
        report = asyncio.run(generate_report(settings, key, token, progress=progress))
    except (GitHubError, ReportTooLarge) as error:
        progress.clear()
        return _fail(1, str(error))
    progress.clear()
    if args.format == "json":
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(render_markdown(report))
    else:
        print_report(report, Console(highlight=False))
    return 0
