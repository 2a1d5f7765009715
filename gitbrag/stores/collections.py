"""What each report's last generation collected, kept for the next generation to refresh from
(issue 21, :mod:`gitbrag.github.refresh`), and what that generation cost.

``collection:v1:<report key>`` after the namespace (:data:`COLLECTION_PREFIX`), a hash:

    snapshot      the :class:`~gitbrag.report.records.Snapshot` as JSON, zlib-compressed
                  (format :data:`FORMAT`; another format reads as nothing kept)
    account       GitHub's account id of the report's user (a refresh of another account's
                  collection is refused by the refresh itself too)
    collected_at  when it was collected (epoch seconds)
    incremental   "1" if that generation was a refresh, "0" if it collected cold
    rest, points  what it spent: REST requests and GraphQL points (its measured cost)
    refresh_rest, refresh_points
                  what a refresh of it is expected to cost: the measured cost of that
                  generation when it was a refresh, else what the refresh of this collection
                  asks when nothing changed (:func:`expected_refresh`)

Only public records are kept (the collector drops everything private before), and nothing
secret. A key lives as long as reports do (``ttl_seconds``, the report retention); it is
replaced by every generation of its report and dropped with it.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any, Final, cast

import redis

from gitbrag.github.capacity import Cost
from gitbrag.github.refresh import (
    DOCUMENT_OPEN_PULL_REQUESTS,
    DOCUMENT_REPOSITORIES,
    OPEN_BATCH,
    REPOSITORY_BATCH,
)
from gitbrag.report.keys import ReportKey
from gitbrag.report.periods import DateRange
from gitbrag.report.records import (
    Collection,
    FileChange,
    IssueRecord,
    PullRequestRecord,
    RepositoryInfo,
    ReviewRecord,
    Snapshot,
    SocialAccount,
    StarCount,
    UserProfile,
)
from gitbrag.stores.connection import key_prefix

COLLECTION_PREFIX: Final = "collection:v1:"
FORMAT: Final = 1


def expected_refresh(snapshot: Snapshot) -> Cost:
    """What refreshing ``snapshot`` costs when nothing changed: the profile (REST), the
    refresh document, and the batches beside it for repositories and open pull requests
    past what it carries (``gitbrag.github.refresh``, whose numbers these are)."""
    collection = snapshot.collection
    pull_requests = [*collection.pull_requests, *snapshot.left_out]
    names = {pr.repository for pr in pull_requests}
    names |= {issue.repository for issue in collection.issues or ()}
    names |= {review.repository for review in collection.reviews or ()}
    open_prs = sum(1 for pr in pull_requests if pr.state == "open")
    more_repositories = max(0, len(names) - DOCUMENT_REPOSITORIES)
    more_open = max(0, open_prs - DOCUMENT_OPEN_PULL_REQUESTS)
    documents = 1 + math.ceil(more_repositories / REPOSITORY_BATCH)
    documents += math.ceil(more_open / OPEN_BATCH)
    return Cost(rest=1, points=documents)


Entry = dict[bytes | bytearray | memoryview | str | int | float, Any]


def encode(snapshot: Snapshot, spent: Cost, *, incremental: bool) -> Entry:
    """``snapshot`` and what it cost as :meth:`CollectionStore.put_encoded` keeps them (the
    costly part: JSON, compressed)."""
    expected = spent if incremental else expected_refresh(snapshot)
    return {
        "format": FORMAT,
        "snapshot": zlib.compress(_encode(snapshot), 6),
        "account": snapshot.collection.profile.id or "",
        "collected_at": snapshot.collected_at.timestamp(),
        "incremental": int(incremental),
        "rest": spent.rest,
        "points": spent.points,
        "refresh_rest": expected.rest,
        "refresh_points": expected.points,
    }


class CollectionStore:
    """Each report's last collection (see the module docstring)."""

    def __init__(self, client: redis.Redis, *, ttl_seconds: int) -> None:
        self._redis = client
        self._ns = key_prefix(client)
        self.ttl_seconds = ttl_seconds

    def put(
        self, key: ReportKey | str, snapshot: Snapshot, spent: Cost, *, incremental: bool
    ) -> None:
        """Keep ``snapshot`` as ``key``'s last collection, with what it cost."""
        self.put_encoded(key, encode(snapshot, spent, incremental=incremental))

    def put_encoded(self, key: ReportKey | str, entry: Entry) -> None:
        """Keep an :func:`encode`-d collection as ``key``'s last: one round trip, so a
        worker encodes first and stores it right after the report it was built for."""
        name = self._ns + COLLECTION_PREFIX + str(key)
        pipe = self._redis.pipeline()
        pipe.delete(name)
        pipe.hset(name, mapping=entry)
        pipe.expire(name, self.ttl_seconds)
        pipe.execute()

    def get(self, key: ReportKey | str) -> Snapshot | None:
        """``key``'s last collection, or ``None`` (nothing kept, or kept in another format)."""
        raw = cast(
            list[bytes | None],
            self._redis.hmget(self._ns + COLLECTION_PREFIX + str(key), "format", "snapshot"),
        )
        if raw[0] is None or raw[1] is None or int(raw[0]) != FORMAT:
            return None
        try:
            return _decode(zlib.decompress(raw[1]))
        except (ValueError, KeyError, TypeError, zlib.error):
            return None  # unreadable: the next generation collects cold

    def refresh_costs(self, report_keys: list[str]) -> list[Cost | None]:
        """What refreshing each report is expected to cost (``None``: nothing kept), in one
        round trip and without reading the collections themselves."""
        pipe = self._redis.pipeline(transaction=False)
        for report_key in report_keys:
            pipe.hmget(self._ns + COLLECTION_PREFIX + report_key, "refresh_rest", "refresh_points")
        costs: list[Cost | None] = []
        for rest, points in cast(list[list[bytes | None]], pipe.execute()):
            costs.append(
                None if rest is None or points is None else Cost(float(rest), float(points))
            )
        return costs

    def delete(self, *report_keys: str) -> None:
        if report_keys:
            self._redis.delete(*(self._ns + COLLECTION_PREFIX + key for key in report_keys))


# ---------------------------------------------------------------------------- the JSON


def _default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot keep {type(value).__name__}")


def _encode(snapshot: Snapshot) -> bytes:
    return json.dumps(asdict(snapshot), default=_default, separators=(",", ":")).encode()


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _pull_request(data: dict[str, Any]) -> PullRequestRecord:
    files = tuple(FileChange(**change) for change in data.pop("files"))
    return PullRequestRecord(
        **{
            **data,
            "files": files,
            "created_at": _moment(data["created_at"]),
            "merged_at": _time(data["merged_at"]),
            "closed_at": _time(data["closed_at"]),
        }
    )


def _review(data: dict[str, Any]) -> ReviewRecord:
    return ReviewRecord(**{**data, "submitted_at": _moment(data["submitted_at"])})


def _issue(data: dict[str, Any]) -> IssueRecord:
    return IssueRecord(
        **{
            **data,
            "created_at": _moment(data["created_at"]),
            "closed_at": _time(data["closed_at"]),
        }
    )


def _decode(blob: bytes) -> Snapshot:
    data = json.loads(blob)
    collection = data["collection"]
    profile = collection["profile"]
    social = tuple(SocialAccount(**account) for account in profile.pop("social_accounts"))
    reviews, issues = collection["reviews"], collection["issues"]
    span = data["range"]
    return Snapshot(
        collection=Collection(
            profile=UserProfile(**profile, social_accounts=social),
            pull_requests=[_pull_request(pr) for pr in collection["pull_requests"]],
            repositories={
                name: RepositoryInfo(**info) for name, info in collection["repositories"].items()
            },
            stars_gained={
                name: StarCount(**count) for name, count in collection["stars_gained"].items()
            },
            incomplete_reasons=list(collection["incomplete_reasons"]),
            reviews=None if reviews is None else [_review(review) for review in reviews],
            issues=None if issues is None else [_issue(issue) for issue in issues],
        ),
        range=DateRange(
            date.fromisoformat(span["since"]), date.fromisoformat(span["until"]), span["period"]
        ),
        include_closed=bool(data["include_closed"]),
        collected_at=_moment(data["collected_at"]),
        cold_at=_moment(data["cold_at"]),
        left_out=[_pull_request(pr) for pr in data["left_out"]],
    )
