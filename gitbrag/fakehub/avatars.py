"""Deterministic identicon avatars (5x5, mirrored, one colour from the login's hash)."""

from __future__ import annotations

import hashlib


def identicon_svg(login: str) -> str:
    digest = hashlib.sha256(login.lower().encode()).digest()
    hue = digest[0] * 360 // 256
    colour = f"hsl({hue}, 55%, 50%)"
    cells: list[str] = []
    for row in range(5):
        for col in range(3):
            if digest[1 + row * 3 + col] % 2:
                for x in {col, 4 - col}:
                    cells.append(
                        f'<rect x="{x * 14 + 5}" y="{row * 14 + 5}" width="14" height="14"/>'
                    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="80" height="80" viewBox="0 0 80 80">'
        f'<rect width="80" height="80" fill="#f0f0f0"/><g fill="{colour}">{"".join(cells)}</g>'
        "</svg>"
    )
