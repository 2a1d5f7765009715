"""Container health probes: ``python -m gitbrag.runtime.healthcheck web|worker|scheduler``.

Exit 0 when healthy, 1 otherwise (Docker's HEALTHCHECK contract), one line on stderr saying why.

- ``web``: ``GET /healthz`` on the local web server answers 200.
- ``worker`` / ``scheduler``: Redis (the broker) answers PING; without it they can do nothing.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from collections.abc import Sequence

from gitbrag.errors import ConfigError, StoreUnavailable
from gitbrag.settings import Settings
from gitbrag.stores.connection import connect, ping

ROLES = ("web", "worker", "scheduler")


def check_web(settings: Settings, timeout: float = 3.0) -> str | None:
    """None when healthy, else the reason."""
    url = f"http://127.0.0.1:{settings.port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            if response.status == 200:
                return None
            return f"{url} answered {response.status}"
    except urllib.error.HTTPError as exc:
        return f"{url} answered {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"{url} unreachable: {exc}"


def check_broker(settings: Settings) -> str | None:
    """None when Redis answers PING, else the reason."""
    try:
        client = connect(settings)
    except ConfigError as exc:
        return str(exc)
    try:
        ping(client)
    except StoreUnavailable as exc:
        return str(exc)
    finally:
        client.close()
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0] not in ROLES:
        print(f"usage: python -m gitbrag.runtime.healthcheck {'|'.join(ROLES)}", file=sys.stderr)
        return 2
    settings = Settings()
    problem = check_web(settings) if args[0] == "web" else check_broker(settings)
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
