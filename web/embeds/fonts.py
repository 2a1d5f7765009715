"""The fonts the social image is drawn with and the card's text is measured in: DejaVu Sans.

Found where systems keep it (Debian's ``fonts-dejavu-core``, which the Docker image and CI
install, and the usual places elsewhere), then wherever Pillow finds fonts by name; without
any, Pillow's own scalable font (``ImageFont.load_default(size)``) draws the image, so
``pip install gitbrag`` works on a machine with no fonts at all, only less pretty.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from PIL import ImageFont

from gitbrag.report.text import ELLIPSIS, graphemes

FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont
FILES: Final = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}
SEARCH_DIRS: Final = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu
    Path("/usr/share/fonts/dejavu"),  # Fedora, Arch
    Path("/usr/share/fonts/TTF"),
    Path("/usr/share/fonts/dejavu-sans-fonts"),
    Path("/usr/local/share/fonts"),
    Path("/opt/homebrew/share/fonts"),
    Path("/Library/Fonts"),
    Path.home() / ".local/share/fonts",
)
# When no font is measured: DejaVu Sans' average advance, in ems (it runs wide, so text
# estimated with it fits in narrower fonts too).
AVERAGE_ADVANCE: Final = {False: 0.62, True: 0.68}


@cache
def font_path(bold: bool = False) -> Path | None:
    """Where DejaVu Sans (bold) is on this machine, if anywhere we look."""
    name = FILES[bold]
    for directory in SEARCH_DIRS:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


@cache
def font(size: int, bold: bool = False) -> FontType:
    """DejaVu Sans at ``size`` pixels, or the best stand-in there is."""
    path = font_path(bold)
    if path is not None:
        return ImageFont.truetype(str(path), size)
    try:
        return ImageFont.truetype(FILES[bold], size)  # Pillow's own search by name
    except OSError:
        return ImageFont.load_default(size)


def text_width(text: str, size: int, bold: bool = False) -> float:
    """How wide ``text`` is at ``size`` pixels in DejaVu Sans (estimated without it)."""
    if font_path(bold) is None:
        return len(text) * size * AVERAGE_ADVANCE[bold]
    return float(font(size, bold).getlength(text))


def fit(text: str, size: int, width: float, bold: bool = False) -> str:
    """``text``, cut with an ellipsis so it is at most ``width`` pixels wide: between
    graphemes (``gitbrag.report.text``), never inside a flag, an accented letter or an
    emoji sequence."""
    if text_width(text, size, bold) <= width:
        return text
    clusters = graphemes(text)
    low, high = 0, len(clusters)
    while low < high:
        middle = (low + high + 1) // 2
        if text_width("".join(clusters[:middle]).rstrip() + ELLIPSIS, size, bold) <= width:
            low = middle
        else:
            high = middle - 1
    return "".join(clusters[:low]).rstrip() + ELLIPSIS
