"""Reviews given and issues opened in the simulated data set (part of the ``data`` contract).

Added after the first data set shipped, from a random stream of their own, so the users,
repositories and pull requests generated before them stay as they were (only numbers move:
issues share a repository's numbers with its pull requests, as on GitHub).

- ``review-machine``: reviews about 1,500 pull requests (about 2,100 reviews) in the last
  year, past the 1,000 results any one GitHub search returns, and a few hundred the year
  before; one marathon review of 130 thread replies; reviews of its own pull requests (not
  reviews given), a pending review nobody else sees, and reviews in a private repository.
- ``octocat``: reviews since 2012, some of its own pull requests, some in a private
  repository it belongs to; issues in every state (open, reopened, completed, not planned,
  duplicate, closed before GitHub had reasons), HTML in titles, one in a private repository.
- ``Mixed-Case-Dev``: reviews and issues on the second either side of the report ranges the
  tests use (``1_year``'s start; the custom range ``today-500 .. today-30``) and of the
  2008-based one-year tiling of ``contributionsCollection`` (see ``tiling_edges``).
- ``private-eye``: reviews and issues mostly in private repositories its token sees.
- a few reviews and issues for ``artur-``, ``gil--dev``, ``big-diff`` and ``star-gazer``;
  ``no-prs`` stays without any activity at all.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Final

from gitbrag.fakehub.builder import Builder
from gitbrag.fakehub.records import FakeFile, FakePR, IssueStateReason, ReviewState

HEAVY_REVIEWER: Final = "review-machine"
TILE_START: Final = datetime(2008, 1, 1, tzinfo=UTC)
TILE: Final = timedelta(days=365)
_STATES: Final[tuple[ReviewState, ...]] = (
    "APPROVED",
    "COMMENTED",
    "CHANGES_REQUESTED",
    "DISMISSED",
)
_STATE_WEIGHTS: Final = (55, 25, 15, 5)
_ISSUE_SUBJECTS: Final = (
    "Crash when the config file is empty",
    "Docs: the install guide skips a step",
    "Support Python 3.14",
    "Flaky test in the scheduler suite",
    "Dark mode contrast is too low",
    "Feature request: export as CSV",
    "Memory grows without bound under load",
    "Typo in the README",
)


def tiling_edges(before: datetime) -> list[datetime]:
    """Where one-year collections tiled from 2008-01-01 meet, up to ``before``."""
    edges, edge = [], TILE_START + TILE
    while edge < before:
        edges.append(edge)
        edge += TILE
    return edges


class _Activity:
    def __init__(self, b: Builder) -> None:
        self.b = b
        self.rng = random.Random(b.seed * 104_729 + 3)

    def state(self) -> ReviewState:
        return self.rng.choices(_STATES, _STATE_WEIGHTS)[0]

    def after(self, pr: FakePR, most: timedelta) -> datetime:
        """A moment after ``pr`` was opened, within ``most``, before today."""
        start = pr.created_at + timedelta(minutes=1)
        end = min(pr.created_at + most, self.b.cutoff - timedelta(seconds=1))
        span = max(1, int((end - start).total_seconds()))
        return start + timedelta(seconds=self.rng.randrange(span))

    def reviews(self, pr: FakePR, login: str, count: int, most: timedelta) -> None:
        for _ in range(count):
            self.b.review(pr, login, self.state(), self.after(pr, most))

    def prs(self, *, by: set[str], repos: set[str] | None = None) -> list[FakePR]:
        return [pr for pr in self.b.prs if pr.author in by and (repos is None or pr.repo in repos)]

    def pr_before(self, moment: datetime, author: str = "octocat") -> FakePR:
        """The newest public PR by ``author`` opened at least an hour before ``moment``."""
        candidates = [
            pr
            for pr in self.b.prs
            if pr.author == author
            and not self.b.repos[pr.repo].is_private
            and pr.created_at <= moment - timedelta(hours=1)
        ]
        return max(candidates, key=lambda pr: pr.created_at)

    def issue(self, nwo: str, login: str, created: datetime, kind: str, title: str) -> None:
        closed: datetime | None = None
        reason: IssueStateReason | None = None
        if kind != "open":
            later = created + timedelta(hours=self.rng.randrange(1, 24 * 40))
            if later >= self.b.cutoff:
                later = created + (self.b.cutoff - created) / 2
            closed = later
        if kind == "reopened":
            closed, reason = None, "REOPENED"
        elif kind in ("COMPLETED", "NOT_PLANNED", "DUPLICATE"):
            reason = kind  # type: ignore[assignment]
        self.b.issue(nwo, login, created, title, closed, reason)

    def issues(self, login: str, repos: tuple[str, ...], moments: list[datetime]) -> None:
        kinds = ("open", "COMPLETED", "COMPLETED", "NOT_PLANNED", "reopened", "DUPLICATE")
        for i, created in enumerate(moments):
            kind = kinds[i % len(kinds)]
            if kind != "open" and created.year < 2022:
                kind = "legacy"  # closed before GitHub recorded why
            title = self.rng.choice(_ISSUE_SUBJECTS)
            self.issue(repos[i % len(repos)], login, created, kind, title)


def add_activity(b: Builder) -> None:
    """Reviews and issues for the sample users (see the module docstring)."""
    original, b.rng = b.rng, random.Random(b.seed * 7_907 + 11)
    a = _Activity(b)
    _review_machine(a)
    _octocat(a)
    _mixed_case_dev(a)
    _private_eye(a)
    _others(a)
    b.rng = original


def _spread(a: _Activity, count: int, start: datetime, end: datetime) -> list[datetime]:
    return sorted(a.b.moment(start, end) for _ in range(count))


def _review_machine(a: _Activity) -> None:
    b, rng = a.b, a.rng
    b.user(HEAVY_REVIEWER, name="Review Machine", bio="I read every diff so you don't have to.")
    b.orgs["bot-farm"].add(HEAVY_REVIEWER)
    b.repo(
        "bot-farm/secret-deps",
        ("json", "lock"),
        "Private dependency mirror",
        private=True,
        created=b.days_ago(800),
    )
    for created in _spread(a, 30, b.days_ago(360), b.days_ago(2)):
        files = [FakeFile("package-lock.json", rng.randint(1, 40), rng.randint(0, 40))]
        b.pr("bot-farm/secret-deps", "prolific-bot", created, files, "Bump mirrored lockfile")
    own = []
    for created in _spread(a, 6, b.days_ago(300), b.days_ago(5)):
        files = b.files("bot-farm/deps-a", rng.randint(1, 3))
        own.append(b.pr("bot-farm/deps-a", HEAVY_REVIEWER, created, files, "Tune review bot rules"))
    for pr in own:  # notes on its own pull requests: not reviews given
        b.review(pr, HEAVY_REVIEWER, "COMMENTED", a.after(pr, timedelta(days=2)))
        b.review(pr, HEAVY_REVIEWER, "COMMENTED", a.after(pr, timedelta(days=2)))
        b.review(pr, "prolific-bot", "APPROVED", a.after(pr, timedelta(days=2)))
    public_bot = [
        pr
        for pr in a.prs(by={"prolific-bot"})
        if not b.repos[pr.repo].is_private and pr.created_at < b.cutoff - timedelta(days=1)
    ]
    recent = [pr for pr in public_bot if pr.created_at >= b.days_ago(375)]
    older = [pr for pr in public_bot if b.days_ago(729) <= pr.created_at < b.days_ago(380)]
    chosen = rng.sample(recent, min(len(recent), 1600))
    for pr in chosen:
        count = rng.choices((1, 2, 3, 4), (70, 18, 8, 4))[0]
        a.reviews(pr, HEAVY_REVIEWER, count, timedelta(days=3))
    marathon = chosen[len(chosen) // 2]
    for _ in range(130):  # every reply to a review thread is a review of its own
        b.review(marathon, HEAVY_REVIEWER, "COMMENTED", a.after(marathon, timedelta(days=6)))
    for pr in rng.sample(older, 260):
        a.reviews(pr, HEAVY_REVIEWER, rng.choice((1, 1, 2)), timedelta(days=3))
    for pr in chosen[:40]:  # other reviewers on the same pull requests
        a.reviews(pr, "Mixed-Case-Dev", 1, timedelta(days=3))
    reviewed = {id(pr) for pr in chosen}
    pending = next(pr for pr in recent if id(pr) not in reviewed)
    b.review(pending, HEAVY_REVIEWER, "PENDING", None)
    for pr in a.prs(by={"prolific-bot"}, repos={"bot-farm/secret-deps"})[:25]:
        a.reviews(pr, HEAVY_REVIEWER, rng.choice((1, 2)), timedelta(days=2))
    repos = ("bot-farm/deps-a", "bot-farm/deps-b", "gopher-works/gopher-kit", "octocat/Hello-World")
    a.issues(HEAVY_REVIEWER, repos, _spread(a, 12, b.days_ago(700), b.days_ago(1)))
    for created in _spread(a, 3, b.days_ago(200), b.days_ago(10)):
        a.issue("bot-farm/secret-deps", HEAVY_REVIEWER, created, "COMPLETED", "Mirror is stale")


def _octocat(a: _Activity) -> None:
    b, rng = a.b, a.rng
    reviewed_repos = {
        "octocat/Hello-World",
        "octo-org/docs",
        "octo-org/platform",
        "octocat/Spoon-Knife",
    }
    authors = {"Mixed-Case-Dev", "artur-", "big-diff", "private-eye", "gil--dev"}
    candidates = [
        pr for pr in a.prs(by=authors, repos=reviewed_repos) if pr.created_at.year >= 2012
    ]
    for pr in rng.sample(candidates, min(30, len(candidates))):
        a.reviews(pr, "octocat", rng.choice((1, 1, 2, 3)), timedelta(days=5))
    for pr in a.prs(by={"octocat"}, repos={"octocat/octo-cli"})[-3:]:
        b.review(pr, "octocat", "COMMENTED", a.after(pr, timedelta(days=1)))  # its own
    for pr in a.prs(by={"private-eye"}, repos={"eye-corp/internal-tools"})[-4:]:
        a.reviews(pr, "octocat", 2, timedelta(days=4))  # private: never in a report
    repos = (
        "octocat/Spoon-Knife",
        "flaskish/flaskish",
        "ferris-labs/ferris-tools",
        "web-crafters/widget-ui",
        "octo-org/platform",
    )
    moments = _spread(a, 10, datetime(2013, 1, 1, tzinfo=UTC), b.days_ago(366))
    moments += _spread(a, 8, b.days_ago(364), b.days_ago(1))
    a.issues("octocat", repos, moments)
    a.issue(
        "flaskish/flaskish",
        "octocat",
        b.days_ago(90),
        "open",
        '<script>alert("issue")</script> Template preview runs scripts',
    )
    a.issue(
        "web-crafters/widget-ui",
        "octocat",
        b.days_ago(45),
        "COMPLETED",
        'Widgets drop <b>bold</b> & "quoted" labels',
    )
    a.issue("eye-corp/internal-tools", "octocat", b.days_ago(33), "open", "Internal: rotate keys")


def _mixed_case_dev(a: _Activity) -> None:
    b = a.b
    second = timedelta(seconds=1)
    year_start = b.days_ago(365)
    custom_start, custom_after = b.days_ago(500), b.days_ago(29)
    edges = [year_start, year_start - second, custom_start, custom_start - second]
    edges += [custom_after - second, custom_after]
    for edge in tiling_edges(b.cutoff):
        if edge >= b.days_ago(3 * 365):
            edges += [edge, edge - second]
    for moment in edges:
        b.review(a.pr_before(moment), "Mixed-Case-Dev", a.state(), moment)
        a.issue("octocat/Hello-World", "Mixed-Case-Dev", moment, "open", "Edge of the range")
    for pr in a.rng.sample(a.prs(by={"octocat"}, repos={"octo-org/docs"}), 4):
        a.reviews(pr, "Mixed-Case-Dev", 1, timedelta(days=2))


def _private_eye(a: _Activity) -> None:
    b = a.b
    for pr in a.prs(by={"octocat"}, repos={"eye-corp/internal-tools"}):
        a.reviews(pr, "private-eye", 2, timedelta(days=3))
    for pr in a.prs(by={"private-eye"}, repos={"private-eye/secret-lab"})[-3:]:
        b.review(pr, "private-eye", "COMMENTED", a.after(pr, timedelta(days=1)))
    for pr in a.prs(by={"octocat"}, repos={"octocat/Hello-World"})[-3:]:
        a.reviews(pr, "private-eye", 1, timedelta(days=3))
    repos = (
        "private-eye/secret-lab",
        "eye-corp/internal-tools",
        "private-eye/public-notes",
        "octocat/Hello-World",
    )
    a.issues("private-eye", repos, _spread(a, 12, b.days_ago(900), b.days_ago(1)))


def _others(a: _Activity) -> None:
    b = a.b
    a.issues(
        "artur-",
        ("artur-/vintage", "flaskish/flaskish"),
        _spread(a, 3, b.days_ago(600), b.days_ago(3)),
    )
    for pr in a.prs(by={"artur-"}, repos={"octocat/Hello-World"})[:2]:
        a.reviews(pr, "gil--dev", 1, timedelta(days=2))
    for pr in a.prs(by={"big-diff"}, repos={"octo-org/platform", "web-crafters/widget-ui"}):
        a.reviews(pr, "star-gazer", 1, timedelta(days=4))
    for pr in a.prs(by={"star-gazer"}, repos={"star-gazer/old-constellation"}):
        a.reviews(pr, "big-diff", 1, timedelta(days=4))
    a.issues("big-diff", ("big-diff/monorepo",), _spread(a, 2, b.days_ago(400), b.days_ago(20)))
