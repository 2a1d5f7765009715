"""GitHub-style connections: opaque cursors, ``first``/``after`` paging within GitHub's limits,
and errors carrying GitHub's ``type`` (``EXCESSIVE_PAGINATION``, ``NOT_FOUND``...)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, TypeVar

from graphql import GraphQLError

MAX_PAGE = 100
T = TypeVar("T")


def fault(message: str, kind: str) -> GraphQLError:
    return GraphQLError(message, extensions={"type": kind})


def encode_cursor(position: int) -> str:
    return base64.b64encode(f"cursor:{position}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        kind, _, position = text.partition(":")
        if kind == "cursor" and position.isdigit():
            return int(position)
    except (ValueError, UnicodeDecodeError):
        pass
    raise fault(f"`{cursor}` does not appear to be a valid cursor.", "INVALID_CURSOR_ARGUMENTS")


def page(
    items: Sequence[T],
    connection: str,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
) -> tuple[list[tuple[int, T]], dict[str, Any]]:
    """GitHub-style cursor paging: ``([(1-based position, item)], pageInfo)``."""
    if first is None and last is None:
        raise fault(
            f"You must provide a `first` or `last` value to properly paginate the "
            f"`{connection}` connection.",
            "MISSING_PAGINATION_BOUNDARIES",
        )
    for name, value in (("first", first), ("last", last)):
        if value is not None and value > MAX_PAGE:
            raise fault(
                f"Requesting {value} records on the `{connection}` connection exceeds the "
                f"`{name}` limit of {MAX_PAGE} records.",
                "EXCESSIVE_PAGINATION",
            )
        if value is not None and value < 0:
            raise fault(
                f"`{name}` on the `{connection}` connection cannot be less than zero.", "INVALID"
            )
    start = decode_cursor(after) if after else 0
    stop = min(len(items), decode_cursor(before) - 1) if before else len(items)
    if first is not None:
        stop = min(stop, start + first)
    if last is not None:
        start = max(start, stop - last)
    window = [(i + 1, items[i]) for i in range(start, stop)]
    info = {
        "hasNextPage": stop < len(items),
        "hasPreviousPage": start > 0,
        "startCursor": encode_cursor(window[0][0]) if window else None,
        "endCursor": encode_cursor(window[-1][0]) if window else None,
    }
    return window, info


def connection(window: list[tuple[int, Any]], info: dict[str, Any], total: int) -> dict[str, Any]:
    return {
        "totalCount": total,
        "pageInfo": info,
        "nodes": [node for _, node in window],
        "edges": [{"cursor": encode_cursor(pos), "node": node} for pos, node in window],
    }
