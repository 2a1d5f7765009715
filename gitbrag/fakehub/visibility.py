"""What a token may see of public activity: private profiles and SAML single sign-on.

- ``Behaviours.private_profiles``: a user who turned on "Make profile private and hide
  activity" still resolves (REST ``/users/X`` 200, GraphQL ``user(login:)``), but GraphQL
  ``search`` by ``author:`` or ``reviewed-by:`` finds nothing (``issueCount: 0``, no error),
  ``contributionsCollection`` is empty, and REST issue search answers 422 "The listed users
  cannot be searched..." (the same 422 as for a login that does not exist). Every token is
  refused alike, the account's own too. Sources: docs "Setting your profile to private";
  changelog 2022-04-21 "Private profiles"; cli/cli#6879 (GraphQL search empty, REST 422);
  leanprover-community/mathlib4#31286 and zephyrproject-rtos/zephyr#94070 (the 422 body).
- ``Behaviours.sso_enforcement``: a token of a member of an organisation enforcing SAML SSO,
  without an SSO session for it (``FakeHub.grant_sso``), cannot read what the organisation
  owns, public repositories included. GraphQL nulls each such object with a ``FORBIDDEN``
  error (``extensions.saml_failure: true`` on every other one: the extensions are not
  always sent, Homebrew/brew#18778) and sends ``x-github-sso: required; url=...``; REST
  answers 403 with that header, and search leaves the organisation's items out with
  ``x-github-sso: partial-results; organizations=<ids>``. Non-members read as usual.
  Sources: docs "Authenticating to the REST API: personal access tokens and SAML SSO";
  fwouts/prmonitor#1042; cli/cli#2661, cli/cli#7881; muesli/markscribe#72.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from graphql import GraphQLError

from gitbrag.fakehub.records import FakeUser

if TYPE_CHECKING:
    from gitbrag.fakehub.state import HubState

SAML_MESSAGE: Final = (
    "Resource protected by organization SAML enforcement. You must grant your OAuth token "
    "access to this organization."
)
SAML_DOCS: Final = (
    "https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single-"
    "sign-on/"
)
CANNOT_SEARCH: Final = {
    "message": "Validation Failed",
    "errors": [
        {
            "message": "The listed users cannot be searched either because the users do not "
            "exist or you do not have permission to view the users.",
            "resource": "Search",
            "field": "q",
            "code": "invalid",
        }
    ],
    "documentation_url": "https://docs.github.com/v3/search/",
    "status": "422",
}


def hides_activity(state: HubState, login: str) -> bool:
    """Does ``login`` hide its activity from searches and contributions?"""
    if not state.behaviours.private_profiles:
        return False
    user = state.user(login)
    return user is not None and user.private_profile


def sso_block(state: HubState, account_id: int | None, nwo: str) -> FakeUser | None:
    """The organisation enforcing SAML SSO that hides repository ``nwo`` (``owner/name``)
    from the account's tokens, or ``None`` when they may read it."""
    if not state.behaviours.sso_enforcement or account_id is None:
        return None
    owner = state.user(nwo.partition("/")[0])
    if owner is None or not owner.sso_enforced:
        return None
    viewer = state.user_by_id(account_id)
    if viewer is None or viewer.login.lower() not in {m.lower() for m in owner.members}:
        return None
    return None if state.has_sso_session(account_id, owner.id) else owner


def saml_error(with_extensions: bool) -> GraphQLError:
    extensions: dict[str, Any] = {"type": "FORBIDDEN"}
    if with_extensions:
        extensions["saml_failure"] = True
    return GraphQLError(SAML_MESSAGE, extensions=extensions)


def sso_required(org: FakeUser, account_id: int) -> str:
    """``x-github-sso`` when a request was refused: where the token can be authorised."""
    digest = hashlib.sha256(f"{account_id}:{org.id}".encode()).digest()
    opaque = base64.b32encode(digest).decode().rstrip("=")
    return f"required; url=https://github.com/orgs/{org.login}/sso?authorization_request={opaque}"


def sso_partial(orgs: Iterable[FakeUser]) -> str:
    """``x-github-sso`` when a list left out what these organisations own."""
    return "partial-results; organizations=" + ",".join(str(org.id) for org in orgs)


def saml_forbidden_body() -> dict[str, str]:
    return {"message": SAML_MESSAGE, "documentation_url": SAML_DOCS, "status": "403"}
