"""Renamed accounts and released logins taken by someone else (``gitbrag.fakehub.accounts``):
tokens, history and repositories follow the account; the old login is gone until a new
person registers it; the OAuth flow signs in either; ``reset`` undoes it all."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gitbrag.fakehub import DataSet, FakeHub, token_for
from gitbrag.fakehub.accounts import AccountError
from tests.fakehub.helpers import (
    CANNOT_SEARCH,
    CONTRIBUTIONS,
    SEARCH,
    GraphQL,
    auth,
    authorize,
    bearer,
    exchange,
    search_all,
)

USER = "query($who: String!) { user(login: $who) { login databaseId name } }"


def _keys(nodes: list[dict[str, Any]]) -> set[tuple[str, int]]:
    return {(n["repository"]["nameWithOwner"], n["number"]) for n in nodes}


def _reviews(gql: GraphQL, login: str) -> Any:
    user = gql(CONTRIBUTIONS, user=login, first=100)["data"]["user"]
    contributions = user["contributionsCollection"]["pullRequestReviewContributions"]
    assert contributions["totalCount"] > 0
    return contributions


def _me(http: httpx.Client, token: str) -> dict[str, Any]:
    response = http.get("/user", headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_renamed_account_keeps_its_token_history_and_repositories(
    hub: FakeHub, http: httpx.Client, gql: GraphQL, fakehub_data: DataSet
) -> None:
    account = fakehub_data.users["star-gazer"]
    count, before = search_all(gql, "is:pr author:star-gazer")
    reviews = _reviews(gql, "star-gazer")
    user = hub.rename("star-gazer", "stellar-gazer")
    assert (user.login, user.id) == ("stellar-gazer", account.id)
    me = _me(http, token_for("star-gazer"))  # the account's token still works
    assert (me["login"], me["id"]) == ("stellar-gazer", account.id)
    assert http.get("/users/star-gazer", headers=auth("octocat")).status_code == 404
    profile = http.get("/users/stellar-gazer").json()
    assert profile["id"] == account.id
    assert profile["avatar_url"] == f"{hub.url}/avatars/star-gazer.svg"  # the same picture
    gone = gql(USER, who="star-gazer")
    assert gone["data"] == {"user": None} and gone["errors"][0]["type"] == "NOT_FOUND"
    assert gql(USER, who="Stellar-Gazer")["data"]["user"]["databaseId"] == account.id
    refused = http.get("/search/issues", params={"q": "author:star-gazer"}, headers=auth("no-prs"))
    assert refused.status_code == 422 and refused.json() == CANNOT_SEARCH
    assert gql(SEARCH, q="is:pr author:star-gazer", first=10)["data"]["search"]["issueCount"] == 0
    moved_count, moved = search_all(gql, "is:pr author:stellar-gazer")
    assert moved_count == count and _keys(moved) == {
        (nwo.replace("star-gazer/", "stellar-gazer/"), n) for nwo, n in _keys(before)
    }
    repo = gql('{ repository(owner: "stellar-gazer", name: "star-gazer-repo") {'
               " nameWithOwner owner { login } stargazerCount } }")  # fmt: skip
    assert repo["data"]["repository"] == {
        "nameWithOwner": "stellar-gazer/star-gazer-repo",
        "owner": {"login": "stellar-gazer"},
        "stargazerCount": 1700,
    }
    old_path = gql('{ repository(owner: "star-gazer", name: "star-gazer-repo") { name } }')
    assert old_path["data"] == {"repository": None}
    assert http.get("/repos/stellar-gazer/star-gazer-repo").json()["owner"]["id"] == account.id
    assert _reviews(gql, "stellar-gazer") == reviews  # the reviews it gave follow it
    assert hub.live_data.users["stellar-gazer"].id == account.id
    assert "star-gazer" not in hub.live_data.users
    assert hub.data is fakehub_data and "star-gazer" in fakehub_data.users  # never changed
    assert hub.counters["rename"] == 1 and hub.counters["rename.old_login"] >= 3


def test_renaming_an_organisation_moves_its_repositories_and_memberships(
    hub: FakeHub, gql: GraphQL
) -> None:
    _, before = search_all(gql, "is:pr author:octocat")
    hub.rename("sso-corp", "sso-corp-2")
    hub.rename("octocat", "the-octocat")
    _, after = search_all(gql, "is:pr author:the-octocat")  # gql uses octocat's token
    assert {nwo for nwo, _ in _keys(after) if nwo.startswith("sso-corp")} == {
        "sso-corp-2/portal",
        "sso-corp-2/sdk",
    }
    assert len(after) == len(before)
    assert hub.live_data.users["sso-corp-2"].members == {"the-octocat", "Mixed-Case-Dev"}
    hub.behaviours.configure(sso_enforcement=True)  # membership followed the rename
    held = gql('{ repository(owner: "sso-corp-2", name: "portal") { name } }')
    assert held["data"] == {"repository": None} and held["errors"][0]["type"] == "FORBIDDEN"
    hub.grant_sso("the-octocat", "sso-corp-2")
    assert "errors" not in gql('{ repository(owner: "sso-corp-2", name: "portal") { name } }')


def test_a_released_login_taken_by_someone_else_is_a_new_person(
    hub: FakeHub, http: httpx.Client, gql: GraphQL, fakehub_data: DataSet
) -> None:
    previous = fakehub_data.users["artur-"]
    hub.rename("artur-", "artur-the-first")
    token = hub.register("artur-", name="Another Artur", location="Oulu")
    newcomer = _me(http, token)
    assert newcomer["login"] == "artur-" and newcomer["name"] == "Another Artur"
    assert newcomer["id"] != previous.id and newcomer["id"] > max(
        u.id for u in fakehub_data.users.values()
    )
    assert http.get("/users/artur-").json()["id"] == newcomer["id"]
    pictures = {_me(http, t)["avatar_url"] for t in (token, token_for("artur-"))}
    assert len(pictures) == 2  # a new person, a new picture
    assert all(http.get(url).text.startswith("<svg") for url in pictures)
    assert (
        gql('{ user(login: "artur-") { avatarUrl } }')["data"]["user"]["avatarUrl"]
        == (newcomer["avatar_url"])
    )
    assert gql(USER, who="artur-")["data"]["user"]["databaseId"] == newcomer["id"]
    assert search_all(gql, "author:artur-") == (0, [])  # no history
    empty = http.get("/search/issues", params={"q": "author:artur-"}, headers=bearer(token))
    assert empty.status_code == 200 and empty.json()["total_count"] == 0
    assert gql('{ repository(owner: "artur-", name: "vintage") { name } }')["data"] == {
        "repository": None
    }
    # The data set's token of "artur-" is the previous account's, wherever it went.
    assert _me(http, token_for("artur-"))["login"] == "artur-the-first"
    count, _ = search_all(gql, "is:pr author:artur-the-first")
    assert count == len(fakehub_data.prs_by("artur-"))
    assert hub.counters["register"] == 1
    hub.reset()
    assert http.get("/user", headers=bearer(token)).status_code == 401  # the newcomer is gone
    assert _me(http, token_for("artur-"))["login"] == "artur-"
    again = hub.register("artur-new")
    assert _me(http, again)["id"] > newcomer["id"]  # ids are never given twice


def test_accounts_refuse_taken_bad_or_unknown_logins(hub: FakeHub, http: httpx.Client) -> None:
    refused = [
        ("octocat", "MIXED-case-dev"),  # taken by another account
        ("nobody-at-all", "free-name"),  # no such account
        ("octocat", "bad name"),
        ("octocat", "---"),
        ("octocat", "x" * 40),
    ]
    for old, new in refused:
        with pytest.raises(AccountError):
            hub.rename(old, new)
    with pytest.raises(AccountError):
        hub.register("Octocat")
    with pytest.raises(AccountError):
        hub.register("someone-new", website="https://x.example")
    with pytest.raises(AccountError):
        hub.issue_token("nobody-at-all")
    hub.rename("no-prs", "No-PRs")  # a change of case is allowed
    assert http.get("/users/no-prs").json()["login"] == "No-PRs"
    assert _me(http, token_for("no-prs"))["login"] == "No-PRs"


def test_account_controls_over_http(hub: FakeHub, http: httpx.Client) -> None:
    renamed = http.post("/_fakehub/rename", json={"old": "gil--dev", "new": "gil-dev"}).json()
    assert renamed == {"login": "gil-dev", "id": hub.data.users["gil--dev"].id}
    made = http.post("/_fakehub/register", json={"login": "gil--dev", "name": "Gil Two"}).json()
    assert set(made) == {"login", "id", "token"} and made["id"] != renamed["id"]
    assert _me(http, made["token"])["name"] == "Gil Two"
    for path, bad in (
        ("/_fakehub/rename", {"old": "gil-dev"}),
        ("/_fakehub/rename", {"old": "gil-dev", "new": "octocat"}),
        ("/_fakehub/register", {"login": "gil--dev"}),
        ("/_fakehub/register", {"login": "new-one", "kind": "root"}),
        ("/_fakehub/register", {"login": "new-one", "id": 1}),
        ("/_fakehub/register", {"login": "new-one", "private_profile": "yes"}),
        ("/_fakehub/tokens", {"login": "nobody-at-all"}),
        ("/_fakehub/tokens", {"login": "octocat", "kind": "root"}),
    ):
        answer = http.post(path, json=bad)
        assert answer.status_code == 400 and answer.json()["error"], (path, bad)
    users = http.get("/_fakehub/users").json()
    assert {"login": "gil-dev", "token": token_for("gil--dev")} in users
    assert {"login": "-jerry-", "token": token_for("-jerry-")} in users


def test_oauth_signs_in_renamed_and_newly_registered_accounts(
    hub: FakeHub, http: httpx.Client, fakehub_data: DataSet
) -> None:
    previous = fakehub_data.users["big-diff"]
    hub.rename("big-diff", "bigger-diff")
    hub.register("big-diff", name="Small Diff")
    renamed = exchange(http, authorize(http, "bigger-diff")["code"][0])["access_token"]
    me = _me(http, renamed)
    assert (me["login"], me["id"]) == ("bigger-diff", previous.id)
    fresh = exchange(http, authorize(http, "big-diff")["code"][0])["access_token"]
    newcomer = _me(http, fresh)
    assert newcomer["login"] == "big-diff" and newcomer["id"] != previous.id
    assert newcomer["name"] == "Small Diff"
    # A rename between consent and exchange changes nothing: the grant is the account's.
    code = authorize(http, "hidden-hand")["code"][0]
    hub.rename("hidden-hand", "open-hand")
    assert _me(http, exchange(http, code)["access_token"])["login"] == "open-hand"
    code = authorize(http, "big-diff")["code"][0]
    hub.reset()  # the registered account is gone before the exchange
    assert exchange(http, code)["error"] == "bad_verification_code"
