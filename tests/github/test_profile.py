"""The profile follows the account, not the login: ``/users/X`` is read for every report (its
``id``), and only the social accounts are cached, keyed by that id. A login renamed away and
registered again by someone else never shows the previous person's name, picture or links."""

from __future__ import annotations

from typing import Any

import httpx

from gitbrag.github.cache import SOCIAL_ACCOUNTS, MemoryCache
from gitbrag.github.profile import fetch_profile
from gitbrag.report.records import SocialAccount
from tests.github.helpers import make_client, run

BY_APP = "Resource not accessible by integration"  # GitHub's words (docs "... for GitHub Apps")


class Accounts:
    """``/users/x`` answers the account currently holding the login ``x``."""

    def __init__(self) -> None:
        self.holder: dict[str, Any] = {}
        self.social: list[dict[str, str]] = []
        self.social_status = 200
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if request.url.path.endswith("/social_accounts"):
            if self.social_status != 200:
                return httpx.Response(self.social_status, json={"message": BY_APP})
            return httpx.Response(200, json=self.social)
        return httpx.Response(200, json=self.holder)

    def hold(self, account: int, name: str, social: list[str]) -> None:
        self.holder = {
            "login": "kept-login",
            "id": account,
            "type": "User",
            "name": name,
            "avatar_url": f"https://avatars.test/u/{account}",
            "html_url": "https://github.test/kept-login",
        }
        self.social = [{"provider": "generic", "url": url} for url in social]


def test_a_login_that_changes_hands_never_shows_the_previous_person() -> None:
    github = Accounts()
    cache = MemoryCache()
    client = make_client(github)
    github.hold(1, "First Holder", ["https://first.example"])
    first, _ = run(fetch_profile(client, "kept-login", cache))
    assert (first.id, first.name) == (1, "First Holder")
    assert first.social_accounts == (SocialAccount("generic", "https://first.example"),)

    github.hold(2, "Second Holder", [])  # renamed away, registered again by someone else
    github.paths.clear()
    second, reasons = run(fetch_profile(client, "kept-login", cache))
    assert (second.id, second.name, second.avatar_url) == (
        2,
        "Second Holder",
        "https://avatars.test/u/2",
    )
    assert second.social_accounts == () and reasons == []
    assert github.paths == ["/users/kept-login", "/users/kept-login/social_accounts"]

    github.paths.clear()  # the same holder again: only the profile is read
    assert run(fetch_profile(client, "kept-login", cache))[0] == second
    assert github.paths == ["/users/kept-login"]
    assert run(cache.get(SOCIAL_ACCOUNTS, "1")) == [
        {"provider": "generic", "url": "https://first.example"}
    ]


def test_without_a_cache_both_are_read_at_once() -> None:
    github = Accounts()
    github.hold(7, "Solo", ["https://solo.example"])
    profile, reasons = run(fetch_profile(make_client(github), "kept-login", None))
    assert profile.id == 7 and len(profile.social_accounts) == 1 and reasons == []
    assert sorted(github.paths) == ["/users/kept-login", "/users/kept-login/social_accounts"]


def test_social_accounts_refused_to_the_token_are_named_and_not_cached() -> None:
    github = Accounts()
    github.hold(3, "App Viewed", ["https://x.example"])
    github.social_status = 403
    cache = MemoryCache()
    profile, reasons = run(fetch_profile(make_client(github), "kept-login", cache))
    assert profile.social_accounts == ()
    assert reasons == [f"social accounts: the token cannot read them ({BY_APP})"]
    assert run(cache.get(SOCIAL_ACCOUNTS, "3")) is None


def test_social_accounts_refused_are_read_with_the_fallback_token() -> None:
    refusing = Accounts()
    refusing.hold(4, "Helped", [])
    refusing.social_status = 403
    helping = Accounts()
    helping.hold(4, "Helped", ["https://helped.example"])
    client = make_client(refusing)
    client.fallback = make_client(helping)
    profile, reasons = run(fetch_profile(client, "kept-login", MemoryCache()))
    assert reasons == [] and profile.social_accounts == (
        SocialAccount("generic", "https://helped.example"),
    )
    assert helping.paths == ["/users/kept-login/social_accounts"]


def test_social_accounts_that_keep_failing_are_named() -> None:
    github = Accounts()
    github.hold(5, "Flaky", ["https://x.example"])
    github.social_status = 502
    client = make_client(github, max_attempts=2)
    profile, reasons = run(fetch_profile(client, "kept-login", MemoryCache()))
    assert profile.social_accounts == () and reasons == ["social accounts"]
