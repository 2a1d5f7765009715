"""Issue 20, item 5: text from GitHub that would break or spoof a rendering (control
characters in the card's XML, bidi overrides reordering figures) is cleaned once, when a
report is built; text is cut between graphemes, never inside one."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from gitbrag.jobs.service import ReportService
from gitbrag.report.builder import build_report
from gitbrag.report.text import clean, graphemes
from tests.fixtures.web import key_for, sample_collection
from web.embeds.fonts import fit

NASTY = "Fix\x08 the\x1b[31m cache\u202e 0001 \u2066x\u2069\u200f\x85\ufffe\U0010ffff"
BIDI_AND_CONTROLS = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))] + [
    "\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)), "\ufffe", "\uffff", "\ufdd0", "\U0001fffe",
]  # fmt: skip


def _nasty_collection():  # type: ignore[no-untyped-def]
    collection = sample_collection("octocat", datetime.now(UTC))
    prs = [dataclasses.replace(pr, title=NASTY + pr.title) for pr in collection.pull_requests]
    repos = {
        name: dataclasses.replace(info, description=NASTY)
        for name, info in collection.repositories.items()
    }
    profile = dataclasses.replace(
        collection.profile, name="Octo\u202eCat\x08", bio=NASTY, company="\x00Acme"
    )
    return dataclasses.replace(collection, pull_requests=prs, repositories=repos, profile=profile)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def test_the_built_report_holds_no_control_or_bidi_character() -> None:
    report = build_report(_nasty_collection(), key_for(), datetime.now(UTC))
    dumped = report.model_dump()
    strings = list(_strings(dumped))
    assert any("cache" in value for value in strings)
    for char in BIDI_AND_CONTROLS:
        if char not in "\t\n":
            assert not [value for value in strings if char in value], repr(char)
    assert dumped["user"]["name"] == "OctoCat" and dumped["user"]["company"] == "Acme"
    title = report.repositories[0].pull_requests[0].title
    assert title.startswith("Fix the[31m cache 0001 x") and "\u202e" not in title


def test_cards_stay_well_formed_and_markdown_keeps_its_order(
    web_client: TestClient, web_service: ReportService
) -> None:
    key = key_for()
    report = build_report(_nasty_collection(), key, datetime.now(UTC))
    assert web_service.stores.reports.put(key, report)
    for path in ("card.svg", "card.svg?theme=dark&width=300", "badge.svg"):
        answer = web_client.get(f"/user/github/octocat/{path}")
        assert answer.status_code == 200
        ElementTree.fromstring(answer.content)  # well-formed XML
    for path in ("", ".md", ".json"):
        body = web_client.get(f"/user/github/octocat{path}").text
        assert not any(char in body for char in ("\u202e", "\u2066", "\x08", "\x1b", "\ufffe"))


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("plain", "plain"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("\r\n", "\n"),
        ("\u05e9\u05dc\u05d5\u05dd", "\u05e9\u05dc\u05d5\u05dd"),  # Hebrew letters stay
        ("a\u200db", "a\u200db"),  # the joiner of emoji sequences stays
        ("\u202dx\u202c", "x"),
    ],
)
def test_clean(text: str, kept: str) -> None:
    assert clean(text) == kept


def test_text_is_cut_between_graphemes() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one grapheme, five code points
    flag = "\U0001f1eb\U0001f1f7"
    accented = "e\u0301"
    assert graphemes(family + flag + accented) == [family, flag, accented]
    text = (family + flag + accented + " ") * 40
    for width in range(20, 400, 7):
        cut = fit(text, 12, width)
        assert cut.endswith("\u2026")
        kept = graphemes(cut[:-1].rstrip())
        assert all(g in (family, flag, accented, " ") for g in kept), (width, kept[-1:])
