"""Every address of a user's reports, built in one place: ``/user/github/{login}…`` with the
query that names the report (its period or dates, ``include_closed``).

    /user/github/{login}                                      the report page
    /user/github/{login}.json  .md                            its exports
    /user/github/{login}/repositories?page=N                  repositories, N >= 1
    /user/github/{login}/repositories/{owner}/{name}?page=N   one repository's pull requests
    /user/github/{login}/issues?page=N                        the issues opened, newest first
    /user/github/{login}/compare  /curate  /refresh  …        the report's other pages

The routes declare the same shapes (``web.routes``); a page's own query (``page``) comes after
the report's.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from gitbrag.errors import InvalidInput
from gitbrag.report.comparison import previous_range
from gitbrag.report.keys import ReportKey

USER_PREFIX = "/user/github/"


def user_path(username: str, suffix: str = "", query: dict[str, str] | None = None) -> str:
    """``/user/github/{username}{suffix}?{query}``: the one builder of these addresses."""
    encoded = urlencode(query) if query else ""
    return USER_PREFIX + username + suffix + (f"?{encoded}" if encoded else "")


def key_query(key: ReportKey, *, period: str | None = None) -> dict[str, str]:
    """The query string that names ``key`` (or the same options for another ``period``)."""
    query: dict[str, str] = {}
    period = period if period is not None else key.range.period
    if period is not None:
        if period != "1_year":
            query["period"] = period
    else:
        query["since"] = key.range.since.isoformat()
        query["until"] = key.range.until.isoformat()
    if key.include_closed:
        query["include_closed"] = "true"
    return query


def report_path(
    key: ReportKey, suffix: str = "", *, period: str | None = None, **extra: str
) -> str:
    """The address of ``key``'s report (``suffix``: one of its other pages), with ``extra``
    query parameters after the report's own."""
    return user_path(key.username, suffix, key_query(key, period=period) | extra)


def compare_path(key: ReportKey) -> str | None:
    """The comparison of ``key``'s period with the one before it (None: there is none)."""
    try:
        previous_range(key.range)
    except InvalidInput:
        return None
    return report_path(key, "/compare")


def _paged(key: ReportKey, suffix: str, page: int) -> str:
    return report_path(key, suffix, **({"page": str(page)} if page > 1 else {}))


def repositories_path(key: ReportKey, page: int) -> str:
    return _paged(key, "/repositories", page)


def pulls_path(key: ReportKey, name_with_owner: str, page: int) -> str:
    owner, _, name = name_with_owner.partition("/")
    return _paged(key, f"/repositories/{quote(owner, safe='')}/{quote(name, safe='')}", page)


def issues_path(key: ReportKey, page: int) -> str:
    return _paged(key, "/issues", page)


def curate_path(key: ReportKey, page: int = 1, *, period: str | None = None) -> str:
    query = key_query(key, period=period) | ({"page": str(page)} if page > 1 else {})
    return user_path(key.username, "/curate", query)


def refresh_path(username: str) -> str:
    """Where the "Refresh now" form posts (the report's options are its hidden fields)."""
    return user_path(username, "/refresh")


def login_path(return_to: str) -> str:
    """Log in with GitHub, then come back to ``return_to``."""
    return "/auth/login?" + urlencode({"return_to": return_to})
