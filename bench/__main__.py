"""Run every benchmark module (``bench/<name>.py`` with a ``main() -> dict``) and print a table.

Each module writes its own ``bench/results/<name>.json`` so runs can be compared over time
(``git diff bench/results``). Usage: ``python -m bench [name ...]``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def discover() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not info.name.startswith("_")
    )


def main(argv: list[str]) -> int:
    names = argv or discover()
    RESULTS.mkdir(exist_ok=True)
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        result: dict[str, Any] = module.main()
        result.setdefault("wall_seconds", round(time.perf_counter() - started, 2))
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
        print(f"== {name}")
        for key, value in result.items():
            print(f"  {key}: {json.dumps(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
