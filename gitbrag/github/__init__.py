"""Everything gitbrag asks GitHub, and the only package that imports httpx.

- ``client``: :class:`~gitbrag.github.client.GitHubClient` (retries, rate limits), with
  ``responses`` (what each GitHub answer means: error, wait or retry)
- ``queries``: every GraphQL document
- ``collect``: :func:`~gitbrag.github.collect.collect`, the collector's entry point, built
  from ``profile``, ``search``, ``files`` and ``repositories`` (+ ``stargazers``), run
  concurrently with ``tasks``
- ``cache``: the :class:`~gitbrag.github.cache.ImmutableCache` protocol and ``MemoryCache``
- ``oauth``: the OAuth web flow (authorize URL, code exchange)

The CLI and the report actor reach it through :mod:`gitbrag.jobs.generation`; the web's login
through ``oauth`` and the client (import-linter keeps httpx here).
"""
