"""The OAuth web flow of the simulated GitHub (authorize page, code-for-token exchange).

One client is accepted: ``CLIENT_ID`` / ``CLIENT_SECRET``. The consent page offers the
sample accounts (under their current logins, renamed or not) and accounts registered at run
time. Codes are single use and expire after ten minutes; each exchange issues a fresh ``gho_``
token for the approving account (by id: a rename between approval and exchange changes
nothing).
"""

from __future__ import annotations

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
    }
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
    values = {k: str(form.get(k, "")) for k in ("client_id", "redirect_uri", "state", "scope")}
    user = state.user(str(form.get("login", "")))
    if values["client_id"] != CLIENT_ID or not values["redirect_uri"]:
        return _page("Bad request", "<p>Unknown client or missing redirect_uri.</p>", 400)
    if user is None or user.type != "User":
        return _page("Not Found", "<p>No such user in the simulated GitHub.</p>", 404)
    state.count("oauth", "oauth.authorize")
    code = state.issue_code(user.id, CLIENT_ID, values["redirect_uri"], values["scope"])
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


def _token_for(state: HubState, grant: OAuthGrant) -> dict[str, str]:
    try:
        token = state.issue_token(grant.account_id)
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
    else:
        result = _token_for(state, grant)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(result)
    return PlainTextResponse(urlencode(result), media_type="application/x-www-form-urlencoded")
