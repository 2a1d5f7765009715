"""The social image without any system font: Pillow's own scalable font draws it."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image

from tests.fixtures.web import key_for, sample_report
from web.embeds import fonts
from web.embeds.social_image import social_image


@pytest.fixture
def no_system_fonts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(fonts, "SEARCH_DIRS", ())
    monkeypatch.setattr(fonts, "FILES", {False: "NoSuchFont.ttf", True: "NoSuchFont-Bold.ttf"})
    fonts.font_path.cache_clear()
    fonts.font.cache_clear()
    yield
    fonts.font_path.cache_clear()
    fonts.font.cache_clear()


def test_dejavu_is_found_where_debian_keeps_it() -> None:
    # .ci/run installs fonts-dejavu-core, and so does the Docker image.
    path = fonts.font_path(bold=True)
    assert path is not None and path.name == "DejaVuSans-Bold.ttf"
    assert fonts.text_width("gitbrag", 20) > fonts.text_width("git", 20) > 0


def test_the_social_image_is_drawn_without_system_fonts(no_system_fonts: None) -> None:
    assert fonts.font_path() is None
    png = social_image(sample_report(key_for()))
    with Image.open(io.BytesIO(png)) as image:
        assert (image.format, image.size) == ("PNG", (1200, 630))
    # Text is still cut to fit, on an estimate of its width.
    assert fonts.fit("x" * 500, 20, 300).endswith("\u2026")
    assert fonts.text_width("x" * 500, 20) > 300
