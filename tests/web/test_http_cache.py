"""The caching headers' rules, as tables."""

from __future__ import annotations

import pytest

from web.serving import respond

DAY = 86_400


@pytest.mark.parametrize(
    ("fresh", "age", "expected"),
    [
        (DAY, 0, "public, max-age=900, stale-while-revalidate=3600"),
        (DAY, DAY - 2000, "public, max-age=900, stale-while-revalidate=1100"),
        (DAY, DAY - 600, "public, max-age=600, stale-while-revalidate=0"),  # never past stale
        (DAY, DAY + 5, "public, max-age=0, stale-while-revalidate=0"),
        (3600, 0, "public, max-age=37, stale-while-revalidate=150"),  # scales with freshness
    ],
)
def test_public_cache_control_scales_and_stops_at_staleness(
    fresh: int, age: float, expected: str
) -> None:
    assert respond.public(fresh, age) == expected


@pytest.mark.parametrize(
    ("header", "gzip"),
    [
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("GZIP", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0", False),
        ("identity", False),
        ("br", False),
        ("", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accepts_gzip(header: str, gzip: bool) -> None:
    assert respond.accepts_gzip({"accept-encoding": header}) is gzip


def test_strong_etags_differ_by_coding() -> None:
    assert respond.etag("v1", "b1", "anonymous-fresh", gzip=True) == '"v1-b1-anonymous-fresh-gz"'
    assert respond.etag("v1", "b1", "anonymous-fresh", gzip=False).endswith('-id"')


@pytest.mark.parametrize(
    ("if_none_match", "matches"),
    [
        ('"v1-gz"', True),
        ('"v0-gz", "v1-gz"', True),
        ('W/"v1-gz"', True),  # If-None-Match compares weakly
        ("*", True),
        ('"v1-id"', False),
        ('"v0-gz"', False),
        ("", False),
        (None, False),
    ],
)
def test_if_none_match(if_none_match: str | None, matches: bool) -> None:
    assert respond.matches(if_none_match, '"v1-gz"') is matches
