"""Everything the simulated GitHub remembers between requests, behind one lock.

The data set is read-only; a rename or registration (``accounts``), or a change to pull
requests, issues, reviews, repositories or stars (``changes``) swaps in a changed copy with its
lookups rebuilt, so every index keyed by login stays right. Tokens (which belong to
account ids), revocations, OAuth codes, SSO sessions, budgets, faults and counters change,
and are shared by the server thread and the test thread.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from gitbrag.fakehub.accounts import AccountError, registered, renamed
from gitbrag.fakehub.behaviours import Behaviours
from gitbrag.fakehub.budgets import Budgets
from gitbrag.fakehub.changes import CHANGES, ChangeError
from gitbrag.fakehub.data import (
    ROUND_TWO_USERS,
    SAMPLE_USERS,
    DataSet,
    FakeIssue,
    FakePR,
    FakeRepo,
    FakeReview,
    FakeUser,
)
from gitbrag.fakehub.faults import Faults
from gitbrag.fakehub.tokens import TokenKind, new_token

CLIENT_ID: Final = "fakehub-client-id"
CLIENT_SECRET: Final = "fakehub-client-secret"
CODE_TTL_SECONDS: Final = 600.0


@dataclass(frozen=True)
class OAuthGrant:
    account_id: int
    client_id: str
    redirect_uri: str
    scope: str
    expires_at: float
    code_challenge: str = ""  # PKCE: what the code_verifier must hash to ("": none sent)
    code_challenge_method: str = ""


class _Index:
    """One data set and its lookups, swapped whole when an account changes name."""

    def __init__(self, data: DataSet) -> None:
        self.data = data
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
        self.users_by_id: dict[int, FakeUser] = {u.id: u for u in data.users.values()}


class HubState:
    def __init__(self, data: DataSet, *, clock: Callable[[], float] = time.time) -> None:
        self.original = data
        self.clock = clock
        self.faults = Faults()
        self.behaviours = Behaviours()
        self.budgets = Budgets(lambda: self.clock())
        self.counters: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._in_flight: Counter[str] = Counter()  # budget key -> requests being answered
        self._max_in_flight: Counter[str] = Counter()  # ... and the most at once
        self._served_pages: set[tuple[str, ...]] = set()
        self._index = _Index(data)
        # Tokens belong to accounts (ids): the data set's deterministic ones, and issued ones.
        self._data_tokens: dict[str, int] = {
            token: data.users[login.lower()].id for token, login in data.tokens.items()
        }
        self._issued: dict[str, int] = {}  # issued token -> account id
        self._kinds: dict[str, TokenKind] = {}  # issued token -> kind (default: oauth)
        # issued token -> the OAuth app it was issued to (the data set's tokens: another app's)
        self._apps: dict[str, str] = {}
        self._revoked: set[str] = set()
        self._codes: dict[str, OAuthGrant] = {}
        self._sso_sessions: set[tuple[int, int]] = set()  # (account id, organisation id)
        self._released: set[str] = set()  # lower-case logins an account renamed away from
        self._registered: list[int] = []  # ids of accounts registered at run time
        # Never reused, not even after a reset: an old token must not become a new account's.
        self._next_id = max(self._index.users_by_id) + 1

    # -- the data set, as renamed at run time --
    @property
    def data(self) -> DataSet:
        return self._index.data

    @property
    def prs_by_author(self) -> dict[str, list[FakePR]]:
        return self._index.prs_by_author

    @property
    def repos_by_key(self) -> dict[str, FakeRepo]:
        return self._index.repos_by_key

    @property
    def prs_by_repo(self) -> dict[tuple[str, int], FakePR]:
        return self._index.prs_by_repo

    @property
    def issues_by_author(self) -> dict[str, list[FakeIssue]]:
        return self._index.issues_by_author

    @property
    def reviews_by_author(self) -> dict[str, list[tuple[FakePR, FakeReview]]]:
        return self._index.reviews_by_author

    # -- lookups --
    def user(self, login: str) -> FakeUser | None:
        user = self.data.users.get(login.lower())
        if user is None and login.lower() in self._released:
            self.count("rename.old_login")
        return user

    def user_by_id(self, account_id: int) -> FakeUser | None:
        return self._index.users_by_id.get(account_id)

    def repo(self, owner: str, name: str, *, follow_renames: bool = False) -> FakeRepo | None:
        """The repository called ``owner/name`` (or, ``follow_renames``, once called so)."""
        key = f"{owner}/{name}".lower()
        found = self.repos_by_key.get(key)
        if found is None and follow_renames and key in self.data.redirects:
            self.count("repository.redirect")
            found = self.repos_by_key.get(self.data.redirects[key].lower())
        return found

    def people(self) -> list[FakeUser]:
        """Who can sign in on the consent page and is listed by ``/_fakehub/users``: the
        sample and round-two accounts under their current logins, then accounts registered
        at run time, oldest first."""
        ids = [
            user.id
            for login in (*SAMPLE_USERS, *ROUND_TWO_USERS)
            if (user := self.original.users.get(login.lower())) is not None
        ]
        with self._lock:
            ids += self._registered
        return [user for i in ids if (user := self.user_by_id(i)) is not None]

    def can_see(self, repo: FakeRepo, viewer: str | None) -> bool:
        if not repo.is_private:
            return True
        return viewer is not None and viewer.lower() in {m.lower() for m in repo.members}

    # -- accounts: renames, registrations, SSO sessions --
    def rename(self, old: str, new: str) -> FakeUser:
        """The account called ``old`` is called ``new`` from now on (``accounts.renamed``)."""
        with self._lock:
            data = renamed(self.data, old, new)
            self._index = _Index(data)
            if old.lower() != new.lower():
                self._released.add(old.lower())
            self._released.discard(new.lower())
            user = data.users[new.lower()]
        self.count("rename")
        return user

    def register(
        self, login: str, *, kind: TokenKind = "oauth", **profile: Any
    ) -> tuple[FakeUser, str]:
        """A new account (new id, no history) called ``login``, and a token for it."""
        with self._lock:
            data = registered(self.data, login, self._next_id, **profile)
            account_id = self._next_id
            self._next_id += 1
            self._index = _Index(data)
            self._registered.append(account_id)
            self._released.discard(login.lower())
            user = data.users[login.lower()]
        self.count("register")
        return user, self.issue_token(user.id, kind)

    def change(self, name: str, at: datetime | None = None, /, **arguments: Any) -> None:
        """Apply change ``name`` of :mod:`gitbrag.fakehub.changes` at ``at`` (now by the
        hub's clock, whole seconds as GitHub keeps them); ``ChangeError`` for a change
        GitHub would refuse or arguments it does not take."""
        apply = CHANGES.get(name)
        if apply is None:
            raise ChangeError(f"unknown change {name!r}; known: {sorted(CHANGES)}")
        moment = at or datetime.fromtimestamp(self.clock(), UTC).replace(microsecond=0)
        with self._lock:
            try:
                data = apply(self.data, moment, **arguments)
            except TypeError as exc:
                raise ChangeError(f"{name}: {exc}") from None
            self._index = _Index(data)
        self.count(f"change.{name}")

    def grant_sso(self, login: str, org: str) -> None:
        """``login``'s tokens may read ``org`` from now on (an active SAML SSO session)."""
        user, organisation = self.user(login), self.user(org)
        if user is None or organisation is None or organisation.type != "Organization":
            raise AccountError(f"no account {login!r} or no organisation {org!r}")
        with self._lock:
            self._sso_sessions.add((user.id, organisation.id))

    def has_sso_session(self, account_id: int, org_id: int) -> bool:
        with self._lock:
            return (account_id, org_id) in self._sso_sessions

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
    def account_for(self, token: str) -> int | None:
        """The id of the account a token belongs to, or ``None`` if unknown or revoked."""
        with self._lock:
            if token in self._revoked:
                return None
            account = self._issued.get(token)
            return account if account is not None else self._data_tokens.get(token)

    def login_for(self, token: str) -> str | None:
        """The current login of the account a token belongs to (``None``: unknown, revoked,
        or the account is gone, as a registered one is after ``reset``)."""
        account = self.account_for(token)
        user = self.user_by_id(account) if account is not None else None
        return user.login if user is not None else None

    def token_kind(self, token: str) -> TokenKind:
        with self._lock:
            return self._kinds.get(token, "oauth")

    def revoke(self, token: str) -> None:
        with self._lock:
            self._revoked.add(token)

    def app_of(self, token: str) -> str | None:
        """The client id of the OAuth app ``token`` was issued to (``None``: not an OAuth
        app's token of this hub, or revoked)."""
        with self._lock:
            return None if token in self._revoked else self._apps.get(token)

    def issue_token(
        self, account_id: int, kind: TokenKind = "oauth", client_id: str | None = None
    ) -> str:
        """A fresh token of ``kind`` for the account (see ``tokens``); ``client_id``: the
        OAuth app it is issued to (an ``oauth`` token only)."""
        if self.user_by_id(account_id) is None:
            raise AccountError(f"no account has id {account_id}")
        token = new_token(kind)
        with self._lock:
            self._issued[token] = account_id
            self._kinds[token] = kind
            if client_id is not None and kind == "oauth":
                self._apps[token] = client_id
        return token

    # -- OAuth codes --
    def issue_code(
        self,
        grant_for: int,
        client_id: str,
        redirect_uri: str,
        scope: str,
        code_challenge: str = "",
        code_challenge_method: str = "",
    ) -> str:
        code = secrets.token_hex(10)
        grant = OAuthGrant(
            grant_for,
            client_id,
            redirect_uri,
            scope,
            self.clock() + CODE_TTL_SECONDS,
            code_challenge,
            code_challenge_method,
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
        """Counters, faults, behaviours, budgets, revocations, SSO sessions and accounts (no
        renames, no registrations) back to a fresh start; issued tokens of the data set's
        accounts stay valid."""
        self.reset_counters()
        self.faults.reset()
        self.behaviours.reset()
        self.budgets.clear()
        with self._lock:
            self._revoked.clear()
            self._served_pages.clear()
            self._sso_sessions.clear()
            self._released.clear()
            self._registered.clear()
            if self._index.data is not self.original:
                self._index = _Index(self.original)
