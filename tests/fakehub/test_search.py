"""GitHub search semantics, over loopback GraphQL: qualifiers, visibility, the 1000 cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gitbrag.fakehub import DataSet, FakeHub
from gitbrag.fakehub.search import SearchSyntaxError, parse_query, run_search
from tests.fakehub.helpers import SEARCH, GraphQL, search_all


def _expected(data: DataSet, q: str, viewer: str = "octocat") -> list[tuple[str, int]]:
    """Brute force over the data set, independent of the server's author index."""
    prs = run_search(parse_query(q), data.pull_requests, data.repos, viewer)
    return [(pr.repo, pr.number) for pr in prs]


def _keys(nodes: list[dict[str, object]]) -> list[tuple[str, int]]:
    return [(n["repository"]["nameWithOwner"], n["number"]) for n in nodes]  # type: ignore[index]


def test_author_is_case_insensitive_and_default_order_is_newest_first(
    gql: GraphQL, fakehub_data: DataSet
) -> None:
    count, nodes = search_all(gql, "is:pr author:OCTOCAT is:public")
    assert (
        count
        == len(nodes)
        == sum(
            1 for pr in fakehub_data.prs_by("octocat") if not fakehub_data.repos[pr.repo].is_private
        )
    )
    created = [n["createdAt"] for n in nodes]
    assert created == sorted(created, reverse=True)
    _, ascending = search_all(gql, "sort:created-asc author:octocat is:pr is:public")
    assert _keys(ascending) == _keys(nodes)[::-1]


@pytest.mark.parametrize(
    ("qualifier", "state_ok"),
    [
        ("is:merged", lambda s: s == "MERGED"),
        ("is:unmerged", lambda s: s in ("OPEN", "CLOSED")),
        ("is:open", lambda s: s == "OPEN"),
        ("is:closed", lambda s: s in ("CLOSED", "MERGED")),
    ],
)
def test_state_qualifiers(gql: GraphQL, fakehub_data: DataSet, qualifier: str, state_ok) -> None:  # type: ignore[no-untyped-def]
    count, nodes = search_all(gql, f"is:pr author:octocat {qualifier}")
    assert nodes and all(state_ok(n["state"]) for n in nodes)
    everything = [pr for pr in fakehub_data.prs_by("octocat") if state_ok(pr.state)]
    assert count == len(everything)


def test_created_bounds_are_inclusive_and_dates_cover_whole_days(
    gql: GraphQL, fakehub_data: DataSet
) -> None:
    pr = fakehub_data.prs_by("octocat")[-5]
    day = pr.created_at.date().isoformat()
    stamp = pr.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    key = (pr.repo, pr.number)
    for window in (
        f"{day}..{day}",
        day,
        f"{stamp}..{stamp}",
        f">={stamp}",
        f"<={stamp}",
        f"{day}..*",
        f"*..{day}",
    ):
        _, nodes = search_all(gql, f"is:pr author:octocat created:{window}")
        assert key in _keys(nodes), window
    after = (pr.created_at + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _, nodes = search_all(gql, f"is:pr author:octocat created:>={after}")
    assert key not in _keys(nodes)
    _, nodes = search_all(gql, f"is:pr author:octocat created:>{day}")
    assert all(n["createdAt"] >= f"{pr.created_at.date() + timedelta(days=1)}" for n in nodes)


def test_private_repositories_only_for_members(gql: GraphQL, fakehub_data: DataSet) -> None:
    everything = fakehub_data.prs_by("private-eye")
    private = [pr for pr in everything if fakehub_data.repos[pr.repo].is_private]
    own_count, own = search_all(gql, "is:pr author:private-eye", login="private-eye")
    assert own_count == len(everything) and any(n["repository"]["isPrivate"] for n in own)
    public_count, public = search_all(gql, "is:pr author:private-eye is:public", "private-eye")
    assert public_count == len(everything) - len(private)
    assert not any(n["repository"]["isPrivate"] for n in public)
    _, only_private = search_all(gql, "is:pr author:private-eye is:private", "private-eye")
    assert len(only_private) == len(private)
    # A stranger sees none of them; octocat (eye-corp member) sees the eye-corp ones only.
    stranger_count, _ = search_all(gql, "is:pr author:private-eye", login="no-prs")
    assert stranger_count == len(everything) - len(private)
    _, octocat_view = search_all(gql, "is:pr author:private-eye is:private", login="octocat")
    assert {n["repository"]["nameWithOwner"] for n in octocat_view} == {"eye-corp/internal-tools"}


def test_results_match_a_brute_force_search(gql: GraphQL, fakehub_data: DataSet) -> None:
    today = fakehub_data.today
    for q in (
        f"is:pr author:mixed-case-dev is:public created:{today - timedelta(days=365)}..{today}",
        "is:pr author:big-diff is:merged sort:created-asc",
        "is:pr repo:octocat/hello-world is:open",
        "is:pr user:octo-org author:octocat",
        "is:pr author:octocat escape",
    ):
        count, nodes = search_all(gql, q)
        expected = _expected(fakehub_data, q)
        assert count == len(expected) and _keys(nodes) == expected, q
    assert search_all(gql, "is:pr author:no-prs") == (0, [])
    assert search_all(gql, "is:pr author:nobody-at-all") == (0, [])
    count, nodes = search_all(gql, "is:issue author:octocat")
    issues = run_search(
        parse_query("is:issue author:octocat"), fakehub_data.issues, fakehub_data.repos, "octocat"
    )
    assert count == len(issues) > 0 and nodes == [{}] * count  # not PullRequest nodes


def test_the_1000_cap_and_splitting_windows(hub: FakeHub, gql: GraphQL) -> None:
    data = hub.data
    start = data.today - timedelta(days=365)
    q = f"is:pr author:prolific-bot is:public created:{start}..{data.today}"
    expected = _expected(data, q)
    assert len(expected) > 1000
    count, nodes = search_all(gql, q)
    assert count == len(expected)
    assert len(nodes) == 1000 and _keys(nodes) == expected[:1000]
    assert hub.counters["search"] == 10
    # The last page says there is no next page, and a cursor past the cap gives nothing.
    body = gql(SEARCH, q=q, first=100, after="Y3Vyc29yOjEwMDA=")
    assert body["data"]["search"]["nodes"] == []
    assert body["data"]["search"]["pageInfo"]["hasNextPage"] is False
    # Split into quarters, each under the cap: together they return every PR exactly once.
    collected: list[tuple[str, int]] = []
    low = datetime.combine(start, datetime.min.time(), UTC)
    for quarter in range(4):
        high = low + timedelta(days=92) if quarter < 3 else low + timedelta(days=400)
        window = (
            f"is:pr author:prolific-bot is:public "
            f"created:{low:%Y-%m-%dT%H:%M:%SZ}..{high - timedelta(seconds=1):%Y-%m-%dT%H:%M:%SZ}"
        )
        window_count, window_nodes = search_all(gql, window)
        assert window_count == len(window_nodes) < 1000
        collected += _keys(window_nodes)
        low = high
    assert sorted(collected) == sorted(expected)


def test_paging_limits_and_cursors(gql: GraphQL) -> None:
    too_many = gql(SEARCH, q="is:pr author:octocat", first=101)
    assert too_many["data"] is None
    assert too_many["errors"][0]["type"] == "EXCESSIVE_PAGINATION"
    assert "exceeds the `first` limit of 100 records" in too_many["errors"][0]["message"]
    bad_cursor = gql(SEARCH, q="is:pr author:octocat", first=10, after="not-a-cursor")
    assert "does not appear to be a valid cursor" in bad_cursor["errors"][0]["message"]
    one = gql(SEARCH, q="is:pr author:octocat", first=10)["data"]["search"]
    two = gql(SEARCH, q="is:pr author:octocat", first=10, after=one["pageInfo"]["endCursor"])
    assert not set(_keys(one["nodes"])) & set(_keys(two["data"]["search"]["nodes"]))


def test_parse_errors() -> None:
    with pytest.raises(SearchSyntaxError):
        parse_query("is:pr created:yesterday..today")
    with pytest.raises(SearchSyntaxError):
        parse_query("is:pr is:draft-ish")
