"""The chaos suite's smoke in ``make test``: the real stack under load through one Redis
SIGKILL and one worker SIGKILL, then the whole-run checks (every job final with a user-safe
message, nothing lost, exactly-once writes, nothing left behind, no secrets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.results import markdown
from tests.chaos.run import Chaos, Plan


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_chaos_smoke_redis_restart_and_worker_kill_under_load(tmp_path: Path) -> None:
    results = Chaos(tmp_path, Plan.smoke_test()).run()
    print(markdown(results, header="chaos smoke"))  # shown with -s
    assert [r.name for r in results] == ["redis", "workers", "secrets"]
    redis_case, workers_case, _ = results
    assert len(redis_case.measurements) > 0 and redis_case.unavailable_during_outage >= 0
    assert workers_case.measurements["per kill"], "a worker was killed"
    broken = [
        f"{result.title}: {invariant.name} ({invariant.detail})"
        for result in results
        for invariant in result.invariants
        if not invariant.held
    ]
    assert not broken, "\n".join(broken) + "\n\n" + markdown(results, header="")
    assert all(result.requests > 0 for result in results[:2]), "the load ran"
