"""The social preview image (``og:image``): 1200 x 630 PNG with the login, the period and the
headline numbers, drawn with Pillow once per rendered report version."""

from __future__ import annotations

import io
from typing import Final

from PIL import Image, ImageDraw

from gitbrag.report.models import Report
from gitbrag.report.wording import compact, human_date, number
from web.embeds.card import OTHER_COLOR, report_period_words
from web.embeds.fonts import FontType, fit, font

WIDTH: Final = 1200
HEIGHT: Final = 630
PAD: Final = 72
BACKGROUND: Final = (13, 17, 23)
TEXT: Final = (230, 237, 243)
MUTED: Final = (145, 152, 161)
ACCENT: Final = (68, 147, 248)
TRACK: Final = (33, 38, 45)


def _rgb(color: str | None) -> tuple[int, int, int]:
    value = (color or OTHER_COLOR).lstrip("#")
    if len(value) != 6:
        value = OTHER_COLOR.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, face: FontType,
          fill: tuple[int, int, int]) -> None:  # fmt: skip
    draw.text(xy, text, font=face, fill=fill)


def social_image(report: Report) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    inner = WIDTH - 2 * PAD
    draw.rectangle((0, 0, WIDTH, 10), fill=ACCENT)
    _text(draw, (PAD, 52), ">_ gitbrag", font(30, bold=True), ACCENT)
    login = report.user.login
    name = report.user.name or f"@{login}"
    _text(draw, (PAD, 118), fit(name, 64, inner, bold=True), font(64, bold=True), TEXT)
    subtitle = f"@{login} \u00b7 {report_period_words(report)}"
    _text(draw, (PAD, 204), fit(subtitle, 30, inner), font(30), MUTED)

    totals = report.totals
    stars = "stars" if report.period == "all_time" else "stars gained"
    prs = "pull request" if totals.pull_requests == 1 else "pull requests"
    repos = "repository" if totals.repositories == 1 else "repositories"
    figures = [
        (number(totals.pull_requests), prs),
        (number(totals.merged), "merged"),
        (number(totals.repositories), repos),
        (compact(totals.additions + totals.deletions), "lines changed"),
        (compact(totals.stars_gained), stars),
    ]  # fmt: skip
    column = inner / len(figures)
    for index, (value, label) in enumerate(figures):
        x = PAD + index * column
        _text(draw, (x, 290), fit(value, 52, column - 16, bold=True), font(52, bold=True), TEXT)
        _text(draw, (x, 356), fit(label, 24, column - 16), font(24), MUTED)

    bar_top = 436
    draw.rounded_rectangle((PAD, bar_top, PAD + inner, bar_top + 18), radius=9, fill=TRACK)
    total = sum(share.lines for share in report.languages)
    if total:
        mask = Image.new("L", (WIDTH, HEIGHT), 0)
        ImageDraw.Draw(mask).rounded_rectangle(
            (PAD, bar_top, PAD + inner, bar_top + 18), radius=9, fill=255
        )
        bar = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
        bar_draw = ImageDraw.Draw(bar)
        x = float(PAD)
        for share in report.languages:
            part = inner * share.lines / total
            bar_draw.rectangle(
                (round(x), bar_top, round(x + part), bar_top + 18), fill=_rgb(share.color)
            )
            x += part
        image.paste(bar, (0, 0), mask)
        legend_x = float(PAD)
        for share in report.languages[:5]:
            label = f"{share.name} {share.percent:.0f}%"
            width = draw.textlength(label, font=font(24)) + 48
            if legend_x + width > PAD + inner:
                break
            draw.ellipse((legend_x, 478, legend_x + 18, 496), fill=_rgb(share.color))
            _text(draw, (legend_x + 26, 472), label, font(24), TEXT)
            legend_x += width
    else:
        _text(draw, (PAD, 472), "No code changes counted in this period", font(24), MUTED)

    footer = f"updated {human_date(report.generated_at)}"
    hidden = report.curation.hidden_pull_requests if report.curation else 0
    if hidden:
        footer += f" \u00b7 {number(hidden)} hidden by the author"
    _text(draw, (PAD, 556), fit(footer, 22, inner), font(22), MUTED)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def message_image(login: str, subtitle: str, message: str) -> bytes:
    """A social image without a report (no such user, an organisation, a private profile):
    the login and why there is nothing to show, never a figure."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    inner = WIDTH - 2 * PAD
    draw.rectangle((0, 0, WIDTH, 10), fill=ACCENT)
    _text(draw, (PAD, 52), ">_ gitbrag", font(30, bold=True), ACCENT)
    _text(draw, (PAD, 118), fit(f"@{login}", 64, inner, bold=True), font(64, bold=True), TEXT)
    _text(draw, (PAD, 204), fit(subtitle, 30, inner), font(30), MUTED)
    _text(draw, (PAD, 300), fit(message, 44, inner, bold=True), font(44, bold=True), TEXT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
