"""A page rendered once, with holes for what differs per viewer.

Templates rendered for the cache call ``hole("account")`` where viewer-specific markup goes;
that writes a marker carrying a random nonce (page content cannot forge it), and
:meth:`Document.split` cuts the rendered page at the markers into precompressed chunks and
named holes. Per request, :meth:`Document.fill` puts the viewer's chunks in the holes.

Documents travel through Redis as bytes (:meth:`to_bytes`): a small JSON header describing
the parts, then the parts' bytes. No pickle: the format is data only.
"""

from __future__ import annotations

import json
import re
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup

from web.serving.chunks import Chunk

MAGIC = b"gitbrag-document-1\n"


class HoleMarkers:
    """The ``hole(name)`` callable templates get while rendering a :class:`Document`."""

    def __init__(self) -> None:
        self.nonce = secrets.token_hex(12)
        self.pattern = re.compile(f"<!--hole:{self.nonce}:([a-z_]+)-->")

    def __call__(self, name: str) -> Markup:
        return Markup(f"<!--hole:{self.nonce}:{name}-->")


@dataclass(frozen=True, slots=True)
class Document:
    """Static chunks and hole names, in page order."""

    parts: tuple[Chunk | str, ...]

    @classmethod
    def split(cls, html: str, markers: HoleMarkers) -> Document:
        pieces = markers.pattern.split(html)  # text, hole, text, hole, ..., text
        parts: list[Chunk | str] = []
        for index, piece in enumerate(pieces):
            if index % 2:
                parts.append(piece)
            elif piece:
                parts.append(Chunk.of(piece.encode()))
        return cls(tuple(parts))

    @classmethod
    def of(cls, raw: bytes, *, level: int = 9) -> Document:
        """A document without holes (an export, an image: ``level=1`` for bytes that are
        compressed already)."""
        return cls((Chunk.of(raw, level=level),))

    @property
    def holes(self) -> frozenset[str]:
        return frozenset(part for part in self.parts if isinstance(part, str))

    @property
    def size(self) -> int:
        """Bytes held (raw and compressed), for the cache's budget."""
        return sum(len(p.raw) + len(p.deflated) for p in self.parts if isinstance(p, Chunk))

    def fill(self, holes: Mapping[str, bytes]) -> list[Chunk]:
        """The page's chunks with ``holes`` in place (every hole must be given), the holes
        compressed at level 1 (they are sent once)."""
        return [
            part if isinstance(part, Chunk) else Chunk.of(holes[part], level=1)
            for part in self.parts
        ]

    def raw(self, holes: Mapping[str, bytes]) -> bytes:
        """The page as bytes, ``holes`` in place (for a client that takes no gzip)."""
        return b"".join(part.raw if isinstance(part, Chunk) else holes[part] for part in self.parts)

    def to_bytes(self) -> bytes:
        header: list[list[str | int]] = []
        for part in self.parts:
            if isinstance(part, str):
                header.append(["hole", part])
            else:
                header.append(["chunk", len(part.raw), len(part.deflated), part.crc])
        encoded = json.dumps(header, separators=(",", ":")).encode()
        data = [p.raw + p.deflated for p in self.parts if isinstance(p, Chunk)]
        return b"".join([MAGIC, struct.pack("<I", len(encoded)), encoded, *data])

    @classmethod
    def from_bytes(cls, blob: bytes) -> Document:
        if not blob.startswith(MAGIC):
            raise ValueError("not a rendered document")
        offset = len(MAGIC)
        (length,) = struct.unpack_from("<I", blob, offset)
        offset += 4
        header = json.loads(blob[offset : offset + length])
        offset += length
        parts: list[Chunk | str] = []
        for entry in header:
            if entry[0] == "hole":
                parts.append(str(entry[1]))
                continue
            _, raw_length, deflated_length, crc = entry
            raw = blob[offset : offset + raw_length]
            offset += raw_length
            deflated = blob[offset : offset + deflated_length]
            offset += deflated_length
            parts.append(Chunk(raw, deflated, int(crc)))
        if offset != len(blob):
            raise ValueError("rendered document has trailing bytes")
        return cls(tuple(parts))
