"""Text from GitHub users made literal for Markdown: HTML stays text (``<script>`` shows as
``<script>``, never runs) and Markdown syntax in a title cannot become links or emphasis."""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>])")


def escape_markdown(text: str) -> str:
    """Escape user text so Markdown renderers show it literally (on one line)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return " ".join(text.split())
