"""Helpers shared by the CLI tests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gitbrag.cli import main


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    """``gitbrag report ARGS --format json --quiet``, which must succeed: its report."""
    code = main(["report", *args, "--format", "json", "--quiet"])
    out = capsys.readouterr()
    assert code == 0, out.err
    result: dict[str, Any] = json.loads(out.out)
    return result
