"""Tiny real reports for store tests (built by the real builder from an empty collection)."""

from __future__ import annotations

from datetime import UTC, datetime

from gitbrag.report.builder import build_report
from gitbrag.report.keys import ReportKey
from gitbrag.report.models import Report
from gitbrag.report.records import Collection, UserProfile


def empty_report(
    key: ReportKey, *, generated_at: datetime | None = None, incomplete: str | None = None
) -> Report:
    profile = UserProfile(
        login=key.username, name=None, avatar_url="", html_url=f"https://github.com/{key.username}"
    )
    reasons = [incomplete] if incomplete else []
    collection = Collection(profile, [], {}, {}, incomplete_reasons=reasons)
    return build_report(collection, key, generated_at or datetime.now(UTC))
