"""Helpers for tests about GitHub accounts and logins: reports made for a given account id, and
a browser session of any account with any login (as if GitHub had just confirmed it), for the
situations the simulated GitHub cannot stage (two accounts holding one login in turn)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from gitbrag.jobs.service import ReportService
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from tests.fixtures.web import csrf_token, sample_collection, sample_report
from web.auth import SESSION_COOKIE
from web.context import AppContext


def report_for(
    key: ReportKey, account: int | None, *, age_seconds: float = 0, own_pull_requests: int = 1
) -> Report:
    """The fixtures' sample report of ``key``, made for GitHub account ``account``, with
    ``own_pull_requests`` in the user's own ``<login>/dotfiles``."""
    collection = sample_collection(key.username)
    own = next(pr for pr in collection.pull_requests if pr.repository.endswith("/dotfiles"))
    more = [
        replace(own, number=own.number + i, url=own.url.rsplit("/", 1)[0] + f"/{own.number + i}")
        for i in range(1, own_pull_requests)
    ]
    collection = replace(
        collection,
        profile=replace(collection.profile, id=account),
        pull_requests=[*collection.pull_requests, *more],
    )
    generated_at = datetime.now(UTC) - timedelta(seconds=age_seconds)
    return sample_report(key, generated_at=generated_at, collection=collection)


def store_for(
    service: ReportService,
    key: ReportKey,
    account: int | None,
    *,
    age_seconds: float = 0,
    own_pull_requests: int = 1,
) -> Report:
    report = report_for(key, account, age_seconds=age_seconds, own_pull_requests=own_pull_requests)
    assert service.stores.reports.put(key, report)
    return report


def session_of(
    app: FastAPI, client: TestClient, login: str, account_id: int | None, token: str
) -> str:
    """Give ``client`` a session of GitHub account ``account_id`` logged in as ``login``
    (``token`` is what generation would use), as the OAuth callback would have made it right
    now; returns its CSRF token."""
    ctx: AppContext = app.state.context
    session_id = ctx.sessions.new_session_id()
    credential = ctx.service.store_credential(
        token,
        viewer_id=ctx.sessions.viewer_id_for(session_id),
        ttl_seconds=ctx.credential_ttl_seconds,
    )
    ctx.sessions.save(
        session_id,
        login=login,
        avatar_url=None,
        credential_ref=str(credential),
        account_id=account_id,
    )
    client.cookies.set(SESSION_COOKIE, session_id)
    return csrf_token(client)
