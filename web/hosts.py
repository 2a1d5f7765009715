"""Which ``Host`` header values this site answers, checked before anything is read, rendered
or written (``web.middleware``).

Without ``GITBRAG_PUBLIC_URL`` the site address in rendered bodies (canonical links,
``og:image``, the embed snippets, the OAuth callback) comes from the request's ``Host``, and a
report's bundle is rendered once per site address: every new ``Host`` value would render a
whole bundle again and put attacker-chosen addresses into public bodies. So:

* with ``PUBLIC_URL``, the address is always ``PUBLIC_URL``; a request is answered when its
  host name is ``PUBLIC_URL``'s, one of ``GITBRAG_ALLOWED_HOSTS``, or a loopback name
  (``localhost``, ``127.0.0.1``, ``[::1]``), on any port (the port changes nothing rendered);
* without it (dev mode, tests, ``gitbrag up`` on a laptop), the host name must be a loopback
  name or one of ``ALLOWED_HOSTS``, and the port none or the one the server listens on, so the
  site addresses, and the bundles per report version, are a few fixed ones.

Anything else is a 400 before routing. ``/healthz``, ``/readyz`` and ``/metrics`` answer any
``Host`` (load balancers and probes ask by address; nothing they answer depends on it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final
from urllib.parse import urlsplit

LOOPBACK: Final = frozenset({"localhost", "127.0.0.1", "[::1]"})
ANY_HOST_PATHS: Final = frozenset({"/healthz", "/readyz", "/metrics"})
_KNOWN_LIMIT: Final = 256  # accepted raw values remembered (the usual ones: a handful)


def split_host(value: str) -> tuple[str, int | None] | None:
    """``("example.com", 8000)`` for ``example.com:8000``, ``("[::1]", None)`` for ``[::1]``;
    ``None`` for what cannot be a host (empty, spaces, a bad port, an unbracketed IPv6)."""
    value = value.strip().lower()
    if not value or not value.isascii() or any(char in value for char in " /\\@?#"):
        return None
    if value.startswith("["):
        name, bracket, rest = value.partition("]")
        if not bracket:
            return None
        name += "]"
        port = rest[1:] if rest.startswith(":") else None
        if rest and port is None:
            return None
    else:
        name, colon, port_text = value.partition(":")
        port = port_text if colon else None
        if not name or ":" in port_text:
            return None
    if port is None:
        return name, None
    if not (port.isascii() and port.isdigit()) or len(port) > 5 or not 0 < int(port) < 65536:
        return None
    return name, int(port)


class HostCheck:
    """Whether a request's ``Host`` is one this site answers (see the module docstring)."""

    def __init__(self, public_url: str | None, allowed: Iterable[str]) -> None:
        self.public = bool(public_url)
        names = set(LOOPBACK)
        self.ports: dict[str, int] = {}  # allowed names pinned to one port
        if public_url:
            parts = urlsplit(public_url)
            if parts.hostname:
                names.add(_bracketed(parts.hostname))
        for entry in allowed:
            parsed = split_host(entry)
            if parsed is None:
                raise ValueError(f"not a host name: {entry!r}")
            names.add(parsed[0])
            if parsed[1] is not None:
                self.ports[parsed[0]] = parsed[1]
        self.names = frozenset(names)
        self._known: set[tuple[bytes, int | None]] = set()

    def accepts(self, host: bytes | None, server_port: int | None) -> bool:
        """``host`` (the raw header; ``None`` when absent: the server's own address is used)
        from a request to a server listening on ``server_port``."""
        if host is None:
            return True
        if (host, server_port) in self._known:
            return True
        parsed = split_host(host.decode("latin-1"))
        if parsed is None or parsed[0] not in self.names:
            return False
        name, port = parsed
        pinned = self.ports.get(name)
        if pinned is not None:
            ok = port in (pinned, None) if not self.public else True
        else:
            ok = self.public or port is None or port == server_port
        if ok and len(self._known) < _KNOWN_LIMIT:
            self._known.add((host, server_port))
        return ok


def _bracketed(hostname: str) -> str:
    return f"[{hostname}]" if ":" in hostname else hostname.lower()
