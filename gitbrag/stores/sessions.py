"""Viewer state in Redis: browser sessions, bearer-token validations and the per-viewer quota
on forced refreshes. (Logins in progress keep nothing here: ``web.login_state``.)

Nothing here holds a GitHub token in plaintext: a session keeps only the ``CredentialRef``
the pipeline handed out for the encrypted token, and a bearer validation is keyed by the
token's SHA-256 digest.

Keys (all with a TTL; each after the namespace, ``gitbrag:`` by default):

    session:{sha256(session id)}   JSON ``Session``            ``session_ttl`` from login
    bearer:{sha256(token)}         JSON ``BearerValidation``   ``bearer_ttl``
    revalidating:{viewer}          a session's GitHub check runs  30 s
    quota:refresh:{viewer}:{hour}  counter                     one hour
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass, replace

import redis

from gitbrag.stores.connection import key_prefix

SESSION_PREFIX = "session:"
BEARER_PREFIX = "bearer:"
QUOTA_PREFIX = "quota:refresh:"
REVALIDATING_PREFIX = "revalidating:"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def session_key(prefix: str, session_id: str) -> str:
    """The Redis key of the session a (secret) cookie value names (``prefix``: the client's
    :func:`~gitbrag.stores.connection.key_prefix`)."""
    return prefix + SESSION_PREFIX + _digest(session_id)


def bearer_key(prefix: str, token: str) -> str:
    """The Redis key of a bearer token's cached validation."""
    return prefix + BEARER_PREFIX + _digest(token)


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in browser. ``viewer_id`` names this session's credential and jobs;
    ``account_id`` is GitHub's id of the account the token belongs to (what the viewer owns
    follows it, not the login)."""

    login: str
    avatar_url: str | None
    credential_ref: str
    csrf_token: str
    viewer_id: str
    created_at: float
    # When GitHub last confirmed the session's token (sessions from before this field: 0,
    # i.e. at once).
    validated_at: float = 0.0
    # Sessions from before account ids: ``None`` until GitHub is asked again, which is due
    # at once (the viewer owns nothing meanwhile).
    account_id: int | None = None

    def validation_due(self, now: float, every_seconds: float) -> bool:
        if self.account_id is None:
            return True
        return now - max(self.validated_at, self.created_at) >= every_seconds


@dataclass(frozen=True, slots=True)
class BearerValidation:
    """An API client's token, checked against GitHub moments ago (a validation from before
    account ids, ``account_id`` ``None``, is checked again). ``writes``: whether it may
    change things (``web.auth.writing_viewer``: a personal token, or one this site's OAuth
    app issued), once asked; ``None`` until a write asks."""

    login: str
    credential_ref: str
    viewer_id: str
    account_id: int | None = None
    writes: bool | None = None


def decode_session(raw: bytes | str) -> Session | None:
    """A stored session, or ``None`` when the value is not one (corrupt, older layout)."""
    try:
        return Session(**json.loads(raw))
    except (TypeError, ValueError):
        return None


def decode_bearer(raw: bytes | str) -> BearerValidation | None:
    try:
        return BearerValidation(**json.loads(raw))
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class QuotaDecision:
    allowed: bool
    used: int
    limit: int
    retry_after_seconds: int


class SessionStore:
    """The only module of the web layer that talks to Redis directly."""

    def __init__(
        self,
        redis_client: redis.Redis,
        *,
        session_ttl: int = 14 * 86_400,
        bearer_ttl: int = 300,
    ) -> None:
        self._redis = redis_client
        self._ns = key_prefix(redis_client)
        self.session_ttl = session_ttl
        self.bearer_ttl = bearer_ttl

    # ------------------------------------------------------------------ sessions

    @staticmethod
    def new_session_id() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def viewer_id_for(session_id: str) -> str:
        """A stable, non-secret name for a session (job ownership, credential grouping)."""
        return "session:" + _digest(session_id)[:24]

    def save(
        self,
        session_id: str,
        *,
        login: str,
        avatar_url: str | None,
        credential_ref: str,
        account_id: int | None = None,
    ) -> Session:
        """Start the session named by the (secret) cookie value ``session_id``."""
        session = Session(
            login=login,
            avatar_url=avatar_url,
            credential_ref=credential_ref,
            csrf_token=secrets.token_urlsafe(32),
            viewer_id=self.viewer_id_for(session_id),
            created_at=time.time(),
            account_id=account_id,
        )
        self._redis.set(
            session_key(self._ns, session_id), json.dumps(asdict(session)), ex=self.session_ttl
        )
        return session

    def get(self, session_id: str) -> Session | None:
        """The session for a cookie value; ``None`` if unknown or expired.

        The expiry is fixed at login (not sliding): the session must not outlive the
        encrypted credential it points to."""
        if not session_id or len(session_id) > 128:
            return None
        key = session_key(self._ns, session_id)
        raw = self._redis.get(key)
        if raw is None:
            return None
        session = decode_session(raw)
        if session is None:
            self._redis.delete(key)
        return session

    def claim_revalidation(self, session: Session) -> bool:
        """Whether this request checks the session's token with GitHub now: one request per
        session does, while the others go on (for at most 30 s: a check that failed on
        GitHub's side is tried again after that)."""
        key = f"{self._ns}{REVALIDATING_PREFIX}{session.viewer_id}"
        return bool(self._redis.set(key, "1", nx=True, ex=30))

    def mark_validated(
        self,
        session_id: str,
        session: Session,
        now: float,
        *,
        login: str | None = None,
        account_id: int | None = None,
    ) -> Session:
        """GitHub confirmed the session's token at ``now``, for account ``account_id`` whose
        login is ``login`` now (a rename changes it); the expiry stays as it was."""
        changes: dict[str, object] = {"validated_at": now}
        if login is not None:
            changes["login"] = login
        if account_id is not None:
            changes["account_id"] = account_id
        updated = Session(**{**asdict(session), **changes})
        value = json.dumps(asdict(updated))
        pipe = self._redis.pipeline()
        pipe.set(session_key(self._ns, session_id), value, keepttl=True, xx=True)
        pipe.delete(f"{self._ns}{REVALIDATING_PREFIX}{session.viewer_id}")  # the next check may run
        pipe.execute()
        return updated

    def delete(self, session_id: str) -> None:
        self._redis.delete(session_key(self._ns, session_id))

    # ------------------------------------------------------------------ bearer tokens

    def get_bearer(self, token: str) -> BearerValidation | None:
        raw = self._redis.get(bearer_key(self._ns, token))
        return None if raw is None else decode_bearer(raw)

    def put_bearer(self, token: str, validation: BearerValidation) -> None:
        self._redis.set(
            bearer_key(self._ns, token), json.dumps(asdict(validation)), ex=self.bearer_ttl
        )

    def note_bearer_writes(self, token: str, validation: BearerValidation, writes: bool) -> None:
        """Remember, for as long as the validation lives, whether the token may write."""
        updated = json.dumps(asdict(replace(validation, writes=writes)))
        self._redis.set(bearer_key(self._ns, token), updated, keepttl=True, xx=True)

    def forget_bearer(self, token: str) -> None:
        self._redis.delete(bearer_key(self._ns, token))

    @staticmethod
    def bearer_viewer_id(token: str) -> str:
        return "bearer:" + _digest(token)[:24]

    # ------------------------------------------------------------------ quotas

    def take_refresh(self, viewer: str, limit: int, *, now: float | None = None) -> QuotaDecision:
        """Count one forced refresh for ``viewer`` in the current clock hour."""
        now = time.time() if now is None else now
        hour = int(now // 3600)
        key = f"{self._ns}{QUOTA_PREFIX}{viewer}:{hour}"
        pipe = self._redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, 3600 + 60)
        used, _ = pipe.execute()
        retry_after = max(1, int((hour + 1) * 3600 - now))
        return QuotaDecision(int(used) <= limit, int(used), limit, retry_after)
