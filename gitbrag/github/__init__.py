"""Everything gitbrag asks GitHub, and the only package that imports httpx.

- ``client``: :class:`~gitbrag.github.client.GitHubClient` (retries, rate limits, errors)
- ``queries``: every GraphQL document
- ``collect``: :func:`~gitbrag.github.collect.collect`, the collector's entry point, built
  from ``profile``, ``search``, ``files`` and ``repositories`` (+ ``stargazers``)
- ``cache``: the :class:`~gitbrag.github.cache.ImmutableCache` protocol and ``MemoryCache``
- ``oauth``: the OAuth web flow (authorize URL, code exchange)
"""
