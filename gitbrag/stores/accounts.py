"""Which GitHub account holds each login now.

A login names an account only for now: after a rename the old login is free, and anyone may
register it ("Your old username becomes available for anyone else to claim", docs "Changing
your GitHub username"). GitHub's account id never changes, so gitbrag remembers, per login,
the id of the account GitHub last said holds it:

    gitbrag:login-account:<login lower>   hash: id (account id), seen (epoch seconds of
                                          GitHub's answer); expires with the reports

Written whenever GitHub tells: every stored generation (``ReportStore.put``), every OAuth
login and every bearer-token or session check (:meth:`AccountStore.saw`). An older answer
never replaces a newer one (a generation that read the profile before someone else logged in
with the login does not win back the login). A change of hands drops the former account's
reports of that login (``gitbrag.stores.reports.HOLDER_LUA``); reports of another account
still stored are never served (``ReportStore.get``, the web's read). No entry (never seen, or
expired): nothing is known against a stored report, which is served.
"""

from __future__ import annotations

import time
from typing import cast

import redis

from gitbrag.stores.connection import key_prefix, register_script
from gitbrag.stores.reports import HOLDER_LUA, holder_key

# ARGV[1] login (lower case), [2] account id, [3] seen (epoch seconds), [4] ttl seconds.
# Returns the holder after this answer.
_SAW = HOLDER_LUA + "\nreturn saw(ARGV[1], ARGV[2], ARGV[3], ARGV[4])\n"


class AccountStore:
    def __init__(self, client: redis.Redis, *, ttl_seconds: int) -> None:
        self._redis = client
        self._ttl = ttl_seconds
        self._ns = key_prefix(client)
        self._saw = register_script(client, _SAW)

    def saw(self, login: str, account_id: int, *, seen_at: float | None = None) -> int:
        """GitHub said at ``seen_at`` (default now) that ``login`` is account ``account_id``.
        Returns the login's holder afterwards (another account when a newer answer said so)."""
        seen = time.time() if seen_at is None else seen_at
        holder = self._saw(
            keys=[holder_key(self._ns, login)],
            args=[login.lower(), str(account_id), repr(seen), self._ttl],
        )
        return int(cast(bytes, holder))

    def holder(self, login: str) -> int | None:
        """The account that holds ``login`` as far as gitbrag knows (``None``: unknown)."""
        raw = cast(bytes | None, self._redis.hget(holder_key(self._ns, login), "id"))
        return int(raw) if raw else None
