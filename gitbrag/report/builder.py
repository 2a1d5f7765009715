"""The report builder: collected GitHub records + a report key in, a ``Report`` out.

Pure functions only — no HTTP, no Redis, no clock (``generated_at`` is passed in) — so every
rule of SPEC section 3 is tested with plain tables of records.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from gitbrag.report import counts
from gitbrag.report.activity import issues_section, reviews_section, select_issues, select_reviews
from gitbrag.report.highlights import highlights
from gitbrag.report.keys import ReportKey
from gitbrag.report.languages import detect
from gitbrag.report.models import (
    MonthCount,
    PullRequestOut,
    Report,
    RepositoryOut,
    SizeBucket,
    SocialAccountOut,
    UserOut,
)
from gitbrag.report.records import Collection, PullRequestRecord, StarCount

_SIZE_LIMITS: tuple[tuple[int, SizeBucket], ...] = (
    (1, "one_liner"),
    (100, "small"),
    (500, "medium"),
    (1500, "large"),
    (5000, "huge"),
)
MAX_MONTHS_FROM_RANGE_START = 60


def size_bucket(additions: int, deletions: int) -> SizeBucket:
    """SPEC's buckets by lines changed: <=1, <=100, <=500, <=1500, <=5000, more."""
    lines = additions + deletions
    for limit, bucket in _SIZE_LIMITS:
        if lines <= limit:
            return bucket
    return "massive"


def select_pull_requests(
    records: Iterable[PullRequestRecord], collection: Collection, key: ReportKey
) -> list[PullRequestRecord]:
    """The PRs a report counts: created in range, public repository, state allowed."""
    selected = []
    for pr in records:
        repo = collection.repositories.get(pr.repository)
        if repo is None or repo.is_private:
            continue
        if not key.range.contains(pr.created_at):
            continue
        if pr.state == "closed" and not key.include_closed:
            continue
        selected.append(pr)
    return selected


def _newest_first(prs: Iterable[PullRequestRecord]) -> list[PullRequestRecord]:
    return sorted(prs, key=lambda pr: (pr.created_at, pr.number), reverse=True)


def _pull_request_out(pr: PullRequestRecord) -> PullRequestOut:
    return PullRequestOut(
        number=pr.number,
        title=pr.title,
        url=pr.url,
        state=pr.state,
        created_at=pr.created_at,
        merged_at=pr.merged_at,
        closed_at=pr.closed_at,
        additions=pr.additions,
        deletions=pr.deletions,
        changed_files=pr.changed_files,
        size=size_bucket(pr.additions, pr.deletions),
        languages=dict(sorted(pull_request_languages(pr).items())),
    )


def pull_request_languages(pr: PullRequestRecord) -> Counter[str]:
    """Lines changed per Linguist language in one PR's listed files."""
    lines: Counter[str] = Counter()
    for change in pr.files:
        language = detect(change.path)
        changed = change.additions + change.deletions
        if language is not None and changed > 0:
            lines[language.name] += changed
    return lines


def _language_colors(prs: Iterable[PullRequestRecord]) -> dict[str, str | None]:
    """The colour of every Linguist language among the PRs' listed files."""
    colors: dict[str, str | None] = {}
    for pr in prs:
        for change in pr.files:
            language = detect(change.path)
            if language is not None:
                colors[language.name] = language.color
    return colors


FILES_UNREAD = "its changed files could not be read"


def languages_incomplete(prs: Iterable[PullRequestRecord]) -> list[str]:
    """One incomplete reason per PR whose files leave out some changes (by repository and
    number): its lines count in totals and sizes, but not all of them in languages."""
    return [
        f"languages are incomplete for {pr.repository}#{pr.number}: {pr.files_note or FILES_UNREAD}"
        for pr in sorted(prs, key=lambda pr: (pr.repository.lower(), pr.number))
        if not pr.files_complete
    ]


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def months(key: ReportKey, pull_requests: Counter[str], reviews: Counter[str]) -> list[MonthCount]:
    """PRs opened and reviews given (per ``counts.month_of``) on every calendar month of the
    range, zeros included; past 60 months it starts at the month of the first PR or review
    (docs/architecture.md)."""
    first = _month_index(key.range.since)
    last = _month_index(key.range.until)
    if last - first + 1 > MAX_MONTHS_FROM_RANGE_START:
        active = [*pull_requests, *reviews]
        if not active:
            return []
        first = _month_index(date.fromisoformat(min(active) + "-01"))
    labels = (f"{index // 12:04d}-{index % 12 + 1:02d}" for index in range(first, last + 1))
    return [
        MonthCount(month=month, pull_requests=pull_requests[month], reviews=reviews[month])
        for month in labels
    ]


def _user(collection: Collection) -> UserOut:
    profile = collection.profile
    return UserOut(
        login=profile.login,
        name=profile.name,
        avatar_url=profile.avatar_url,
        html_url=profile.html_url,
        bio=profile.bio,
        company=profile.company,
        location=profile.location,
        blog=profile.blog,
        social_accounts=[
            SocialAccountOut(provider=account.provider, url=account.url)
            for account in profile.social_accounts
        ],
        id=profile.id,
    )


def _stars(collection: Collection, key: ReportKey, name_with_owner: str, stars: int) -> StarCount:
    if key.range.period == "all_time":
        return StarCount(stars)
    return collection.stars_gained.get(name_with_owner, StarCount(0))


def build_report(collection: Collection, key: ReportKey, generated_at: datetime) -> Report:
    """Build the report of SPEC section 3 from what was collected."""
    prs = select_pull_requests(collection.pull_requests, collection, key)
    by_repo: dict[str, list[PullRequestRecord]] = defaultdict(list)
    for pr in prs:
        by_repo[pr.repository].append(pr)

    repositories: list[RepositoryOut] = []
    for name, repo_prs in by_repo.items():
        info = collection.repositories[name]
        ordered = _newest_first(repo_prs)
        stars = _stars(collection, key, name, info.stars)
        repositories.append(
            RepositoryOut(
                name_with_owner=info.name_with_owner,
                url=info.url,
                description=info.description,
                stars=info.stars,
                stars_gained=stars.count,
                stars_gained_capped=stars.capped,
                role=ordered[0].author_association,
                pull_requests=[_pull_request_out(pr) for pr in ordered],
            )
        )
    repositories.sort(key=lambda r: r.name_with_owner.lower())
    repositories.sort(key=lambda r: r.pull_requests[0].created_at, reverse=True)

    login = collection.profile.login
    reviews = None
    if collection.reviews is not None:
        reviews = reviews_section(select_reviews(collection.reviews, login, key.range))
    issues = None
    if collection.issues is not None:
        issues = issues_section(select_issues(collection.issues, key.range))
    reasons = list(collection.incomplete_reasons) + languages_incomplete(prs)
    report = Report(
        username=collection.profile.login,
        period=key.range.period,
        since=key.range.since.isoformat(),
        until=key.range.until.isoformat(),
        generated_at=generated_at,
        include_closed=key.include_closed,
        complete=not reasons,
        incomplete_reasons=reasons,
        user=_user(collection),
        totals=counts.totals(repositories),
        sizes=counts.sizes(repositories),
        roles=counts.roles(repositories),
        languages=counts.language_shares(
            counts.language_lines(pr for repo in repositories for pr in repo.pull_requests),
            _language_colors(prs),
        ),
        months=months(
            key,
            counts.pull_requests_by_month(repositories),
            counts.reviews_by_month(reviews.by_repository if reviews is not None else ()),
        ),
        repositories=repositories,
        reviews=reviews,
        issues=issues,
    )
    return report.model_copy(update={"highlights": highlights(report)})
