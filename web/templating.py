"""The Jinja2 environment: autoescaping on, formatting helpers as filters, static asset URLs
with a content hash so browsers can cache them for a year."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from fastapi.templating import Jinja2Templates

import templates as templates_package
from gitbrag.report.models import SIZE_LABELS
from gitbrag.report.periods import PERIOD_LABELS
from web.presenters import formatting
from web.presenters.paths import user_path

TEMPLATE_DIR = Path(templates_package.__file__).parent
STATIC_DIR = TEMPLATE_DIR / "static"


@cache
def _asset_version(name: str) -> str:
    path = STATIC_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"missing static asset {name}")
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """``/static/app.css?v=1a2b3c4d5e`` (the hash busts caches when the file changes)."""
    return f"/static/{name}?v={_asset_version(name)}"


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    env = templates.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters.update(
        {
            "number": formatting.number,
            "compact": formatting.compact,
            "percent": formatting.percent,
            "human_date": formatting.human_date,
            "human_datetime": formatting.human_datetime,
            "month_label": formatting.month_label,
            "role_label": formatting.role_label,
            "size_label": lambda bucket: SIZE_LABELS.get(bucket, bucket),
            "iso_utc": formatting.iso_utc,
            "external_url": formatting.external_url,
            "text_color_for": formatting.text_color_for,
        }
    )
    env.globals.update(
        {
            "static_url": static_url,
            "timeago": formatting.timeago,
            "count": formatting.count,
            "user_path": user_path,
            "PERIOD_LABELS": PERIOD_LABELS,
        }
    )
    return templates
