"""The reported user's profile: REST ``/users/{login}`` and ``/users/{login}/social_accounts``.

An organisation's login answers ``/users/{login}`` too (``"type": "Organization"``): that is
``IsOrganization``, not an empty report. GitHub Enterprise Server before 3.9 has no social
accounts endpoint and answers 404: no social accounts, not "no such user".

Logins are not people: after a rename the old login is free for anyone to claim (docs
"Changing your GitHub username"). The account's immutable ``id`` comes with every profile,
and the only cached part (social accounts) is keyed by it, so a login now held by someone
else never shows the previous person's name, picture or links.
"""

from __future__ import annotations

import asyncio
from typing import Any

from gitbrag.errors import GitHubError, GitHubUnavailable, IsOrganization, NotAccessible
from gitbrag.github.cache import SOCIAL_ACCOUNTS, SOCIAL_ACCOUNTS_TTL, ImmutableCache
from gitbrag.github.client import GitHubClient
from gitbrag.report.records import SocialAccount, UserProfile


def _text(value: Any) -> str | None:
    """GitHub sends ``""`` or ``null`` for unset profile fields; both mean "not set"."""
    return value if isinstance(value, str) and value.strip() else None


def profile_from_json(data: dict[str, Any]) -> UserProfile:
    return UserProfile(
        login=data["login"],
        name=_text(data.get("name")),
        avatar_url=data["avatar_url"],
        html_url=data["html_url"],
        bio=_text(data.get("bio")),
        company=_text(data.get("company")),
        location=_text(data.get("location")),
        blog=_text(data.get("blog")),
        social_accounts=tuple(
            SocialAccount(provider, url) for provider, url in data.get("social_accounts", [])
        ),
        id=data["id"] if isinstance(data.get("id"), int) else None,
    )


async def fetch_profile(
    client: GitHubClient, username: str, cache: ImmutableCache | None
) -> tuple[UserProfile, list[str]]:
    """The profile (login as GitHub spells it, the account's immutable ``id``) and any part
    that could not be read.

    ``NotFound`` if the user does not exist, ``IsOrganization`` if the login is an
    organisation's. ``/users/{login}`` is always read: a login can change hands (renamed
    away, registered again by someone else), so nothing about the person is taken from a
    cache by login. Only the social accounts are cached, under the account id the answer
    gives. They are optional: if they keep failing, or the token may not read them (a GitHub
    App's "Resource not accessible by integration", read again with the fallback token where
    there is one), the profile comes back without them, a reason is given, and nothing is
    cached.
    """
    user_call = client.rest_get(f"/users/{username}", login=username)
    if cache is None:  # nothing to look up by id first: both at once
        answers: tuple[Any, Any] = await asyncio.gather(
            user_call, _social_accounts(client, username), return_exceptions=True
        )
        user, social = answers
        if isinstance(user, BaseException):
            raise user
    else:
        user = await user_call
        social = None
    if user.get("type") == "Organization":
        raise IsOrganization(str(user.get("login") or username))
    account = user.get("id") if isinstance(user.get("id"), int) else None
    cached = None
    if cache is not None and account is not None:
        cached = await cache.get(SOCIAL_ACCOUNTS, str(account))
    if cached is not None:
        social = cached
    elif cache is not None:
        social = await _social_accounts(client, username)
    reasons: list[str] = []
    if isinstance(social, GitHubUnavailable):
        social, reasons = [], ["social accounts"]
    elif isinstance(social, NotAccessible):
        why = social.github_message
        social, reasons = [], [f"social accounts: the token cannot read them ({why})"]
    elif isinstance(social, BaseException):
        raise social
    profile = profile_of(user, social or [])
    if cache is not None and cached is None and account is not None and not reasons:
        raw = [{"provider": a.provider, "url": a.url} for a in profile.social_accounts]
        await cache.set(SOCIAL_ACCOUNTS, str(account), raw, SOCIAL_ACCOUNTS_TTL)
    return profile, reasons


def profile_of(user: dict[str, Any], social: list[Any]) -> UserProfile:
    """The profile from GitHub's ``/users/{login}`` answer and the account's social accounts
    (``{"provider", "url"}`` each, as REST lists them)."""
    accounts = [
        [account["provider"], account["url"]]
        for account in social
        if isinstance(account, dict) and account.get("url")
    ]
    account = user.get("id") if isinstance(user.get("id"), int) else None
    data = {
        **{field: user.get(field) for field in ("name", "bio", "company", "location", "blog")},
        "login": user["login"],
        "id": account,
        "avatar_url": user["avatar_url"],
        "html_url": user["html_url"],
        "social_accounts": accounts,
    }
    return profile_from_json(data)


async def _social_accounts(client: GitHubClient, username: str) -> Any:
    """``/users/{login}/social_accounts`` (``None`` on a server without it), or the
    ``GitHubError`` that stopped it: a token refused them tries the fallback token."""
    path = f"/users/{username}/social_accounts"
    try:
        return await client.rest_get(path, missing_ok=True)
    except NotAccessible as refused:
        if client.fallback is None:
            return refused
        try:
            return await client.fallback.rest_get(path, missing_ok=True)
        except GitHubError:
            return refused
    except GitHubError as failed:
        return failed
