"""The simulated GitHub (SPEC 7): a seeded data set served over loopback.

    from gitbrag.fakehub import FakeHub, generate
    with FakeHub(generate(seed=7)) as hub:
        ...  # point the client at hub.api_url / hub.graphql_url / hub.github_url

Modules: ``data`` (the data set contract; ``records`` and ``builder`` behind it),
``search`` (search qualifiers), ``graphql_api`` / ``graphql_views`` / ``graphql_connections``
(GraphQL), ``rest`` (REST bodies), ``oauth`` (web flow), ``control`` (root, avatars,
``/_fakehub/`` controls), ``budgets`` / ``faults`` / ``behaviours`` (limits, one-off
misbehaviour, and GitHub's ways under load or at scale, each off by default), ``state``
(shared state), ``app`` (ASGI app and API gate), ``server`` (``FakeHub`` runner, CLI).
"""

from gitbrag.fakehub.data import (
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

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "FAULT_KINDS",
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
