"""Kinds of tokens and what ``Behaviours.token_permissions`` refuses each.

Tokens belong to accounts (``FakeUser.id``), not to logins: a renamed account keeps its
tokens. ``FakeHub.issue_token(login, kind=...)`` hands out:

- ``oauth`` (``gho_``): an OAuth app's user token, reads everything public (the default, and
  what the OAuth web flow and the data set's tokens are);
- ``fine_grained`` (``github_pat_``): a fine-grained personal access token; with the switch on,
  ``Repository.stargazers`` is "Resource not accessible by personal access token";
- ``classic`` (``ghp_``): a classic personal access token (reads everything public);
- ``app`` (``ghs_``): a GitHub App installation token; with the switch on,
  ``User.contributionsCollection`` and REST ``/users/{login}/social_accounts`` are "Resource
  not accessible by integration".

A refused GraphQL field is a partial ``FORBIDDEN`` error (``extensions.saml_failure: false``),
and as the field is non-null its whole parent object comes back ``null``. Sources: docs
"Permissions required for fine-grained personal access tokens" and "Permissions required for
GitHub Apps"; issue 18 of this project (the messages as GitHub sends them).
"""

from __future__ import annotations

import secrets
from typing import Final, Literal

from graphql import GraphQLError

TokenKind = Literal["oauth", "fine_grained", "app", "classic"]
TOKEN_KINDS: Final[tuple[TokenKind, ...]] = ("oauth", "fine_grained", "app", "classic")
_PREFIXES: Final[dict[str, str]] = {
    "oauth": "gho_",
    "fine_grained": "github_pat_",
    "app": "ghs_",
    "classic": "ghp_",
}
BY_INTEGRATION: Final = "Resource not accessible by integration"
BY_PERSONAL_ACCESS_TOKEN: Final = "Resource not accessible by personal access token"


def new_token(kind: str) -> str:
    if kind not in _PREFIXES:
        raise ValueError(f"token kind must be one of {TOKEN_KINDS}")
    return _PREFIXES[kind] + secrets.token_urlsafe(27)[:36]


def forbidden(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"type": "FORBIDDEN", "saml_failure": False})


def integration_forbidden_body(documentation_url: str) -> dict[str, str]:
    return {"message": BY_INTEGRATION, "documentation_url": documentation_url, "status": "403"}
