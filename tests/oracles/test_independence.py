"""The oracles stay independent of what they check: they read the simulated data set and a
report's JSON, and share with gitbrag only Linguist's file -> language table."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ORACLES = sorted(p for p in Path(__file__).parent.glob("*.py") if not p.name.startswith("test_"))
ALLOWED = {"gitbrag.fakehub.data", "gitbrag.report.languages"}


@pytest.mark.parametrize("oracle", ORACLES, ids=lambda path: path.name)
def test_an_oracle_imports_nothing_it_checks(oracle: Path) -> None:
    imported = set()
    for node in ast.walk(ast.parse(oracle.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    ours = {name for name in imported if name.split(".")[0] in {"gitbrag", "web", "actors"}}
    assert ours <= ALLOWED, f"{oracle.name} imports {sorted(ours - ALLOWED)}"
