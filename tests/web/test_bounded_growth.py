"""Nothing built from request data grows without bound (issue 11, item 3): 1000 requests with
random HTTP methods, random usernames and random ranges, from anonymous visitors, a browser
session, a valid token and made-up tokens, then 1000 more: the Prometheus series and the
Redis keys stop growing, and no username a request made up appears in either."""

from __future__ import annotations

import random
import re
import string
from datetime import date, timedelta

import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from gitbrag.fakehub import FakeHub
from tests.fixtures.web import METRICS_AUTH, login

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
KNOWN_METHODS = {*METHODS, "OTHER"}


def _username(rng: random.Random) -> str:
    if rng.random() < 0.8:  # a login GitHub could have (it does not)
        return "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(6, 20)))
    return "".join(rng.choices(string.ascii_letters + "-_.!~%", k=rng.randint(1, 60)))


def _path(rng: random.Random, user: str) -> str:
    start = date(2008, 1, 1) + timedelta(days=rng.randrange(6000))
    until = start + timedelta(days=rng.randrange(1, 900))
    query = f"since={start}&until={until}"
    return rng.choice(
        [
            f"/user/github/{user}",
            f"/user/github/{user}?{query}",
            f"/api/reports/github/{user}?{query}",
            f"/user/github/{user}.json",
            f"/user/github/{user}/repositories?page={rng.randint(1, 9)}",
            f"/api/jobs/{user}",
            f"/search?q={user}",
            f"/auth/login?return_to=/user/github/{user}",
            f"/{user}",
        ]
    )


def _flood(client: TestClient, hub: FakeHub, rng: random.Random, count: int) -> set[str]:
    """``count`` random requests; the usernames they made up."""
    viewers = [
        {},  # anonymous (or the browser session: the client keeps its cookie)
        {"Authorization": f"Bearer {hub.token('big-diff')}"},
    ]
    users: set[str] = set()
    for _ in range(count):
        method = (
            rng.choice(METHODS)
            if rng.random() < 0.5
            else "X" + "".join(rng.choices(string.ascii_uppercase, k=8))
        )
        user = _username(rng)
        users.add(user)
        headers = dict(rng.choice(viewers))
        if rng.random() < 0.1:
            headers["Authorization"] = "Bearer ghp_" + "".join(rng.choices(string.digits, k=20))
        client.request(method, _path(rng, user), headers=headers)
    return users


def _series(client: TestClient) -> list[tuple[str, dict[str, str]]]:
    text = client.get("/metrics", headers=METRICS_AUTH).text
    return [
        (sample.name, sample.labels)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def test_random_methods_and_usernames_leave_series_and_keys_bounded(
    web_app: FastAPI, hub: FakeHub, redis_client: redis.Redis
) -> None:
    rng = random.Random(1000)
    with TestClient(web_app, base_url="http://testserver", follow_redirects=False) as client:
        login(client, hub)
        series_before, keys_before = len(_series(client)), redis_client.dbsize()
        users = _flood(client, hub, rng, 1000)
        series_1000, keys_1000 = _series(client), redis_client.dbsize()
        users |= _flood(client, hub, rng, 1000)
        series_2000, keys_2000 = _series(client), redis_client.dbsize()

    print(  # the numbers in the note
        f"series {series_before} -> {len(series_1000)} -> {len(series_2000)}; "
        f"keys {keys_before} -> {keys_1000} -> {keys_2000}"
    )
    # The second thousand adds (almost) nothing: what grew was bounded by design (the few
    # jobs the viewers' limits allow, one validation counter per minute).
    assert len(series_2000) - len(series_1000) <= 8
    assert keys_2000 - keys_1000 <= 2
    assert keys_1000 - keys_before <= 30
    # Every label value is one the app chose, never one a request carried.
    routes = set()
    for name, labels in series_2000:
        if name.startswith("gitbrag_http_requests"):
            assert labels["method"] in KNOWN_METHODS, labels
            routes.add(labels["route"])
    assert len(routes) <= 25 and all(r == "unmatched" or r.startswith("/") for r in routes)
    label_values = {value for _, labels in series_2000 for value in labels.values()}
    assert not label_values & users
    # No Redis key is named after a made-up user, and none of them became "popular".
    names = [key.decode() for key in redis_client.scan_iter(count=1000)]
    made_up = [name for name in names if any(user in name for user in users if len(user) > 5)]
    # (only the claims of the few jobs the limits let the viewers start name the user)
    assert all(re.match(r"gitbrag:job-claim:", name) for name in made_up), made_up
    assert not [name for name in names if name.startswith("gitbrag:views:")]
