"""The OAuth web flow of the simulated GitHub (authorize page, code-for-token exchange) and
GitHub's "OAuth authorizations" endpoints for an app's own tokens.

One client is accepted: ``CLIENT_ID`` / ``CLIENT_SECRET``. The consent page offers the
sample accounts (under their current logins, renamed or not) and accounts registered at run
time. Codes are single use and expire after ten minutes; each exchange issues a fresh ``gho_``
token for the approving account (by id: a rename between approval and exchange changes
nothing), issued to ``CLIENT_ID``.

PKCE (RFC 7636), as GitHub supports it for OAuth apps: ``code_challenge`` and
``code_challenge_method`` (``S256``, or ``plain``) on the authorize page are kept with the
code, and the exchange then needs the matching ``code_verifier``.

``POST /applications/{client_id}/token`` ("check a token") answers 200 with the token's
account and app when the token was issued to that app and is still valid, 404 otherwise;
``DELETE`` of the same ("delete an app token") revokes it (204). Both take the app's
credentials as HTTP Basic authentication (401 without them) and ``{"access_token": ...}``
(422 without it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from html import escape
from typing import Any, Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from gitbrag.fakehub.accounts import AccountError
from gitbrag.fakehub.state import CLIENT_ID, CLIENT_SECRET, HubState, OAuthGrant

_TROUBLESHOOTING = (
    "https://docs.github.com/apps/managing-oauth-apps/"
    "troubleshooting-oauth-app-access-token-request-errors/"
)
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
form{{margin:.4rem 0}}button{{padding:.5rem 1rem;width:100%;cursor:pointer}}
.note{{color:#57606a;font-size:.9rem}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status)


def _with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


def _hidden(fields: dict[str, str]) -> str:
    return "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items()
    )


async def authorize_page(request: Request) -> Response:
    state: HubState = request.app.state.hub
    params = request.query_params
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    if client_id != CLIENT_ID:
        return _page("Not Found", "<p>No OAuth application has this client_id.</p>", 404)
    if not redirect_uri:
        return _page("Bad request", "<p>redirect_uri is required by the simulated GitHub.</p>", 400)
    fields = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": params.get("state", ""),
        "scope": params.get("scope", ""),
        "code_challenge": params.get("code_challenge", ""),
        "code_challenge_method": params.get("code_challenge_method", ""),
    }
    if fields["code_challenge"] and fields["code_challenge_method"] not in ("", "S256", "plain"):
        return _page("Bad request", "<p>code_challenge_method must be S256 or plain.</p>", 400)
    buttons = "".join(
        f'<form method="post" action="/login/oauth/authorize">{_hidden(fields)}'
        f'<input type="hidden" name="login" value="{escape(user.login)}">'
        f'<button type="submit">Authorize as {escape(user.login)}</button></form>'
        for user in state.people()
    )
    deny = _with_query(
        "/login/oauth/authorize/deny", {"redirect_uri": redirect_uri, "state": fields["state"]}
    )
    body = (
        f'<p class="note">An application wants to read your public profile '
        f"(scope: <code>{escape(fields['scope'] or '(none)')}</code>). Pick who you are:</p>"
        f'{buttons}<p><a href="{escape(deny)}">Cancel and deny access</a></p>'
    )
    return _page("Sign in to the simulated GitHub", body)


async def authorize_approve(request: Request) -> Response:
    state: HubState = request.app.state.hub
    form = await request.form()
    names = (
        "client_id",
        "redirect_uri",
        "state",
        "scope",
        "code_challenge",
        "code_challenge_method",
    )
    values = {k: str(form.get(k, "")) for k in names}
    user = state.user(str(form.get("login", "")))
    if values["client_id"] != CLIENT_ID or not values["redirect_uri"]:
        return _page("Bad request", "<p>Unknown client or missing redirect_uri.</p>", 400)
    if user is None or user.type != "User":
        return _page("Not Found", "<p>No such user in the simulated GitHub.</p>", 404)
    state.count("oauth", "oauth.authorize")
    code = state.issue_code(
        user.id,
        CLIENT_ID,
        values["redirect_uri"],
        values["scope"],
        values["code_challenge"],
        values["code_challenge_method"] or ("plain" if values["code_challenge"] else ""),
    )
    target = _with_query(values["redirect_uri"], {"code": code, "state": values["state"]})
    return RedirectResponse(target, status_code=302)


async def authorize_deny(request: Request) -> Response:
    params = request.query_params
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri:
        return _page("Bad request", "<p>redirect_uri is required.</p>", 400)
    target = _with_query(
        redirect_uri,
        {
            "error": "access_denied",
            "error_description": "The user has denied your application access.",
            "error_uri": _TROUBLESHOOTING + "#access-denied",
            "state": params.get("state", ""),
        },
    )
    return RedirectResponse(target, status_code=302)


async def _exchange_params(request: Request) -> dict[str, str]:
    values: dict[str, str] = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    if "application/json" in content_type:
        body: Any = await request.json()
        if isinstance(body, dict):
            values.update({str(k): str(v) for k, v in body.items()})
    else:
        form = await request.form()
        values.update({k: str(v) for k, v in form.items()})
    return values


_BAD_CODE: Final = {
    "error": "bad_verification_code",
    "error_description": "The code passed is incorrect or expired.",
    "error_uri": _TROUBLESHOOTING + "#bad-verification-code",
}


def _verifier_matches(grant: OAuthGrant, verifier: str) -> bool:
    if not grant.code_challenge:
        return True
    if grant.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    else:
        computed = verifier
    return bool(verifier) and hmac.compare_digest(computed, grant.code_challenge)


def _token_for(state: HubState, grant: OAuthGrant) -> dict[str, str]:
    try:
        token = state.issue_token(grant.account_id, client_id=grant.client_id)
    except AccountError:  # the account is gone (one registered at run time, after a reset)
        return dict(_BAD_CODE)
    return {"access_token": token, "token_type": "bearer", "scope": grant.scope}


async def access_token(request: Request) -> Response:
    state: HubState = request.app.state.hub
    state.count("oauth", "oauth.access_token")
    try:
        params = await _exchange_params(request)
    except ValueError:
        params = {}
    result: dict[str, str]
    secret_ok = hmac.compare_digest(params.get("client_secret", ""), CLIENT_SECRET)
    if params.get("client_id") != CLIENT_ID or not secret_ok:
        result = {
            "error": "incorrect_client_credentials",
            "error_description": "The client_id and/or client_secret passed are incorrect.",
            "error_uri": _TROUBLESHOOTING + "#incorrect-client-credentials",
        }
    elif (grant := state.redeem_code(params.get("code", ""))) is None:
        result = dict(_BAD_CODE)
    elif params.get("redirect_uri") and params["redirect_uri"] != grant.redirect_uri:
        result = {
            "error": "redirect_uri_mismatch",
            "error_description": "The redirect_uri MUST match the registered callback URL for "
            "this application.",
            "error_uri": _TROUBLESHOOTING + "#redirect-uri-mismatch2",
        }
    elif not _verifier_matches(grant, params.get("code_verifier", "")):
        result = {
            "error": "bad_verification_code",
            "error_description": "The code_verifier does not match the code_challenge.",
            "error_uri": _TROUBLESHOOTING + "#bad-verification-code",
        }
    else:
        result = _token_for(state, grant)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(result)
    return PlainTextResponse(urlencode(result), media_type="application/x-www-form-urlencoded")


# --------------------------------------------------------------------- an app's own tokens


def _app_credentials(request: Request) -> bool:
    """HTTP Basic authentication with the app's client id and secret."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return client_id == CLIENT_ID and hmac.compare_digest(secret, CLIENT_SECRET)


async def _app_token(request: Request) -> tuple[HubState, str] | Response:
    """The hub and the ``access_token`` of an app-token request, or the error answer."""
    state: HubState = request.app.state.hub
    if request.path_params["client_id"] != CLIENT_ID or not _app_credentials(request):
        return JSONResponse({"message": "Requires authentication", "status": "401"}, 401)
    try:
        body: Any = await request.json()
    except ValueError:
        body = None
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        return JSONResponse({"message": "Validation Failed", "status": "422"}, 422)
    return state, token


async def check_app_token(request: Request) -> Response:
    """``POST /applications/{client_id}/token``: the token's account and app, or 404."""
    found = await _app_token(request)
    if isinstance(found, Response):
        return found
    state, token = found
    state.count("oauth", "oauth.check_token")
    account = state.account_for(token)
    user = state.user_by_id(account) if account is not None else None
    if state.app_of(token) != CLIENT_ID or user is None:
        return JSONResponse({"message": "Not Found", "status": "404"}, 404)
    return JSONResponse(
        {
            "token": token,
            "token_last_eight": token[-8:],
            "scopes": [],
            "app": {"client_id": CLIENT_ID, "name": "gitbrag (simulated)", "url": ""},
            "user": {"login": user.login, "id": user.id, "type": user.type},
        }
    )


async def delete_app_token(request: Request) -> Response:
    """``DELETE /applications/{client_id}/token``: revoke one of the app's tokens."""
    found = await _app_token(request)
    if isinstance(found, Response):
        return found
    state, token = found
    state.count("oauth", "oauth.delete_token")
    if state.app_of(token) != CLIENT_ID:
        return JSONResponse({"message": "Not Found", "status": "404"}, 404)
    state.revoke(token)
    return Response(status_code=204)
