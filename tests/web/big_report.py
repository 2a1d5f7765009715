"""A big report built by the real builder from a synthetic collection: 3,000 pull requests
over 45 repositories, 1,600 of them in one (the shape of the simulated 2,600-PR user), 5 in
the oldest.
Shared by the bounded-pages tests and the browser test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gitbrag.report.builder import build_report
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.report.periods import DateRange
from gitbrag.report.records import Collection, FileChange, PullRequestRecord, RepositoryInfo
from tests.fixtures.web import sample_collection

BIG_KEY = ReportKey("prolific-bot", DateRange.for_period("2_years"))
BIG_PAGE = "/user/github/prolific-bot?period=2_years"
BIG_REPO = "bot-farm/deps-a"


def big_report(title_length: int = 0) -> Report:
    now = datetime.now(UTC)
    key = BIG_KEY
    repos = [BIG_REPO] + [f"bot-farm/service-{n:02d}" for n in range(43)] + ["bot-farm/few"]
    prs = []
    for number in range(1, 3001):
        repo = BIG_REPO if number <= 1600 else repos[1 + number % 43]
        if number > 2995:
            repo = "bot-farm/few"  # 5 pull requests: all on the report page
        created = now - timedelta(hours=5 * number)
        package = ("lodash", "requests", "serde", "cobra", "react")[number % 5]
        prs.append(
            PullRequestRecord(
                repository=repo,
                number=number,
                title=f"Bump {package} from 1.{number % 30}.0 to 1.{number % 30}.1 <in /app>"
                + " and more words" * (title_length // 15),
                url=f"https://github.com/{repo}/pull/{number}",
                state="merged" if number % 9 else "open",
                created_at=created,
                merged_at=created + timedelta(hours=1) if number % 9 else None,
                closed_at=created + timedelta(hours=1) if number % 9 else None,
                additions=number % 40,
                deletions=number % 7,
                changed_files=1 + number % 3,
                author_association="CONTRIBUTOR",
                files=(FileChange("package-lock.json", number % 40, number % 7),),
            )
        )
    profile = sample_collection("prolific-bot").profile
    collection = Collection(
        profile=profile,
        pull_requests=prs,
        repositories={
            name: RepositoryInfo(name, f"https://github.com/{name}", f"Service {name}", 40)
            for name in repos
        },
        stars_gained={},
    )
    return build_report(collection, key, now - timedelta(minutes=5))
