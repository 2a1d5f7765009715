"""Older GitHub Enterprise Servers lack fields added to GitHub's schema since their release
(``Issue.stateReason``, for one). A document selecting one fails
*whole*: HTTP 200, ``errors`` only (``extensions.code: undefinedField``), no ``data``, and
asking again never helps (:class:`~gitbrag.errors.SchemaMismatch`).

A :class:`Document` names the fields it selects that such a server may lack, and the document
to send ``instead``. :func:`send` sends the best document the server is known to answer: after
an ``undefinedField`` on a named field it remembers the gap for that GraphQL URL (process-wide,
thread-safe: every report and worker thread of the process shares it) and sends the document
without the field; later reports go straight to it. A gap is remembered for ``GAP_TTL``
seconds, so a server upgraded since pays one failed request to be believed again.

Sources: the GHES GraphQL changelogs; docs "Changes in the GraphQL schema" (fields arrive in
later releases).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from gitbrag.errors import SchemaMismatch
from gitbrag.github.client import GitHubClient, GraphQLAnswer

log = logging.getLogger(__name__)

GAP_TTL: Final = 600.0  # seconds a missing field is believed missing

Field = tuple[str, str]  # (type, field), e.g. ("Issue", "stateReason")


class SchemaGaps:
    """Fields each GraphQL URL is known to lack (for ``ttl`` seconds after it said so)."""

    def __init__(self, ttl: float = GAP_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._until: dict[tuple[str, Field], float] = {}
        self._ttl = ttl
        self._clock = clock

    def lacks(self, url: str, field: Field) -> bool:
        with self._lock:
            until = self._until.get((url, field))
            if until is None:
                return False
            if until <= self._clock():
                del self._until[(url, field)]
                return False
            return True

    def remember(self, url: str, field: Field) -> None:
        with self._lock:
            self._until[(url, field)] = self._clock() + self._ttl

    def forget(self) -> None:
        """Believe every server complete again (tests switching a simulated server's schema)."""
        with self._lock:
            self._until.clear()


KNOWN_GAPS: Final = SchemaGaps()


@dataclass(frozen=True, slots=True)
class Document:
    """A GraphQL document; ``needs`` the fields in it older servers may lack, ``instead`` the
    same document without them."""

    text: str
    needs: tuple[Field, ...] = ()
    instead: Document | None = None


async def send(
    client: GitHubClient,
    document: Document,
    variables: Mapping[str, Any],
    *,
    gaps: SchemaGaps = KNOWN_GAPS,
) -> GraphQLAnswer:
    """``document`` (or what it falls back to on this server) answered by ``client``."""
    while True:
        if document.instead is not None and any(
            gaps.lacks(client.graphql_url, field) for field in document.needs
        ):
            document = document.instead
            continue
        try:
            return await client.graphql_answer(document.text, variables)
        except SchemaMismatch as mismatch:
            field = (mismatch.type_name, mismatch.field_name)
            if document.instead is None or field not in document.needs:
                raise
            log.warning(
                "GitHub at %s has no %s.%s (an older Enterprise Server): asking without it",
                client.graphql_url,
                *field,
            )
            gaps.remember(client.graphql_url, field)
            document = document.instead
