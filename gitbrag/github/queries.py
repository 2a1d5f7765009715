"""Every GraphQL document the client sends.

Static documents are module constants; batched documents (several repositories or pull
requests in one request, one alias each) are built from templates by ``*_query(count)``.
Every document is listed in :data:`ALL_QUERIES` (batched ones at size 1) and
:func:`representative_batched_queries` builds larger batches, so one test can validate all
of them against GitHub's published schema.

Batched documents take one set of variables per alias (``$o0``, ``$n0``, ...) rather than
values spliced into the text: nothing a user typed ever becomes GraphQL syntax.
"""

from __future__ import annotations

from typing import Final

RATE_LIMIT_FIELDS: Final = "rateLimit { cost remaining resetAt }"
_PAGE_INFO: Final = "pageInfo { hasNextPage endCursor }"
_STAR_ORDER: Final = "orderBy: {field: STARRED_AT, direction: DESC}"


def _search(name: str, typename: str, fields: str) -> str:
    """A search document (``$query``, ``$first``, ``$after``) of ``typename`` nodes with
    ``fields`` (space-separated) and their repository's name, URL and visibility."""
    lines = "".join(f"        {field}\n" for field in fields.split())
    return f"""
query {name}($query: String!, $first: Int!, $after: String) {{
  {RATE_LIMIT_FIELDS}
  search(type: ISSUE, query: $query, first: $first, after: $after) {{
    issueCount
    {_PAGE_INFO}
    nodes {{
      __typename
      ... on {typename} {{
{lines}        repository {{ nameWithOwner url isPrivate }}
      }}
    }}
  }}
}}
"""


def search_counts_query(count: int) -> str:
    """How many results ``count`` searches find (``c{i}``, search text ``$q{i}``), asking
    for no nodes: what the windowed search cuts a range by."""
    if count < 1:
        raise ValueError("a batch holds at least one alias")
    variables = ", ".join(f"$q{i}: String!" for i in range(count))
    aliases = "".join(
        f"  c{i}: search(type: ISSUE, query: $q{i}, first: 0) {{ issueCount }}\n"
        for i in range(count)
    )
    return f"query SearchCounts({variables}) {{\n  {RATE_LIMIT_FIELDS}\n{aliases}}}\n"


SEARCH_PULL_REQUESTS: Final = _search(
    "SearchPullRequests",
    "PullRequest",
    "number title url state createdAt mergedAt closedAt additions deletions changedFiles "
    "authorAssociation headRefOid",
)
"""One page of a user's authored pull requests. Light on purpose: no file lists (the head
commit, ``headRefOid``, tells a refresh whether they changed since)."""


def _batched(name: str, shared: str, per_alias: str, body: str, count: int, tail: str = "") -> str:
    """``count`` aliases ``r0..r{count-1}`` of ``body``; ``{i}`` in templates is the index."""
    if count < 1:
        raise ValueError("a batch holds at least one alias")
    variables = [shared] * bool(shared) + [per_alias.replace("{i}", str(i)) for i in range(count)]
    aliases = [f"  r{i}: " + body.replace("{i}", str(i)) for i in range(count)]
    return (
        f"query {name}({', '.join(variables)}) {{\n  {RATE_LIMIT_FIELDS}\n"
        + "\n".join(aliases)
        + "\n}\n"
        + tail
    )


def pull_request_files_query(count: int) -> str:
    """Changed files (path, additions, deletions) of ``count`` pull requests, one page each.

    Variables: ``first`` (page size, at most 100) and per alias ``o{i}`` owner, ``n{i}``
    repository name, ``p{i}`` pull request number, ``a{i}`` cursor (null for the first page).
    """
    return _batched(
        "PullRequestFiles",
        "$first: Int!",
        "$o{i}: String!, $n{i}: String!, $p{i}: Int!, $a{i}: String",
        "repository(owner: $o{i}, name: $n{i}) { pullRequest(number: $p{i}) { "
        "files(first: $first, after: $a{i}) { "
        + _PAGE_INFO
        + " nodes { path additions deletions } "
        "} } }",
        count,
    )


def repositories_query(count: int) -> str:
    """Metadata of ``count`` repositories and, when ``$stars`` is true, the newest page of
    their stargazers (``STARRED_AT`` descending).

    Variables: ``first`` (stargazer page size), ``stars`` (include stargazers) and per alias
    ``o{i}`` owner and ``n{i}`` name.
    """
    return _batched(
        "Repositories",
        "$first: Int!, $stars: Boolean!",
        "$o{i}: String!, $n{i}: String!",
        "repository(owner: $o{i}, name: $n{i}) { ...RepositoryFields }",
        count,
        tail=(
            "fragment RepositoryFields on Repository {\n"
            "  nameWithOwner url description stargazerCount isPrivate\n"
            f"  stargazers(first: $first, {_STAR_ORDER}) @include(if: $stars) {{\n"
            f"    {_PAGE_INFO} edges {{ starredAt }}\n  }}\n}}\n"
        ),
    )


def stargazers_query(count: int) -> str:
    """Older pages of stargazers (``STARRED_AT`` descending) of ``count`` repositories.

    Variables: ``first`` (page size) and per alias ``o{i}`` owner, ``n{i}`` name and
    ``a{i}`` the cursor to continue after.
    """
    return _batched(
        "Stargazers",
        "$first: Int!",
        "$o{i}: String!, $n{i}: String!, $a{i}: String",
        f"repository(owner: $o{{i}}, name: $n{{i}}) {{ stargazers(first: $first, after: $a{{i}}, "
        f"{_STAR_ORDER}) {{ {_PAGE_INFO} edges {{ starredAt }} }} }}",
        count,
    )


SEARCH_ISSUES: Final = _search(
    "SearchIssues", "Issue", "number title url state stateReason createdAt closedAt"
)
"""One page of a user's issues (``stateReason`` without ``enableDuplicate``: a duplicate
reads as ``NOT_PLANNED``, as GitHub's "close as not planned" files it)."""

SEARCH_ISSUES_WITHOUT_REASON: Final = _search(
    "SearchIssuesWithoutReason", "Issue", "number title url state createdAt closedAt"
)
""":data:`SEARCH_ISSUES` for an older Enterprise Server whose schema has no
``Issue.stateReason`` (:mod:`gitbrag.github.schema_gaps`): closed issues of unknown reason."""

TOKEN_CAPABILITIES: Final = f"""
query TokenCapabilities {{
  {RATE_LIMIT_FIELDS}
  me: viewer {{ login }}
  search(type: ISSUE, query: "is:pr is:public is:merged", first: 1) {{
    issueCount
    nodes {{ ... on PullRequest {{ files(first: 1) {{ nodes {{ path }} }} }} }}
  }}
  stars: search(type: ISSUE, query: "is:pr is:public is:merged", first: 1) {{
    nodes {{
      ... on PullRequest {{
        repository {{ stargazers(first: 1, {_STAR_ORDER}) {{ edges {{ starredAt }} }} }}
      }}
    }}
  }}
}}
"""
"""What the token can read, first request (:mod:`gitbrag.github.capabilities`): its login,
search, a pull request's files and, in a search of its own, that pull request's repository's
stargazers. A refused field nulls its parent and, up the non-null fields, the nearest nullable
object (GraphQL's null propagation): ``PullRequest.repository`` is non-null, so a refused
``stargazers`` nulls the whole search node, which must not hide the files. Nothing an older
Enterprise Server lacks (no ``stateReason``, no ``socialAccounts``)."""

TOKEN_CONTRIBUTIONS: Final = f"""
query TokenContributions($login: String!) {{
  {RATE_LIMIT_FIELDS}
  contributions: user(login: $login) {{
    contributionsCollection {{ pullRequestReviewContributions(first: 1) {{ totalCount }} }}
  }}
}}
"""
"""What the token can read, second request: ``login``'s contributions. Through the nullable
``user(login:)``, never ``viewer``: ``Query.viewer`` and ``User.contributionsCollection`` are
non-null, so a refused ``contributionsCollection`` under ``viewer`` nulls the whole answer
(``data: null``)."""

_REVIEWS: Final = f"{_PAGE_INFO} nodes {{ id state submittedAt }}"


def review_contributions_query(count: int) -> str:
    """The pull requests ``login`` reviewed in ``count`` spans of at most a year each (one
    ``contributionsCollection`` per alias: GitHub refuses longer ones), one page each, with
    the first ``reviews`` of ``login``'s reviews of each pull request.

    GitHub lists one contribution per pull request reviewed in the span (its most recent
    review there), so the reviews themselves come from ``reviews(author:)``.
    Variables: ``login``, ``first`` (contributions per page, at most 100), ``reviews``
    (reviews per pull request) and per alias ``f{i}``/``t{i}`` the span (inclusive) and
    ``a{i}`` the cursor (null for the first page).
    """
    return _batched(
        "ReviewContributions",
        "$login: String!, $first: Int!, $reviews: Int!",
        "$f{i}: DateTime!, $t{i}: DateTime!, $a{i}: String",
        "user(login: $login) { contributionsCollection(from: $f{i}, to: $t{i}) { "
        "pullRequestReviewContributions(first: $first, after: $a{i}) { "
        + _PAGE_INFO
        + " nodes { pullRequest { ...ReviewedPullRequest } } } } }",
        count,
        tail=(
            "fragment ReviewedPullRequest on PullRequest {\n"
            "  number author { login } repository { nameWithOwner url isPrivate }\n"
            f"  reviews(author: $login, first: $reviews) {{ {_REVIEWS} }}\n}}\n"
        ),
    )


def pull_request_reviews_query(count: int) -> str:
    """More of ``login``'s reviews of ``count`` pull requests (after the first page), one
    page each. Variables: ``login``, ``first`` and per alias ``o{i}`` owner, ``n{i}`` name,
    ``p{i}`` number and ``a{i}`` the cursor to continue after.
    """
    return _batched(
        "PullRequestReviews",
        "$login: String!, $first: Int!",
        "$o{i}: String!, $n{i}: String!, $p{i}: Int!, $a{i}: String",
        "repository(owner: $o{i}, name: $n{i}) { pullRequest(number: $p{i}) { "
        f"reviews(author: $login, first: $first, after: $a{{i}}) {{ {_REVIEWS} }} }} }}",
        count,
    )


# ------------------------------------------------------------------ refreshing a report

_CHANGED_PULL_REQUEST: Final = (
    "number title url state createdAt updatedAt mergedAt closedAt additions deletions "
    "changedFiles authorAssociation headRefOid"
)
_CHANGED_ISSUE: Final = "number title url state stateReason createdAt updatedAt closedAt"
_REPOSITORY: Final = "repository { nameWithOwner url isPrivate }"
_REVIEWED: Final = (
    "number updatedAt author { login } " + _REPOSITORY + f" reviews(author: $login, first: "
    f"$reviews) {{ {_REVIEWS} }}"
)

SEARCH_CHANGED_PULL_REQUESTS: Final = _search(
    "SearchChangedPullRequests", "PullRequest", _CHANGED_PULL_REQUEST
)
"""More pages of a refresh's pull requests, most recently updated first."""

SEARCH_CHANGED_ISSUES: Final = _search("SearchChangedIssues", "Issue", _CHANGED_ISSUE)
"""More pages of a refresh's issues, most recently updated first."""

SEARCH_REVIEWED: Final = f"""
query SearchReviewed($query: String!, $first: Int!, $after: String, $login: String!,
                     $reviews: Int!) {{
  {RATE_LIMIT_FIELDS}
  search(type: ISSUE, query: $query, first: $first, after: $after) {{
    issueCount
    {_PAGE_INFO}
    nodes {{ __typename ... on PullRequest {{ {_REVIEWED} }} }}
  }}
}}
"""
"""More pages of a refresh's reviewed pull requests, each with ``login``'s reviews of it."""

_REPOSITORY_STATE: Final = (
    "nameWithOwner url description stargazerCount isPrivate "
    f"stargazers(first: $stars, {_STAR_ORDER}) @include(if: $s{{i}}) {{ {_PAGE_INFO} "
    "edges { starredAt } }"
)
_OPEN_PULL_REQUEST: Final = (
    f"pullRequest(number: $pp{{j}}) {{ {_CHANGED_PULL_REQUEST} {_REPOSITORY} }}"
)


def _searched(alias: str, variable: str, typename: str, fields: str) -> str:
    return (
        f"  {alias}: search(type: ISSUE, query: ${variable}, first: $first) {{ issueCount "
        f"{_PAGE_INFO} nodes {{ __typename ... on {typename} {{ {fields} }} }} }}\n"
    )


def refresh_query(repositories: int, open_pull_requests: int) -> str:
    """A report's refresh, in one document: the user's social accounts (``$login``,
    ``$social``); the pull requests and issues created in the range, most recently updated
    first (``$prs``, ``$issues``: search text, ``$first`` per page) and the pull requests
    reviewed since the previous collection with the user's reviews of each (``$reviewed``,
    ``$reviews``); the state of ``repositories`` repositories (``r{i}``: ``$o{i}``,
    ``$n{i}``, and with ``$s{i}`` the newest ``$stars`` of their stargazers), and of
    ``open_pull_requests`` pull requests that were open (``p{j}``: ``$po{j}``, ``$pn{j}``,
    ``$pp{j}``). It selects ``User.socialAccounts`` and ``Issue.stateReason``, which an
    older Enterprise Server lacks: there a refresh is a cold collection.
    """
    variables = [
        "$login: String!, $prs: String!, $issues: String!, $reviewed: String!",
        "$first: Int!, $reviews: Int!, $social: Int!" + ", $stars: Int!" * bool(repositories),
    ]
    variables += [f"$o{i}: String!, $n{i}: String!, $s{i}: Boolean!" for i in range(repositories)]
    variables += [
        f"$po{j}: String!, $pn{j}: String!, $pp{j}: Int!" for j in range(open_pull_requests)
    ]
    body = (
        "  user(login: $login) { socialAccounts(first: $social) { nodes { provider url } } }\n"
        + _searched("prs", "prs", "PullRequest", f"{_CHANGED_PULL_REQUEST} {_REPOSITORY}")
        + _searched("issues", "issues", "Issue", f"{_CHANGED_ISSUE} {_REPOSITORY}")
        + _searched("reviewed", "reviewed", "PullRequest", _REVIEWED)
    )
    body += "".join(
        f"  r{i}: repository(owner: $o{i}, name: $n{i}) {{ "
        + _REPOSITORY_STATE.replace("{i}", str(i))
        + " }\n"
        for i in range(repositories)
    )
    body += "".join(
        f"  p{j}: repository(owner: $po{j}, name: $pn{j}) {{ "
        + _OPEN_PULL_REQUEST.replace("{j}", str(j))
        + " }\n"
        for j in range(open_pull_requests)
    )
    return f"query Refresh({', '.join(variables)}) {{\n  {RATE_LIMIT_FIELDS}\n{body}}}\n"


def open_pull_requests_query(count: int) -> str:
    """The state of ``count`` pull requests (a refresh's pull requests that were open), one
    alias each. Variables per alias: ``o{i}`` owner, ``n{i}`` name, ``p{i}`` number."""
    return _batched(
        "OpenPullRequests",
        "",
        "$o{i}: String!, $n{i}: String!, $p{i}: Int!",
        "repository(owner: $o{i}, name: $n{i}) { pullRequest(number: $p{i}) { "
        + _CHANGED_PULL_REQUEST
        + " "
        + _REPOSITORY
        + " } }",
        count,
    )


ALL_QUERIES: Final[dict[str, str]] = {
    "SearchPullRequests": SEARCH_PULL_REQUESTS,
    "PullRequestFiles": pull_request_files_query(1),
    "Repositories": repositories_query(1),
    "Stargazers": stargazers_query(1),
    "SearchIssues": SEARCH_ISSUES,
    "SearchIssuesWithoutReason": SEARCH_ISSUES_WITHOUT_REASON,
    "TokenCapabilities": TOKEN_CAPABILITIES,
    "TokenContributions": TOKEN_CONTRIBUTIONS,
    "ReviewContributions": review_contributions_query(1),
    "PullRequestReviews": pull_request_reviews_query(1),
    "Refresh": refresh_query(1, 1),
    "SearchChangedPullRequests": SEARCH_CHANGED_PULL_REQUESTS,
    "SearchChangedIssues": SEARCH_CHANGED_ISSUES,
    "SearchReviewed": SEARCH_REVIEWED,
    "OpenPullRequests": open_pull_requests_query(1),
    "SearchCounts": search_counts_query(1),
}


def representative_batched_queries(count: int = 3) -> dict[str, str]:
    """Batched documents of ``count`` aliases each, as the collector builds them."""
    return {
        f"PullRequestFiles[{count}]": pull_request_files_query(count),
        f"Repositories[{count}]": repositories_query(count),
        f"Stargazers[{count}]": stargazers_query(count),
        f"ReviewContributions[{count}]": review_contributions_query(count),
        f"PullRequestReviews[{count}]": pull_request_reviews_query(count),
        f"Refresh[{count}]": refresh_query(count, count),
        "Refresh[0]": refresh_query(0, 0),
        f"OpenPullRequests[{count}]": open_pull_requests_query(count),
        f"SearchCounts[{count}]": search_counts_query(count),
    }
