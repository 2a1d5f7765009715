"""The report builder: collected GitHub records + a report key in, a ``Report`` out.

Pure functions only — no HTTP, no Redis, no clock (``generated_at`` is passed in) — so every
rule of SPEC section 3 is tested with plain tables of records.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from gitbrag.activity import issues_section, reviews_section, select_issues, select_reviews
from gitbrag.highlights import highlights
from gitbrag.languages import detect
from gitbrag.models import (
    SIZE_BUCKETS,
    Collection,
    LanguageShare,
    MonthCount,
    PullRequestOut,
    PullRequestRecord,
    Report,
    RepositoryOut,
    ReviewRecord,
    SizeBucket,
    Sizes,
    SocialAccountOut,
    StarCount,
    Totals,
    UserOut,
)
from gitbrag.periods import ReportKey

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


def language_shares(lines: Counter[str], colors: dict[str, str | None]) -> list[LanguageShare]:
    """``lines`` per language as shares, largest first, percentages to one decimal."""
    total = sum(lines.values())
    ordered = sorted(((n, c) for n, c in lines.items() if c > 0), key=lambda i: (-i[1], i[0]))
    return [
        LanguageShare(
            name=name, lines=count, percent=round(100 * count / total, 1), color=colors.get(name)
        )
        for name, count in ordered
    ]


def languages(prs: Iterable[PullRequestRecord]) -> list[LanguageShare]:
    """Lines changed per Linguist language, largest first, percentages to one decimal."""
    lines: Counter[str] = Counter()
    colors: dict[str, str | None] = {}
    for pr in prs:
        for change in pr.files:
            language = detect(change.path)
            if language is not None:
                colors[language.name] = language.color
        lines.update(pull_request_languages(pr))
    return language_shares(lines, colors)


FILES_UNREAD = "its changed files could not be read"


def languages_incomplete(prs: Iterable[PullRequestRecord]) -> list[str]:
    """One incomplete reason per PR whose files leave out some changes (by repository and
    number): its lines count in totals and sizes, but not all of them in languages."""
    return [
        f"languages are incomplete for {pr.repository}#{pr.number}: {pr.files_note or FILES_UNREAD}"
        for pr in sorted(prs, key=lambda pr: (pr.repository.lower(), pr.number))
        if not pr.files_complete
    ]


def _month_index(day: date | datetime) -> int:
    return day.year * 12 + day.month - 1


def months(
    prs: list[PullRequestRecord], key: ReportKey, reviews: Iterable[ReviewRecord] = ()
) -> list[MonthCount]:
    """PRs opened and reviews given per calendar month across the range, zeros included;
    past 60 months it starts at the month of the first PR or review (docs/architecture.md)."""
    first = _month_index(key.range.since)
    last = _month_index(key.range.until)
    counts = Counter(_month_index(pr.created_at) for pr in prs)
    reviewed = Counter(_month_index(review.submitted_at) for review in reviews)
    if last - first + 1 > MAX_MONTHS_FROM_RANGE_START:
        active = [*counts, *reviewed]
        if not active:
            return []
        first = min(active)
    return [
        MonthCount(
            month=f"{index // 12:04d}-{index % 12 + 1:02d}",
            pull_requests=counts[index],
            reviews=reviewed[index],
        )
        for index in range(first, last + 1)
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
        reviews = select_reviews(collection.reviews, login, key.range)
    issues = None
    if collection.issues is not None:
        issues = select_issues(collection.issues, key.range)
    states = Counter(pr.state for pr in prs)
    sizes = Counter(size_bucket(pr.additions, pr.deletions) for pr in prs)
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
        totals=Totals(
            pull_requests=len(prs),
            merged=states["merged"],
            open=states["open"],
            closed=states["closed"],
            repositories=len(repositories),
            additions=sum(pr.additions for pr in prs),
            deletions=sum(pr.deletions for pr in prs),
            changed_files=sum(pr.changed_files for pr in prs),
            stars_gained=sum(repo.stars_gained for repo in repositories),
        ),
        sizes=Sizes(**{bucket: sizes[bucket] for bucket in SIZE_BUCKETS}),
        roles=dict(sorted(Counter(repo.role for repo in repositories).items())),
        languages=languages(prs),
        months=months(prs, key, reviews or ()),
        repositories=repositories,
        reviews=reviews_section(reviews) if reviews is not None else None,
        issues=issues_section(issues) if issues is not None else None,
    )
    return report.model_copy(update={"highlights": highlights(report)})
