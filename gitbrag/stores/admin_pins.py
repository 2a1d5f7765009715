"""Who is a web admin (``GITBRAG_ADMIN_LOGINS``): GitHub accounts, not login strings.

A login can change hands (a rename releases it; anyone may register it), so an admin entry
names an account:

* ``login:id``: the account with GitHub id ``id``, while it logs in with ``login``;
* a bare ``login``: the first account seen logging in with it (an OAuth login, a bearer token
  or a session checked with GitHub) is pinned, once and for good; another account that later
  holds the login gets no admin rights, and each of its logins is logged as a warning.

    gitbrag:admin-pin:<login lower>   the pinned account id (no expiry)

To move a bare entry to another account, write it as ``login:id`` (or delete the pin).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final, cast

import redis

from gitbrag.stores.connection import key_prefix

PIN_PREFIX: Final = "admin-pin:"

log = logging.getLogger(__name__)


class AdminRights:
    def __init__(self, client: redis.Redis, entries: Mapping[str, int | None]) -> None:
        """``entries``: ``Settings.admins`` (login -> the account id it names, or ``None``)."""
        self._redis = client
        self._ns = key_prefix(client)
        self._entries = dict(entries)
        self._pins: dict[str, int] = {}  # pins never change: read once per process

    def named(self, login: str | None) -> bool:
        """Whether ``login`` is in the setting at all (no Redis: most viewers are not)."""
        return login is not None and login.lower() in self._entries

    def observe(self, login: str, account_id: int) -> None:
        """GitHub said a viewer logging in as ``login`` is account ``account_id``: pin a bare
        entry to the first such account (logged once), warn about any other."""
        name = login.lower()
        if name not in self._entries or self._entries[name] is not None:
            return
        if self._redis.set(self._ns + PIN_PREFIX + name, str(account_id), nx=True):
            log.info("admin login %s pinned to GitHub account %d", name, account_id)
            self._pins[name] = account_id
            return
        pinned = self._pinned(name)
        if pinned is not None and pinned != account_id:
            log.warning(
                "admin login %s is pinned to GitHub account %d; account %d logging in with it "
                "gets no admin rights (write %s:%d in GITBRAG_ADMIN_LOGINS to change that)",
                name,
                pinned,
                account_id,
                name,
                account_id,
            )

    def is_admin(self, login: str | None, account_id: int | None) -> bool:
        """Whether the viewer (``login`` as GitHub said it, account ``account_id``) is an
        admin. A viewer whose account id is not known yet is not."""
        if login is None or account_id is None or not self.named(login):
            return False
        name = login.lower()
        explicit = self._entries[name]
        if explicit is not None:
            return explicit == account_id
        return self._pinned(name) == account_id

    def _pinned(self, name: str) -> int | None:
        pinned = self._pins.get(name)
        if pinned is None:
            raw = cast(bytes | None, self._redis.get(self._ns + PIN_PREFIX + name))
            if raw is None:
                return None
            pinned = self._pins[name] = int(raw)
        return pinned
