"""Text from GitHub made fit to show, once, when a report is built: titles, names, bios and
descriptions are whatever their authors typed.

* ``clean`` drops what breaks or spoofs a rendering: C0 controls but tab and newline (one
  U+0008 makes ``card.svg`` malformed XML), DEL and the C1 controls, noncharacters (U+FFFE,
  U+FFFF and their kin in every plane), and the bidirectional controls (U+202A-U+202E
  embeddings and overrides, U+2066-U+2069 isolates, U+200E/U+200F/U+061C marks) that would
  reorder a report's figures in HTML, Markdown and SVG. Letters of right-to-left scripts stay
  and are laid out by the Unicode bidi algorithm as usual, within their own element.
* ``graphemes`` splits text into what a reader sees as one character (an extended grapheme
  cluster: ``é`` as e + U+0301, a flag, a family emoji joined by U+200D), so text cut
  to fit (the card, ``web.embeds.fonts.fit``) never splits one. The ``regex`` module's
  ``\\X`` implements Unicode's segmentation rules (the standard library has none).
"""

from __future__ import annotations

from typing import Final, overload

import regex

_BIDI: Final = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_CONTROLS: Final = (*(c for c in range(0x20) if c not in (0x09, 0x0A)), *range(0x7F, 0xA0))
_NONCHARACTERS: Final = (
    *range(0xFDD0, 0xFDF0),
    *(plane + low for plane in range(0, 0x110000, 0x10000) for low in (0xFFFE, 0xFFFF)),
)
_DROP: Final = dict.fromkeys((*_CONTROLS, *_BIDI, *_NONCHARACTERS))
_GRAPHEME: Final = regex.compile(r"\X")
ELLIPSIS: Final = "\u2026"


@overload
def clean(text: str) -> str: ...
@overload
def clean(text: None) -> None: ...
def clean(text: str | None) -> str | None:
    """``text`` without controls (but tab and newline), noncharacters and bidi controls."""
    if text is None or (text.isprintable() and text.isascii()):
        return text  # the usual case, at no cost
    return text.translate(_DROP)


def graphemes(text: str) -> list[str]:
    """``text`` as the characters a reader sees (extended grapheme clusters)."""
    found: list[str] = _GRAPHEME.findall(text)
    return found
