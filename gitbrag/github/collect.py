"""Collecting one report's data from GitHub: profile, search, activity, files, stars.

The contract (``docs/architecture.md``)::

    async def collect(client, key, *, progress=None, cache=None, stars_cap=1000,
                      max_pull_requests=20_000) -> Collection

Phases, reported through ``progress(phase, done, total)`` in order: ``profile``, ``search``,
``activity`` (reviews given and issues opened, read side by side; done counts review spans
read and the issue search), ``files``, ``stars``. ``NotFound`` (``IsOrganization`` for an
organisation's login), ``Unauthorized``, ``RateLimited`` and ``ReportTooLarge`` (more than
``max_pull_requests`` in the range) propagate. Without the profile or the search there is no
report, so their ``GitHubUnavailable`` propagates too; repository details, stars, social
accounts, search windows, review spans and issue searches that keep failing after retries are
named in ``Collection.incomplete_reasons`` ("stars for o/r") instead, and pull requests whose
files could not be read, or that GitHub lists only in part, carry ``files_complete=False``
and a ``files_note`` the builder reports.

A private profile ("Make profile private and hide activity") looks like no activity at all:
GraphQL search counts nothing and says nothing, the contributions are empty. So when every
search counted nothing and every review span listed nothing, one REST search probe tells
the two apart (:func:`probe_private`): ``ProfilePrivate`` propagates, and nothing about such
a user is ever reported as zeros. A user with any activity never pays for the probe.

What GitHub withholds from the token for good (an organisation's SAML single sign-on, a
permission the token lacks) is read again with ``client.fallback`` where the caller set one
(the server's token), else named in the incomplete reasons (:mod:`gitbrag.github.withheld`):
such a report is never complete.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

from gitbrag.errors import ProfilePrivate, UserNotSearchable
from gitbrag.github.cache import SEARCHABLE, SEARCHABLE_TTL, ImmutableCache
from gitbrag.github.client import GitHubClient
from gitbrag.github.files import FileFeed, FilesResult, pr_key
from gitbrag.github.issues import IssuesResult, search_issues
from gitbrag.github.profile import fetch_profile
from gitbrag.github.progress import InOrder, ProgressCallback, silent
from gitbrag.github.repositories import read_repositories
from gitbrag.github.reviews import ReviewsResult, collect_reviews, spans
from gitbrag.github.search import search_pull_requests
from gitbrag.github.tasks import gather_pair, side_by_side
from gitbrag.github.windows import author_qualifier
from gitbrag.report.keys import ReportKey
from gitbrag.report.records import Collection, PullRequestRecord, Snapshot, UserProfile


async def collect(
    client: GitHubClient,
    key: ReportKey,
    *,
    progress: ProgressCallback | None = None,
    cache: ImmutableCache | None = None,
    stars_cap: int = 1000,
    max_pull_requests: int = 20_000,
) -> Collection:
    """Everything the report builder needs for ``key``, from GitHub (and ``cache``).

    Only public repositories are kept: the search asks for ``is:public`` and every node and
    repository GitHub marks private is dropped again, whatever the token can see.
    """
    snapshot = await collect_snapshot(
        client,
        key,
        progress=progress,
        cache=cache,
        stars_cap=stars_cap,
        max_pull_requests=max_pull_requests,
    )
    return snapshot.collection


async def collect_snapshot(
    client: GitHubClient,
    key: ReportKey,
    *,
    progress: ProgressCallback | None = None,
    cache: ImmutableCache | None = None,
    stars_cap: int = 1000,
    max_pull_requests: int = 20_000,
) -> Snapshot:
    """:func:`collect` as a :class:`~gitbrag.report.records.Snapshot` a later generation of
    the same report can refresh from (:mod:`gitbrag.github.refresh`).

    The phases overlap where nothing waits for them: reviews and issues are read while pull
    requests are searched (once the first page showed the range is not too large), the files
    of the pull requests found so far while the search goes on, and the repositories while
    the last files are read. Progress still comes phase after phase (:class:`InOrder`).
    """
    started = datetime.now(UTC)
    report = InOrder(progress or silent)
    report("profile", 0, 1)
    profile, reasons = await fetch_profile(client, key.username, cache)
    report("profile", 1, 1)
    report.reach("search")
    async with side_by_side() as group:
        counted = asyncio.Event()
        files = FileFeed(client, cache, group, report)

        async def activity() -> tuple[ReviewsResult, IssuesResult]:
            await counted.wait()  # a range too large to report costs nothing more
            return await _activity(client, profile.login, key, report, max_items=max_pull_requests)

        reading_activity = group.create_task(activity())
        found = await search_pull_requests(
            client,
            profile.login,
            key.range,
            include_closed=key.include_closed,
            progress=report,
            max_pull_requests=max_pull_requests,
            on_counted=counted.set,
            on_found=files.add,
        )
        reasons += found.incomplete_reasons
        report("search", len(found.pull_requests), len(found.pull_requests))
        counted.set()
        report.reach("activity")
        reviews, issues = await reading_activity
        reasons += reviews.incomplete_reasons + issues.incomplete_reasons
        if (found.counted, issues.counted, reviews.contributions) == (0, 0, 0):
            await probe_private(client, profile, cache)  # nothing at all: hidden, or true?
        report.reach("files")
        reading_repositories = group.create_task(
            read_repositories(
                client,
                found.repository_urls,
                key.range,
                cache=cache,
                stars_cap=stars_cap,
                progress=report,
            )
        )
        listed = await files.finish(found.pull_requests)
        report.reach("stars")
        repos = await reading_repositories
    reasons += repos.incomplete_reasons

    public = {name for name, info in repos.repositories.items() if not info.is_private}
    pull_requests: list[PullRequestRecord] = [
        _with_files(pr, listed) for pr in found.pull_requests if pr.repository in public
    ]
    collection = Collection(
        profile=profile,
        pull_requests=pull_requests,
        repositories={name: repos.repositories[name] for name in sorted(public)},
        stars_gained={name: count for name, count in repos.stars_gained.items() if name in public},
        incomplete_reasons=reasons,
        reviews=reviews.reviews,
        issues=issues.issues,
    )
    return Snapshot(
        collection,
        key.range,
        key.include_closed,
        collected_at=started,
        cold_at=started,
        left_out=found.left_out,
    )


async def _activity(
    client: GitHubClient,
    login: str,
    key: ReportKey,
    report: ProgressCallback,
    *,
    max_items: int,
) -> tuple[ReviewsResult, IssuesResult]:
    """Reviews given and issues opened, side by side (the ``activity`` phase)."""
    total = len(spans(key.range)) + 1
    done = 0

    def advance() -> None:
        nonlocal done
        done += 1
        report("activity", done, total)

    async def issues() -> IssuesResult:
        found = await search_issues(client, login, key.range, max_issues=max_items)
        advance()
        return found

    report("activity", 0, total)
    return await gather_pair(collect_reviews(client, login, key.range, advance=advance), issues())


async def probe_private(
    client: GitHubClient, profile: UserProfile, cache: ImmutableCache | None = None
) -> None:
    """Raise ``ProfilePrivate`` if the account of ``profile`` hid its activity.

    GitHub's GraphQL search answers a private profile with ``issueCount: 0`` and no error,
    like a user who never did anything; REST search refuses it with 422 "The listed users
    cannot be searched either because the users do not exist or you do not have permission
    to view the users." (docs "Setting your profile to private", changelog 2022-04-21
    "Private profiles", cli/cli#6879; the body as in mathlib4#31286 and zephyr#94070). An
    answer (200) means the empty report is true; so does a server without REST search (404):
    only GitHub's refusal proves the activity hidden. A true answer is remembered for the
    account (``SEARCHABLE_TTL``, keyed by its id, never its login): REST search allows a token
    30 requests a minute, which regenerating empty reports must not use up.
    """
    known = str(profile.id) if profile.id is not None else None
    if cache is not None and known is not None and await cache.get(SEARCHABLE, known):
        return
    params: dict[str, str | int] = {"q": author_qualifier(profile.login), "per_page": 1}
    try:
        await client.rest_get("/search/issues", params=params, missing_ok=True)
    except UserNotSearchable:
        raise ProfilePrivate(profile.login) from None
    if cache is not None and known is not None:
        await cache.set(SEARCHABLE, known, True, SEARCHABLE_TTL)


def _with_files(pr: PullRequestRecord, files: FilesResult) -> PullRequestRecord:
    key = pr_key(pr)
    if key not in files.files:  # unreadable: the builder says so (and why, if GitHub said)
        return replace(pr, files_complete=False, files_note=files.unread.get(key))
    note = files.truncated.get(key)
    return replace(pr, files=files.files[key], files_complete=note is None, files_note=note)
