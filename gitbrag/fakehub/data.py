"""The simulated GitHub's data set: seeded, deterministic, and relative to ``today``.

``generate(seed, today)`` always builds the same users, repositories, pull requests and
stargazers for the same arguments, with every event strictly before ``today`` 00:00 UTC, so
every report period has content whatever day the suite runs. The names here are a contract:
the brute-force report test recomputes reports straight from these records.

Sample users (``SAMPLE_USERS``):

- ``octocat``: ~80 PRs since 2009 across 12 repositories (own, org as MEMBER, others as
  CONTRIBUTOR / FIRST_TIME_CONTRIBUTOR), HTML in titles, many languages plus vendored,
  generated and lock files.
- ``Mixed-Case-Dev``: mixed-case login, ~30 PRs, four social accounts.
- ``prolific-bot``: 2500 PRs in the last two years, > 1000 of them in one ~5-month stretch.
- ``big-diff``: 15 PRs, several with 150-700 changed files.
- ``private-eye``: 25 PRs, about half in private repositories its token can see.
- ``star-gazer``: owns a repository that gained > 1000 stars in the last year.
- ``no-prs``: a user without a single pull request.
- ``giant-diff``: a few ordinary PRs, one changing 3,500 files (GitHub lists 3,000 of them)
  and one whose diff is too large for GitHub to list at all.
- ``artur-`` and ``gil--dev``: legacy logins (a trailing and a double hyphen), which GitHub no
  longer issues but still serves.
- ``review-machine``: reviews about 1,500 pull requests in the last year (past search's cap),
  reviews its own pull requests, reviews in a private repository (see ``activity_data``, which
  also gives most users reviews given and issues opened).

Organisations (``octo-org``, ``bot-farm``...) are logins too: their reports are refused.

Round two (``ROUND_TWO_USERS``, see ``identity_data``; not in ``SAMPLE_USERS``):

- ``hidden-hand``: a private profile (``FakeUser.private_profile``) with pull requests, issues
  and reviews in public repositories.
- ``sso-corp``: an organisation enforcing SAML SSO (``FakeUser.sso_enforced``) with public
  repositories; ``octocat`` and ``Mixed-Case-Dev`` are members with three merged pull
  requests, an issue and a review each there.
- ``octo_acme`` (an Enterprise Managed User) and ``-jerry-`` (a legacy leading hyphen), each
  with a few pull requests.

At run time (``FakeHub.rename`` / ``FakeHub.register``, see ``accounts``) a login can move to
another name and a released login can be taken by a new account; the data set itself never
changes: the simulated GitHub serves a renamed copy.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Final

from gitbrag.fakehub.activity_data import HEAVY_REVIEWER, add_activity
from gitbrag.fakehub.builder import Builder
from gitbrag.fakehub.identity_data import ROUND_TWO_USERS, add_identities
from gitbrag.fakehub.records import (
    DataSet,
    FakeFile,
    FakeIssue,
    FakePR,
    FakeRepo,
    FakeReview,
    FakeUser,
    PRState,
    token_for,
)

__all__ = [
    "ROUND_TWO_USERS",
    "SAMPLE_USERS",
    "DataSet",
    "FakeFile",
    "FakeIssue",
    "FakePR",
    "FakeRepo",
    "FakeReview",
    "FakeUser",
    "PRState",
    "generate",
    "token_for",
]

SAMPLE_USERS: Final[tuple[str, ...]] = (
    "octocat",
    "Mixed-Case-Dev",
    "prolific-bot",
    "big-diff",
    "private-eye",
    "star-gazer",
    "no-prs",
    "giant-diff",
    "artur-",
    "gil--dev",
    HEAVY_REVIEWER,
)

HUGE_PR_FILES: Final = 3500  # one giant-diff PR changes this many files


# fmt: off
_BOT_FILES: Final = (
    "package.json", "package-lock.json", "requirements.txt", "go.mod", "go.sum", "Cargo.toml",
    "Cargo.lock", ".github/dependabot.yml", "pyproject.toml", "poetry.lock",
)
# fmt: on

_BIG_FILES: Final = (
    "packages/pkg-{g}/src/module_{i}.ts",
    "services/svc-{g}/handler_{i}.go",
    "lib/part_{g}/item_{i}.py",
    "docs/section-{g}/page_{i}.md",
)

HTML_TITLES: Final = (
    '<script>alert("x")</script> Escape preview output',
    '<b>bold</b> & "quotes" survive the README renderer',
    "Render <img src=x onerror=alert(1)> as text & keep 'single' quotes",
)


def generate(seed: int = 7, today: date | None = None) -> DataSet:
    """Build the whole data set (deterministic for a given ``seed`` and ``today``)."""
    b = Builder(seed, today or datetime.now(UTC).date())
    _people(b)
    _repositories(b)
    _octocat(b)
    _mixed_case_dev(b)
    _prolific_bot(b)
    _big_diff(b)
    _private_eye(b)
    _star_gazer(b)
    _stars(b)
    _late_additions(b)
    add_activity(b)
    add_identities(b)
    return b.finish()


def _people(b: Builder) -> None:
    b.user(
        "octocat",
        name="The Octocat",
        company="@github",
        location="San Francisco",
        blog="https://github.blog",
        bio='Mona\'s best friend. <3 open source & "quotes".',
        social_accounts=[("mastodon", "https://mastodon.social/@octocat")],
        created_at=datetime(2011, 1, 25, 18, 44, 36, tzinfo=UTC),
    )
    b.user(
        "Mixed-Case-Dev",
        name="Mixed Case",
        bio="Capitalisation enthusiast.",
        company="Case & Co",
        location="Lisbon",
        blog="mixedcase.dev",
        social_accounts=[
            ("twitter", "https://twitter.com/MixedCaseDev"),
            ("mastodon", "https://mastodon.social/@mixedcase"),
            ("linkedin", "https://www.linkedin.com/in/mixed-case-dev"),
            ("bluesky", "https://bsky.app/profile/mixedcase.dev"),
        ],
    )
    b.user("prolific-bot", name="Prolific Bot", bio="I bump dependencies. A lot.")
    b.user("big-diff", name="Big Diff", bio="Monorepo migrations are my cardio.", location="Oslo")
    b.user("private-eye", name="Private Eye", company="Eye Corp", bio="Mostly closed source.")
    b.user("star-gazer", name="Star Gazer", location="La Palma", blog="https://stars.example")
    b.user("no-prs", name=None)
    for i in range(1, 1801):
        b.user(f"stargazer-{i:04d}")
    b.org("octo-org", {"octocat", "Mixed-Case-Dev"}, "Octo Org")
    b.org("bot-farm", {"prolific-bot"}, "Bot Farm")
    b.org("eye-corp", {"private-eye", "octocat"}, "Eye Corp")
    for login in ("ferris-labs", "flaskish", "gopher-works", "web-crafters"):
        b.org(login, set(), login.replace("-", " ").title())


def _repositories(b: Builder) -> None:
    b.repo("octocat/Hello-World", ("py", "md", "yml"), "My first repository on GitHub!")
    b.repo(
        "octocat/Spoon-Knife",
        ("html", "css", "js"),
        "This repo is for demonstration purposes only.",
    )
    b.repo(
        "octocat/linguist-playground",
        (
            "py",
            "js",
            "ts",
            "go",
            "rs",
            "md",
            "html",
            "css",
            "yml",
            "json",
            "build",
            "vendored",
            "generated",
            "lock",
        ),
        "Every language at once",
    )
    b.repo(
        "octocat/octo-cli", ("go", "md", "build", "generated", "lock"), "A <b>fast</b> CLI & more"
    )
    b.repo(
        "octo-org/platform", ("ts", "js", "css", "json", "lock", "vendored"), "The Octo platform"
    )
    b.repo("octo-org/docs", ("md", "html", "yml"), None)
    b.repo("octo-org/infra", ("yml", "build", "json", "go"), "Infrastructure as code")
    b.repo(
        "star-gazer/star-gazer-repo",
        ("rs", "md", "lock"),
        "A telescope written in Rust",
        created=datetime(2012, 3, 4, tzinfo=UTC),
    )
    b.repo(
        "star-gazer/old-constellation",
        ("py", "md"),
        "Star maps since 2013",
        created=datetime(2013, 5, 6, tzinfo=UTC),
    )
    b.repo("ferris-labs/ferris-tools", ("rs", "lock", "md"), "Tools for crabs")
    b.repo("flaskish/flaskish", ("py", "html", "lock"), "A micro web framework")
    b.repo("gopher-works/gopher-kit", ("go", "generated", "lock", "md"), "Go kit for gophers")
    b.repo("web-crafters/widget-ui", ("ts", "css", "html", "json", "lock"), "Widgets, crafted")
    recent = datetime(2017, 6, 1, tzinfo=UTC)
    b.repo("Mixed-Case-Dev/CaseStudy", ("py", "md"), "Studies in case", created=recent)
    b.repo("Mixed-Case-Dev/dotfiles", ("build", "yml", "md"), None, created=recent)
    bot = b.days_ago(800)
    b.repo("prolific-bot/bot-sandbox", ("json", "lock"), "Where bots play", created=bot)
    b.repo("bot-farm/deps-a", ("json", "lock"), "Dependency farm A", created=bot)
    b.repo("bot-farm/deps-b", ("json", "lock"), "Dependency farm B", created=bot)
    b.repo("big-diff/monorepo", ("ts", "go", "py", "md", "vendored", "generated"), "Everything")
    b.repo("private-eye/secret-lab", ("py", "md"), "Classified", private=True)
    b.repo("eye-corp/internal-tools", ("go", "yml"), "Internal only", private=True)
    b.repo("private-eye/public-notes", ("md",), "Notes anyone can read")


def _spread(b: Builder, buckets: list[tuple[int, datetime, datetime]]) -> list[datetime]:
    """``count`` random moments in each ``[start, end)``, oldest first."""
    out = [b.moment(start, end) for count, start, end in buckets for _ in range(count)]
    return sorted(out)


def _octocat(b: Builder) -> None:
    repos = (
        "octocat/Hello-World",
        "octocat/Spoon-Knife",
        "octocat/linguist-playground",
        "octocat/octo-cli",
        "octo-org/platform",
        "octo-org/docs",
        "octo-org/infra",
        "star-gazer/star-gazer-repo",
        "ferris-labs/ferris-tools",
        "flaskish/flaskish",
        "gopher-works/gopher-kit",
        "web-crafters/widget-ui",
    )
    moments = _spread(
        b,
        [
            (22, datetime(2009, 1, 1, tzinfo=UTC), b.days_ago(1825)),
            (18, b.days_ago(1825), b.days_ago(730)),
            (14, b.days_ago(730), b.days_ago(365)),
            (26, b.days_ago(364), b.cutoff),
        ],
    )
    titles = {60: HTML_TITLES[0], 66: HTML_TITLES[1], 30: HTML_TITLES[2]}
    for i, created in enumerate(moments):
        nwo = repos[i % len(repos)]
        count = b.rng.choice((1, 1, 2, 3, 4, 6, 9, 14))
        files = b.files(nwo, count)
        outcome = "merged" if i in titles else None
        if i == 70:  # one-liner
            files = [FakeFile("README.md", 1, 0)]
        if i == 72:  # massive, mostly vendored
            nwo = "octocat/linguist-playground"
            files = [
                FakeFile("node_modules/lodash/lodash.js", 17000, 0),
                FakeFile("src/app/loader.py", 40, 3),
            ]
        b.pr(nwo, "octocat", created, files, titles.get(i), outcome)
    # One PR in a private repo octocat can see through eye-corp membership.
    b.pr(
        "eye-corp/internal-tools", "octocat", b.days_ago(40), b.files("eye-corp/internal-tools", 2)
    )


def _mixed_case_dev(b: Builder) -> None:
    repos = (
        "Mixed-Case-Dev/CaseStudy",
        "Mixed-Case-Dev/dotfiles",
        "octo-org/docs",
        "octocat/Hello-World",
        "web-crafters/widget-ui",
    )
    moments = _spread(
        b,
        [(18, datetime(2018, 1, 1, tzinfo=UTC), b.days_ago(365)), (12, b.days_ago(364), b.cutoff)],
    )
    for i, created in enumerate(moments):
        nwo = repos[i % len(repos)]
        b.pr(nwo, "Mixed-Case-Dev", created, b.files(nwo, b.rng.randint(1, 6)))


def _prolific_bot(b: Builder) -> None:
    repos = (
        "prolific-bot/bot-sandbox",
        "bot-farm/deps-a",
        "bot-farm/deps-b",
        "octocat/Hello-World",
        "gopher-works/gopher-kit",
    )
    rng = b.rng
    moments = _spread(
        b, [(1200, b.days_ago(400), b.days_ago(250)), (1300, b.days_ago(729), b.cutoff)]
    )
    for created in moments:
        nwo = repos[min(len(repos) - 1, int(rng.expovariate(1.2)))]
        files = [
            FakeFile(path, rng.randint(1, 12), rng.randint(0, 12))
            for path in rng.sample(_BOT_FILES, rng.randint(1, 2))
        ]
        package = rng.choice(("lodash", "requests", "serde", "cobra", "react", "pytest"))
        minor = rng.randint(0, 30)
        title = f"Bump {package} from 1.{minor}.0 to 1.{minor}.1"
        b.pr(
            nwo,
            "prolific-bot",
            created,
            files,
            title,
            rng.choice(("merged",) * 8 + ("open", "closed")),
        )


def _big_diff(b: Builder) -> None:
    counts = (3, 150, 5, 320, 12, 700, 2, 180, 40, 450, 1, 99, 101, 250, 8)
    repos = ("big-diff/monorepo", "octo-org/platform", "web-crafters/widget-ui")
    moments = _spread(b, [(7, b.days_ago(1000), b.days_ago(365)), (8, b.days_ago(364), b.cutoff)])
    for i, (created, count) in enumerate(zip(moments, counts, strict=True)):
        nwo = repos[0] if count >= 100 else repos[i % len(repos)]
        if count < 20:
            files = b.files(nwo, count)
        else:
            files = [
                FakeFile(
                    _BIG_FILES[j % 4].format(g=j // 50, i=j),
                    b.rng.randint(1, 60),
                    b.rng.randint(0, 30),
                )
                for j in range(count)
            ]
        b.pr(
            nwo,
            "big-diff",
            created,
            files,
            f"Migrate {count} files to the new layout",
            "merged" if count >= 100 else None,
        )


def _private_eye(b: Builder) -> None:
    repos = (
        "private-eye/secret-lab",
        "private-eye/public-notes",
        "eye-corp/internal-tools",
        "octocat/Hello-World",
    )
    moments = _spread(b, [(12, b.days_ago(1000), b.days_ago(365)), (13, b.days_ago(364), b.cutoff)])
    for i, created in enumerate(moments):
        nwo = repos[i % len(repos)]
        b.pr(nwo, "private-eye", created, b.files(nwo, b.rng.randint(1, 5)))


def _star_gazer(b: Builder) -> None:
    moments = _spread(b, [(5, b.days_ago(2000), b.days_ago(365)), (6, b.days_ago(364), b.cutoff)])
    for i, created in enumerate(moments):
        nwo = "star-gazer/star-gazer-repo" if i % 3 else "star-gazer/old-constellation"
        b.pr(nwo, "star-gazer", created, b.files(nwo, b.rng.randint(1, 4)))


def _stars(b: Builder) -> None:
    """Stargazers: > 1000 in the last year on star-gazer-repo, spread over years elsewhere."""
    rng, pool = b.rng, [f"stargazer-{i:04d}" for i in range(1, 1801)]
    for nwo, repo in b.repos.items():
        if nwo == "star-gazer/star-gazer-repo":
            logins = rng.sample(pool, 1700)
            moments = [b.moment(repo.created_at, b.days_ago(366)) for _ in range(400)]
            moments += [b.moment(b.days_ago(364), b.cutoff) for _ in range(1300)]
        else:
            logins = rng.sample(
                pool, 600 if nwo == "star-gazer/old-constellation" else rng.randint(0, 180)
            )
            moments = [b.moment(repo.created_at, b.cutoff) for _ in logins]
        repo.stargazers = sorted(zip(logins, sorted(moments), strict=True), key=lambda s: s[1])


def _late_additions(b: Builder) -> None:
    """Users added after the first data set shipped, drawn from a random stream of their own
    so everything generated before them stays as it was."""
    original, b.rng = b.rng, random.Random(b.seed * 7919 + 1)
    b.user("giant-diff", name="Giant Diff", bio="Vendoring the world, one PR at a time.")
    b.user("artur-", name="Artur", location="Turku", bio="Signed up when hyphens were free.")
    b.user("gil--dev", name="Gil", company="Double Dash Ltd")
    b.repo("giant-diff/everything", ("ts", "go", "py", "md"), "All of it, in one place")
    b.repo("artur-/vintage", ("py", "md"), "Since 2010", created=datetime(2010, 5, 1, tzinfo=UTC))
    b.repo("gil--dev/dash-dash", ("rs", "md", "lock"), "Two hyphens are better than one")
    _giant_diff(b)
    moments = _spread(b, [(4, b.days_ago(900), b.days_ago(365)), (6, b.days_ago(364), b.cutoff)])
    for i, created in enumerate(moments):
        nwo = ("artur-/vintage", "octocat/Hello-World")[i % 2]
        b.pr(nwo, "artur-", created, b.files(nwo, b.rng.randint(1, 5)))
    moments = _spread(b, [(3, b.days_ago(700), b.days_ago(365)), (5, b.days_ago(364), b.cutoff)])
    for i, created in enumerate(moments):
        nwo = ("gil--dev/dash-dash", "ferris-labs/ferris-tools")[i % 2]
        b.pr(nwo, "gil--dev", created, b.files(nwo, b.rng.randint(1, 5)))
    for nwo in ("giant-diff/everything", "artur-/vintage", "gil--dev/dash-dash"):
        repo = b.repos[nwo]
        logins = b.rng.sample([f"stargazer-{i:04d}" for i in range(1, 1801)], 40)
        moments = sorted(b.moment(repo.created_at, b.cutoff) for _ in logins)
        repo.stargazers = list(zip(logins, moments, strict=True))
    b.rng = original


def _giant_diff(b: Builder) -> None:
    nwo = "giant-diff/everything"
    moments = _spread(b, [(2, b.days_ago(800), b.days_ago(365)), (4, b.days_ago(364), b.cutoff)])
    for i, created in enumerate(moments):
        if i == 3:
            files = [
                FakeFile(_BIG_FILES[j % 4].format(g=j // 50, i=j), 1 + j % 7, j % 3)
                for j in range(HUGE_PR_FILES)
            ]
            b.pr(nwo, "giant-diff", created, files, "Vendor every dependency", "merged")
        elif i == 4:
            files = [FakeFile(f"data/generated/shard_{j}.json", 900, 0) for j in range(40)]
            files += b.files(nwo, 5)
            pr = b.pr(nwo, "giant-diff", created, files, "Regenerate every fixture", "merged")
            pr.diff_too_large = True
        else:
            b.pr(nwo, "giant-diff", created, b.files(nwo, b.rng.randint(1, 6)))
