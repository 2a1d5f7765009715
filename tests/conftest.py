"""Shared fixtures live in ``tests/fixtures/`` (one module per external system); the live-stack
harness (settings, workers, waiting) is ``tests/harness.py``."""

from tests.harness import isolate_test_process

# Before any test builds Settings: nothing from the developer's shell or `.env`.
isolate_test_process()

pytest_plugins = [
    "tests.fixtures.fakehub",
    "tests.fixtures.redis",
    "tests.fixtures.sentinel",
    "tests.fixtures.cluster",
    "tests.fixtures.web",
]
