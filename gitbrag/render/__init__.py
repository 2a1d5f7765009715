"""Text renderings of a ``Report``: Markdown brag document and terminal table."""
