"""Every Redis client of every gitbrag process comes from ``gitbrag/stores/connection.py``.

A client built anywhere else would miss the Sentinel form (it would keep talking to a demoted
primary), the key namespace and the error translation. Read from the source (the AST): no
production module but the factory constructs a redis-py client, pool or Sentinel, and
Dramatiq's and its plugins' Redis classes are always handed a client (``client=``) rather
than left to build their own from defaults.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FACTORY = ROOT / "gitbrag" / "stores" / "connection.py"
PRODUCTION = ("gitbrag", "actors", "web")

# What builds a connection to Redis in redis-py (sync, asyncio, Sentinel, Cluster).
CONSTRUCTORS = {
    "Redis",
    "StrictRedis",
    "RedisCluster",
    "Sentinel",
    "ConnectionPool",
    "BlockingConnectionPool",
    "SentinelConnectionPool",
    "from_url",
    "from_pool",
    "master_for",
    "slave_for",
}
# Classes of Dramatiq and its plugins that open their own client when given none.
NEEDS_CLIENT = {"RedisBroker", "RecoveringRedisBroker", "RedisBackend"}


def _called_name(call: ast.Call) -> str | None:
    function = call.func
    if isinstance(function, ast.Name):
        return function.id
    if isinstance(function, ast.Attribute):
        return function.attr
    return None


def _offences(source: str, filename: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node)
        where = f"{filename}:{node.lineno}"
        if name in CONSTRUCTORS:
            found.append(f"{where} builds a Redis client ({name})")
        if name in NEEDS_CLIENT and not any(kw.arg == "client" for kw in node.keywords):
            found.append(f"{where}: {name} without client= (it would build its own)")
    return found


def test_only_the_factory_builds_redis_clients() -> None:
    sources = [
        path
        for package in PRODUCTION
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != FACTORY and "fakehub" not in path.parts
    ]
    assert len(sources) > 100  # the walk found the tree
    offences = [
        offence
        for path in sources
        for offence in _offences(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert not offences, "\n".join(offences)


def test_the_check_sees_a_client_built_elsewhere() -> None:
    """The detector itself: each way of building a client is found, a client handed over
    is not."""
    source = (
        "import redis\n"
        "from redis.sentinel import Sentinel\n"
        "from dramatiq.brokers.redis import RedisBroker\n"
        "a = redis.Redis(host='x')\n"
        "b = redis.Redis.from_url('redis://x')\n"
        "c = Sentinel([('x', 1)]).master_for('m')\n"
        "d = RedisBroker(url='redis://x')\n"
        "e = RedisBroker(client=connect(settings))\n"
    )
    offences = _offences(source, "elsewhere.py")
    assert sorted(offence.split(" ", 1)[0] for offence in offences) == [
        "elsewhere.py:4",
        "elsewhere.py:5",
        "elsewhere.py:6",
        "elsewhere.py:6",
        "elsewhere.py:7:",
    ], offences
