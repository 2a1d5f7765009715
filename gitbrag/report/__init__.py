"""The domain: what a report is and how it is made from what GitHub lists, pure (no I/O, no
store, no client, no framework; an import contract in ``pyproject.toml`` holds it).

- ``logins``, ``periods``, ``keys``: which login, which range, the key naming a report;
- ``records``: what is collected from GitHub; ``models``: the ``Report`` (JSON schema v1);
- ``builder``: ``build_report(collection, key, generated_at)``: the rows, from ``activity``
  (reviews given, issues opened) and ``languages`` (Linguist); ``summary``: every figure of
  the rows (through ``counts``) and the highlights, for the builder and the curation alike;
- ``highlights``, ``wording``: sentences from the report's own figures;
- ``curation``: the report as its author shows it; ``comparison``: a period beside the one
  before.
"""
