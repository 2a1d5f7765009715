"""``make chaos``: ``python -m tests.chaos`` runs every case, writes ``docs/reliability.md`` and
``docs/reliability.json``, and exits 1 when an invariant broke."""

from __future__ import annotations

import argparse
import logging
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.chaos import results
from tests.chaos.failover import FailoverChaos
from tests.chaos.fuzz_case import run_fuzz_case
from tests.chaos.run import Chaos, Plan
from tests.harness import ROOT, isolate_test_process

HEADER = """# Reliability: faults under load

Written by `make chaos` (`python -m tests.chaos`, {when}, {seconds:.0f} s, {machine}).
A real stack — Redis with persistence (append-only file), two `gitbrag web` processes, two
`gitbrag worker` processes, one `gitbrag scheduler`, the simulated GitHub in its own process —
under steady mixed load (anonymous page views and exports, logged-in browsers viewing and
refreshing, API clients with their own tokens asking for new reports, polling jobs, forcing
refreshes and cancelling), while the cases below are injected one after the other. How it works
and what each column means: [docs/chaos.md](chaos.md). Raw results:
[reliability.json](reliability.json).

The pass/fail criteria are the invariants listed under each case; times are measurements of
this run on a shared 2-core machine, not thresholds."""


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where to write")
    parser.add_argument("--skip-fuzz", action="store_true", help="the stack cases only")
    parser.add_argument(
        "--only", choices=("single", "failover"), help="only the single-Redis or failover cases"
    )
    args = parser.parse_args()
    isolate_test_process()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    started = time.monotonic()
    outcome = []
    if not args.skip_fuzz and args.only is None:
        print("chaos: fuzzing every route", flush=True)
        outcome.append(run_fuzz_case())
    if args.only != "failover":
        with tempfile.TemporaryDirectory(prefix="gitbrag-chaos-") as tmp:
            print(f"chaos: the stack in {tmp}", flush=True)
            outcome += Chaos(Path(tmp), Plan.full()).run()
    if args.only != "single":
        with tempfile.TemporaryDirectory(prefix="gitbrag-chaos-ha-") as tmp:
            print(f"chaos: the stack on a primary, a replica and 3 Sentinels in {tmp}", flush=True)
            outcome += FailoverChaos(Path(tmp), Plan.failovers()).run()
    order = {
        "redis": 1, "workers": 2, "github": 3, "token": 4, "fuzz": 5, "secrets": 6,
        "failover_planned": 7, "failover_kill": 8, "failover_freeze": 9, "secrets_ha": 10,
    }  # fmt: skip
    outcome.sort(key=lambda result: order.get(result.name, 9))
    header = HEADER.format(
        when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        seconds=time.monotonic() - started,
        machine=f"{platform.machine()}, Python {platform.python_version()}",
    )
    args.out.mkdir(parents=True, exist_ok=True)
    results.write(outcome, args.out / "reliability.md", args.out / "reliability.json", header)
    print(results.markdown(outcome, header="").split("\n\n###")[0], flush=True)
    failed = [result.title for result in outcome if not result.passed]
    if failed:
        print(f"chaos: invariants broken in {failed}", file=sys.stderr)
        return 1
    print("chaos: every invariant held", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
