"""Precompressed chunks spliced into one gzip member, and documents with holes.

The oracle is the standard library's gzip decoder: whatever the splicing does, the bytes a
browser inflates must be exactly the pieces in order, and the member must be valid (CRC and
size checked by ``gzip.decompress``).
"""

from __future__ import annotations

import gzip
import os
import zlib

import pytest

from web.serving.chunks import EMPTY, Chunk, gzip_member, identity
from web.serving.document import Document, HoleMarkers

PIECES = [
    b"<!doctype html><html><head><title>report</title></head><body>",
    b"",
    "caf\u00e9 \u2014 \u2605 1,234 ".encode() * 500,
    os.urandom(70_000),  # incompressible, bigger than one deflate block
    b"</body></html>",
]


def test_spliced_chunks_inflate_to_their_concatenation() -> None:
    chunks = [Chunk.of(piece) for piece in PIECES]
    member = gzip_member(chunks)
    assert gzip.decompress(member) == b"".join(PIECES)
    assert identity(chunks) == b"".join(PIECES)
    # A single streaming inflater (what a browser runs) agrees, and sees one member.
    inflater = zlib.decompressobj(wbits=31)
    assert inflater.decompress(member) + inflater.flush() == b"".join(PIECES)
    assert inflater.eof and inflater.unused_data == b""


def test_levels_mix_and_chunks_are_reusable_in_any_order() -> None:
    best = [Chunk.of(piece, level=9) for piece in PIECES]
    fast = [Chunk.of(piece, level=1) for piece in PIECES]
    mixed = [best[0], fast[2], best[3], fast[0], EMPTY, best[2]]
    expected = PIECES[0] + PIECES[2] + PIECES[3] + PIECES[0] + PIECES[2]
    assert gzip.decompress(gzip_member(mixed)) == expected
    assert gzip.decompress(gzip_member([])) == b""


def test_repetitive_pages_still_compress_well() -> None:
    page = b"<tr><td>#1</td><td>Bump lodash from 1.2.0 to 1.2.1</td></tr>\n" * 2000
    assert len(gzip_member([Chunk.of(page)])) < len(page) / 20


def test_document_split_fill_and_bytes_round_trip() -> None:
    markers = HoleMarkers()
    html = f"<header>{markers('account')}</header><main>x &lt;y&gt;</main>{markers('notice')}"
    document = Document.split(html, markers)
    assert document.holes == {"account", "notice"}
    holes = {"account": b"<a>Log in</a>", "notice": b""}
    page = b"<header><a>Log in</a></header><main>x &lt;y&gt;</main>"
    assert gzip.decompress(gzip_member(document.fill(holes))) == page
    assert document.raw(holes) == page
    again = Document.from_bytes(document.to_bytes())
    assert again == document
    with pytest.raises(KeyError):
        document.fill({"account": b""})  # every hole must be filled


def test_page_content_cannot_forge_a_hole() -> None:
    """A marker needs the render's nonce: text that looks like one stays text."""
    markers = HoleMarkers()
    forged = "<!--hole:0123456789abcdef01234567:account-->"
    document = Document.split(f"<p>{forged}</p>{markers('account')}", markers)
    assert document.holes == {"account"}
    assert forged.encode() in document.raw({"account": b""})


def test_corrupt_document_bytes_are_refused() -> None:
    blob = Document.of(b"hello").to_bytes()
    with pytest.raises(ValueError):
        Document.from_bytes(b"something else" + blob)
    with pytest.raises(ValueError):
        Document.from_bytes(blob + b"trailing")
