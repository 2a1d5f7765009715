"""Issue 20, item 8: the CSRF token is masked afresh in every response (BREACH: per-request
gzipped pages reflect the query next to it), and every masked copy is accepted."""

from __future__ import annotations

import re

import redis
from fastapi.testclient import TestClient

from gitbrag.fakehub import FakeHub
from gitbrag.jobs.service import ReportService
from gitbrag.stores.sessions import decode_session, session_key
from tests.fixtures.web import key_for, login, store_report
from web.auth import mask_csrf, unmask_csrf

TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def test_every_response_carries_another_mask_of_the_one_token(
    web_client: TestClient, web_service: ReportService, hub: FakeHub, redis_client: redis.Redis
) -> None:
    store_report(web_service, key_for())
    login(web_client, hub)
    session_id = web_client.cookies["gitbrag_session"]
    raw = redis_client.get(session_key("gitbrag:", session_id))
    assert raw is not None
    session = decode_session(raw)
    assert session is not None
    seen: set[str] = set()
    for path in ("/?q=a", "/?q=a", "/user/github/octocat", "/user/github/octocat/curate", "/?q=b"):
        page = web_client.get(path).text
        assert session.csrf_token not in page  # never as it is
        tokens = TOKEN.findall(page)
        assert tokens, path
        for token in tokens:
            assert token not in seen  # a new mask every time
            seen.add(token)
            assert unmask_csrf(token) == session.csrf_token.encode()
    # Any of them works, and so does the token as it is (a page from before masking).
    for token in [*list(seen)[:3], session.csrf_token]:
        done = web_client.post(
            "/api/curation/github/octocat",
            json={"action": "reset", "target": ""},
            headers={"X-CSRF-Token": token},
        )
        assert done.status_code == 200, done.text
    for bad in ("", "x" * 40, mask_csrf("another-token-entirely-0123456789abcdefghij"), "é"):
        refused = web_client.post(
            "/api/curation/github/octocat",
            json={"action": "reset", "target": ""},
            headers={"X-CSRF-Token": bad} if bad.isascii() else {},
        )
        assert refused.status_code == 403, bad


def test_unmask_refuses_what_is_not_a_mask() -> None:
    assert unmask_csrf("!!") is None and unmask_csrf("") is None and unmask_csrf("abcd") is None
    assert unmask_csrf(mask_csrf("token")) == b"token"
