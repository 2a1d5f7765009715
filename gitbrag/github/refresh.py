"""Refreshing a report from its previous collection (issue 21): what changed since, read in
one document, instead of everything again.

A refresh starts from the :class:`~gitbrag.report.records.Snapshot` the previous generation
kept and asks GitHub, side by side:

- ``GET /users/{login}``: the profile, and the account the login names now (a login can
  change hands: a refresh never mixes two accounts' data);
- one GraphQL document (:func:`~gitbrag.github.queries.refresh_query`): the user's social
  accounts; the pull requests and the issues created in the range, **most recently updated
  first**, read only as far as they changed since the previous collection (less
  ``OVERLAP``: GitHub's search index lags the data a little), while their ``issueCount``
  says how many the range holds now; the pull requests the user reviewed that changed since
  (``reviewed-by:``, with the user's reviews of each: a review submitted or dismissed
  updates its pull request); and every repository the previous collection named (renamed?
  private or gone now? its stars and newest stargazers) and every pull request that was
  open (merged or pushed to since?), read directly, which the search index cannot lag.

Repositories and open pull requests past what one document should carry go in batches beside
it. Then the changes are folded into the previous records (:mod:`gitbrag.github.refresh_merge`),
files are read only for pull requests whose head moved or that are new, and stars are counted
from the cached stargazer timelines topped up with the newest page.

It must equal a cold collection. Where it could not, it refuses (:class:`RefreshRefused`, with
the reason the job records) and the caller collects cold:

- GitHub counts more or fewer pull requests or issues in the range than the previous
  collection and the changes account for (a repository made public again, an item deleted or
  moved, a private profile hiding everything);
- more than a search can list (1,000) changed since;
- GitHub withholds part of the answer from the token, or refuses part of it;
- the login now names another account;
- an older Enterprise Server, whose schema lacks what the refresh document asks
  (``User.socialAccounts``, ``Issue.stateReason``).

:func:`refusal` says beforehand when a previous collection is not worth refreshing (too old,
incomplete, another range or option).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from gitbrag.errors import IsOrganization, ReportTooLarge, SchemaMismatch
from gitbrag.github.batches import Size, read_batched
from gitbrag.github.cache import ImmutableCache
from gitbrag.github.client import GitHubClient
from gitbrag.github.collect import probe_private
from gitbrag.github.files import fetch_files, pr_key
from gitbrag.github.issues import issue_record
from gitbrag.github.profile import profile_of
from gitbrag.github.progress import InOrder, ProgressCallback, silent
from gitbrag.github.queries import (
    SEARCH_CHANGED_ISSUES,
    SEARCH_CHANGED_PULL_REQUESTS,
    SEARCH_REVIEWED,
    open_pull_requests_query,
    refresh_query,
    repositories_query,
)
from gitbrag.github.refresh_merge import (
    Identity,
    Repositories,
    RepositoryNow,
    carried_issues,
    carried_pull_requests,
    files_still_hold,
    identity,
    merged_reviews,
    with_files_of,
)
from gitbrag.github.repositories import STAR_PAGE, Repository, RepositoryReader
from gitbrag.github.reviews import INLINE_REVIEWS, ReviewReader
from gitbrag.github.schema_gaps import KNOWN_GAPS, Field
from gitbrag.github.search import pull_request_record
from gitbrag.github.tasks import gather_all, gather_pair
from gitbrag.github.windows import SEARCH_CAP, Window, author_qualifier, format_time, parse_time
from gitbrag.report.keys import ReportKey
from gitbrag.report.records import (
    Collection,
    IssueRecord,
    PullRequestRecord,
    ReviewRecord,
    Snapshot,
    UserProfile,
)

log = logging.getLogger(__name__)

# GitHub's search index follows the data within seconds to minutes: what changed just before
# the previous collection may have been indexed only after it, so a refresh reads back this
# much further (it costs nodes in a page already asked for, rarely a request).
OVERLAP: Final = timedelta(hours=1)
PAGE: Final = 100
SOCIAL_ACCOUNTS: Final = 10  # GitHub keeps at most four per profile
DOCUMENT_REPOSITORIES: Final = 50  # repositories in the refresh document; more go in batches
DOCUMENT_OPEN_PULL_REQUESTS: Final = 100  # likewise, open pull requests
OPEN_BATCH: Final = 100
REPOSITORY_BATCH: Final = 50
NEEDS: Final[tuple[Field, ...]] = (("User", "socialAccounts"), ("Issue", "stateReason"))


class RefreshRefused(Exception):
    """A refresh could not equal a cold collection here: ``reason`` says why (the job's
    record shows it) and the caller collects cold."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def refusal(previous: Snapshot, key: ReportKey, now: datetime, max_age: timedelta) -> str | None:
    """Why ``previous`` cannot be refreshed into ``key``'s report at ``now`` (``None``: it
    can): a cold collection behind it older than ``max_age``, an incomplete collection,
    another option, or a range that starts before the one it covers."""
    age = now - previous.cold_at
    if age > max_age:
        days = age.total_seconds() / 86_400
        return (
            f"the earlier collection builds on a full one {days:.1f} days old "
            f"(a refresh builds on one at most {max_age.days} days old)"
        )
    if previous.include_closed != key.include_closed:
        return "the earlier collection was for another option (closed pull requests)"
    if key.range.start < previous.range.start:
        return "the report's range starts before the earlier collection's"
    if key.range.end > previous.range.end and previous.range.end < previous.collected_at - OVERLAP:
        return "the report's range reaches past the earlier collection's, which ended before it"
    collection = previous.collection
    if collection.incomplete_reasons or collection.reviews is None or collection.issues is None:
        return "the earlier collection was incomplete"
    if collection.profile.id is None:
        return "the earlier collection does not name the account"
    return None


@dataclass(eq=False, slots=True)
class _Item:
    """A repository or an open pull request read in a batch beside the refresh document."""

    name: str
    number: int = 0
    size: Size = field(default_factory=lambda: Size(1, OPEN_BATCH))


@dataclass(slots=True)
class _Search:
    """One of the refresh's searches: what GitHub counts, and the nodes changed since."""

    count: int
    changed: list[dict[str, Any]]


@dataclass(slots=True)
class _Read:
    """What the refresh document and the batches beside it brought."""

    social: list[dict[str, str]]
    pull_requests: _Search
    issues: _Search
    reviewed: _Search
    repositories: dict[str, dict[str, Any] | None]  # by the name asked: node, None if gone
    open_pull_requests: dict[Identity, dict[str, Any] | None]  # by identity asked


class Refresh:
    """One refresh of ``key`` from ``previous`` (see the module docstring); :meth:`run`."""

    def __init__(
        self,
        client: GitHubClient,
        key: ReportKey,
        previous: Snapshot,
        *,
        progress: ProgressCallback | None,
        cache: ImmutableCache | None,
        stars_cap: int,
        max_pull_requests: int,
        now: datetime,
    ) -> None:
        self.client = client
        self.key = key
        self.previous = previous
        self.report = InOrder(progress or silent)
        self.cache = cache
        self.stars_cap = stars_cap
        self.max_pull_requests = max_pull_requests
        self.now = now
        self.since = previous.collected_at - OVERLAP
        self.login = key.username
        collection = previous.collection
        self.pull_requests = [*collection.pull_requests, *previous.left_out]
        self.issues = collection.issues or []
        self.reviews = collection.reviews or []
        self.stars_of = {pr.repository for pr in collection.pull_requests}
        names = {pr.repository for pr in self.pull_requests}
        names |= {issue.repository for issue in self.issues}
        names |= {review.repository for review in self.reviews}
        self.known = sorted(names)
        self.open = [pr for pr in self.pull_requests if pr.state == "open"]
        self.want_stars = key.range.period != "all_time"

    # -------------------------------------------------------------------- reading

    def _queries(self) -> dict[str, str]:
        author = author_qualifier(self.login)
        window = Window.for_range(self.key.range)
        created = f"created:{format_time(window.start)}..{format_time(window.end)}"
        return {
            "prs": f"is:pr {author} is:public {created} sort:updated-desc",
            "issues": f"is:issue {author} is:public {created} sort:updated-desc",
            "reviewed": (
                f"is:pr reviewed-by:{self.login} -{author} is:public "
                f"updated:>={format_time(self.since)} sort:updated-desc"
            ),
        }

    async def _document(self) -> dict[str, Any]:
        """The refresh document (its repositories and open pull requests: the first of
        each, up to what one document carries)."""
        repositories = self.known[:DOCUMENT_REPOSITORIES]
        open_prs = self.open[:DOCUMENT_OPEN_PULL_REQUESTS]
        variables: dict[str, Any] = {
            "login": self.login,
            **self._queries(),
            "first": PAGE,
            "reviews": INLINE_REVIEWS,
            "social": SOCIAL_ACCOUNTS,
        }
        if repositories:
            variables["stars"] = STAR_PAGE
        for i, name in enumerate(repositories):
            owner, repo = name.split("/", 1)
            stars = self.want_stars and name in self.stars_of
            variables |= {f"o{i}": owner, f"n{i}": repo, f"s{i}": stars}
        for j, pr in enumerate(open_prs):
            owner, repo = pr.repository.split("/", 1)
            variables |= {f"po{j}": owner, f"pn{j}": repo, f"pp{j}": pr.number}
        query = refresh_query(len(repositories), len(open_prs))
        try:
            answer = await self.client.graphql_batch(query, variables, splittable=False)
        except SchemaMismatch as mismatch:
            gap = (mismatch.type_name, mismatch.field_name)
            if gap in NEEDS:
                KNOWN_GAPS.remember(self.client.graphql_url, gap)
            raise RefreshRefused(f"GitHub's schema lacks {'.'.join(gap)}") from None
        if answer.denied:
            raise RefreshRefused("GitHub withholds part of the refresh from the token")
        if answer.failed:
            refused = "; ".join(sorted(set(answer.failed.values())))
            raise RefreshRefused(f"GitHub refused part of the refresh ({refused})")
        return answer.data

    async def _more_repositories(self, names: list[str]) -> dict[str, dict[str, Any] | None]:
        """Repositories past the document's, in batches (with stars where the report needs
        them), by name."""
        found: dict[str, dict[str, Any] | None] = {}
        for stars in (True, False):
            items = [
                _Item(name, size=Size(STAR_PAGE if stars else 1, REPOSITORY_BATCH))
                for name in names
                if (self.want_stars and name in self.stars_of) == stars
            ]
            if not items:
                continue

            def build(
                chunk: list[_Item], first: int, stars: bool = stars
            ) -> tuple[str, dict[str, Any]]:
                variables: dict[str, Any] = {"first": first, "stars": stars}
                for i, item in enumerate(chunk):
                    variables[f"o{i}"], variables[f"n{i}"] = item.name.split("/", 1)
                return repositories_query(len(chunk)), variables

            answer = await read_batched(self.client, items, build, kind="stars")
            if answer.failed or answer.denied:
                raise RefreshRefused("GitHub could not say what became of some repositories")
            found |= {item.name: node for item, node in answer.read}
        return found

    async def _more_open(self, prs: list[PullRequestRecord]) -> dict[Identity, Any]:
        """Open pull requests past the document's, in batches, by identity."""
        items = [_Item(pr.repository, pr.number) for pr in prs]

        def build(chunk: list[_Item], first: int) -> tuple[str, dict[str, Any]]:
            variables: dict[str, Any] = {}
            for i, item in enumerate(chunk):
                variables[f"o{i}"], variables[f"n{i}"] = item.name.split("/", 1)
                variables[f"p{i}"] = item.number
            return open_pull_requests_query(len(chunk)), variables

        answer = await read_batched(self.client, items, build)
        if answer.failed or answer.denied:
            raise RefreshRefused("GitHub could not say what became of some open pull requests")
        return {(item.name, item.number): node for item, node in answer.read}

    async def _changed(
        self, first: dict[str, Any], document: str, query: str, *, all_changed: bool = False
    ) -> _Search:
        """The nodes of a search (most recently updated first) updated since the previous
        collection: pages after ``first`` are read while they may hold some (all of them,
        ``all_changed``, for a search of changed items only). A page shorter than GitHub
        counts is read again once when what it left out could have changed (GitHub says a
        search that times out returns what it found so far)."""
        extra = {"login": self.login, "reviews": INLINE_REVIEWS} if "$login" in document else {}
        count, nodes, page, offset, after = int(first["issueCount"]), [], first, 0, None
        read_again = False
        while True:
            found = [node for node in page["nodes"] if node]
            expected = min(PAGE, count - offset)
            newest_left = _updated(found[-1]) if found else None
            could_have_changed = newest_left is None or newest_left >= self.since
            if len(found) < expected and could_have_changed and not read_again:
                read_again = True
                page = await self._page(document, query, after, extra)
                continue
            read_again = False
            nodes += found
            offset += PAGE
            info = page["pageInfo"]
            done = not info["hasNextPage"] or not (all_changed or could_have_changed)
            if done:
                break
            if offset >= SEARCH_CAP:
                raise RefreshRefused(f"more than {SEARCH_CAP} items changed since the last time")
            after = info["endCursor"]
            page = await self._page(document, query, after, extra)
        changed = [node for node in nodes if (_updated(node) or self.since) >= self.since]
        return _Search(count, changed)

    async def _page(
        self, document: str, query: str, after: str | None, extra: dict[str, Any]
    ) -> dict[str, Any]:
        variables = {"query": query, "first": PAGE, "after": after, **extra}
        answer = await self.client.graphql_answer(document, variables)
        if answer.denied or answer.data.get("search") is None:
            raise RefreshRefused("GitHub withholds part of the refresh from the token")
        page: dict[str, Any] = answer.data["search"]
        return page

    async def _read(self) -> tuple[UserProfile, _Read]:
        self.report("profile", 0, 1)
        user, data = await gather_pair(
            self.client.rest_get(f"/users/{self.login}", login=self.login), self._document()
        )
        profile = self._profile(user, data.get("user"))
        self.report("profile", 1, 1)
        self.report.reach("search")
        queries = self._queries()
        more_repositories = self.known[DOCUMENT_REPOSITORIES:]
        more_open = self.open[DOCUMENT_OPEN_PULL_REQUESTS:]
        waits: list[Awaitable[Any]] = [
            self._changed(data["prs"], SEARCH_CHANGED_PULL_REQUESTS, queries["prs"]),
            self._changed(data["issues"], SEARCH_CHANGED_ISSUES, queries["issues"]),
            self._changed(data["reviewed"], SEARCH_REVIEWED, queries["reviewed"], all_changed=True),
            self._more_repositories(more_repositories) if more_repositories else _nothing(),
            self._more_open(more_open) if more_open else _nothing(),
        ]
        prs, issues, reviewed, repositories, open_prs = await gather_all(waits)
        repositories |= {
            name: data[f"r{i}"] for i, name in enumerate(self.known[:DOCUMENT_REPOSITORIES])
        }
        open_prs |= {
            identity(pr): data[f"p{j}"]
            for j, pr in enumerate(self.open[:DOCUMENT_OPEN_PULL_REQUESTS])
        }
        accounts = ((data.get("user") or {}).get("socialAccounts") or {}).get("nodes") or []
        social = [{"provider": str(a["provider"]).lower(), "url": a["url"]} for a in accounts if a]
        profile = profile_of(user, social)
        return profile, _Read(social, prs, issues, reviewed, repositories, open_prs)

    def _profile(self, user: dict[str, Any], graphql_user: Any) -> UserProfile:
        if user.get("type") == "Organization":
            raise IsOrganization(str(user.get("login") or self.login))
        profile = profile_of(user, [])
        if profile.id != self.previous.collection.profile.id:
            raise RefreshRefused(
                f"the login {profile.login} names another GitHub account than it did"
            )
        if graphql_user is None:
            raise RefreshRefused("GitHub's search answered for no such user")
        return profile

    # -------------------------------------------------------------------- folding

    def _repositories(self, read: _Read) -> Repositories:
        now: Repositories = {}
        for name in self.known:
            node = read.repositories.get(name)
            if node is None:  # gone, or private and the token is no member
                now[name] = RepositoryNow(name, "", hidden=True)
            else:
                now[name] = RepositoryNow(
                    node["nameWithOwner"], node["url"], hidden=bool(node["isPrivate"])
                )
        return now

    def _pull_requests(
        self, read: _Read, repositories: Repositories
    ) -> tuple[list[PullRequestRecord], list[PullRequestRecord], dict[Identity, PullRequestRecord]]:
        """The report's pull requests, those it leaves out, and the previous record of each
        (by identity now), before their files."""
        before = carried_pull_requests(self.pull_requests, repositories, self.key.range)
        now = dict(before)
        fresh = [*read.pull_requests.changed, *filter(None, read.open_pull_requests.values())]
        for node in fresh:  # the search's, then the direct reads (fresher) over them
            repository = node.get("repository")
            if not isinstance(repository, dict) or repository.get("isPrivate"):
                continue
            record = pull_request_record(node)
            if self.key.range.contains(record.created_at):
                now[identity(record)] = record
        gone = [key for key, node in read.open_pull_requests.items() if node is None]
        for asked in gone:  # an open pull request GitHub no longer shows (deleted...)
            moved = repositories.get(asked[0])
            now.pop((moved.name if moved else asked[0], asked[1]), None)
        expected = len(now)
        if read.pull_requests.count != expected:
            raise RefreshRefused(
                f"GitHub counts {read.pull_requests.count} pull requests in the range; the "
                f"earlier collection and the changes since account for {expected}"
            )
        if read.pull_requests.count > self.max_pull_requests:
            raise ReportTooLarge(self.login, read.pull_requests.count, self.max_pull_requests)
        ordered = sorted(now.values(), key=lambda pr: (pr.created_at, pr.repository, pr.number))
        wanted = [pr for pr in ordered if self.key.include_closed or pr.state != "closed"]
        left_out = [pr for pr in ordered if not (self.key.include_closed or pr.state != "closed")]
        return wanted, left_out, before

    def _issues(self, read: _Read, repositories: Repositories) -> list[IssueRecord]:
        now = carried_issues(self.issues, repositories, self.key.range)
        for node in read.issues.changed:
            repository = node.get("repository")
            if not isinstance(repository, dict) or repository.get("isPrivate"):
                continue
            record = issue_record(node)
            if self.key.range.contains(record.created_at):
                now[identity(record)] = record
        if read.issues.count != len(now):
            raise RefreshRefused(
                f"GitHub counts {read.issues.count} issues in the range; the earlier "
                f"collection and the changes since account for {len(now)}"
            )
        return sorted(now.values(), key=lambda i: (i.created_at, i.repository, i.number))

    async def _reviews(
        self, read: _Read, repositories: Repositories
    ) -> tuple[list[ReviewRecord], list[str]]:
        reader = ReviewReader(self.client, self.login)
        for node in read.reviewed.changed:
            reader.take(node)
        await reader.read_more()
        fresh: dict[Identity, list[ReviewRecord]] = {}
        for record in reader.records():
            fresh.setdefault((record.repository, record.pull_request), []).append(record)
        for key in reader.reviewed:  # reviewed, none submitted any more: none to keep
            fresh.setdefault(key, [])
        return merged_reviews(self.reviews, repositories, fresh), reader.reasons

    # -------------------------------------------------------------------- the refresh

    async def run(self) -> Snapshot:
        profile, read = await self._read()
        repositories = self._repositories(read)
        wanted, left_out, before = self._pull_requests(read, repositories)
        issues = self._issues(read, repositories)
        self.report("search", len(wanted), len(wanted))
        self.report.reach("activity")
        reviews, reasons = await self._reviews(read, repositories)
        self.report("activity", 1, 1)
        if (read.pull_requests.count, read.issues.count, len(reviews)) == (0, 0, 0):
            await probe_private(self.client, profile, self.cache)
        self.report.reach("files")
        pull_requests, files_reasons = await self._files(wanted, before)
        self.report.reach("stars")
        collection_repositories, stars, star_reasons = await self._stars(
            pull_requests, read, repositories
        )
        collection = Collection(
            profile=profile,
            pull_requests=[pr for pr in pull_requests if pr.repository in collection_repositories],
            repositories=collection_repositories,
            stars_gained=stars,
            incomplete_reasons=reasons + files_reasons + star_reasons,
            reviews=reviews,
            issues=issues,
        )
        return Snapshot(
            collection,
            self.key.range,
            self.key.include_closed,
            collected_at=self.now,
            cold_at=self.previous.cold_at,
            left_out=left_out,
        )

    async def _files(
        self, wanted: list[PullRequestRecord], before: dict[Identity, PullRequestRecord]
    ) -> tuple[list[PullRequestRecord], list[str]]:
        """``wanted`` with their files: the previous lists where they still hold, the others
        read (cached lists of finished pull requests count as read)."""
        kept = {
            identity(pr): with_files_of(pr, old)
            for pr in wanted
            if (old := before.get(identity(pr))) is not None and files_still_hold(pr, old)
        }
        unread = [pr for pr in wanted if identity(pr) not in kept]
        self.report("files", 0, len(unread))
        listed = await fetch_files(self.client, unread, cache=self.cache, progress=self.report)
        done = []
        for pr in wanted:
            if identity(pr) in kept:
                done.append(kept[identity(pr)])
                continue
            key = pr_key(pr)
            if key not in listed.files:
                done.append(replace(pr, files_complete=False, files_note=listed.unread.get(key)))
                continue
            note = listed.truncated.get(key)
            done.append(
                replace(pr, files=listed.files[key], files_complete=note is None, files_note=note)
            )
        return done, []

    async def _stars(
        self, pull_requests: list[PullRequestRecord], read: _Read, repositories: Repositories
    ) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        """The report's repositories and the stars each gained: those read with the refresh
        document topped up from their cached stargazer timelines, new ones read now."""
        urls: dict[str, str] = {}
        for pr in pull_requests:
            urls.setdefault(pr.repository, pr.url.rsplit("/pull/", 1)[0])
        reader = RepositoryReader(
            self.client, self.key.range, self.cache, self.stars_cap, self.report, fresh=True
        )
        taken = {
            repositories[name].name: node
            for name, node in read.repositories.items()
            if node is not None
            and name in self.stars_of
            and repositories[name].name == name  # a renamed one is read afresh
        }
        repos = [Repository(name, url) for name, url in sorted(urls.items())]
        self.report("stars", 0, len(repos))
        stale = []
        for repo in repos:
            await reader.load_cached(repo)
            node = taken.get(repo.name)
            if node is not None:
                await reader.take(repo, node)
            else:
                stale.append(repo)
        if stale:
            await reader.read_newest(stale)
        result = await reader.finish(repos, stale)
        public = {name for name, info in result.repositories.items() if not info.is_private}
        return (
            {name: result.repositories[name] for name in sorted(public)},
            {name: count for name, count in result.stars_gained.items() if name in public},
            result.incomplete_reasons,
        )


def _updated(node: dict[str, Any]) -> datetime | None:
    return parse_time(node.get("updatedAt"))


async def _nothing() -> dict[Any, Any]:
    return {}


async def refresh(
    client: GitHubClient,
    key: ReportKey,
    previous: Snapshot,
    *,
    progress: ProgressCallback | None = None,
    cache: ImmutableCache | None = None,
    stars_cap: int = 1000,
    max_pull_requests: int = 20_000,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Snapshot:
    """``key``'s collection, from ``previous`` and what changed on GitHub since (the module
    docstring). Raises :class:`RefreshRefused` where it cannot equal a cold collection, and
    what a cold collection would raise (``NotFound``, ``IsOrganization``, ``ProfilePrivate``,
    ``ReportTooLarge``, ``RateLimited``...)."""
    if any(KNOWN_GAPS.lacks(client.graphql_url, gap) for gap in NEEDS):
        raise RefreshRefused("an older GitHub Enterprise Server: its schema lacks what it needs")
    return await Refresh(
        client,
        key,
        previous,
        progress=progress,
        cache=cache,
        stars_cap=stars_cap,
        max_pull_requests=max_pull_requests,
        now=now(),
    ).run()
