"""The author's curation as a pure function: what a hidden repository or pull request takes out
of every section, recounted from the records (not from the code under test), and the rules of
pins and versions."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from gitbrag.errors import InvalidInput
from gitbrag.report.curation import MAX_PINS, NO_CURATION, Curation, curated
from gitbrag.report.languages import detect
from gitbrag.report.models import Report
from tests.fixtures.web import key_for, sample_collection, sample_issues, sample_reviews
from tests.oracles.highlights import check_highlights

NOW = datetime.now(UTC)


def report() -> Report:
    from gitbrag.report.builder import build_report

    return build_report(sample_collection(now=NOW), key_for(), NOW)


def test_nothing_curated_is_the_report_itself() -> None:
    original = report()
    assert curated(original, Curation()) is original
    assert Curation().version == NO_CURATION


def test_a_hidden_repository_leaves_every_section() -> None:
    original = report()
    shown = curated(original, Curation().hide_repository("Python/CPython"))  # any case
    assert "python/cpython" not in {r.name_with_owner for r in shown.repositories}
    collection = sample_collection(now=NOW)
    kept = [
        pr
        for pr in collection.pull_requests
        if pr.repository != "python/cpython" and pr.state != "closed"
    ]
    assert shown.totals.pull_requests == len(kept)
    assert shown.totals.additions == sum(pr.additions for pr in kept)
    assert shown.totals.changed_files == sum(pr.changed_files for pr in kept)
    assert shown.totals.stars_gained == 310  # octo-org/engine's only: cpython's 1000+ left
    lines: Counter[str] = Counter()
    for pr in kept:
        for change in pr.files:
            language = detect(change.path)
            if language and change.additions + change.deletions:
                lines[language.name] += change.additions + change.deletions
    assert {share.name: share.lines for share in shown.languages} == dict(lines)
    per_month = Counter(f"{pr.created_at:%Y-%m}" for pr in kept)
    assert {m.month: m.pull_requests for m in shown.months if m.pull_requests} == dict(per_month)
    # Issues opened there are gone too, every count recounted.
    issues = [i for i in sample_issues(NOW) if i.repository != "python/cpython"]
    assert shown.issues is not None
    assert shown.issues.total == len(issues)
    assert shown.issues.not_planned == sum(1 for i in issues if i.state_reason == "not_planned")
    assert shown.issues.open == sum(1 for i in issues if i.state == "open")
    assert shown.curation is not None
    assert shown.curation.hidden_repositories == 1
    assert shown.curation.hidden_pull_requests == 1  # its one pull request in the report
    check_highlights(shown.model_dump(mode="json"))


def test_a_hidden_repository_takes_its_reviews_with_their_states_and_months() -> None:
    shown = curated(report(), Curation().hide_repository("rust-lang/rust"))
    given = [
        r
        for r in sample_reviews("octocat", NOW)
        if r.repository == "octo-org/engine" and r.pull_request_author != "octocat"
    ]
    assert shown.reviews is not None
    assert shown.reviews.total == len(given)
    assert shown.reviews.repositories == 1
    assert shown.reviews.states.model_dump() == {
        state: sum(1 for r in given if r.state == state)
        for state in ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED")
    }
    per_month = Counter(f"{r.submitted_at:%Y-%m}" for r in given)
    assert {m.month: m.reviews for m in shown.months if m.reviews} == dict(per_month)
    check_highlights(shown.model_dump(mode="json"))


def test_hidden_pull_requests_pins_and_their_rules() -> None:
    curation = Curation().hide_pull_request("octo-org/engine#4211").pin("octo-org/engine#4100")
    shown = curated(report(), curation)
    engine = next(r for r in shown.repositories if r.name_with_owner == "octo-org/engine")
    assert 4211 not in {pr.number for pr in engine.pull_requests}
    assert shown.curation is not None and shown.curation.hidden_pull_requests == 1
    assert [(p.name_with_owner, p.number) for p in shown.curation.pinned] == [
        ("octo-org/engine", 4100)
    ]
    assert shown.highlights is not None
    assert shown.highlights.bullets[0].startswith("Merged #4100 ")
    check_highlights(shown.model_dump(mode="json"))
    # Pinning a hidden pull request shows it again; hiding a pinned one unpins it.
    assert not curation.pin("octo-org/engine#4211").hides_pull_request("octo-org/engine", 4211)
    assert not curation.hide_pull_request("octo-org/engine#4100").pins("octo-org/engine", 4100)
    assert curation.hide_repository("octo-org/engine").pinned == ()
    # At most five pins; refs are checked; versions name the choices, whatever the case.
    five = Curation()
    for number in range(1, MAX_PINS + 1):
        five = five.pin(f"acme/rocket#{number}")
    with pytest.raises(InvalidInput):
        five.pin("acme/rocket#99")
    for bad in ("acme", "acme/rocket#0", "acme/rocket#x", "../etc#1", "a/b#1;DROP"):
        with pytest.raises(InvalidInput):
            Curation().hide_pull_request(bad)
    assert (
        Curation().hide_repository("Acme/Rocket").version
        == Curation().hide_repository("acme/rocket").version
    )
    assert Curation().hide_repository("acme/rocket").version != NO_CURATION


def test_incomplete_reasons_about_hidden_items_are_dropped() -> None:
    original = report().model_copy(
        update={
            "complete": False,
            "incomplete_reasons": [
                "languages are incomplete for python/cpython#120001: diff too large",
                "stars of python/cpython could not be counted",
                "stars of python/cpython-docs could not be counted",
            ],
        }
    )
    shown = curated(original, Curation().hide_repository("python/cpython"))
    assert shown.incomplete_reasons == ["stars of python/cpython-docs could not be counted"]
    assert not shown.complete
