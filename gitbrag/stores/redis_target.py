"""Where Redis is: the settings' three forms read into one :class:`RedisTarget`.

- ``GITBRAG_REDIS_URL=redis://[[user]:password@]host:port/db`` (``rediss://`` for TLS,
  ``unix:///path/redis.sock?db=0``): one server.
- ``GITBRAG_REDIS_URL=redis+sentinel://[[user]:password@]host:26379,host:26380/service[/db]``
  (``rediss+sentinel://`` for TLS to the Sentinels and the primary), or the same as
  ``GITBRAG_REDIS_SENTINELS=host:26379,host:26380`` + ``GITBRAG_REDIS_MASTER=service``: the
  primary that those Sentinels name, found again after every failover.
- ``GITBRAG_REDIS_URL=redis+cluster://[[user]:password@]host:7000,host:7001`` (``rediss+``):
  a Redis Cluster, which needs a hash-tag namespace (``GITBRAG_REDIS_NAMESPACE={gitbrag}``).

``GITBRAG_REDIS_PASSWORD`` is the password of the Redis servers when the URL carries none (and
of the Sentinel form), ``GITBRAG_REDIS_SENTINEL_PASSWORD`` the Sentinels' own;
``GITBRAG_REDIS_TLS`` turns TLS on for the Sentinel form, and ``GITBRAG_REDIS_TLS_CA_FILE`` /
``_CERT_FILE`` / ``_KEY_FILE`` apply to every TLS form. Pure parsing: nothing connects here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from gitbrag.errors import ConfigError
from gitbrag.settings import Settings

Kind = Literal["server", "sentinel", "cluster"]
SENTINEL_SCHEMES = {"redis+sentinel": False, "rediss+sentinel": True}
CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}


@dataclass(frozen=True, slots=True)
class RedisTarget:
    """One Redis deployment to reach. ``url`` is the server form's URL (secret: it may carry
    the password); ``nodes`` the Sentinels' or the cluster's addresses; ``display`` names the
    target in logs, without any password."""

    kind: Kind
    display: str
    url: str | None = None
    nodes: tuple[tuple[str, int], ...] = ()
    service: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sentinel_password: str | None = field(default=None, repr=False)
    tls: bool = False
    tls_options: tuple[tuple[str, str], ...] = ()

    def connection_options(self) -> dict[str, Any]:
        """Keyword arguments every connection to a Redis server of this target takes (not the
        Sentinels: see :meth:`sentinel_options`)."""
        options: dict[str, Any] = {"username": self.username, "password": self.password}
        if self.tls:
            options["ssl"] = True
            options.update(self.tls_options)
        return options

    def sentinel_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"password": self.sentinel_password}
        if self.tls:
            options["ssl"] = True
            options.update(self.tls_options)
        return options


def _addresses(netloc_hosts: str, what: str, default_port: int) -> tuple[tuple[str, int], ...]:
    nodes: list[tuple[str, int]] = []
    for item in netloc_hosts.split(","):
        item = item.strip()
        if not item:
            continue
        host, colon, port = item.rpartition(":")
        if not colon:
            host, port = item, str(default_port)
        host = host.strip("[]")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"{what}: {item!r} is not host:port")
        nodes.append((host, int(port)))
    if not nodes:
        raise ConfigError(f"{what}: no host:port given")
    return tuple(nodes)


def _tls_options(settings: Settings) -> tuple[tuple[str, str], ...]:
    files = (
        ("ssl_ca_certs", settings.redis_tls_ca_file),
        ("ssl_certfile", settings.redis_tls_cert_file),
        ("ssl_keyfile", settings.redis_tls_key_file),
    )
    return tuple((name, str(path)) for name, path in files if path is not None)


def target_of(settings: Settings) -> RedisTarget:
    """The target the settings name. Raises ``ConfigError`` when they name none (no URL, no
    Sentinels) or name it badly."""
    url = settings.redis_url
    if url is None and settings.redis_sentinels:
        return RedisTarget(
            kind="sentinel",
            display=f"sentinel://{settings.redis_sentinels}/{settings.redis_master}",
            nodes=_addresses(settings.redis_sentinels, "GITBRAG_REDIS_SENTINELS", 26379),
            service=settings.redis_master,
            password=settings.redis_password,
            sentinel_password=settings.redis_sentinel_password,
            tls=settings.redis_tls,
            tls_options=_tls_options(settings),
        )
    if not url:
        raise ConfigError(
            "GITBRAG_REDIS_URL is not set: start the stack with `gitbrag up` (embedded Redis), "
            "point GITBRAG_REDIS_URL at a Redis server, or name its Sentinels "
            "(GITBRAG_REDIS_SENTINELS and GITBRAG_REDIS_MASTER)"
        )
    scheme, _, rest = url.partition("://")
    if scheme in SENTINEL_SCHEMES or scheme in CLUSTER_SCHEMES:
        return _multi_node(settings, scheme, rest)
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(
            f"GITBRAG_REDIS_URL: unknown scheme {parts.scheme!r} (redis://, rediss://, unix://, "
            "redis+sentinel://, redis+cluster://)"
        )
    where = parts.path if parts.scheme == "unix" else f"{parts.hostname}:{parts.port or 6379}"
    return RedisTarget(
        kind="server",
        display=f"{parts.scheme}://{where}",
        url=url,
        password=None if parts.password else settings.redis_password,
        tls=parts.scheme == "rediss",
        tls_options=_tls_options(settings),
    )


def _multi_node(settings: Settings, scheme: str, rest: str) -> RedisTarget:
    credentials, at, location = rest.rpartition("@")
    if not at:
        credentials, location = "", rest
    username, _, password = credentials.partition(":")
    hosts, _, path = location.partition("/")
    path = path.split("?", 1)[0]
    sentinel = scheme in SENTINEL_SCHEMES
    what = f"GITBRAG_REDIS_URL ({scheme})"
    nodes = _addresses(hosts, what, 26379 if sentinel else 6379)
    segments = [unquote(segment) for segment in path.split("/") if segment]
    service, db = settings.redis_master, 0
    if sentinel:
        if segments:
            service = segments.pop(0)
        if segments:
            if not segments[0].isdigit():
                raise ConfigError(f"{what}: the database {segments[0]!r} is not a number")
            db = int(segments[0])
    elif segments:
        raise ConfigError(f"{what}: a cluster URL has no path (Redis Cluster has one database)")
    shown = ",".join(f"{host}:{port}" for host, port in nodes)
    return RedisTarget(
        kind="sentinel" if sentinel else "cluster",
        display=f"{scheme}://{shown}" + (f"/{service}/{db}" if sentinel else ""),
        nodes=nodes,
        service=service,
        db=db,
        username=unquote(username) or None,
        password=unquote(password) or settings.redis_password,
        sentinel_password=settings.redis_sentinel_password,
        tls=(SENTINEL_SCHEMES | CLUSTER_SCHEMES)[scheme] or settings.redis_tls,
        tls_options=_tls_options(settings),
    )
