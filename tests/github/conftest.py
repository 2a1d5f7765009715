"""Every test starts with no server believed to lack a GraphQL field: the gaps an older
Enterprise Server taught the client are process-wide (``gitbrag.github.schema_gaps``), and the
simulated GitHub is one server for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gitbrag.github.schema_gaps import KNOWN_GAPS


@pytest.fixture(autouse=True)
def no_known_schema_gaps() -> Iterator[None]:
    KNOWN_GAPS.forget()
    yield
    KNOWN_GAPS.forget()
