"""Each author's curation of their reports (``gitbrag.report.curation``), with the changes to undo.

A curation belongs to a GitHub *account*, not to a login: a login can change hands (a rename
releases it, and anyone may claim it), and the new holder must never see or change the
previous one's choices. Keys (no expiry: the author's choices last until they change them;
both bounded):

    curation:account:{account id}           hash: version, json (absent: nothing
                                                    curated), history_bytes
    curation:account:{account id}:history   list of ``Undo`` diffs, newest first
    quota:curation:{owner}:{hour}           changes that hour (``take_change``)

The state is at most ``MAX_BYTES`` (``Curation.checked``); the history keeps the last
``HISTORY_LENGTH`` changes as diffs (a click costs one entry, a reset the list it cleared),
and at most ``HISTORY_BYTES`` of them: the oldest go first. So an account holds at most
about 400 KB, whatever it sends, and ``take_change`` caps how fast it may change it.

The store is addressed by an *owner*: ``account_owner(id)`` for every curation made since
account ids were recorded. Curations made before were keyed by login
(``curation:{login lower}``, the owner being the login itself); the first time gitbrag
learns which account holds that login (a generation, a login or a token check: see
``gitbrag.stores.reports.HOLDER_LUA``), the curation moves to that account's key, history
included, unless the account has one already. Until then a report made before account ids
shows it as before. (Histories from before diffs hold whole states: ``undo`` reads both.)

The hash is apart from every report, so a regeneration (which replaces a report's hash) keeps
the choices; the web's one read per view (``gitbrag.stores.serving``) reads ``version`` beside
the report's own, and renderings are named by both, so a change is served from the next
request on. Every change is an optimistic transaction (``WATCH``): two tabs changing at once
never lose one another's change.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, cast

import redis

from gitbrag.report.curation import Curation, Undo, undo_of
from gitbrag.stores.connection import key_prefix

CURATION_PREFIX: Final = "curation:"
ACCOUNT_CURATION_PREFIX: Final = CURATION_PREFIX + "account:"
HISTORY_SUFFIX: Final = ":history"
HISTORY_LENGTH: Final = 20  # changes that can be undone
HISTORY_BYTES: Final = 256 * 1024  # and their diffs' size at most
QUOTA_PREFIX: Final = "quota:curation:"

# KEYS[1] state, [2] history; ARGV[1] the diff (JSON), [2] its length cap, [3] bytes cap,
# [4] version ('' when nothing is curated now), [5] json. Runs inside the change's MULTI.
_PUSH = """
if ARGV[4] == '' then
  redis.call('HDEL', KEYS[1], 'version', 'json')
else
  redis.call('HSET', KEYS[1], 'version', ARGV[4], 'json', ARGV[5])
end
redis.call('LPUSH', KEYS[2], ARGV[1])
local total = redis.call('HINCRBY', KEYS[1], 'history_bytes', #ARGV[1])
while redis.call('LLEN', KEYS[2]) > tonumber(ARGV[2]) or total > tonumber(ARGV[3]) do
  local dropped = redis.call('RPOP', KEYS[2])
  if not dropped then break end
  total = redis.call('HINCRBY', KEYS[1], 'history_bytes', -#dropped)
end
return total
"""


def account_owner(account_id: int) -> str:
    """The owner naming GitHub account ``account_id``'s curation."""
    return f"account:{account_id}"


def curation_key(prefix: str, owner: str) -> str:
    """The hash of ``owner``'s curation: ``account_owner(id)``, or a login (before account
    ids; logins never hold a colon, so the two never meet). ``prefix``: the client's
    :func:`~gitbrag.stores.connection.key_prefix`."""
    return prefix + CURATION_PREFIX + owner.lower()


@dataclass(frozen=True, slots=True)
class ChangeDecision:
    allowed: bool
    retry_after_seconds: int


def _earlier(current: Curation, entry: bytes) -> Curation:
    """The curation a history entry goes back to: a diff, or (before diffs) a whole state."""
    raw = json.loads(entry)
    if isinstance(raw, dict) and "hidden_repositories" in raw:
        return Curation.model_validate(raw)
    return current.undone(Undo.model_validate(raw))


class CurationStore:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._ns = key_prefix(client)
        self._push = client.register_script(_PUSH)

    def get(self, owner: str) -> Curation:
        raw = cast(bytes | None, self._redis.hget(curation_key(self._ns, owner), "json"))
        return Curation.model_validate_json(raw) if raw else Curation()

    def can_undo(self, owner: str) -> bool:
        return bool(self._redis.llen(curation_key(self._ns, owner) + HISTORY_SUFFIX))

    def take_change(self, owner: str, per_hour: int, *, now: float | None = None) -> ChangeDecision:
        """Count one change of ``owner``'s curation this clock hour: refused beyond
        ``per_hour`` (then ``retry_after_seconds`` until the next hour)."""
        now = time.time() if now is None else now
        hour = int(now // 3600)
        key = f"{self._ns}{QUOTA_PREFIX}{owner.lower()}:{hour}"
        pipe = self._redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, 3600 + 60)
        used, _ = pipe.execute()
        return ChangeDecision(int(used) <= per_hour, max(1, int((hour + 1) * 3600 - now)))

    def change(self, owner: str, edit: Callable[[Curation], Curation]) -> Curation:
        """Apply ``edit`` to the current choices and keep what undoes it. ``edit`` may raise
        (``InvalidInput``): nothing changes then."""
        key = curation_key(self._ns, owner)
        history = key + HISTORY_SUFFIX

        result: list[Curation] = []

        def transaction(pipe: redis.client.Pipeline) -> None:
            result.clear()
            raw, recorded = cast(list[bytes | None], pipe.hmget(key, "json", "history_bytes"))
            current = Curation.model_validate_json(raw) if raw else Curation()
            changed = edit(current).checked()
            result.append(changed)
            if changed == current:
                return
            if recorded is None and pipe.llen(history):  # a history from before its size
                entries = cast(list[bytes], pipe.lrange(history, 0, -1))
                pipe.multi()
                pipe.hset(key, "history_bytes", sum(len(entry) for entry in entries))
            else:
                pipe.multi()
            diff = undo_of(current, changed).model_dump_json(exclude_defaults=True)
            self._push(
                keys=[key, history],
                args=[diff, HISTORY_LENGTH, HISTORY_BYTES, *self._state(changed)],
                client=pipe,
            )

        self._redis.transaction(transaction, key, history)
        return result[0]

    def undo(self, owner: str) -> Curation | None:
        """Go back to the choices before the last change; None when there is nothing to undo."""
        key = curation_key(self._ns, owner)
        history = key + HISTORY_SUFFIX

        result: list[Curation] = []

        def transaction(pipe: redis.client.Pipeline) -> None:
            result.clear()
            entry = cast(bytes | None, pipe.lindex(history, 0))
            if entry is None:
                return
            raw, recorded = cast(list[bytes | None], pipe.hmget(key, "json", "history_bytes"))
            current = Curation.model_validate_json(raw) if raw else Curation()
            earlier = _earlier(current, entry)
            result.append(earlier)
            pipe.multi()
            pipe.lpop(history)
            if recorded is not None:  # (a history from before its size has none yet)
                pipe.hincrby(key, "history_bytes", -len(entry))
            version, state = self._state(earlier)
            if version:
                pipe.hset(key, mapping={"version": version, "json": state})
            else:
                pipe.hdel(key, "version", "json")  # "nothing curated" reads as version 0

        self._redis.transaction(transaction, key, history)
        return result[0] if result else None

    @staticmethod
    def _state(curation: Curation) -> tuple[str, str]:
        """``(version, json)`` to store; ``("", "")`` when nothing is curated."""
        if curation.empty:
            return "", ""
        return curation.version, curation.model_dump_json()

    def footprint(self, owner: str) -> int:
        """Bytes Redis holds for ``owner``'s curation and its history (``MEMORY USAGE``)."""
        key = curation_key(self._ns, owner)
        total = 0
        for name in (key, key + HISTORY_SUFFIX):
            used = self._redis.memory_usage(name, samples=0)
            total += int(used or 0)
        return total
