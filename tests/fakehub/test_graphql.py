"""GraphQL: GitHub's schema validation, authentication, the fields gitbrag reads, aliases."""

from __future__ import annotations

import httpx

from gitbrag.fakehub import DataSet, FakeHub
from tests.fakehub.helpers import GraphQL, auth

PR_FIELDS = """
number title url state createdAt mergedAt closedAt additions deletions changedFiles
authorAssociation author { login }
repository { nameWithOwner url description stargazerCount isPrivate owner { login } name }
files(first: 100) {
  totalCount pageInfo { hasNextPage endCursor } nodes { path additions deletions }
}
"""


def test_a_field_github_does_not_have_is_rejected(gql: GraphQL, hub: FakeHub) -> None:
    body = gql("{ viewer { login starsGiven } }")
    assert "data" not in body
    [error] = body["errors"]
    assert "starsGiven" in error["message"] and error["locations"] == [{"line": 1, "column": 18}]
    assert gql("{ viewer { login ")["errors"][0]["message"].startswith("Syntax Error")
    wrong_argument = gql('{ search(query: "x", type: PULL_REQUEST, first: 1) { issueCount } }')
    assert "PULL_REQUEST" in wrong_argument["errors"][0]["message"]
    assert hub.counters["viewer"] == 0  # nothing was executed


def test_authentication_is_required(http: httpx.Client, hub: FakeHub) -> None:
    anonymous = http.post("/graphql", json={"query": "{ viewer { login } }"})
    assert anonymous.status_code == 401
    assert anonymous.json()["message"] == "This endpoint requires you to be authenticated."
    bad = http.post(
        "/graphql", json={"query": "{ viewer { login } }"}, headers={"Authorization": "bearer x"}
    )
    assert bad.status_code == 401 and bad.json()["message"] == "Bad credentials"
    token = hub.token("octocat")
    ok = http.post(
        "/graphql",
        json={"query": "{ viewer { login } }"},
        headers={"Authorization": f"token {token}"},
    )
    assert ok.json() == {"data": {"viewer": {"login": "octocat"}}}
    hub.revoke(token)
    assert (
        http.post(
            "/graphql", json={"query": "{ viewer { login } }"}, headers=auth("octocat")
        ).status_code
        == 401
    )
    assert hub.counters["unauthorized"] == 3


def test_search_returns_everything_a_report_needs(gql: GraphQL, fakehub_data: DataSet) -> None:
    query = f"""query($q: String!) {{ search(query: $q, type: ISSUE, first: 100) {{
        issueCount edges {{ cursor node {{ __typename ... on PullRequest {{ {PR_FIELDS} }} }} }}
    }} }}"""
    body = gql(query, q="is:pr author:big-diff sort:created-asc")
    assert "errors" not in body
    edges = body["data"]["search"]["edges"]
    expected = fakehub_data.prs_by("big-diff")
    assert [e["node"]["number"] for e in edges] == [pr.number for pr in expected]
    for edge, pr in zip(edges, expected, strict=True):
        node = edge["node"]
        assert node["__typename"] == "PullRequest"
        assert node["state"] == pr.state and node["title"] == pr.title and node["url"] == pr.url
        assert (node["additions"], node["deletions"]) == (pr.additions, pr.deletions)
        assert node["changedFiles"] == node["files"]["totalCount"] == pr.changed_files
        assert node["author"] == {"login": "big-diff"}
        assert node["authorAssociation"] == pr.author_association
        assert node["createdAt"] == pr.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert node["repository"]["nameWithOwner"] == pr.repo
        assert len(node["files"]["nodes"]) == min(100, pr.changed_files)
        assert node["files"]["pageInfo"]["hasNextPage"] == (pr.changed_files > 100)


def test_files_page_through_hundreds_with_aliases(gql: GraphQL, fakehub_data: DataSet) -> None:
    pr = max(fakehub_data.prs_by("big-diff"), key=lambda p: p.changed_files)
    owner, name = pr.repo.split("/")
    query = """query($owner: String!, $name: String!, $number: Int!, $after: String) {
      a: repository(owner: $owner, name: $name) { pullRequest(number: $number) {
        files(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor }
          nodes { path additions deletions } } } }
      b: repository(owner: "octocat", name: "hello-world") { nameWithOwner stargazerCount }
    }"""
    paths: list[str] = []
    after = None
    while True:
        body = gql(query, owner=owner, name=name, number=pr.number, after=after)
        assert body["data"]["b"]["nameWithOwner"] == "octocat/Hello-World"
        files = body["data"]["a"]["pullRequest"]["files"]
        paths += [f["path"] for f in files["nodes"]]
        if not files["pageInfo"]["hasNextPage"]:
            break
        after = files["pageInfo"]["endCursor"]
    assert paths == [f.path for f in pr.files] and len(paths) == 700


def test_stargazers_newest_first_and_oldest_first(gql: GraphQL, fakehub_data: DataSet) -> None:
    repo = fakehub_data.repos["star-gazer/star-gazer-repo"]
    query = """query($direction: OrderDirection!, $after: String) {
      repository(owner: "Star-Gazer", name: "star-gazer-repo") {
        stargazerCount
        stargazers(first: 100, after: $after, orderBy: {field: STARRED_AT, direction: $direction}) {
          totalCount pageInfo { hasNextPage endCursor }
          edges { starredAt cursor node { login } } } } }"""
    newest = gql(query, direction="DESC")["data"]["repository"]
    assert newest["stargazerCount"] == newest["stargazers"]["totalCount"] == len(repo.stargazers)
    logins = [e["node"]["login"] for e in newest["stargazers"]["edges"]]
    assert logins == [login for login, _ in repo.stargazers[::-1][:100]]
    second = gql(query, direction="DESC", after=newest["stargazers"]["pageInfo"]["endCursor"])
    assert (
        second["data"]["repository"]["stargazers"]["edges"][0]["node"]["login"]
        == repo.stargazers[-101][0]
    )
    oldest = gql(query, direction="ASC")["data"]["repository"]["stargazers"]["edges"][0]
    assert oldest["starredAt"] == repo.stargazers[0][1].strftime("%Y-%m-%dT%H:%M:%SZ")


def test_users_repositories_and_not_found(gql: GraphQL, hub: FakeHub) -> None:
    body = gql(
        """{ user(login: "mixed-case-dev") {
             login name avatarUrl url bio company location websiteUrl
             socialAccounts(first: 10) { nodes { provider url } } }
           private: repository(owner: "private-eye", name: "secret-lab") { nameWithOwner }
           ghost: user(login: "no-such-user-here") { login }
           rateLimit { limit cost remaining used resetAt } }""",
        login="octocat",
    )
    user = body["data"]["user"]
    assert user["login"] == "Mixed-Case-Dev" and user["websiteUrl"] == "mixedcase.dev"
    assert user["avatarUrl"] == f"{hub.url}/avatars/Mixed-Case-Dev.svg"
    assert [a["provider"] for a in user["socialAccounts"]["nodes"]] == [
        "TWITTER",
        "MASTODON",
        "LINKEDIN",
        "BLUESKY",
    ]
    assert body["data"]["private"] is None and body["data"]["ghost"] is None
    errors = {tuple(e["path"]): e for e in body["errors"]}
    assert errors[("private",)]["type"] == "NOT_FOUND"
    assert (
        errors[("ghost",)]["message"]
        == "Could not resolve to a User with the login of 'no-such-user-here'."
    )
    assert body["data"]["rateLimit"]["remaining"] == 4999 and body["data"]["rateLimit"]["cost"] == 1
    seen_by_member = gql(
        '{ repository(owner: "private-eye", name: "secret-lab") { isPrivate } }',
        login="private-eye",
    )
    assert seen_by_member == {"data": {"repository": {"isPrivate": True}}}
    avatar = httpx.get(user["avatarUrl"])
    assert avatar.headers["content-type"] == "image/svg+xml" and avatar.text.startswith("<svg")
