"""Everything the simulated GitHub remembers between requests, behind one lock.

The data set is read-only once served; tokens, revocations, OAuth codes, budgets, faults and
counters change, and are shared by the server thread and the test thread.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from gitbrag.fakehub.behaviours import Behaviours
from gitbrag.fakehub.budgets import Budgets
from gitbrag.fakehub.data import DataSet, FakeIssue, FakePR, FakeRepo, FakeReview, FakeUser
from gitbrag.fakehub.faults import Faults

CLIENT_ID: Final = "fakehub-client-id"
CLIENT_SECRET: Final = "fakehub-client-secret"
CODE_TTL_SECONDS: Final = 600.0


@dataclass(frozen=True)
class OAuthGrant:
    login: str
    client_id: str
    redirect_uri: str
    scope: str
    expires_at: float


class HubState:
    def __init__(self, data: DataSet, *, clock: Callable[[], float] = time.time) -> None:
        self.data = data
        self.clock = clock
        self.faults = Faults()
        self.behaviours = Behaviours()
        self.budgets = Budgets(lambda: self.clock())
        self.counters: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._in_flight: Counter[str] = Counter()  # budget key -> requests being answered
        self._max_in_flight: Counter[str] = Counter()  # ... and the most at once
        self._served_pages: set[tuple[str, ...]] = set()
        self._issued: dict[str, str] = {}  # OAuth-issued token -> login
        self._revoked: set[str] = set()
        self._codes: dict[str, OAuthGrant] = {}
        self.prs_by_author: dict[str, list[FakePR]] = {}
        for pr in data.pull_requests:
            self.prs_by_author.setdefault(pr.author.lower(), []).append(pr)
        self.repos_by_key: dict[str, FakeRepo] = {k.lower(): r for k, r in data.repos.items()}
        self.prs_by_repo: dict[tuple[str, int], FakePR] = {
            (pr.repo.lower(), pr.number): pr for pr in data.pull_requests
        }
        self.issues_by_author: dict[str, list[FakeIssue]] = {}
        for issue in data.issues:
            self.issues_by_author.setdefault(issue.author.lower(), []).append(issue)
        # login -> (PR, review) for every review the login started or submitted
        self.reviews_by_author: dict[str, list[tuple[FakePR, FakeReview]]] = {}
        for pr in data.pull_requests:
            for review in pr.reviews:
                self.reviews_by_author.setdefault(review.author.lower(), []).append((pr, review))

    # -- lookups --
    def user(self, login: str) -> FakeUser | None:
        return self.data.users.get(login.lower())

    def repo(self, owner: str, name: str) -> FakeRepo | None:
        return self.repos_by_key.get(f"{owner}/{name}".lower())

    def can_see(self, repo: FakeRepo, viewer: str | None) -> bool:
        if not repo.is_private:
            return True
        return viewer is not None and viewer.lower() in {m.lower() for m in repo.members}

    # -- counters --
    def count(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self.counters[key] += 1

    def counters_snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counters)

    def reset_counters(self) -> None:
        """Counters and the in-flight peaks back to zero."""
        with self._lock:
            self.counters.clear()
            self._max_in_flight.clear()

    # -- requests in flight, per token --
    def enter(self, key: str) -> int:
        """A request for ``key`` (a token or ``anon:<address>``) starts; how many are now in
        flight for it."""
        with self._lock:
            self._in_flight[key] += 1
            current = self._in_flight[key]
            self._max_in_flight[key] = max(self._max_in_flight[key], current)
            return current

    def leave(self, key: str) -> None:
        with self._lock:
            self._in_flight[key] -= 1

    def max_in_flight(self, key: str) -> int:
        """The most requests ``key`` ever had in flight at once (since the last reset)."""
        with self._lock:
            return self._max_in_flight[key]

    def max_in_flight_by_login(self) -> dict[str, int]:
        with self._lock:
            peaks = dict(self._max_in_flight)
        return {
            (self.login_for(key) or key if not key.startswith("anon:") else key): n
            for key, n in peaks.items()
        }

    def first_serve(self, page: tuple[str, ...]) -> bool:
        """True the first time ``page`` (a search page's identity) is served."""
        with self._lock:
            if page in self._served_pages:
                return False
            self._served_pages.add(page)
            return True

    # -- tokens --
    def login_for(self, token: str) -> str | None:
        """The login a token belongs to, or ``None`` if it is unknown or revoked."""
        with self._lock:
            if token in self._revoked:
                return None
            return self._issued.get(token) or self.data.tokens.get(token)

    def revoke(self, token: str) -> None:
        with self._lock:
            self._revoked.add(token)

    def issue_token(self, login: str) -> str:
        token = "gho_" + secrets.token_urlsafe(27)[:36]
        with self._lock:
            self._issued[token] = login
        return token

    # -- OAuth codes --
    def issue_code(self, grant_for: str, client_id: str, redirect_uri: str, scope: str) -> str:
        code = secrets.token_hex(10)
        grant = OAuthGrant(
            grant_for, client_id, redirect_uri, scope, self.clock() + CODE_TTL_SECONDS
        )
        with self._lock:
            self._codes[code] = grant
        return code

    def redeem_code(self, code: str) -> OAuthGrant | None:
        """Single use: the grant is gone after the first attempt, valid or not."""
        with self._lock:
            grant = self._codes.pop(code, None)
        if grant is None or grant.expires_at <= self.clock():
            return None
        return grant

    def reset(self) -> None:
        """Counters, faults, behaviours, budgets and revocations back to a fresh start."""
        self.reset_counters()
        self.faults.reset()
        self.behaviours.reset()
        self.budgets.clear()
        with self._lock:
            self._revoked.clear()
            self._served_pages.clear()
