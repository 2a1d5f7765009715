"""The report of docs/spec.md section 3 recomputed by brute force straight from the fake data set.

Deliberately written without ``gitbrag.report.builder`` or ``gitbrag.report.activity``: it
scans every PR, review and issue of the data set with plain loops, so a bug in the builder or
the collector cannot hide by being repeated here. Only Linguist's file -> language table
(``gitbrag.report.languages.detect``) is shared.

Reviews given, from docs/spec.md section 3 and GitHub's documentation: a review counts when
the user submitted it (a pending review is not submitted) in the range, on a pull request
someone else opened, in a public repository. Issues opened: created in the range, public
repositories; GitHub's API shows a duplicate as "not planned" unless asked otherwise.

What GitHub shows of huge pull requests is spelled out here from GitHub's documentation, not
taken from the collector: a PR's file list stops at 3,000 files, and a PR whose diff is too
large lists no files and says it changed 0. Such PRs keep their lines in totals and sizes,
count what was listed in languages, and make the report incomplete, one reason each.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from gitbrag.fakehub.data import DataSet, FakeFile, FakePR
from gitbrag.report.languages import detect

BUCKETS = ("one_liner", "small", "medium", "large", "huge", "massive")
FILES_GITHUB_LISTS = 3000
STATE = {"MERGED": "merged", "OPEN": "open", "CLOSED": "closed"}


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _bucket(lines: int) -> str:
    if lines <= 1:
        return "one_liner"
    if lines <= 100:
        return "small"
    if lines <= 500:
        return "medium"
    if lines <= 1500:
        return "large"
    if lines <= 5000:
        return "huge"
    return "massive"


def expected_report(
    data: DataSet,
    login: str,
    since: date,
    until: date,
    period: str | None,
    include_closed: bool,
    stars_cap: int = 1000,
    *,
    issue_reasons_known: bool = True,
) -> dict[str, Any]:
    """The report of ``login`` straight from the data set (``issue_reasons_known`` false: as
    collected from a server without ``Issue.stateReason``)."""

    def changed_files(pr: FakePR) -> int:
        return 0 if pr.diff_too_large else len(pr.files)

    def listed_files(pr: FakePR) -> list[FakeFile]:
        return [] if pr.diff_too_large else pr.files[:FILES_GITHUB_LISTS]

    user = data.users[login.lower()]
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    end = datetime(until.year, until.month, until.day, tzinfo=UTC) + timedelta(days=1)
    chosen: list[FakePR] = []
    for pr in data.pull_requests:
        if pr.author.lower() != login.lower():
            continue
        if data.repos[pr.repo].is_private:
            continue
        if not (start <= pr.created_at < end):
            continue
        if pr.state == "CLOSED" and not include_closed:
            continue
        chosen.append(pr)

    def pr_languages(pr: FakePR) -> dict[str, int]:
        found: Counter[str] = Counter()
        for f in listed_files(pr):
            language = detect(f.path)
            if language and f.additions + f.deletions > 0:
                found[language.name] += f.additions + f.deletions
        return dict(sorted(found.items()))

    repos: dict[str, list[FakePR]] = {}
    for pr in chosen:
        repos.setdefault(pr.repo, []).append(pr)
    repositories = []
    for name, prs in repos.items():
        prs.sort(key=lambda p: (p.created_at, p.number), reverse=True)
        repo = data.repos[name]
        if period == "all_time":
            gained, capped = repo.stargazer_count, False
        else:
            in_range = sum(1 for _, when in repo.stargazers if start <= when < end)
            gained, capped = min(in_range, stars_cap), in_range >= stars_cap
        repositories.append(
            {
                "name_with_owner": name,
                "url": repo.url,
                "description": repo.description,
                "stars": repo.stargazer_count,
                "stars_gained": gained,
                "stars_gained_capped": capped,
                "role": prs[0].author_association,
                "pull_requests": [
                    {
                        "number": p.number,
                        "title": p.title,
                        "url": p.url,
                        "state": STATE[p.state],
                        "created_at": _iso(p.created_at),
                        "merged_at": _iso(p.merged_at),
                        "closed_at": _iso(p.closed_at),
                        "additions": p.additions,
                        "deletions": p.deletions,
                        "changed_files": changed_files(p),
                        "size": _bucket(p.additions + p.deletions),
                        "languages": pr_languages(p),
                    }
                    for p in prs
                ],
            }
        )
    repositories.sort(key=lambda r: r["name_with_owner"].lower())
    repositories.sort(key=lambda r: r["pull_requests"][0]["created_at"], reverse=True)

    lines: Counter[str] = Counter()
    colors: dict[str, str | None] = {}
    for pr in chosen:
        for f in listed_files(pr):
            language = detect(f.path)
            if language and f.additions + f.deletions > 0:
                lines[language.name] += f.additions + f.deletions
                colors[language.name] = language.color
    total_lines = sum(lines.values())
    languages = [
        {"name": n, "lines": c, "percent": round(100 * c / total_lines, 1), "color": colors[n]}
        for n, c in sorted(lines.items(), key=lambda item: (-item[1], item[0]))
    ]

    def month(moment: date | datetime) -> int:
        return moment.year * 12 + moment.month - 1

    first, last = month(since), month(until)
    reviews = _reviews(data, login, start, end)
    per_month = Counter(month(p.created_at) for p in chosen)
    reviews_per_month = Counter(month(when) for _, _, _, when in reviews)
    if last - first + 1 > 60:
        first = min([*per_month, *reviews_per_month], default=last + 1)
    months = [
        {
            "month": f"{m // 12:04d}-{m % 12 + 1:02d}",
            "pull_requests": per_month[m],
            "reviews": reviews_per_month[m],
        }
        for m in range(first, last + 1)
    ]
    reasons = []
    for pr in sorted(chosen, key=lambda p: (p.repo.lower(), p.number)):
        prefix = f"languages are incomplete for {pr.repo}#{pr.number}: "
        if pr.diff_too_large:
            reasons.append(prefix + "GitHub did not list its changed files (diff too large)")
        elif len(pr.files) > FILES_GITHUB_LISTS:
            reasons.append(
                prefix + f"GitHub lists only {FILES_GITHUB_LISTS:,} of its "
                f"{len(pr.files):,} changed files"
            )
    states = Counter(STATE[p.state] for p in chosen)
    sizes = Counter(_bucket(p.additions + p.deletions) for p in chosen)
    return {
        "schema_version": 1,
        "username": user.login,
        "period": period,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "include_closed": include_closed,
        "complete": not reasons,
        "incomplete_reasons": reasons,
        "user": {
            "login": user.login,
            "name": user.name,
            "bio": user.bio,
            "company": user.company,
            "location": user.location,
            "blog": user.blog,
            "social_accounts": [{"provider": p, "url": u} for p, u in user.social_accounts],
            "id": user.id,
        },
        "totals": {
            "pull_requests": len(chosen),
            "merged": states["merged"],
            "open": states["open"],
            "closed": states["closed"],
            "repositories": len(repositories),
            "additions": sum(p.additions for p in chosen),
            "deletions": sum(p.deletions for p in chosen),
            "changed_files": sum(changed_files(p) for p in chosen),
            "stars_gained": sum(r["stars_gained"] for r in repositories),
        },
        "sizes": {b: sizes[b] for b in BUCKETS},
        "roles": dict(sorted(Counter(r["role"] for r in repositories).items())),
        "languages": languages,
        "months": months,
        "repositories": repositories,
        "reviews": _reviews_section(data, reviews),
        "issues": expected_issues(data, login, start, end, reasons_known=issue_reasons_known),
        "curation": None,  # reports are stored uncurated: curation is applied when served
    }


def _reviews(
    data: DataSet, login: str, start: datetime, end: datetime
) -> list[tuple[str, int, str, datetime]]:
    """(repository, PR number, state, submitted) of every review given in the range."""
    found = []
    for pr in data.pull_requests:
        if data.repos[pr.repo].is_private or pr.author.lower() == login.lower():
            continue
        for review in pr.reviews:
            if review.author.lower() != login.lower() or review.submitted_at is None:
                continue
            if review.state != "PENDING" and start <= review.submitted_at < end:
                found.append((pr.repo, pr.number, review.state, review.submitted_at))
    return found


def _reviews_section(data: DataSet, reviews: list[tuple[str, int, str, datetime]]) -> Any:
    per_repo: dict[str, list[tuple[str, int, str, datetime]]] = {}
    for review in reviews:
        per_repo.setdefault(review[0], []).append(review)
    repositories = [
        {
            "name_with_owner": name,
            "url": data.repos[name].url,
            "reviews": len(held),
            "pull_requests": len({number for _, number, _, _ in held}),
            "last_reviewed_at": max(when for _, _, _, when in held),
            "states": {
                s: sum(1 for _, _, state, _ in held if state == s)
                for s in ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED")
            },
            "months": dict(
                sorted(Counter(f"{when.year:04d}-{when.month:02d}" for *_, when in held).items())
            ),
        }
        for name, held in per_repo.items()
    ]
    repositories.sort(
        key=lambda r: (-r["last_reviewed_at"].timestamp(), r["name_with_owner"].lower())
    )
    for repo in repositories:
        repo["last_reviewed_at"] = _iso(repo["last_reviewed_at"])
    states = Counter(state for _, _, state, _ in reviews)
    return {
        "total": len(reviews),
        "pull_requests": len({(repo, number) for repo, number, _, _ in reviews}),
        "repositories": len(repositories),
        "states": {
            s: states[s] for s in ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED")
        },
        "by_repository": repositories,
    }


REASONS = {"COMPLETED": "completed", "NOT_PLANNED": "not_planned", "DUPLICATE": "not_planned"}


def expected_issues(
    data: DataSet, login: str, start: datetime, end: datetime, *, reasons_known: bool = True
) -> Any:
    """Issues opened; ``reasons_known`` false: as read from a server without
    ``Issue.stateReason`` (an older Enterprise Server): closed ones of unknown reason."""
    chosen = [
        issue
        for issue in data.issues
        if issue.author.lower() == login.lower()
        and not data.repos[issue.repo].is_private
        and start <= issue.created_at < end
    ]
    chosen.sort(key=lambda issue: (issue.created_at, issue.number), reverse=True)
    per_repo: dict[str, list[Any]] = {}
    for issue in chosen:
        reason = issue.state_reason
        per_repo.setdefault(issue.repo, []).append(
            {
                "number": issue.number,
                "title": issue.title,
                "url": issue.url,
                "state": issue.state.lower(),
                "state_reason": (
                    None
                    if not reasons_known
                    else "reopened"
                    if reason == "REOPENED"
                    else REASONS.get(reason or "")
                ),
                "created_at": _iso(issue.created_at),
                "closed_at": _iso(issue.closed_at),
                "state_reason_known": reasons_known,
            }
        )
    repositories = [
        {"name_with_owner": name, "url": data.repos[name].url, "issues": issues}
        for name, issues in per_repo.items()
    ]
    repositories.sort(key=lambda r: r["name_with_owner"].lower())
    repositories.sort(key=lambda r: r["issues"][0]["created_at"], reverse=True)
    closed = [issue for issue in chosen if issue.closed_at is not None]
    not_planned = sum(1 for issue in closed if issue.state_reason in ("NOT_PLANNED", "DUPLICATE"))
    if not reasons_known:
        not_planned = 0
    unknown = 0 if reasons_known else len(closed)
    return {
        "total": len(chosen),
        "open": len(chosen) - len(closed),
        "closed": len(closed),
        "completed": len(closed) - not_planned - unknown,
        "not_planned": not_planned,
        "repositories": len(repositories),
        "by_repository": repositories,
        "closed_reason_unknown": unknown,
    }
