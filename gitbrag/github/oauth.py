"""GitHub's OAuth web flow: the authorize URL and the code-for-token exchange.

Works against ``settings.github_url`` (github.com, GitHub Enterprise, or the simulated GitHub).
Failures are translated once, here, into ``OAuthError`` (message safe to show a user).
"""

from __future__ import annotations

from urllib.parse import urlencode

import httpx

from gitbrag.errors import GitBragError
from gitbrag.settings import Settings

# Reports only read public data, and a token with no scope can read public data and
# identify its owner (GET /user): ask for nothing more.


class OAuthError(GitBragError):
    """The login could not be completed (denied, expired code, GitHub unreachable...)."""


def is_configured(settings: Settings) -> bool:
    return bool(settings.github_client_id and settings.github_client_secret)


def authorize_url(settings: Settings, *, state: str, redirect_uri: str) -> str:
    """Where to send the browser to ask GitHub for the viewer's consent."""
    query = urlencode(
        {
            "client_id": settings.github_client_id or "",
            "redirect_uri": redirect_uri,
            "state": state,
            "allow_signup": "true",
        }
    )
    return f"{settings.github_url.rstrip('/')}/login/oauth/authorize?{query}"


async def exchange_code(
    settings: Settings,
    *,
    code: str,
    redirect_uri: str,
    http: httpx.AsyncClient | None = None,
) -> str:
    """Trade the callback's ``code`` for the viewer's access token."""
    url = f"{settings.github_url.rstrip('/')}/login/oauth/access_token"
    data = {
        "client_id": settings.github_client_id or "",
        "client_secret": settings.github_client_secret or "",
        "code": code,
        "redirect_uri": redirect_uri,
    }
    owns_client = http is None
    client = http or httpx.AsyncClient(timeout=min(settings.http_timeout_seconds, 15.0))
    try:
        response = await client.post(url, data=data, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise OAuthError("GitHub could not be reached to complete the login") from exc
    finally:
        if owns_client:
            await client.aclose()
    if response.status_code != 200:
        raise OAuthError(f"GitHub refused the login (HTTP {response.status_code})")
    try:
        payload = response.json()
    except ValueError as exc:
        raise OAuthError("GitHub answered the login with something that is not JSON") from exc
    token = payload.get("access_token") if isinstance(payload, dict) else None
    if not token:
        error = payload.get("error_description") or payload.get("error") if payload else None
        raise OAuthError(f"GitHub refused the login: {error or 'no access token'}")
    return str(token)
