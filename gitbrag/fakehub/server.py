"""Run the simulated GitHub: ``FakeHub`` in a background thread, or ``gitbrag fakehub``."""

from __future__ import annotations

import argparse
import collections
import threading
import time
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any

from gitbrag.fakehub.accounts import AccountError
from gitbrag.fakehub.app import create_app
from gitbrag.fakehub.behaviours import Behaviours
from gitbrag.fakehub.data import (
    ROUND_TWO_USERS,
    SAMPLE_USERS,
    DataSet,
    FakeUser,
    generate,
    token_for,
)
from gitbrag.fakehub.faults import Faults
from gitbrag.fakehub.graphql_api import github_schema
from gitbrag.fakehub.state import CLIENT_ID, CLIENT_SECRET, HubState
from gitbrag.fakehub.tokens import TokenKind
from gitbrag.runtime.background_server import BackgroundServer
from gitbrag.runtime.signals import stop_on_signals


class FakeHub:
    """A loopback GitHub: REST at ``url`` (like api.github.com), GraphQL at ``graphql_url``,
    OAuth at ``github_url``. Start with ``start()`` or ``with FakeHub() as hub:``.

    ``counters`` counts API requests (``"rest"``, ``"graphql"``, route keys such as
    ``"GET /users/{login}"``, GraphQL documents by operation name such as
    ``"operation.SearchPullRequests"``, top-level GraphQL fields such as ``"search"``,
    ``"oauth"``, and each behaviour shown, such as ``"saml.forbidden"``; see
    ``gitbrag.fakehub.behaviours``).

    The data can change between two collections (``change``: a pull request merged or
    pushed to, a repository made private or renamed, stars given...; ``changes``).
    Accounts can be renamed and registered at run time (``rename``, ``register``); tokens
    belong to accounts, and ``token(login)`` stays the data set's token of the account that
    had ``login`` when the data set was built. ``reset()`` undoes renames and registrations.
    """

    def __init__(
        self,
        data: DataSet | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.data = data if data is not None else generate()
        self.state = HubState(self.data, clock=clock)
        self.state.faults.configure(latency_ms=latency_ms)
        self._latency_ms = latency_ms
        self.host = host
        self._port = port
        self._server: BackgroundServer | None = None
        self.url = ""

    # -- lifecycle --
    def start(self) -> FakeHub:
        """Serve in a daemon thread; returns once the socket accepts requests."""
        github_schema()  # build once, before the first request needs it
        server = BackgroundServer(
            create_app(self.state), host=self.host, port=self._port, name="fakehub"
        )
        self.url = server.start()
        self._server = server
        return self

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.alive

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        self._server = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses --
    @property
    def api_url(self) -> str:
        return self.url

    @property
    def graphql_url(self) -> str:
        return self.url + "/graphql"

    @property
    def github_url(self) -> str:
        return self.url

    # -- observation and control --
    @property
    def counters(self) -> collections.Counter[str]:
        return collections.Counter(self.state.counters_snapshot())

    def request_count(self) -> int:
        """API requests so far (REST + GraphQL; not OAuth, avatars or control)."""
        counters = self.state.counters_snapshot()
        return counters.get("rest", 0) + counters.get("graphql", 0)

    def reset_counters(self) -> None:
        self.state.reset_counters()

    def reset(self) -> None:
        """Counters, faults, behaviours, budgets and revocations back to a fresh start."""
        self.state.reset()
        self.state.faults.configure(latency_ms=self._latency_ms)

    @property
    def faults(self) -> Faults:
        return self.state.faults

    @property
    def behaviours(self) -> Behaviours:
        """GitHub behaviours to show (``gitbrag.fakehub.behaviours``), all off by default."""
        return self.state.behaviours

    def max_in_flight(self, token: str) -> int:
        """The most requests ``token`` had in flight at once since the last reset."""
        return self.state.max_in_flight(token)

    def set_budget(
        self, token: str, remaining: int, reset_in: float, resource: str | None = None
    ) -> None:
        """Force ``token``'s rate-limit state (REST and GraphQL unless ``resource`` is given)."""
        self.state.budgets.set(token, remaining, reset_in, resource)

    def revoke(self, token: str) -> None:
        """From now on ``token`` gets 401 Bad credentials."""
        self.state.revoke(token)

    def token(self, login: str) -> str:
        """The data set's token for ``login``."""
        return token_for(login)

    # -- accounts (``gitbrag.fakehub.accounts``) and tokens (``gitbrag.fakehub.tokens``) --
    @property
    def live_data(self) -> DataSet:
        """The data set as served now: ``data`` with the renames, registrations and changes
        made since the last reset (which drops them)."""
        return self.state.data

    def rename(self, old: str, new: str) -> FakeUser:
        """The account called ``old`` is called ``new``: it keeps its id, its tokens and its
        history (repositories it owns move to the new name); ``old`` answers 404 /
        ``NOT_FOUND`` / search 422 until someone registers it."""
        return self.state.rename(old, new)

    def register(self, login: str, *, kind: TokenKind = "oauth", **profile: Any) -> str:
        """A new account called ``login`` (a released login too): a new id, no history.
        ``profile``: ``name``, ``bio``, ``company``, ``location``, ``blog``,
        ``private_profile``. Returns a token of ``kind`` for it."""
        return self.state.register(login, kind=kind, **profile)[1]

    def change(self, name: str, at: datetime | None = None, /, **arguments: Any) -> None:
        """Change the served data as GitHub would between two collections: ``name`` is one
        of :data:`gitbrag.fakehub.changes.CHANGES` (``merge_pull_request``,
        ``push_to_pull_request``, ``set_visibility``, ``rename_repository``, ``star``...)
        with its keyword arguments, at ``at`` (now by default). ``reset()`` undoes it;
        ``ChangeError`` for a change GitHub would refuse."""
        self.state.change(name, at, **arguments)

    def grant_sso(self, login: str, org: str) -> None:
        """``login``'s tokens get an SAML SSO session for organisation ``org``."""
        self.state.grant_sso(login, org)

    def issue_token(
        self, login: str, kind: TokenKind = "oauth", client_id: str | None = None
    ) -> str:
        """A new token of ``kind`` (``oauth``, ``fine_grained``, ``app``, ``classic``) for
        the account now called ``login``; an ``oauth`` one issued to the OAuth app
        ``client_id`` (``CLIENT_ID``: gitbrag's, as its login flow gets them; another id: a
        token another "Sign in with GitHub" site got; ``None``: no app this hub knows)."""
        user = self.state.user(login)
        if user is None:
            raise AccountError(f"no account is called {login!r}")
        return self.state.issue_token(user.id, kind, client_id)


def run(args: argparse.Namespace) -> int:
    """``gitbrag fakehub``: serve in the foreground until SIGINT, SIGTERM or SIGHUP."""
    stop = threading.Event()
    with stop_on_signals(stop):
        hub = FakeHub(host=args.host, port=args.port, latency_ms=args.latency_ms)
        hub.faults.configure(rate=args.fault_rate)
        hub.start()
        try:
            print(f"Simulated GitHub at {hub.url}  (GraphQL {hub.graphql_url})", flush=True)
            print(f"OAuth client id {CLIENT_ID!r}, secret {CLIENT_SECRET!r}", flush=True)
            for login in (*SAMPLE_USERS, *ROUND_TWO_USERS):
                print(f"  {login:<16} token {token_for(login)}", flush=True)
            while hub.running and not stop.wait(0.5):
                pass
        finally:
            hub.stop()
    return 0
