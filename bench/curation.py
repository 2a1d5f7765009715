"""The author's curation at its largest: what a render costs and what an account stores.

* Render: ``curated(report, curation)`` (and the whole decode + curate a view's first render
  does, ``shown_report``) of a 2,000-pull-request report over 500 repositories with the
  maximum curation (``MAX_HIDDEN_REPOSITORIES`` and ``MAX_HIDDEN_PULL_REQUESTS`` entries,
  half of them the report's own, five pins): median and worst of ``RUNS`` runs.
* Storage: 10,000 scripted changes (hide, show, pin, unpin, undo, reset, drawn from the
  report's own repositories and pull requests, seeded) through ``CurationStore`` on an
  embedded Redis: the account's bytes (``MEMORY USAGE`` of its keys) at the end and at most;
  and 10,000 changes that fill it as much as it goes (every pull request hidden one by one,
  then a reset, again and again: the largest state and the largest undo diffs).

Writes ``bench/results/curation.json``.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis

from gitbrag.errors import InvalidInput
from gitbrag.report.builder import build_report
from gitbrag.report.curation import (
    MAX_HIDDEN_PULL_REQUESTS,
    MAX_HIDDEN_REPOSITORIES,
    MAX_PINS,
    Curation,
    curated,
)
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.report.periods import DateRange
from gitbrag.report.records import Collection, FileChange, PullRequestRecord, RepositoryInfo
from gitbrag.runtime.redis_server import EmbeddedRedis
from gitbrag.stores.curation import HISTORY_BYTES, HISTORY_SUFFIX, CurationStore, account_owner
from web.serving.reader import shown_report

PULL_REQUESTS = 2000
REPOSITORIES = 500
RUNS = 30
CHANGES = 10_000
KEY = ReportKey("prolific-bot", DateRange.for_period("2_years"))


def big_collection(
    pull_requests: int = PULL_REQUESTS, repositories: int = REPOSITORIES
) -> Collection:
    """``pull_requests`` pull requests spread over ``repositories`` repositories."""
    now = datetime.now(UTC)
    names = [f"bot-farm/service-{n:03d}" for n in range(repositories)]
    files = (FileChange("src/app.py", 12, 3), FileChange("web/index.ts", 4, 1))
    prs = [
        PullRequestRecord(
            repository=names[number % repositories],
            number=number,
            title=f"Bump lodash from 1.{number % 30}.0 to 1.{number % 30}.1",
            url=f"https://github.com/{names[number % repositories]}/pull/{number}",
            state="merged" if number % 9 else "open",
            created_at=now - timedelta(hours=5 * number),
            merged_at=now - timedelta(hours=5 * number - 1) if number % 9 else None,
            closed_at=now - timedelta(hours=5 * number - 1) if number % 9 else None,
            additions=16,
            deletions=4,
            changed_files=2,
            author_association="CONTRIBUTOR",
            files=files,
        )
        for number in range(1, pull_requests + 1)
    ]
    from tests.fixtures.web import sample_collection  # the profile and activity of a user

    base = sample_collection("prolific-bot", now)
    return Collection(
        profile=base.profile,
        pull_requests=prs,
        repositories={
            name: RepositoryInfo(name, f"https://github.com/{name}", "A service", 10)
            for name in names
        },
        stars_gained={},
        reviews=base.reviews,
        issues=base.issues,
    )


def big_report() -> Report:
    return build_report(big_collection(), KEY, datetime.now(UTC))


def pull_request_refs(report: Report) -> list[str]:
    return [
        f"{r.name_with_owner}#{pr.number}" for r in report.repositories for pr in r.pull_requests
    ]


def maximum_curation(report: Report) -> Curation:
    """Every list at its cap: half the entries the report's own (every other pull request,
    every other repository), half from elsewhere; five pins."""
    repos = [repo.name_with_owner for repo in report.repositories]
    prs = [
        f"{r.name_with_owner}#{pr.number}" for r in report.repositories for pr in r.pull_requests
    ]
    hidden_repos = repos[::2] + [f"elsewhere/repo-{n}" for n in range(MAX_HIDDEN_REPOSITORIES)]
    hidden_prs = prs[1::2] + [f"elsewhere/repo#{n}" for n in range(1, MAX_HIDDEN_PULL_REQUESTS)]
    shown = [pr for pr in prs if pr.split("#")[0] not in set(repos[::2])]
    return Curation(
        hidden_repositories=tuple(sorted(hidden_repos[:MAX_HIDDEN_REPOSITORIES], key=str.lower)),
        hidden_pull_requests=tuple(sorted(hidden_prs[:MAX_HIDDEN_PULL_REQUESTS], key=str.lower)),
        pinned=tuple(shown[::2][:MAX_PINS]),
    ).checked()


def _timed(function: Any, runs: int) -> dict[str, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(times), 2), "max_ms": round(max(times), 2)}


def scripted_changes(
    store: CurationStore,
    owner: str,
    report: Report,
    count: int,
    seed: int = 20,
    peak: list[int] | None = None,
) -> int:
    """``count`` changes drawn from the report's own targets (the only ones the web accepts);
    returns how many the caps refused (``peak``: the account's bytes every 250 changes)."""
    rng = random.Random(seed)
    repos = [repo.name_with_owner for repo in report.repositories]
    prs = [
        f"{r.name_with_owner}#{pr.number}" for r in report.repositories for pr in r.pull_requests
    ]
    refused = 0
    for number in range(count):
        if peak is not None and number % 250 == 0:
            peak.append(store.footprint(owner))
        roll = rng.random()
        try:
            if roll < 0.45:
                target = rng.choice(prs)
                store.change(owner, lambda c, t=target: c.hide_pull_request(t))
            elif roll < 0.60:
                target = rng.choice(repos)
                store.change(owner, lambda c, t=target: c.hide_repository(t))
            elif roll < 0.75:
                target = rng.choice(prs)
                store.change(owner, lambda c, t=target: c.show_pull_request(t))
            elif roll < 0.82:
                target = rng.choice(repos)
                store.change(owner, lambda c, t=target: c.show_repository(t))
            elif roll < 0.90:
                target = rng.choice(prs)
                store.change(owner, lambda c, t=target: c.pin(t))
            elif roll < 0.93:
                target = rng.choice(prs)
                store.change(owner, lambda c, t=target: c.unpin(t))
            elif roll < 0.995:
                store.undo(owner)
            else:
                store.change(owner, lambda _: Curation())
        except InvalidInput:
            refused += 1
    return refused


def filling_changes(
    store: CurationStore, owner: str, report: Report, count: int, peak: list[int]
) -> int:
    """The most an account can make its curation hold: hide the report's pull requests one
    by one, then reset (a diff of everything), again and again; returns the refusals."""
    prs = [
        f"{r.name_with_owner}#{pr.number}" for r in report.repositories for pr in r.pull_requests
    ]
    refused = done = 0
    while done < count:
        for target in prs:
            if done >= count:
                break
            try:
                store.change(owner, lambda c, t=target: c.hide_pull_request(t))
            except InvalidInput:
                refused += 1
            done += 1
            if done % 250 == 0:
                peak.append(store.footprint(owner))
        store.change(owner, lambda _: Curation())
        done += 1
    return refused


def main() -> dict[str, Any]:
    report = big_report()
    curation = maximum_curation(report)
    report_json = report.model_dump_json().encode()
    curation_json = curation.model_dump_json().encode()
    assert curated(report, curation).curation is not None
    render = _timed(lambda: curated(report, curation), RUNS)
    first_render = _timed(lambda: shown_report(report_json, curation_json), 5)
    with tempfile.TemporaryDirectory() as data, EmbeddedRedis(Path(data)) as server:
        client = redis.Redis.from_url(server.url)
        store = CurationStore(client)
        owner = account_owner(583231)
        started = time.perf_counter()
        samples: list[int] = []
        refused = scripted_changes(store, owner, report, CHANGES, peak=samples)
        elapsed = time.perf_counter() - started
        final = store.footprint(owner)
        samples.append(final)
        state = len(store.get(owner).model_dump_json())
        filling: list[int] = []
        started = time.perf_counter()
        filling_refused = filling_changes(store, account_owner(1), report, CHANGES, filling)
        filling_seconds = time.perf_counter() - started
        history = client.llen(f"gitbrag:curation:account:1{HISTORY_SUFFIX}")
    return {
        "report": {
            "pull_requests": report.totals.pull_requests,
            "repositories": len(report.repositories),
        },
        "maximum_curation": {
            "hidden_repositories": len(curation.hidden_repositories),
            "hidden_pull_requests": len(curation.hidden_pull_requests),
            "pinned": len(curation.pinned),
            "json_bytes": len(curation_json),
        },
        "curated_ms": render,
        "decode_and_curate_ms": first_render,
        "scripted_changes": {
            "changes": CHANGES,
            "refused_by_caps": refused,
            "seconds": round(elapsed, 1),
            "account_bytes_at_end": final,
            "account_bytes_at_most": max(samples),
            "state_json_bytes_at_end": state,
            "history_bytes_cap": HISTORY_BYTES,
        },
        "filling_changes": {
            "changes": CHANGES,
            "refused_by_caps": filling_refused,
            "seconds": round(filling_seconds, 1),
            "account_bytes_at_most": max(filling),
            "history_entries_at_end": history,
        },
    }
