"""Builds a data set: seeded choices, file lists by repository flavour, numbering (pull
requests and issues share a repository's numbers, as on GitHub) and author associations
computed the way GitHub reports them."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from gitbrag.fakehub.records import (
    EPOCH,
    DataSet,
    FakeFile,
    FakeIssue,
    FakePR,
    FakeRepo,
    FakeReview,
    FakeUser,
    IssueStateReason,
    ReviewState,
    commit_id,
    token_for,
)

# --- file paths by flavour -------------------------------------------------------------------

# fmt: off
_NAMES: Final = (
    "parser", "cache", "server", "client", "config", "auth", "router", "render", "store",
    "session", "metrics", "queue", "scheduler", "search", "export", "theme",
)
# fmt: on
_PATHS: Final[dict[str, tuple[str, ...]]] = {
    "py": ("src/app/{n}.py", "tests/test_{n}.py"),
    "js": ("lib/{n}.js", "public/js/{n}.js"),
    "ts": ("src/{n}.ts", "src/components/{N}.tsx"),
    "go": ("pkg/{n}/{n}.go", "cmd/{n}/main.go"),
    "rs": ("src/{n}.rs", "crates/{n}/src/lib.rs"),
    "md": ("README.md", "docs/{n}.md", "CHANGELOG.md"),
    "html": ("site/{n}.html", "templates/{n}.html"),
    "css": ("styles/{n}.css", "static/css/{n}.css"),
    "yml": (".github/workflows/ci.yml", "config/{n}.yml"),
    "json": ("config/{n}.json", "package.json"),
    "build": ("Dockerfile", "Makefile"),
    "vendored": ("vendor/github.com/pkg/errors/errors.go", "node_modules/lodash/lodash.js"),
    "generated": ("dist/app.min.js", "api/{n}.pb.go"),
    "lock": ("package-lock.json", "yarn.lock", "Cargo.lock", "poetry.lock", "go.sum"),
}
_VERBS: Final = ("Fix", "Add", "Refactor", "Document", "Speed up", "Simplify", "Test", "Remove")


class Builder:
    """Accumulates the data set; ``finish`` numbers PRs and computes author associations."""

    def __init__(self, seed: int, today: date) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.today = today
        self.cutoff = datetime.combine(today, time(0), UTC)  # nothing happens on/after this
        self.users: dict[str, FakeUser] = {}
        self.repos: dict[str, FakeRepo] = {}
        self.prs: list[FakePR] = []
        self.issues: list[FakeIssue] = []
        self._review_ids = 5_000_000
        self.orgs: dict[str, set[str]] = {}
        self.flavours: dict[str, tuple[str, ...]] = {}
        self._next_id = 1000
        # Repositories numbered from a random stream of their own (see ``finish``).
        self.late_repos: set[str] = set()

    # -- primitives --
    def user(self, login: str, **profile: object) -> FakeUser:
        user_id = 583231 if login == "octocat" else self._next_id
        self._next_id += 1
        created = profile.pop("created_at", None) or self.moment(
            EPOCH, datetime(2016, 1, 1, tzinfo=UTC)
        )
        user = FakeUser(login=login, id=user_id, created_at=created, **profile)  # type: ignore[arg-type]
        self.users[login.lower()] = user
        return user

    def org(self, login: str, members: set[str], name: str, **profile: object) -> FakeUser:
        user = self.user(login, name=name, type="Organization", **profile)
        user.members = members  # the same set: members added later show on both
        self.orgs[login] = members
        return user

    def repo(
        self,
        nwo: str,
        flavours: tuple[str, ...],
        description: str | None = None,
        *,
        private: bool = False,
        members: set[str] | None = None,
        created: datetime | None = None,
    ) -> FakeRepo:
        owner, name = nwo.split("/")
        start = created or self.moment(EPOCH, datetime(2008, 12, 31, tzinfo=UTC))
        repo = FakeRepo(owner, name, description, private, start, id=len(self.repos) + 10_000)
        repo.members = {owner} | self.orgs.get(owner, set()) | (members or set())
        self.repos[nwo] = repo
        self.flavours[nwo] = flavours
        return repo

    def moment(self, start: datetime, end: datetime) -> datetime:
        span = max(1, int((end - start).total_seconds()))
        return start + timedelta(seconds=self.rng.randrange(span))

    def days_ago(self, days: int) -> datetime:
        return self.cutoff - timedelta(days=days)

    def files(self, nwo: str, count: int) -> list[FakeFile]:
        rng, flavours = self.rng, self.flavours[nwo]
        out: list[FakeFile] = []
        seen: set[str] = set()
        for _ in range(count * 3):
            if len(out) == count:
                break
            name = rng.choice(_NAMES)
            path = rng.choice(_PATHS[rng.choice(flavours)]).format(n=name, N=name.title())
            if path in seen:
                continue
            seen.add(path)
            additions = min(3000, int(rng.paretovariate(1.1) * rng.choice((1, 4, 12))))
            out.append(FakeFile(path, additions, min(additions * 2, int(rng.expovariate(0.05)))))
        return out

    def pr(
        self,
        nwo: str,
        author: str,
        created: datetime,
        files: list[FakeFile],
        title: str | None = None,
        outcome: str | None = None,
    ) -> FakePR:
        rng = self.rng
        outcome = outcome or rng.choices(("merged", "open", "closed"), (70, 15, 15))[0]
        merged_at = closed_at = None
        finished = created + timedelta(minutes=rng.randrange(5, 60 * 24 * 20))
        if outcome != "open" and finished < self.cutoff:
            closed_at = finished
            merged_at = finished if outcome == "merged" else None
        if title is None:
            subject = files[0].path.rsplit("/", 1)[-1] if files else "the build"
            title = f"{rng.choice(_VERBS)} {subject} handling"
        pr = FakePR(nwo, 0, title, author, created, merged_at, closed_at, files, "")
        self.prs.append(pr)
        return pr

    def review(
        self, pr: FakePR, author: str, state: ReviewState, submitted_at: datetime | None
    ) -> FakeReview:
        """A review of ``pr``; GitHub lists a PR's reviews oldest first (pending ones last)."""
        self._review_ids += 1
        review = FakeReview(self._review_ids, author, state, submitted_at)
        pr.reviews.append(review)
        pr.reviews.sort(key=lambda r: (r.submitted_at is None, r.submitted_at or self.cutoff))
        return review

    def issue(
        self,
        nwo: str,
        author: str,
        created: datetime,
        title: str,
        closed_at: datetime | None = None,
        reason: IssueStateReason | None = None,
    ) -> FakeIssue:
        issue = FakeIssue(nwo, 0, title, author, created, closed_at, reason)
        self.issues.append(issue)
        return issue

    # -- final pass --
    def finish(self) -> DataSet:
        self.prs.sort(key=lambda p: (p.created_at, p.repo, p.title))
        self.issues.sort(key=lambda i: (i.created_at, i.repo, i.title))
        numbered: list[FakePR | FakeIssue] = [*self.prs, *self.issues]
        numbered.sort(key=lambda item: (item.created_at, item.repo, item.title))
        numbers: dict[str, int] = {}
        # Late repositories draw from their own stream, so adding them moves no number
        # elsewhere.
        late = random.Random(self.seed * 5_501 + 17)
        for item in numbered:  # one sequence per repository, as on GitHub
            rng = late if item.repo in self.late_repos else self.rng
            numbers[item.repo] = numbers.get(item.repo, 0) + rng.randint(1, 7)
            item.number = numbers[item.repo]
            if isinstance(item, FakePR):
                item.head_oid = commit_id(item.repo, item.number)
        first_merge: dict[tuple[str, str], datetime] = {}
        for pr in self.prs:
            if pr.merged_at is not None:
                pair = (pr.repo, pr.author)
                first_merge[pair] = min(first_merge.get(pair, pr.merged_at), pr.merged_at)
        for pr in self.prs:
            repo = self.repos[pr.repo]
            if pr.author == repo.owner:
                pr.author_association = "OWNER"
            elif pr.author in self.orgs.get(repo.owner, set()):
                pr.author_association = "MEMBER"
            elif (merged := first_merge.get((pr.repo, pr.author))) and merged < pr.created_at:
                pr.author_association = "CONTRIBUTOR"
            else:
                pr.author_association = "FIRST_TIME_CONTRIBUTOR"
        tokens = {token_for(u.login): u.login for u in self.users.values() if u.type == "User"}
        return DataSet(self.users, self.repos, self.prs, tokens, self.today, self.issues)
