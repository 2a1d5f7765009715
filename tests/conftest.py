"""Shared fixtures live in ``tests/fixtures/`` (one module per external system)."""

pytest_plugins = [
    "tests.fixtures.fakehub",
    "tests.fixtures.redis",
    "tests.fixtures.web",
]
