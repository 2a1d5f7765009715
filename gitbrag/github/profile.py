"""The reported user's profile: REST ``/users/{login}`` and ``/users/{login}/social_accounts``.

An organisation's login answers ``/users/{login}`` too (``"type": "Organization"``): that is
``IsOrganization``, not an empty report. GitHub Enterprise Server before 3.9 has no social
accounts endpoint and answers 404: no social accounts, not "no such user".
"""

from __future__ import annotations

import asyncio
from typing import Any

from gitbrag.errors import GitHubUnavailable, IsOrganization
from gitbrag.github.cache import PROFILE, PROFILE_TTL, ImmutableCache
from gitbrag.github.client import GitHubClient
from gitbrag.records import SocialAccount, UserProfile


def _text(value: Any) -> str | None:
    """GitHub sends ``""`` or ``null`` for unset profile fields; both mean "not set"."""
    return value if isinstance(value, str) and value.strip() else None


def profile_to_json(profile: UserProfile) -> dict[str, Any]:
    return {
        "login": profile.login,
        "name": profile.name,
        "avatar_url": profile.avatar_url,
        "html_url": profile.html_url,
        "bio": profile.bio,
        "company": profile.company,
        "location": profile.location,
        "blog": profile.blog,
        "social_accounts": [[a.provider, a.url] for a in profile.social_accounts],
        "id": profile.id,
    }


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
    """The profile (login as GitHub spells it) and any part that could not be read.

    ``NotFound`` if the user does not exist, ``IsOrganization`` if the login is an
    organisation's. Social accounts are optional: if they keep failing the profile comes back
    without them, a reason is given, and nothing is cached.
    """
    key = username.lower()
    if cache is not None and (cached := await cache.get(PROFILE, key)) is not None:
        return profile_from_json(cached), []
    user_call = client.rest_get(f"/users/{username}", login=username)
    social_call = client.rest_get(f"/users/{username}/social_accounts", missing_ok=True)
    answers: tuple[Any, Any] = await asyncio.gather(user_call, social_call, return_exceptions=True)
    user, social = answers
    if isinstance(user, BaseException):
        raise user
    if user.get("type") == "Organization":
        raise IsOrganization(str(user.get("login") or username))
    reasons: list[str] = []
    if isinstance(social, GitHubUnavailable):
        social, reasons = [], ["social accounts"]
    elif isinstance(social, BaseException):
        raise social
    data = {
        **{field: user.get(field) for field in ("name", "bio", "company", "location", "blog")},
        "login": user["login"],
        "id": user.get("id"),
        "avatar_url": user["avatar_url"],
        "html_url": user["html_url"],
        "social_accounts": [
            [account["provider"], account["url"]]
            for account in social or ()
            if isinstance(account, dict) and account.get("url")
        ],
    }
    profile = profile_from_json(data)
    if cache is not None and not reasons:
        await cache.set(PROFILE, key, profile_to_json(profile), PROFILE_TTL)
    return profile, reasons
