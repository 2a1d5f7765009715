"""Encrypted GitHub tokens, referenced by opaque ids.

Tokens never sit in plaintext in Redis: a credential is Fernet ciphertext under
``gitbrag:credential:<ref>``, and messages, job records and sessions carry only the ref.
The Fernet key is derived once per process from ``GITBRAG_SECRET_KEY`` (HKDF-SHA256).
The server token is never stored: :data:`SERVER_REF` resolves to the worker's own
``GITBRAG_GITHUB_TOKEN``.

Key rotation: with ``GITBRAG_SECRET_KEY_PREVIOUS`` set, tokens the previous key encrypted are
still read (and re-encrypted with the current key on first use); new tokens are encrypted
with the current key only. Each credential names the key that encrypted it (``key_id``, a
keyed digest, not the key), so a credential no configured key can read is known without
decrypting it: it is treated like a revoked one (the viewer is asked to log in again).
"""

from __future__ import annotations

import base64
import hmac
import secrets
from functools import lru_cache
from typing import Final, cast

import redis
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gitbrag.stores.connection import key_prefix

CREDENTIAL_PREFIX: Final = "credential:"
VIEWER_CREDENTIALS_PREFIX: Final = "viewer-credentials:"
SERVER_REF: Final = "server"


# KEYS[1] credential; ARGV field/value pairs. Only a credential that still exists is changed
# (a logout may delete it meanwhile: writing must not bring it back without its expiry).
_UPDATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return 0
"""


class CredentialRef(str):
    """The opaque id of an encrypted credential; safe to put in messages and job records."""


@lru_cache(maxsize=4)
def fernet_for(secret_key: str) -> Fernet:
    """The Fernet for ``secret_key``, derived once (HKDF is cheap, but once is enough)."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"gitbrag", info=b"gitbrag credentials v1"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


@lru_cache(maxsize=4)
def key_id(secret_key: str) -> str:
    """A short public name for ``secret_key`` (which key encrypted a credential)."""
    return hmac.new(secret_key.encode(), b"gitbrag credential key id", "sha256").hexdigest()[:12]


class CredentialStore:
    def __init__(
        self,
        client: redis.Redis,
        *,
        secret_key: str,
        server_token: str | None = None,
        previous_keys: tuple[str, ...] = (),
    ) -> None:
        self._redis = client
        self._ns = key_prefix(client)
        self._fernet = fernet_for(secret_key)
        self._secret = hmac.new(
            secret_key.encode(), b"gitbrag token fingerprint", "sha256"
        ).digest()
        self._key_id = key_id(secret_key)
        keys = (secret_key, *previous_keys)
        self._readers = MultiFernet([fernet_for(key) for key in keys])
        self._known_ids = frozenset(key_id(key) for key in keys)
        self._server_token = server_token
        self._update = client.register_script(_UPDATE)

    def store(self, token: str, *, viewer_id: str | None, ttl_seconds: int) -> CredentialRef:
        ref = CredentialRef("c_" + secrets.token_urlsafe(24))
        key = self._ns + CREDENTIAL_PREFIX + ref
        pipe = self._redis.pipeline()
        pipe.hset(key, "token", self._fernet.encrypt(token.encode()))
        pipe.hset(key, "key_id", self._key_id)
        pipe.hset(key, "viewer_id", viewer_id or "")
        pipe.expire(key, ttl_seconds)
        if viewer_id:
            index = self._ns + VIEWER_CREDENTIALS_PREFIX + viewer_id
            pipe.sadd(index, ref)
            pipe.expire(index, ttl_seconds)
        pipe.execute()
        return ref

    def store_per_token(self, token: str, *, viewer_id: str, ttl_seconds: int) -> CredentialRef:
        """Keep ``token`` under a ref named by its fingerprint (a keyed digest: the same token,
        the same ref), replacing any earlier copy: however often an API client's token is
        validated, one encrypted copy exists, living ``ttl_seconds`` from the last time."""
        ref = CredentialRef("t_" + self.fingerprint(token))
        key = self._ns + CREDENTIAL_PREFIX + ref
        pipe = self._redis.pipeline()
        pipe.delete(key)  # GitHub accepted it just now: an earlier ``invalid`` mark goes
        pipe.hset(
            key,
            mapping={
                "token": self._fernet.encrypt(token.encode()),
                "key_id": self._key_id,
                "viewer_id": viewer_id,
            },
        )
        pipe.expire(key, ttl_seconds)
        index = self._ns + VIEWER_CREDENTIALS_PREFIX + viewer_id
        pipe.sadd(index, ref)
        pipe.expire(index, ttl_seconds)
        pipe.execute()
        return ref

    def fingerprint(self, token: str) -> str:
        """A name for ``token`` that reveals nothing of it without the secret key."""
        return hmac.new(self._secret, token.encode(), "sha256").hexdigest()[:32]

    def server_ref(self) -> CredentialRef | None:
        return CredentialRef(SERVER_REF) if self._server_token else None

    def token(self, ref: str) -> str | None:
        """The plaintext token for ``ref``; None when deleted, expired, invalid or undecryptable."""
        if ref == SERVER_REF:
            return self._server_token
        key = self._ns + CREDENTIAL_PREFIX + ref
        raw = cast(dict[bytes, bytes], self._redis.hgetall(key))
        if not raw or raw.get(b"invalid"):
            return None
        try:
            token = self._readers.decrypt(raw[b"token"]).decode()
        except (InvalidToken, KeyError):
            return None
        if raw.get(b"key_id", b"").decode() != self._key_id:
            # Read with the previous key: from now on under the current one. Only if the
            # credential still exists (a logout may have deleted it meanwhile).
            self._rewrite(key, token)
        return token

    def _rewrite(self, key: str, token: str) -> None:
        ciphertext = self._fernet.encrypt(token.encode())
        self._update(keys=[key], args=["token", ciphertext, "key_id", self._key_id])

    def viewer_of(self, ref: str) -> str | None:
        """The viewer a stored credential belongs to (``None`` for the server's or unknown)."""
        if ref == SERVER_REF:
            return None
        raw = cast(bytes | None, self._redis.hget(self._ns + CREDENTIAL_PREFIX + ref, "viewer_id"))
        return raw.decode() or None if raw else None

    def mark_invalid(self, ref: str) -> None:
        """GitHub said 401: the token stays unusable (the web asks the viewer to log in)."""
        if ref == SERVER_REF:
            return
        self._update(keys=[self._ns + CREDENTIAL_PREFIX + ref], args=["invalid", "1"])

    def is_invalid(self, ref: str) -> bool:
        """GitHub rejected the credential, or no configured key can decrypt it (the secret
        key changed without ``GITBRAG_SECRET_KEY_PREVIOUS``): either way, log in again."""
        invalid, encrypted_by = cast(
            list[bytes | None],
            self._redis.hmget(self._ns + CREDENTIAL_PREFIX + ref, "invalid", "key_id"),
        )
        return bool(invalid) or self.unreadable_key(encrypted_by)

    @property
    def readable_keys(self) -> frozenset[str]:
        """The ids of the keys this store decrypts with (current and previous)."""
        return self._known_ids

    def unreadable_key(self, encrypted_by: bytes | str | None) -> bool:
        """Whether a credential whose ``key_id`` field is ``encrypted_by`` is beyond every
        configured key (``None``/empty: unknown, assumed readable)."""
        if not encrypted_by:
            return False
        name = encrypted_by.decode() if isinstance(encrypted_by, bytes) else encrypted_by
        return name not in self._known_ids

    def refs_of_viewer(self, viewer_id: str) -> list[CredentialRef]:
        members = cast(
            set[bytes], self._redis.smembers(self._ns + VIEWER_CREDENTIALS_PREFIX + viewer_id)
        )
        return [CredentialRef(member.decode()) for member in members]

    def delete_viewer(self, viewer_id: str) -> list[CredentialRef]:
        """Delete every credential of ``viewer_id``; returns their refs."""
        refs = self.refs_of_viewer(viewer_id)
        keys = [self._ns + CREDENTIAL_PREFIX + ref for ref in refs]
        self._redis.delete(*keys, self._ns + VIEWER_CREDENTIALS_PREFIX + viewer_id)
        return refs
