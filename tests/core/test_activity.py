"""Reviews given and issues opened, as the pure builder counts them (tables of records)."""

from __future__ import annotations

from datetime import date

import pytest

from gitbrag.report.builder import build_report
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.report.periods import DateRange
from tests.core.builders import GENERATED, ONE_YEAR, TODAY, at, collection, issue, pr, review
from tests.oracles.highlights import check_highlights


def reviews_of(*records, key: ReportKey = ONE_YEAR):  # type: ignore[no-untyped-def]
    report = build_report(collection([], reviews=list(records)), key, GENERATED)
    assert report.reviews is not None
    return report.reviews


@pytest.mark.parametrize(
    ("submitted", "counted"),
    [
        ("2025-11-29T00:00:00", True),  # first instant of the range
        ("2025-11-28T23:59:59", False),  # a second before it
        ("2026-11-29T23:59:59", True),  # last instant of today
        ("2026-11-30T00:00:00", False),  # tomorrow
    ],
)
def test_reviews_count_by_submission_time_inclusive_to_the_second(
    submitted: str, counted: bool
) -> None:
    assert reviews_of(review("a/b", 1, submitted)).total == int(counted)


def test_own_pull_requests_and_private_repositories_are_not_reviews_given() -> None:
    given = reviews_of(
        review("a/b", 1, "2026-05-01T10:00:00"),
        review("a/b", 2, "2026-05-01T10:00:00", author="OCTO-cat"),  # the user's own PR
        review("a/b", 3, "2026-05-01T10:00:00", author="Octo-Cat"),
        review("secret/lab", 4, "2026-05-01T10:00:00", private=True),
        review("a/b", 5, "2026-05-01T10:00:00", author=None),  # a deleted account's PR
    )
    assert (given.total, given.pull_requests) == (2, 2)
    assert [repo.name_with_owner for repo in given.by_repository] == ["a/b"]


def test_each_review_counts_once_and_states_are_counted() -> None:
    twice = review("a/b", 1, "2026-05-01T10:00:00", review_id="R1")
    given = reviews_of(
        twice,
        twice,  # a pull request reviewed in two spans comes back twice
        review("a/b", 1, "2026-05-02T10:00:00", "CHANGES_REQUESTED", review_id="R2"),
        review("a/b", 1, "2026-05-03T10:00:00", "COMMENTED", review_id="R3"),
        review("c/d", 7, "2026-06-01T10:00:00", "DISMISSED", review_id="R4"),
    )
    assert given.total == 4
    assert given.pull_requests == 2
    assert given.states.model_dump() == {
        "APPROVED": 1,
        "CHANGES_REQUESTED": 1,
        "COMMENTED": 1,
        "DISMISSED": 1,
    }


def test_repositories_by_newest_review_then_name() -> None:
    given = reviews_of(
        review("z/old", 1, "2026-01-01T00:00:00"),
        review("b/new", 2, "2026-09-01T00:00:00"),
        review("a/new", 3, "2026-09-01T00:00:00"),
        review("z/old", 4, "2026-02-01T00:00:00"),
    )
    assert [(r.name_with_owner, r.reviews, r.pull_requests) for r in given.by_repository] == [
        ("a/new", 1, 1),
        ("b/new", 1, 1),
        ("z/old", 2, 2),
    ]
    assert given.by_repository[2].last_reviewed_at == at("2026-02-01T00:00:00")
    assert given.repositories == 3


def test_reviews_per_month_share_the_months_chart() -> None:
    key = ReportKey("octo-cat", DateRange(date(2026, 1, 1), date(2026, 3, 31)))
    report = build_report(
        collection(
            [pr("a/b", 1, "2026-02-10T00:00:00")],
            reviews=[
                review("c/d", 1, "2026-01-31T23:59:59"),
                review("c/d", 2, "2026-03-01T00:00:00"),
                review("c/d", 3, "2026-03-15T00:00:00"),
            ],
        ),
        key,
        GENERATED,
    )
    assert [(m.month, m.pull_requests, m.reviews) for m in report.months] == [
        ("2026-01", 0, 1),
        ("2026-02", 1, 0),
        ("2026-03", 0, 2),
    ]


def test_long_ranges_start_at_the_first_pull_request_or_review() -> None:
    key = ReportKey("octo-cat", DateRange.for_period("all_time", TODAY))
    report = build_report(
        collection(
            [pr("a/b", 1, "2020-06-01T00:00:00")], reviews=[review("c/d", 1, "2019-03-05T00:00:00")]
        ),
        key,
        GENERATED,
    )
    assert report.months[0].month == "2019-03" and report.months[0].reviews == 1
    only_reviews = build_report(
        collection([], reviews=[review("c/d", 1, "2024-07-05T00:00:00")]), key, GENERATED
    )
    assert only_reviews.months[0].month == "2024-07"
    assert build_report(collection([], reviews=[]), key, GENERATED).months == []


def test_issues_counted_by_state_and_reason_newest_first() -> None:
    report = build_report(
        collection(
            [],
            issues=[
                issue("a/b", 3, "2026-03-01T00:00:00"),
                issue("a/b", 9, "2026-08-01T00:00:00", "closed", "completed"),
                issue("c/d", 2, "2026-05-01T00:00:00", "closed", "not_planned"),
                issue("c/d", 4, "2026-06-01T00:00:00", "closed", None),  # closed before reasons
                issue("c/d", 5, "2026-07-01T00:00:00", "open", "reopened"),
                issue("c/d", 5, "2026-07-01T00:00:00", "open", "reopened"),  # found twice
                issue("secret/lab", 1, "2026-07-01T00:00:00", private=True),
                issue("a/b", 1, "2025-11-28T23:59:59"),  # a second before the range
            ],
        ),
        ONE_YEAR,
        GENERATED,
    )
    issues = report.issues
    assert issues is not None
    assert (issues.total, issues.open, issues.closed) == (5, 2, 3)
    assert (issues.completed, issues.not_planned) == (2, 1)
    assert [(r.name_with_owner, [i.number for i in r.issues]) for r in issues.by_repository] == [
        ("a/b", [9, 3]),
        ("c/d", [5, 4, 2]),
    ]
    assert issues.repositories == 2


def test_closed_issues_of_unknown_reason_are_closed_but_never_completed() -> None:
    """An older Enterprise Server cannot say why an issue was closed (no ``stateReason``):
    it counts as closed, the split shows it as unknown. ``stateReason: null`` from a server
    that has the field stays completed (closed before GitHub kept reasons)."""
    issues = [
        issue("a/b", 1, "2026-03-01T00:00:00", "closed", None, reason_known=False),
        issue("a/b", 2, "2026-03-02T00:00:00", "closed", None, reason_known=False),
        issue("a/b", 3, "2026-03-03T00:00:00", "open", None, reason_known=False),
        issue("c/d", 4, "2026-04-01T00:00:00", "closed", None),
        issue("c/d", 5, "2026-04-02T00:00:00", "closed", "not_planned"),
    ]
    report = build_report(collection([], issues=issues), ONE_YEAR, GENERATED)
    check_highlights(report.model_dump(mode="json"))
    assert "2 closed for an unknown reason" in report.highlights.summary  # type: ignore[union-attr]
    found = report.issues
    assert found is not None
    assert (found.total, found.open, found.closed) == (5, 1, 4)
    assert (found.completed, found.not_planned, found.closed_reason_unknown) == (1, 1, 2)
    assert found.closed == found.completed + found.not_planned + found.closed_reason_unknown
    unknown = [i.number for r in found.by_repository for i in r.issues if not i.state_reason_known]
    assert sorted(unknown) == [1, 2, 3]


def test_reports_made_before_unknown_reasons_load_with_every_reason_known() -> None:
    issues = [issue("a/b", 1, "2026-03-01T00:00:00", "closed", "completed")]
    report = build_report(collection([], issues=issues), ONE_YEAR, GENERATED)
    old = report.model_dump(mode="json")
    del old["issues"]["closed_reason_unknown"]
    del old["issues"]["by_repository"][0]["issues"][0]["state_reason_known"]
    loaded = Report.model_validate(old)
    assert loaded == report


def test_reports_without_collected_activity_say_so() -> None:
    report = build_report(collection([pr("a/b", 1, "2026-02-10T00:00:00")]), ONE_YEAR, GENERATED)
    assert report.reviews is None and report.issues is None
    empty = build_report(collection([], reviews=[], issues=[]), ONE_YEAR, GENERATED)
    assert empty.reviews is not None and empty.reviews.total == 0
    assert empty.issues is not None and empty.issues.total == 0


def test_reports_cached_before_reviews_still_load() -> None:
    """A report stored before this change has no reviews, issues or monthly reviews."""
    report = build_report(collection([pr("a/b", 1, "2026-02-10T00:00:00")]), ONE_YEAR, GENERATED)
    old = report.model_dump(mode="json")
    del old["reviews"], old["issues"]
    for month in old["months"]:
        del month["reviews"]
    loaded = Report.model_validate(old)
    assert loaded.reviews is None and loaded.issues is None
    assert sum(month.reviews for month in loaded.months) == 0
    assert loaded.model_dump(mode="json")["schema_version"] == 1
