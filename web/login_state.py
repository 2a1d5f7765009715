"""The OAuth ``state`` of a login in progress, kept by nobody but the browser.

``GET /auth/login`` needs no account, so anything it stores is stored at request rate: the
former pool of pending logins in Redis (10,000, the oldest evicted) let one address flush
everyone's logins in flight. Here nothing is stored. The state is signed (HMAC-SHA256 with
a key derived from ``GITBRAG_SECRET_KEY``) and names its expiry; the browser keeps it, with
the local path to return to, in a short-lived HttpOnly cookie (``/auth`` only), and the
callback accepts the login only when the ``state`` GitHub sends back is the cookie's (no
login CSRF: another browser's state never matches) and its signature and expiry hold.

The PKCE ``code_verifier`` is derived from the state's nonce with another key, so it is never
stored either, and cannot be computed by whoever sees the state (it travels in URLs).

A state is not remembered as used: replaying a callback URL gets nothing, since GitHub's codes
are single use and the cookie is dropped at the callback. Signed with the current key; one
signed with ``GITBRAG_SECRET_KEY_PREVIOUS`` is still accepted during a rotation.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

STATE_TTL_SECONDS: Final = 600
_MAC_BYTES: Final = 16


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        return None


def _key(secret_key: str, purpose: bytes) -> bytes:
    return hmac.new(secret_key.encode(), b"gitbrag login " + purpose, "sha256").digest()


def _mac(secret_key: str, nonce: str, expiry: int, return_to: str) -> str:
    message = f"{nonce}.{expiry}.{return_to}".encode()
    return _b64(hmac.new(_key(secret_key, b"state"), message, "sha256").digest()[:_MAC_BYTES])


def _verifier(secret_key: str, nonce: str) -> str:
    """43 characters of base64url: a valid PKCE ``code_verifier`` (RFC 7636: 43-128)."""
    return _b64(hmac.new(_key(secret_key, b"pkce"), nonce.encode(), "sha256").digest())


@dataclass(frozen=True, slots=True)
class PendingLogin:
    state: str  # sent to GitHub, and back to the callback
    cookie: str  # kept by the browser until the callback
    code_verifier: str


@dataclass(frozen=True, slots=True)
class FinishedLogin:
    return_to: str
    code_verifier: str


def begin(secret_key: str, return_to: str, *, now: float) -> PendingLogin:
    """A new login returning to ``return_to`` (a local path, checked by the caller)."""
    nonce = secrets.token_urlsafe(18)
    expiry = int(now) + STATE_TTL_SECONDS
    state = f"{nonce}.{expiry}.{_mac(secret_key, nonce, expiry, return_to)}"
    cookie = f"{state}.{_b64(return_to.encode())}"
    return PendingLogin(state, cookie, _verifier(secret_key, nonce))


def finish(
    secret_keys: Sequence[str], state: str, cookie: str, *, now: float
) -> FinishedLogin | None:
    """The login ``state`` names, when it is the browser's (``cookie``), signed by one of
    ``secret_keys`` and not expired; ``None`` otherwise (the caller says "try again")."""
    if not state or not cookie or len(state) > 256 or len(cookie) > 4096:
        return None
    kept, _, encoded = cookie.rpartition(".")
    if not hmac.compare_digest(kept.encode(), state.encode()):
        return None
    parts = state.split(".")
    raw_return = _unb64(encoded)
    if len(parts) != 3 or raw_return is None or not parts[1].isascii() or not parts[1].isdigit():
        return None
    nonce, expiry_text, mac = parts
    expiry = int(expiry_text)
    if expiry <= now or expiry > now + STATE_TTL_SECONDS + 60:
        return None
    try:
        return_to = raw_return.decode()
    except UnicodeDecodeError:
        return None
    for key in secret_keys:
        if hmac.compare_digest(mac.encode(), _mac(key, nonce, expiry, return_to).encode()):
            return FinishedLogin(return_to, _verifier(key, nonce))
    return None
