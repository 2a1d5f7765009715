"""Cards, badges and the social image as cached documents: one :class:`~web.serving.reader.
Family` rendered a document at a time (the variant asked for, the first time anyone asks),
kept in Redis beside the report version like its pages.

Document names: ``card:<theme>:<width>`` (widths rounded, so variants are bounded), ``badge``
and ``og.png``. None depends on the site address, so they share one bundle per rendering
revision whatever ``Host`` a request names.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import jinja2

from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from web.bundle import REVISION
from web.embeds.badge import BAD, NEUTRAL, badge, report_badge, span_label
from web.embeds.card import card, message_card, period_words
from web.embeds.social_image import message_image, social_image
from web.serving.document import Document
from web.serving.reader import Family

BUNDLE: Final = f"embed.{REVISION}"
BADGE: Final = "badge"
SOCIAL_IMAGE: Final = "og.png"
SVG: Final = "image/svg+xml; charset=utf-8"
PNG: Final = "image/png"


def card_name(theme: str, width: int) -> str:
    return f"card:{theme}:{width}"


class EmbedRenderer:
    def __init__(self, env: jinja2.Environment) -> None:
        self._card = env.get_template("card.svg")
        self._badge = env.get_template("badge.svg")
        self.family = Family(self.render, whole=False, label="embed")
        # A missing report's card is the same for every request naming it: made once.
        self.missing_card = lru_cache(maxsize=512)(self._missing_card)
        self.missing_badge = lru_cache(maxsize=512)(self._missing_badge)
        self.missing_image = lru_cache(maxsize=64)(self._missing_image)

    def render(
        self, key: ReportKey, report: Report, base_url: str, name: str
    ) -> dict[str, Document]:
        if name == BADGE:
            svg = self._badge.render(badge=report_badge(report))
            return {name: Document.of(svg.encode())}
        if name == SOCIAL_IMAGE:
            return {name: Document.of(social_image(report), level=1)}  # PNG: deflated already
        kind, theme, width = name.split(":")
        if kind != "card":
            raise ValueError(f"no embed named {name!r}")
        svg = self._card.render(card=card(report, theme, int(width)))
        return {name: Document.of(svg.encode())}

    def _missing_card(self, key: ReportKey, message: str, theme: str, width: int) -> bytes:
        dates = key.range
        subtitle = period_words(dates.period, dates.since.isoformat(), dates.until.isoformat())
        return self._card.render(
            card=message_card(key.username, subtitle, message, theme, width)
        ).encode()

    def _missing_badge(self, key: ReportKey, value: str, bad: bool) -> bytes:
        label = "merged PRs \u00b7 " + span_label(
            key.range.period, key.range.since.isoformat(), key.range.until.isoformat()
        )
        return self._badge.render(badge=badge(label, value, BAD if bad else NEUTRAL)).encode()

    def _missing_image(self, key: ReportKey, message: str) -> bytes:
        dates = key.range
        subtitle = period_words(dates.period, dates.since.isoformat(), dates.until.isoformat())
        return message_image(key.username, subtitle, message)
