"""The viewer-specific parts of cached pages, rendered per request (or once, for the variant
every anonymous visitor gets).

A hole is filled from small partial templates and a small context (who is asking, the job
regenerating the report, when it was generated): never from the report itself, so no request
decodes or renders a report. For a client that takes gzip, each filled hole becomes a chunk
compressed at level 1, spliced between the page's precompressed chunks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import jinja2

TEMPLATES: Final = {
    "account": "_account.html",
    "banners": "_banners.html",
    "notice": "_report_notice.html",
    "refresh": "_report_refresh.html",
}


class HoleRenderer:
    def __init__(self, env: jinja2.Environment) -> None:
        self._templates = {name: env.get_template(path) for name, path in TEMPLATES.items()}

    def render(self, holes: Iterable[str], context: Mapping[str, Any]) -> dict[str, bytes]:
        """Every hole in ``holes`` filled from ``context`` (compressed later, if at all)."""
        return {name: self._templates[name].render(context).encode() for name in holes}
