"""Compress once, splice per request: gzip bodies assembled from precompressed pieces.

A :class:`Chunk` is bytes plus their raw-deflate form ended by a *full flush*: byte-aligned,
not final, and independent of anything before it (the compressor starts fresh). Deflate
streams made of such pieces can be concatenated, so one gzip member is

    gzip header · chunk₁.deflated · chunk₂.deflated · … · final empty block · CRC32 · size

where the CRC of the whole comes from the pieces' CRCs (``crc32_combine``), never from
re-reading the bytes. A page compressed at the best level once per report version is then
sent with a few freshly compressed viewer-specific chunks in a few microseconds.

zlib-ng (``zlib_ng``) does the compressing: faster than zlib, and it has ``crc32_combine``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from zlib_ng import zlib_ng

# No file name, no modification time (the bytes depend on the content only), OS "unknown".
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
FINAL_BLOCK = zlib_ng.compressobj(wbits=-15).flush()  # an empty, final block


@dataclass(frozen=True, slots=True)
class Chunk:
    """``raw`` with its raw-deflate form (full flush), CRC32 and length."""

    raw: bytes
    deflated: bytes
    crc: int

    @classmethod
    def of(cls, raw: bytes, *, level: int = 9) -> Chunk:
        """Compress ``raw`` (level 9 for what is sent many times, 1 for per-request bits)."""
        compressor = zlib_ng.compressobj(level, zlib_ng.DEFLATED, -15)
        deflated = compressor.compress(raw) + compressor.flush(zlib_ng.Z_FULL_FLUSH)
        return cls(raw, deflated, zlib_ng.crc32(raw))

    def __len__(self) -> int:
        return len(self.raw)


EMPTY = Chunk.of(b"")


def gzip_member(chunks: Iterable[Chunk]) -> bytes:
    """One gzip member holding the concatenation of ``chunks``."""
    crc = 0
    size = 0
    parts = [GZIP_HEADER]
    for chunk in chunks:
        crc = zlib_ng.crc32_combine(crc, chunk.crc, len(chunk.raw))
        size += len(chunk.raw)
        parts.append(chunk.deflated)
    parts.append(FINAL_BLOCK)
    parts.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
    return b"".join(parts)


def identity(chunks: Iterable[Chunk]) -> bytes:
    return b"".join(chunk.raw for chunk in chunks)
