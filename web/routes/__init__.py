"""The routes, one module per resource; none imports another (what they share: ``web.served``
for the cached views, ``web.rendering`` for pages rendered per request).

Cached views (``ServedRoute``s, answered by the short way): ``reports`` (the report page and
its paged parts), ``exports`` (``.json``, ``.md`` and the API's report), ``embeds`` (card,
badge, social image), ``compare``. The rest go through FastAPI: ``pages`` (home, search),
``refresh``, ``jobs`` (status, live progress, cancel), ``curation``, ``auth``, ``ops``.
"""
