"""Parts that keep failing are named, never dropped silently; private data that slips past
search is still dropped. A transport in front of the simulated GitHub breaks or alters
chosen queries; everything else is the real server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gitbrag.fakehub.server import FakeHub
from gitbrag.report.builder import build_report
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from tests.github.helpers import Meddler, collect_through

KEY = ReportKey("octocat", DateRange.for_period("all_time"))  # no stargazer paging: fast


def test_unreadable_files_are_reported_per_pull_request(hub: FakeHub) -> None:
    meddler = Meddler({"PullRequestFiles"})
    collection = collect_through(hub, meddler, KEY)
    with_files = [pr for pr in collection.pull_requests if pr.changed_files]
    assert with_files
    assert all(not pr.files_complete and pr.files == () for pr in with_files)
    assert collection.incomplete_reasons == []
    report = build_report(collection, KEY, datetime(2026, 11, 29, tzinfo=UTC))
    in_report = {
        (p.number, r.name_with_owner) for r in report.repositories for p in r.pull_requests
    }
    assert report.incomplete_reasons == [
        f"languages are incomplete for {pr.repository}#{pr.number}: "
        "its changed files could not be read"
        for pr in sorted(with_files, key=lambda pr: (pr.repository.lower(), pr.number))
        if (pr.number, pr.repository) in in_report
    ]
    assert report.totals.additions > 0 and report.languages == []  # lines still count
    # A 502 may mean "too big": each batch was split down to one PR asking for one file
    # before giving up (20 -> 10 -> 5 -> 2 -> 1 aliases, first 100 -> ... -> 1).
    per_pr = [first for aliases, first in meddler.failed_shapes if aliases == 1]
    assert min(per_pr) == 1 and len(meddler.failed_shapes) > len(with_files)


def test_unreadable_repositories_are_reported_and_keep_their_pull_requests(hub: FakeHub) -> None:
    clean = collect_through(hub, Meddler(set()), KEY)
    broken = collect_through(hub, Meddler({"Repositories"}), KEY)
    assert broken.pull_requests == clean.pull_requests
    assert set(broken.repositories) == set(clean.repositories)
    assert broken.stars_gained == {}
    assert sorted(broken.incomplete_reasons) == sorted(
        f"stars for {name}" for name in clean.repositories
    )
    for name, info in broken.repositories.items():
        assert info.url == clean.repositories[name].url


def test_private_nodes_that_slip_through_search_are_dropped(hub: FakeHub) -> None:
    clean = collect_through(hub, Meddler(set()), KEY)
    leaked = sorted(clean.repositories)[0]

    def mark_private(operation: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if operation != "SearchPullRequests":
            return None
        for node in body["data"]["search"]["nodes"]:
            if node["repository"]["nameWithOwner"] == leaked:
                node["repository"]["isPrivate"] = True
        return body

    collection = collect_through(hub, Meddler(set(), mark_private), KEY)
    assert leaked not in collection.repositories
    assert all(pr.repository != leaked for pr in collection.pull_requests)
    assert len(collection.pull_requests) < len(clean.pull_requests)


def test_repositories_found_private_later_are_dropped(hub: FakeHub) -> None:
    clean = collect_through(hub, Meddler(set()), KEY)
    leaked = sorted(clean.repositories)[-1]

    def mark_private(operation: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if operation != "Repositories":
            return None
        for node in body["data"].values():
            if isinstance(node, dict) and node.get("nameWithOwner") == leaked:
                node["isPrivate"] = True
        return body

    collection = collect_through(hub, Meddler(set(), mark_private), KEY)
    assert leaked not in collection.repositories
    assert leaked not in collection.stars_gained
    assert all(pr.repository != leaked for pr in collection.pull_requests)
