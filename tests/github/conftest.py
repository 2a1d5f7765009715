"""Until the shared ``hub`` fixture lands: one simulated GitHub for this package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gitbrag.fakehub.server import FakeHub


@pytest.fixture(scope="session")
def hub() -> Iterator[FakeHub]:
    with FakeHub() as running:
        yield running
