"""The report builder: collected GitHub records + a report key in, a ``Report`` out.

Pure functions only — no HTTP, no Redis, no clock (``generated_at`` is passed in) — so every
rule of docs/spec.md section 3 is tested with plain tables of records.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime

from gitbrag.report.activity import issues_section, reviews_section, select_issues, select_reviews
from gitbrag.report.keys import ReportKey
from gitbrag.report.languages import detect
from gitbrag.report.models import (
    PullRequestOut,
    Report,
    RepositoryOut,
    SizeBucket,
    SocialAccountOut,
    UserOut,
)
from gitbrag.report.records import Collection, PullRequestRecord, StarCount
from gitbrag.report.summary import Frame, Rows, highlighted, summarise
from gitbrag.report.text import clean

_SIZE_LIMITS: tuple[tuple[int, SizeBucket], ...] = (
    (1, "one_liner"),
    (100, "small"),
    (500, "medium"),
    (1500, "large"),
    (5000, "huge"),
)


def size_bucket(additions: int, deletions: int) -> SizeBucket:
    """The bucket of a pull request by lines changed (docs/spec.md section 3): <=1, <=100,
    <=500, <=1500, <=5000, more."""
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
        title=clean(pr.title),
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


def _user(collection: Collection) -> UserOut:
    profile = collection.profile
    return UserOut(
        login=profile.login,
        name=clean(profile.name),
        avatar_url=profile.avatar_url,
        html_url=profile.html_url,
        bio=clean(profile.bio),
        company=clean(profile.company),
        location=clean(profile.location),
        blog=clean(profile.blog),
        social_accounts=[
            SocialAccountOut(provider=clean(account.provider), url=clean(account.url))
            for account in profile.social_accounts
        ],
        id=profile.id,
    )


def _stars(collection: Collection, key: ReportKey, name_with_owner: str, stars: int) -> StarCount:
    if key.range.period == "all_time":
        return StarCount(stars)
    return collection.stars_gained.get(name_with_owner, StarCount(0))


def _repositories(
    collection: Collection, key: ReportKey, prs: Iterable[PullRequestRecord]
) -> list[RepositoryOut]:
    """One row per repository with its pull requests, newest first; repositories by their
    newest pull request (then by name)."""
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
                description=clean(info.description),
                stars=info.stars,
                stars_gained=stars.count,
                stars_gained_capped=stars.capped,
                role=ordered[0].author_association,
                pull_requests=[_pull_request_out(pr) for pr in ordered],
            )
        )
    repositories.sort(key=lambda r: r.name_with_owner.lower())
    repositories.sort(key=lambda r: r.pull_requests[0].created_at, reverse=True)
    return repositories


def build_report(collection: Collection, key: ReportKey, generated_at: datetime) -> Report:
    """Build the report of docs/spec.md section 3 from what was collected."""
    prs = select_pull_requests(collection.pull_requests, collection, key)
    repositories = _repositories(collection, key, prs)
    reviews = None
    if collection.reviews is not None:
        reviews = reviews_section(
            select_reviews(collection.reviews, collection.profile.login, key.range)
        )
    issues = None
    if collection.issues is not None:
        issues = issues_section(select_issues(collection.issues, key.range))
    reasons = list(collection.incomplete_reasons) + languages_incomplete(prs)
    rows = Rows(repositories, reviews.by_repository if reviews is not None else ())
    summary = summarise(rows, Frame(months=key.range, colors=_language_colors(prs)))
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
        **summary._asdict(),
        repositories=repositories,
        reviews=reviews,
        issues=issues,
    )
    return highlighted(report)
