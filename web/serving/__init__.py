"""Serving cached reports: render once per report version, serve many. The machinery only: it
imports nothing else of ``web`` (renderers, the context and the routes stand on it).

Read in this order: ``front`` (the cached views' routes, ``ServedRoute``, and their short way
through the app) → ``reader`` (one Redis read per view, rendering on first need through a
``Family`` the app gives it) → ``cache`` (the documents this process holds) → ``document``
and ``chunks`` (pages as precompressed chunks with holes, spliced into one gzip member per
response) → ``holes`` (the viewer-specific parts) → ``respond`` (bodies, ETags,
Cache-Control, 304) → ``coalesce`` (concurrent views share Redis round trips) →
``view_counts`` (views written in batches).
"""
