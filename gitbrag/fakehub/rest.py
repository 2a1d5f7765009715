"""REST bodies shaped like api.github.com's (see ``shared/github/rest-recordings/``)."""

from __future__ import annotations

from typing import Any, Final

from gitbrag.fakehub.budgets import Budget
from gitbrag.fakehub.data import FakeRepo, FakeUser
from gitbrag.fakehub.records import iso

DOCS: Final = "https://docs.github.com/rest"
NOT_FOUND: Final = {"message": "Not Found", "documentation_url": DOCS, "status": "404"}
BAD_CREDENTIALS: Final = {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}
REQUIRES_AUTH: Final = {
    "message": "Requires authentication",
    "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user",
    "status": "401",
}
GRAPHQL_REQUIRES_AUTH: Final = {
    "message": "This endpoint requires you to be authenticated.",
    "documentation_url": "https://docs.github.com/graphql/guides/forming-calls-with-graphql"
    "#authenticating-with-graphql",
}
SECONDARY_LIMIT: Final = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you "
    "try again. If you reach out to GitHub Support for help, please include the request ID "
    "FAKE:0000:0000000.",
    "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/"
    "rate-limits-for-the-rest-api#about-secondary-rate-limits",
}
ABUSE_LIMIT: Final = {
    "message": "You have triggered an abuse detection mechanism. Please wait a few minutes "
    "before you try again.",
    "documentation_url": "https://developer.github.com/v3/#abuse-rate-limits",
}
USER_AGENT_REQUIRED: Final = (
    "Request forbidden by administrative rules. Please make sure your request has a User-Agent "
    "header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required"
    "). Check https://developer.github.com for other possible causes.\n"
)
SOCIAL_ACCOUNTS_DOCS: Final = (
    "https://docs.github.com/rest/users/social-accounts#list-social-accounts-for-a-user"
)
SERVER_ERROR: Final = {"message": "Server Error"}
REST_TIMEOUT: Final = {
    "message": "We couldn't respond to your request in time. Sorry about that. Please try "
    "resubmitting your request and contact us if the problem persists."
}
GRAPHQL_TIMEOUT: Final = {
    "data": None,
    "errors": [
        {
            "message": "Something went wrong while executing your query. This may be the result "
            "of a timeout, or it could be a GitHub bug. Please include `FAKE:0000:0000000` when "
            "reporting this issue."
        }
    ],
}


def rate_limited_message(user: FakeUser | None, address: str) -> str:
    if user is None:
        return (
            f"API rate limit exceeded for {address}. (But here's the good news: Authenticated "
            "requests get a higher rate limit. Check out the documentation for more details.)"
        )
    return f"API rate limit exceeded for user ID {user.id}."


def _links(api: str, login: str) -> dict[str, str]:
    base = f"{api}/users/{login}"
    return {
        "url": base,
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
    }


def simple_user(user: FakeUser, api: str) -> dict[str, Any]:
    """The short user object GitHub nests in other resources (``owner``, ``user``)."""
    return {
        "login": user.login,
        "id": user.id,
        "node_id": f"MDQ6VXNlcj{user.id}",
        "avatar_url": f"{api}/avatars/{user.avatar_name}.svg",
        "gravatar_id": "",
        "html_url": f"https://github.com/{user.login}",
        **_links(api, user.login),
        "type": user.type,
        "user_view_type": "public",
        "site_admin": False,
    }


def full_user(user: FakeUser, api: str, public_repos: int) -> dict[str, Any]:
    twitter = next((u.rsplit("/", 1)[-1] for p, u in user.social_accounts if p == "twitter"), None)
    return {
        **simple_user(user, api),
        "name": user.name,
        "company": user.company,
        "blog": user.blog or "",  # GitHub sends "" when unset
        "location": user.location,
        "email": None,
        "hireable": None,
        "bio": user.bio,
        "twitter_username": twitter,
        "public_repos": public_repos,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": iso(user.created_at),
        "updated_at": iso(user.created_at),
    }


def social_accounts(user: FakeUser) -> list[dict[str, str]]:
    return [{"provider": provider, "url": url} for provider, url in user.social_accounts]


def repository(repo: FakeRepo, owner: FakeUser, api: str) -> dict[str, Any]:
    base = f"{api}/repos/{repo.name_with_owner}"
    return {
        "id": repo.id,
        "node_id": f"MDEwOlJlcG9zaXRvcnk{repo.id}",
        "name": repo.name,
        "full_name": repo.name_with_owner,
        "private": repo.is_private,
        "owner": simple_user(owner, api),
        "html_url": repo.url,
        "description": repo.description,
        "fork": False,
        "url": base,
        "pulls_url": f"{base}/pulls{{/number}}",
        "stargazers_url": f"{base}/stargazers",
        "created_at": iso(repo.created_at),
        "updated_at": iso(repo.stargazers[-1][1] if repo.stargazers else repo.created_at),
        "stargazers_count": repo.stargazer_count,
        "watchers_count": repo.stargazer_count,
        "forks_count": 0,
        "open_issues_count": 0,
        "archived": False,
        "disabled": False,
        "visibility": "private" if repo.is_private else "public",
        "default_branch": "main",
    }


def rate_limit(core: Budget, graphql: Budget, search: Budget) -> dict[str, Any]:
    def entry(budget: Budget) -> dict[str, int]:
        return {
            "limit": budget.limit,
            "used": budget.used,
            "remaining": budget.remaining,
            "reset": budget.reset_epoch,
        }

    return {
        "resources": {"core": entry(core), "graphql": entry(graphql), "search": entry(search)},
        "rate": entry(core),
    }
