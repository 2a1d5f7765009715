"""Encrypted GitHub tokens, referenced by opaque ids.

Tokens never sit in plaintext in Redis: a credential is Fernet ciphertext under
``gitbrag:credential:<ref>``, and messages, job records and sessions carry only the ref.
The Fernet key is derived once per process from ``GITBRAG_SECRET_KEY`` (HKDF-SHA256).
The server token is never stored: :data:`SERVER_REF` resolves to the worker's own
``GITBRAG_GITHUB_TOKEN``.
"""

from __future__ import annotations

import base64
import secrets
from functools import lru_cache
from typing import Final, cast

import redis
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CREDENTIAL_PREFIX: Final = "gitbrag:credential:"
VIEWER_CREDENTIALS_PREFIX: Final = "gitbrag:viewer-credentials:"
SERVER_REF: Final = "server"


class CredentialRef(str):
    """The opaque id of an encrypted credential; safe to put in messages and job records."""


@lru_cache(maxsize=4)
def fernet_for(secret_key: str) -> Fernet:
    """The Fernet for ``secret_key``, derived once (HKDF is cheap, but once is enough)."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"gitbrag", info=b"gitbrag credentials v1"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


class CredentialStore:
    def __init__(
        self, client: redis.Redis, *, secret_key: str, server_token: str | None = None
    ) -> None:
        self._redis = client
        self._fernet = fernet_for(secret_key)
        self._server_token = server_token

    def store(self, token: str, *, viewer_id: str | None, ttl_seconds: int) -> CredentialRef:
        ref = CredentialRef("c_" + secrets.token_urlsafe(24))
        key = CREDENTIAL_PREFIX + ref
        pipe = self._redis.pipeline()
        pipe.hset(key, "token", self._fernet.encrypt(token.encode()))
        pipe.hset(key, "viewer_id", viewer_id or "")
        pipe.expire(key, ttl_seconds)
        if viewer_id:
            index = VIEWER_CREDENTIALS_PREFIX + viewer_id
            pipe.sadd(index, ref)
            pipe.expire(index, ttl_seconds)
        pipe.execute()
        return ref

    def server_ref(self) -> CredentialRef | None:
        return CredentialRef(SERVER_REF) if self._server_token else None

    def token(self, ref: str) -> str | None:
        """The plaintext token for ``ref``; None when deleted, expired, invalid or undecryptable."""
        if ref == SERVER_REF:
            return self._server_token
        raw = cast(dict[bytes, bytes], self._redis.hgetall(CREDENTIAL_PREFIX + ref))
        if not raw or raw.get(b"invalid"):
            return None
        try:
            return self._fernet.decrypt(raw[b"token"]).decode()
        except (InvalidToken, KeyError):
            return None

    def viewer_of(self, ref: str) -> str | None:
        """The viewer a stored credential belongs to (``None`` for the server's or unknown)."""
        if ref == SERVER_REF:
            return None
        raw = cast(bytes | None, self._redis.hget(CREDENTIAL_PREFIX + ref, "viewer_id"))
        return raw.decode() or None if raw else None

    def mark_invalid(self, ref: str) -> None:
        """GitHub said 401: the token stays unusable (the web asks the viewer to log in)."""
        if ref == SERVER_REF:
            return
        self._redis.hset(CREDENTIAL_PREFIX + ref, "invalid", "1")

    def is_invalid(self, ref: str) -> bool:
        return bool(self._redis.hget(CREDENTIAL_PREFIX + ref, "invalid"))

    def refs_of_viewer(self, viewer_id: str) -> list[CredentialRef]:
        members = cast(set[bytes], self._redis.smembers(VIEWER_CREDENTIALS_PREFIX + viewer_id))
        return [CredentialRef(member.decode()) for member in members]

    def delete_viewer(self, viewer_id: str) -> list[CredentialRef]:
        """Delete every credential of ``viewer_id``; returns their refs."""
        refs = self.refs_of_viewer(viewer_id)
        keys = [CREDENTIAL_PREFIX + ref for ref in refs]
        self._redis.delete(*keys, VIEWER_CREDENTIALS_PREFIX + viewer_id)
        return refs
