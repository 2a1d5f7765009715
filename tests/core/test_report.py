import pytest

from gitbrag.report.builder import build_report, size_bucket
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.report.records import FileChange, StarCount
from tests.core.builders import GENERATED, ONE_YEAR, TODAY, collection, pr, repo


@pytest.mark.parametrize(
    ("additions", "deletions", "bucket"),
    [
        (0, 0, "one_liner"),
        (1, 0, "one_liner"),
        (1, 1, "small"),
        (60, 40, "small"),
        (60, 41, "medium"),
        (500, 0, "medium"),
        (1000, 500, "large"),
        (1501, 0, "huge"),
        (2500, 2500, "huge"),
        (5000, 1, "massive"),
    ],
)
def test_size_buckets(additions: int, deletions: int, bucket: str) -> None:
    assert size_bucket(additions, deletions) == bucket


@pytest.mark.parametrize(
    ("created", "state", "include_closed", "counted"),
    [
        ("2025-11-29T00:00:00", "merged", False, True),  # first instant of the range
        ("2025-11-28T23:59:59", "merged", False, False),  # a second before it
        ("2026-11-29T23:59:59", "open", False, True),  # last instant of today
        ("2026-06-01T00:00:00", "closed", False, False),
        ("2026-06-01T00:00:00", "closed", True, True),
    ],
)
def test_selection_by_created_date_and_state(
    created: str, state: str, include_closed: bool, counted: bool
) -> None:
    key = ReportKey("octo-cat", ONE_YEAR.range, include_closed)
    report = build_report(collection([pr("a/b", 1, created, state)]), key, GENERATED)  # type: ignore[arg-type]
    assert report.totals.pull_requests == (1 if counted else 0)


def test_private_repositories_never_appear() -> None:
    prs = [pr("me/secret", 1, "2026-05-01T00:00:00"), pr("me/public", 2, "2026-05-01T00:00:00")]
    report = build_report(
        collection(prs, [repo("me/secret", private=True), repo("me/public")]), ONE_YEAR, GENERATED
    )
    assert [r.name_with_owner for r in report.repositories] == ["me/public"]
    assert report.totals.pull_requests == 1


def test_totals_roles_order_and_stars() -> None:
    prs = [
        pr("old/repo", 1, "2026-01-01T00:00:00", "merged", 100, 50, role="MEMBER"),
        pr("old/repo", 2, "2026-02-01T00:00:00", "open", 5, 0, role="COLLABORATOR"),
        pr("new/repo", 7, "2026-09-01T00:00:00", "merged", 1, 0, role="OWNER"),
        pr("new/repo", 3, "2026-03-01T00:00:00", "closed", 9, 9, role="OWNER"),
    ]
    stars = {"old/repo": StarCount(1000, capped=True), "new/repo": StarCount(12)}
    report = build_report(collection(prs, stars=stars), ONE_YEAR, GENERATED)
    assert [r.name_with_owner for r in report.repositories] == ["new/repo", "old/repo"]
    old = report.repositories[1]
    assert [p.number for p in old.pull_requests] == [2, 1]
    assert old.role == "COLLABORATOR"  # the newest PR's association
    assert (old.stars_gained, old.stars_gained_capped) == (1000, True)
    assert report.roles == {"COLLABORATOR": 1, "OWNER": 1}
    totals = report.totals
    assert (totals.pull_requests, totals.merged, totals.open, totals.closed) == (3, 2, 1, 0)
    assert (totals.additions, totals.deletions, totals.stars_gained) == (106, 50, 1012)
    assert report.sizes.model_dump() == {
        "one_liner": 1,
        "small": 1,
        "medium": 1,
        "large": 0,
        "huge": 0,
        "massive": 0,
    }


def test_all_time_stars_are_total_stars() -> None:
    key = ReportKey("octo-cat", DateRange.for_period("all_time", TODAY))
    prs = [pr("a/b", 1, "2012-01-01T00:00:00")]
    report = build_report(collection(prs, [repo("a/b", stars=4242)]), key, GENERATED)
    assert report.repositories[0].stars_gained == 4242
    assert report.totals.stars_gained == 4242


def test_languages_by_lines_excluding_vendored_generated_and_lock_files() -> None:
    files = (
        FileChange("src/app.py", 60, 15),
        FileChange("web/app.ts", 20, 5),
        FileChange("README.md", 500, 0),  # prose: not a language
        FileChange("package-lock.json", 9000, 100),  # lock file
        FileChange("vendor/lib.js", 700, 0),  # vendored
        FileChange("api/service.pb.go", 800, 0),  # generated
        FileChange("Dockerfile", 0, 0),  # no lines changed
    )
    report = build_report(
        collection([pr("a/b", 1, "2026-05-05T00:00:00", files=files)]), ONE_YEAR, GENERATED
    )
    shares = [(lang.name, lang.lines, lang.percent) for lang in report.languages]
    assert shares == [("Python", 75, 75.0), ("TypeScript", 25, 25.0)]
    assert report.languages[0].color == "#3572A5"


def test_months_cover_the_range_with_zeros() -> None:
    prs = [pr("a/b", 1, "2026-03-10T00:00:00"), pr("a/b", 2, "2026-03-20T00:00:00")]
    report = build_report(collection(prs), ONE_YEAR, GENERATED)
    months = {m.month: m.pull_requests for m in report.months}
    assert report.months[0].month == "2025-11" and report.months[-1].month == "2026-11"
    assert len(months) == 13
    assert months["2026-03"] == 2 and months["2026-04"] == 0


def test_long_ranges_start_months_at_the_first_pull_request() -> None:
    key = ReportKey("octo-cat", DateRange.for_period("all_time", TODAY))
    report = build_report(collection([pr("a/b", 1, "2024-02-01T00:00:00")]), key, GENERATED)
    assert report.months[0].month == "2024-02"
    assert report.months[-1].month == "2026-11"


def test_empty_report_and_completeness() -> None:
    empty = collection([])
    empty.incomplete_reasons.append("stars for a/b")
    report = build_report(empty, ONE_YEAR, GENERATED)
    assert report.totals.pull_requests == 0 and report.repositories == []
    assert report.complete is False and report.incomplete_reasons == ["stars for a/b"]
    assert report.username == "Octo-Cat" and report.period == "1_year"
    assert (report.since, report.until) == ("2025-11-29", "2026-11-29")
