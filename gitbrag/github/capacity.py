"""What one token can keep fresh: GitHub's hourly budgets against what regenerations cost.

GitHub gives a user's token 5,000 REST requests an hour ("Rate limits for the REST API",
primary rate limit for authenticated users) and 5,000 GraphQL points an hour ("Rate limits
and query limits for the GraphQL API"; a query costs at least one point, its ``rateLimit
{ cost }``). The two budgets are apart: a regeneration spends some of each (a refresh: one
REST request for the profile, GraphQL for the rest).

Pre-warming may spend a share of them (``GITBRAG_PREWARM_BUDGET_SHARE``; the rest is left
to the people using the site), and keeps each popular report fresh by regenerating it once
per ``GITBRAG_REPORT_FRESH_SECONDS``. So, per day, a report costs its regeneration's
:class:`Cost` times its regenerations a day, and the token keeps fresh as many of the most
popular reports as fit (:func:`kept_fresh`): this is pre-warming's top-K, computed here and
nowhere else, from the costs the generations measured (``gitbrag.stores.collections``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

HOURLY_REST_REQUESTS: Final = 5_000
HOURLY_GRAPHQL_POINTS: Final = 5_000
SECONDS_A_DAY: Final = 86_400


@dataclass(frozen=True, slots=True)
class Cost:
    """What one regeneration spends: REST requests and GraphQL points."""

    rest: float
    points: float

    def times(self, factor: float) -> Cost:
        return Cost(self.rest * factor, self.points * factor)


@dataclass(frozen=True, slots=True)
class Allowance:
    """What pre-warming may spend a day of one token: its ``share`` of each hourly budget,
    24 times."""

    rest: float
    points: float

    @classmethod
    def daily(cls, share: float) -> Allowance:
        return cls(HOURLY_REST_REQUESTS * 24 * share, HOURLY_GRAPHQL_POINTS * 24 * share)

    def fits(self, spent: Cost) -> bool:
        return spent.rest <= self.rest and spent.points <= self.points


def regenerations_a_day(fresh_seconds: int) -> float:
    """How often a report kept fresh is regenerated: once per freshness window."""
    return SECONDS_A_DAY / max(1, fresh_seconds)


def reports_kept_fresh(cost: Cost, allowance: Allowance, fresh_seconds: int) -> int:
    """How many reports of one ``cost`` the ``allowance`` keeps fresh a day."""
    daily = cost.times(regenerations_a_day(fresh_seconds))
    limits = [
        allowance.rest / daily.rest if daily.rest > 0 else math.inf,
        allowance.points / daily.points if daily.points > 0 else math.inf,
    ]
    most = min(limits)
    return int(most) if math.isfinite(most) else 0


def kept_fresh(costs: Iterable[Cost], allowance: Allowance, fresh_seconds: int) -> int:
    """Pre-warming's top-K: how many of ``costs`` (the most popular reports' regeneration
    costs, most popular first) the ``allowance`` keeps fresh a day, taken in that order
    until the next one no longer fits."""
    per_day = regenerations_a_day(fresh_seconds)
    spent = Cost(0.0, 0.0)
    kept = 0
    for cost in costs:
        daily = cost.times(per_day)
        total = Cost(spent.rest + daily.rest, spent.points + daily.points)
        if not allowance.fits(total):
            break
        spent, kept = total, kept + 1
    return kept
