"""The simulated GitHub (docs/spec.md section 7): a seeded data set served over loopback.

    from gitbrag.fakehub import FakeHub, generate
    with FakeHub(generate(seed=7)) as hub:
        ...  # point the client at hub.api_url / hub.graphql_url / hub.github_url

A test double, shipped for ``gitbrag demo``, the tests and the benchmarks, never imported by
production code (an import-linter contract says so). Its GraphQL engine (graphql-core) comes
with the ``demo`` extra: ``pip install 'gitbrag[demo]'``. This package's names load lazily,
so importing ``gitbrag.fakehub.data`` does not start the GraphQL machinery.

Modules: ``data`` (the data set contract; ``records``, ``builder``, ``activity_data`` and
``identity_data`` behind it), ``accounts`` (renames and registrations at run time),
``search`` (search qualifiers), ``graphql_api`` / ``graphql_root`` / ``graphql_views`` /
``graphql_activity`` / ``graphql_connections`` (GraphQL), ``rest`` / ``rest_search`` (REST
bodies, issue search), ``oauth`` (web flow), ``control`` (root, avatars, ``/_fakehub/``
controls), ``budgets`` / ``faults`` / ``behaviours`` (limits, one-off misbehaviour, and
GitHub's ways, each off by default, with the ``real_github`` and ``old_enterprise`` presets),
``visibility`` (private profiles, SAML SSO), ``tokens`` (token kinds and permissions),
``enterprise`` (older Enterprise Server), ``state`` (shared state), ``app`` (ASGI app and API
gate), ``server`` (``FakeHub`` runner, CLI).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitbrag.fakehub.data import (
        ROUND_TWO_USERS,
        SAMPLE_USERS,
        DataSet,
        FakeFile,
        FakePR,
        FakeRepo,
        FakeUser,
        generate,
        token_for,
    )
    from gitbrag.fakehub.faults import FAULT_KINDS, Faults
    from gitbrag.fakehub.server import FakeHub
    from gitbrag.fakehub.state import CLIENT_ID, CLIENT_SECRET

# Public name -> the module that defines it (imported on first access).
_EXPORTS: dict[str, str] = {
    "CLIENT_ID": "state",
    "CLIENT_SECRET": "state",
    "FAULT_KINDS": "faults",
    "ROUND_TWO_USERS": "data",
    "SAMPLE_USERS": "data",
    "DataSet": "data",
    "FakeFile": "data",
    "FakeHub": "server",
    "FakePR": "data",
    "FakeRepo": "data",
    "FakeUser": "data",
    "Faults": "faults",
    "generate": "data",
    "token_for": "data",
}

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "FAULT_KINDS",
    "ROUND_TWO_USERS",
    "SAMPLE_USERS",
    "DataSet",
    "FakeFile",
    "FakeHub",
    "FakePR",
    "FakeRepo",
    "FakeUser",
    "Faults",
    "generate",
    "token_for",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
