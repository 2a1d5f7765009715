"""Each author's curation of their reports (``gitbrag.report.curation``), with the changes to undo.

A curation belongs to a GitHub *account*, not to a login: a login can change hands (a rename
releases it, and anyone may claim it), and the new holder must never see or change the
previous one's choices. Keys (no expiry: the author's choices last until they change them):

    gitbrag:curation:account:{account id}           hash: version, json (absent: nothing curated)
    gitbrag:curation:account:{account id}:history   list of earlier JSON states, newest first

The store is addressed by an *owner*: ``account_owner(id)`` for every curation made since
account ids were recorded. Curations made before were keyed by login
(``gitbrag:curation:{login lower}``, the owner being the login itself); the first time gitbrag
learns which account holds that login (a generation, a login or a token check: see
``gitbrag.stores.reports.HOLDER_LUA``), the curation moves to that account's key, history
included, unless the account has one already. Until then a report made before account ids
shows it as before.

The hash is apart from every report, so a regeneration (which replaces a report's hash) keeps
the choices; the web's one read per view (``gitbrag.stores.serving``) reads ``version`` beside
the report's own, and renderings are named by both, so a change is served from the next
request on. Every change is an optimistic transaction (``WATCH``): two tabs changing at once
never lose one another's change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, cast

import redis

from gitbrag.report.curation import Curation
from gitbrag.stores.connection import key_prefix

CURATION_PREFIX: Final = "curation:"
ACCOUNT_CURATION_PREFIX: Final = CURATION_PREFIX + "account:"
HISTORY_SUFFIX: Final = ":history"
HISTORY_LENGTH: Final = 20  # changes that can be undone


def account_owner(account_id: int) -> str:
    """The owner naming GitHub account ``account_id``'s curation."""
    return f"account:{account_id}"


def curation_key(prefix: str, owner: str) -> str:
    """The hash of ``owner``'s curation: ``account_owner(id)``, or a login (before account
    ids; logins never hold a colon, so the two never meet). ``prefix``: the client's
    :func:`~gitbrag.stores.connection.key_prefix`."""
    return prefix + CURATION_PREFIX + owner.lower()


class CurationStore:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._ns = key_prefix(client)

    def get(self, owner: str) -> Curation:
        raw = cast(bytes | None, self._redis.hget(curation_key(self._ns, owner), "json"))
        return Curation.model_validate_json(raw) if raw else Curation()

    def can_undo(self, owner: str) -> bool:
        return bool(self._redis.llen(curation_key(self._ns, owner) + HISTORY_SUFFIX))

    def change(self, owner: str, edit: Callable[[Curation], Curation]) -> Curation:
        """Apply ``edit`` to the current choices and keep the earlier ones for an undo.
        ``edit`` may raise (``InvalidInput``): nothing changes then."""
        key = curation_key(self._ns, owner)
        history = key + HISTORY_SUFFIX

        result: list[Curation] = []

        def transaction(pipe: redis.client.Pipeline) -> None:
            result.clear()
            raw = cast(bytes | None, pipe.hget(key, "json"))
            current = Curation.model_validate_json(raw) if raw else Curation()
            changed = edit(current)
            result.append(changed)
            if changed == current:
                return
            pipe.multi()
            pipe.lpush(history, current.model_dump_json())
            pipe.ltrim(history, 0, HISTORY_LENGTH - 1)
            self._write(pipe, key, changed)

        self._redis.transaction(transaction, key)
        return result[0]

    def undo(self, owner: str) -> Curation | None:
        """Go back to the choices before the last change; None when there is nothing to undo."""
        key = curation_key(self._ns, owner)
        history = key + HISTORY_SUFFIX

        result: list[Curation] = []

        def transaction(pipe: redis.client.Pipeline) -> None:
            result.clear()
            raw = cast(bytes | None, pipe.lindex(history, 0))
            if raw is None:
                return
            earlier = Curation.model_validate_json(raw)
            result.append(earlier)
            pipe.multi()
            pipe.lpop(history)
            self._write(pipe, key, earlier)

        self._redis.transaction(transaction, key, history)
        return result[0] if result else None

    @staticmethod
    def _write(pipe: redis.client.Pipeline, key: str, curation: Curation) -> None:
        if curation.empty:
            pipe.delete(key)  # "nothing curated" reads as version 0 without a key
        else:
            pipe.hset(
                key, mapping={"version": curation.version, "json": curation.model_dump_json()}
            )
