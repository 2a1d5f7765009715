"""GitHub's OAuth web flow (the authorize URL and the code-for-token exchange, with PKCE) and
the app's own tokens ("check a token", "delete an app token").

Works against ``settings.github_url`` (github.com, GitHub Enterprise, or the simulated GitHub)
for the flow and ``settings.github_api_url`` for the token endpoints. Failures are translated
once, here, into ``OAuthError`` (message safe to show a user).

PKCE (RFC 7636, S256; GitHub supports it for OAuth apps since its 2025-07-14 changelog): the
authorize URL carries the challenge, the exchange the verifier, so a code intercepted on its
way back (a log, a referrer, a malicious app on the device) is worthless. ``GITBRAG_GITHUB_PKCE
=false`` leaves it out for a GitHub Enterprise Server that refuses the parameters.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import httpx

from gitbrag.errors import GitBragError
from gitbrag.settings import Settings

# Reports only read public data, and a token with no scope can read public data and
# identify its owner (GET /user): ask for nothing more.


class OAuthError(GitBragError):
    """The login could not be completed (denied, expired code, GitHub unreachable...)."""


def is_configured(settings: Settings) -> bool:
    return bool(settings.github_client_id and settings.github_client_secret)


def code_challenge(verifier: str) -> str:
    """PKCE's S256 challenge of ``verifier``: ``base64url(sha256(verifier))``, unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorize_url(
    settings: Settings, *, state: str, redirect_uri: str, code_verifier: str | None = None
) -> str:
    """Where to send the browser to ask GitHub for the viewer's consent (with the PKCE
    challenge of ``code_verifier`` when ``GITBRAG_GITHUB_PKCE`` is on)."""
    params = {
        "client_id": settings.github_client_id or "",
        "redirect_uri": redirect_uri,
        "state": state,
        "allow_signup": "true",
    }
    if settings.github_pkce and code_verifier:
        params["code_challenge"] = code_challenge(code_verifier)
        params["code_challenge_method"] = "S256"
    return f"{settings.github_url.rstrip('/')}/login/oauth/authorize?{urlencode(params)}"


async def exchange_code(
    settings: Settings,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str | None = None,
    http: httpx.AsyncClient | None = None,
) -> str:
    """Trade the callback's ``code`` (and the PKCE ``code_verifier``) for the viewer's token."""
    url = f"{settings.github_url.rstrip('/')}/login/oauth/access_token"
    data = {
        "client_id": settings.github_client_id or "",
        "client_secret": settings.github_client_secret or "",
        "code": code,
        "redirect_uri": redirect_uri,
    }
    if settings.github_pkce and code_verifier:
        data["code_verifier"] = code_verifier
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


# ------------------------------------------------------------------ the app's own tokens


@dataclass(frozen=True, slots=True)
class AppToken:
    """What GitHub's "check a token" says of a token issued to this app."""

    login: str
    account_id: int


def _app_token_request(settings: Settings) -> tuple[str, httpx.BasicAuth]:
    client_id = settings.github_client_id or ""
    url = f"{settings.github_api_url.rstrip('/')}/applications/{quote(client_id, safe='')}/token"
    return url, httpx.BasicAuth(client_id, settings.github_client_secret or "")


async def check_app_token(
    settings: Settings, token: str, *, http: httpx.AsyncClient | None = None
) -> AppToken | None:
    """The account of ``token`` when GitHub says this OAuth app issued it and it is valid;
    ``None`` when it is another app's token (or a personal one, or revoked). Raises
    ``OAuthError`` when GitHub does not answer (the caller refuses the write meanwhile)."""
    if not is_configured(settings):
        return None
    url, auth = _app_token_request(settings)
    owns_client = http is None
    client = http or httpx.AsyncClient(timeout=min(settings.http_timeout_seconds, 15.0))
    try:
        response = await client.post(
            url, json={"access_token": token}, auth=auth, headers=_API_HEADERS
        )
    except httpx.HTTPError as exc:
        raise OAuthError("GitHub could not be reached to check the token") from exc
    finally:
        if owns_client:
            await client.aclose()
    if response.status_code in (404, 422):
        return None
    if response.status_code != 200:
        raise OAuthError(f"GitHub did not check the token (HTTP {response.status_code})")
    try:
        user = response.json()["user"]
        return AppToken(login=str(user["login"]), account_id=int(user["id"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise OAuthError("GitHub answered the token check with something unexpected") from exc


async def revoke_app_token(
    settings: Settings, token: str, *, http: httpx.AsyncClient | None = None
) -> bool:
    """Revoke ``token`` at GitHub (logging out): whether GitHub says it is gone now (a
    token already revoked, or not this app's, is gone too). Never raises: a logout goes on."""
    if not is_configured(settings):
        return False
    url, auth = _app_token_request(settings)
    owns_client = http is None
    client = http or httpx.AsyncClient(timeout=min(settings.http_timeout_seconds, 15.0))
    try:
        response = await client.request(
            "DELETE", url, json={"access_token": token}, auth=auth, headers=_API_HEADERS
        )
    except httpx.HTTPError:
        return False
    finally:
        if owns_client:
            await client.aclose()
    return response.status_code in (204, 404)


_API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
