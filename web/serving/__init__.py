"""Serving cached reports: render once per report version, serve many.

Read in this order: ``reader`` (one Redis read per view, rendering on first need) →
``bundle`` (everything a version renders to) → ``document`` and ``chunks`` (pages as
precompressed chunks with holes, spliced into one gzip member per response) → ``holes`` (the
viewer-specific parts) → ``respond`` and ``http_cache`` (bodies, ETags, Cache-Control) →
``front`` (the hot routes' short way through the app) → ``coalesce`` (concurrent views share
Redis round trips) → ``view_counts`` (views written in batches) → ``paging``.
"""
