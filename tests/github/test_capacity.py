"""What one token keeps fresh (gitbrag.github.capacity): GitHub's hourly budgets against
measured costs, and pre-warming's top-K from them."""

from __future__ import annotations

from gitbrag.github.capacity import (
    HOURLY_GRAPHQL_POINTS,
    HOURLY_REST_REQUESTS,
    Allowance,
    Cost,
    kept_fresh,
    reports_kept_fresh,
)

DAY = 86_400


def test_the_daily_allowance_is_a_share_of_each_hourly_budget() -> None:
    assert Allowance.daily(1.0) == Allowance(HOURLY_REST_REQUESTS * 24, HOURLY_GRAPHQL_POINTS * 24)
    assert Allowance.daily(0.1) == Allowance(12_000, 12_000)


def test_reports_kept_fresh_by_the_scarcer_budget() -> None:
    allowance = Allowance.daily(0.1)  # 12,000 requests and 12,000 points a day
    assert reports_kept_fresh(Cost(rest=1, points=1), allowance, DAY) == 12_000
    assert reports_kept_fresh(Cost(rest=1, points=3), allowance, DAY) == 4_000  # points bind
    assert reports_kept_fresh(Cost(rest=2, points=64), allowance, DAY) == 187  # a cold one
    assert reports_kept_fresh(Cost(rest=1, points=1), allowance, DAY // 2) == 6_000  # twice a day
    assert reports_kept_fresh(Cost(rest=0, points=0), allowance, DAY) == 0


def test_top_k_takes_the_most_viewed_while_they_fit() -> None:
    allowance = Allowance(rest=10, points=20)
    costs = [Cost(1, 4), Cost(1, 4), Cost(1, 4), Cost(1, 4), Cost(1, 4), Cost(1, 1)]
    assert kept_fresh(costs, allowance, DAY) == 5  # 20 points: five of four each
    assert kept_fresh(costs, allowance, DAY // 2) == 2  # twice a day: 8 points each
    assert kept_fresh([Cost(1, 30), Cost(1, 1)], allowance, DAY) == 0  # in order, never skipped
    assert kept_fresh([], allowance, DAY) == 0
