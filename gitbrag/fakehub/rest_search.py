"""REST ``GET /search/issues``: issues and pull requests, shaped like api.github.com's
(``shared/github/rest-recordings/search-issues.json``): ``{total_count, incomplete_results,
items}``, newest first unless the query says ``sort:created-asc``, ``per_page`` (at most
100, 30 by default) and ``page``, no result past the 1000th, and a ``Link`` header for the
next and last pages. Qualifiers: those of ``search`` (``author:``, ``is:pr`` / ``is:issue``,
``is:public``, ``created:A..B``...).

A query naming a user who does not exist, or who hides their activity behind a private
profile (``Behaviours.private_profiles``), is refused 422 (``visibility.CANNOT_SEARCH``).
With ``Behaviours.sso_enforcement`` the items of organisations whose SAML SSO refuses the
token are left out (and not counted), and ``x-github-sso: partial-results;
organizations=<ids>`` says whose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlencode

from gitbrag.fakehub.records import FakeIssue, FakePR, FakeUser, iso
from gitbrag.fakehub.rest import simple_user
from gitbrag.fakehub.search import SearchSyntaxError, named_users, parse_query, run_search
from gitbrag.fakehub.state import HubState
from gitbrag.fakehub.visibility import CANNOT_SEARCH, hides_activity, sso_block, sso_partial

SEARCH_DOCS: Final = "https://docs.github.com/v3/search/"
SEARCH_CAP: Final = 1000
_MISSING_QUERY: Final = {
    "message": "Validation Failed",
    "errors": [{"resource": "Search", "field": "q", "code": "missing"}],
    "documentation_url": SEARCH_DOCS,
    "status": "422",
}
_PAST_THE_CAP: Final = {
    "message": "Only the first 1000 search results are available",
    "documentation_url": SEARCH_DOCS,
    "status": "422",
}


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def _number(text: str | None, default: int, most: int) -> int:
    try:
        value = int(text) if text is not None else default
    except ValueError:
        value = default
    return max(1, min(value, most))


def search_issues(
    state: HubState,
    params: dict[str, str],
    viewer: str | None,
    account_id: int | None,
    base_url: str,
) -> Answer:
    query = params.get("q", "").strip()
    if not query:
        return Answer(422, _MISSING_QUERY)
    try:
        parsed = parse_query(query)
    except SearchSyntaxError as exc:
        error = {"message": str(exc), "resource": "Search", "field": "q", "code": "invalid"}
        return Answer(422, {**CANNOT_SEARCH, "errors": [error]})
    for login in named_users(parsed):
        if state.user(login) is None:
            return Answer(422, CANNOT_SEARCH)
        if hides_activity(state, login):
            state.count("private_profile.search")
            return Answer(422, CANNOT_SEARCH)
    per_page = _number(params.get("per_page"), 30, 100)
    page = _number(params.get("page"), 1, 10**6)
    if (page - 1) * per_page >= SEARCH_CAP:
        return Answer(422, _PAST_THE_CAP)
    candidates: list[FakePR | FakeIssue] = [*state.data.pull_requests, *state.data.issues]
    if parsed.author is not None:
        candidates = [
            *state.prs_by_author.get(parsed.author, []),
            *state.issues_by_author.get(parsed.author, []),
        ]
    matches = run_search(parsed, candidates, state.data.repos, viewer)
    refused: dict[int, FakeUser] = {}
    kept = []
    for item in matches:
        org = sso_block(state, account_id, item.repo)
        if org is None:
            kept.append(item)
        else:
            refused[org.id] = org
    headers = {}
    if refused:
        state.count("saml.partial_results")
        headers["x-github-sso"] = sso_partial(refused.values())
    capped = kept[:SEARCH_CAP]
    start = (page - 1) * per_page
    items = [_item(state, item, base_url) for item in capped[start : start + per_page]]
    last = max(1, -(-len(capped) // per_page))
    links = _links(base_url, params, page, last)
    if links:
        headers["link"] = links
    body = {"total_count": len(kept), "incomplete_results": False, "items": items}
    return Answer(200, body, headers)


def _links(base_url: str, params: dict[str, str], page: int, last: int) -> str:
    def url(number: int) -> str:
        return f"{base_url}/search/issues?{urlencode({**params, 'page': str(number)})}"

    parts = []
    if page < last:
        parts += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if page > 1:
        parts += [f'<{url(page - 1)}>; rel="prev"', f'<{url(1)}>; rel="first"']
    return ", ".join(parts)


def _association(state: HubState, item: FakePR | FakeIssue) -> str:
    if isinstance(item, FakePR):
        return item.author_association
    owner = state.data.repos[item.repo].owner
    if item.author.lower() == owner.lower():
        return "OWNER"
    org = state.user(owner)
    members = {m.lower() for m in org.members} if org is not None else set()
    return "MEMBER" if item.author.lower() in members else "NONE"


def _item(state: HubState, item: FakePR | FakeIssue, api: str) -> dict[str, Any]:
    repo = state.data.repos[item.repo]
    repo_api = f"{api}/repos/{item.repo}"
    url = f"{repo_api}/issues/{item.number}"
    author = state.user(item.author)
    is_pr = isinstance(item, FakePR)
    body: dict[str, Any] = {
        "url": url,
        "repository_url": repo_api,
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": item.url,
        "id": repo.id * 100_000 + item.number,
        "node_id": f"{'PR' if is_pr else 'I'}_fake{repo.id}x{item.number}",
        "number": item.number,
        "title": item.title,
        "user": simple_user(author, api) if author is not None else None,
        "labels": [],
        "state": "open" if item.state == "OPEN" else "closed",
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": 0,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "closed_at": iso(item.closed_at),
        "author_association": _association(state, item),
        "active_lock_reason": None,
        "body": "",
        "reactions": {
            "url": f"{url}/reactions",
            "total_count": 0,
            **dict.fromkeys(("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket"), 0),
            "eyes": 0,
        },
        "timeline_url": f"{url}/timeline",
        "performed_via_github_app": None,
        "state_reason": None,
        "score": 1.0,
    }
    if isinstance(item, FakePR):
        body["draft"] = False
        body["pull_request"] = {
            "url": f"{repo_api}/pulls/{item.number}",
            "html_url": item.url,
            "diff_url": f"{item.url}.diff",
            "patch_url": f"{item.url}.patch",
            "merged_at": iso(item.merged_at),
        }
    elif item.state_reason is not None:
        body["state_reason"] = item.state_reason.lower()
    return body
