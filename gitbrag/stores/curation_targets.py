"""What an author may hide or pin: the repositories and pull requests of their stored reports.

A curation accepts only targets that one of the login's reports (any period, of the account
curating) shows, so the choices cannot be filled with made-up names. The reports are found
through the login's report index (``gitbrag.stores.reports``: ``login_reports_key``) and its
preset keys (reports stored before the index); each report version's targets are read once
per process (its JSON parsed with ``json``, not the whole model) and kept, by version, in a
small LRU.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from typing import Final, cast

import redis

from gitbrag.stores.connection import key_prefix
from gitbrag.stores.reports import REPORT_PREFIX, login_reports_key, preset_keys

CACHED_VERSIONS: Final = 64


@dataclass(frozen=True, slots=True)
class Targets:
    """Lower-case ``owner/name`` and ``owner/name#number`` an author's reports show."""

    repositories: frozenset[str] = frozenset()
    pull_requests: frozenset[str] = frozenset()

    def __or__(self, other: Targets) -> Targets:
        return Targets(
            self.repositories | other.repositories, self.pull_requests | other.pull_requests
        )


def targets_of(report_json: bytes) -> Targets:
    """The repositories and pull requests a stored report's JSON shows."""
    report = json.loads(report_json)
    repositories: set[str] = set()
    pull_requests: set[str] = set()
    for repo in report.get("repositories") or ():
        name = str(repo.get("name_with_owner", "")).lower()
        repositories.add(name)
        pull_requests.update(f"{name}#{pr.get('number')}" for pr in repo.get("pull_requests", ()))
    return Targets(frozenset(repositories), frozenset(pull_requests))


class CurationTargets:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._ns = key_prefix(client)
        self._cache: OrderedDict[str, Targets] = OrderedDict()
        self._lock = Lock()

    def known(self, login: str, account_id: int | None) -> Targets:
        """Everything ``login``'s stored reports of account ``account_id`` show (reports
        from before account ids count too)."""
        members = cast(set[bytes], self._redis.smembers(login_reports_key(self._ns, login)))
        keys = sorted(
            {self._ns + REPORT_PREFIX + m.decode() for m in members}
            | set(_presets(self._ns, login))
        )
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(key, "version", "account")
        found = Targets()
        wanted: list[tuple[str, str]] = []
        for key, (version, account) in zip(keys, pipe.execute(), strict=True):
            if version is None or (account is not None and account_id is not None
                                   and int(account) != account_id):  # fmt: skip
                continue
            cached = self._cached(version.decode())
            if cached is None:
                wanted.append((key, version.decode()))
            else:
                found |= cached
        for key, _ in wanted:
            version, raw = cast(list[bytes | None], self._redis.hmget(key, "version", "json"))
            if version is not None and raw is not None:
                targets = targets_of(raw)
                self._keep(version.decode(), targets)  # as read with its JSON
                found |= targets
        return found

    def _cached(self, version: str) -> Targets | None:
        with self._lock:
            targets = self._cache.get(version)
            if targets is not None:
                self._cache.move_to_end(version)
            return targets

    def _keep(self, version: str, targets: Targets) -> None:
        with self._lock:
            self._cache[version] = targets
            while len(self._cache) > CACHED_VERSIONS:
                self._cache.popitem(last=False)


def _presets(prefix: str, login: str) -> list[str]:
    return [prefix + REPORT_PREFIX + key for key in preset_keys(login)]
