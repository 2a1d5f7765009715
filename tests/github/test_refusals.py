"""Issue 18's answers, in GitHub's exact shapes (``httpx.MockTransport``): SAML single sign-on,
tokens without a permission, private profiles' search refusal, older Enterprise schemas and
servers with rate limiting off. Each is permanent: mapped once, never retried."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from gitbrag.errors import (
    GitHubError,
    NotAccessible,
    SchemaMismatch,
    SsoRequired,
    UserNotSearchable,
)
from gitbrag.github.budget import LocalTokenBudget
from gitbrag.github.client import GitHubClient
from gitbrag.github.responses import (
    Denial,
    Outcome,
    SsoHint,
    classify,
    denials,
    failed_aliases,
    sso_hint,
)
from gitbrag.github.schema_gaps import Document, SchemaGaps, send
from gitbrag.github.withheld import Withheld, explain, reason
from tests.github.helpers import NOW, Sleeps, make_client, ok_data, run, scripted

SAML_MESSAGE = (
    "Resource protected by organization SAML enforcement. You must grant your OAuth token "
    "access to this organization."
)
SSO_URL = "https://github.com/orgs/sso-corp/sso?authorization_request=A5N4Y2"
SSO_REQUIRED = {"x-github-sso": f"required; url={SSO_URL}"}
BY_PAT = "Resource not accessible by personal access token"
BY_APP = "Resource not accessible by integration"
UNSEARCHABLE = (
    "The listed users cannot be searched either because the users do not exist or you do not "
    "have permission to view the users."
)
SEARCH_422 = {
    "message": "Validation Failed",
    "errors": [{"message": UNSEARCHABLE, "resource": "Search", "field": "q", "code": "invalid"}],
    "documentation_url": "https://docs.github.com/v3/search/",
    "status": "422",
}
UNDEFINED_FIELD = {
    "errors": [
        {
            "message": "Field 'stateReason' doesn't exist on type 'Issue'",
            "locations": [{"line": 12, "column": 9}],
            "path": ["query SearchIssues", "search", "nodes", "... on Issue", "stateReason"],
            "extensions": {
                "code": "undefinedField",
                "typeName": "Issue",
                "fieldName": "stateReason",
            },
        }
    ]
}


def saml_error(path: list[str | int], *, extensions: bool = True) -> dict[str, Any]:
    """GitHub's SAML partial error; every second one in the wild lacks ``extensions``."""
    error: dict[str, Any] = {
        "type": "FORBIDDEN",
        "path": path,
        "locations": [{"line": 4, "column": 3}],
        "message": SAML_MESSAGE,
    }
    if extensions:
        error["extensions"] = {"saml_failure": True}
    return error


def token_error(path: list[str | int], message: str = BY_PAT) -> dict[str, Any]:
    return {
        "type": "FORBIDDEN",
        "path": path,
        "extensions": {"saml_failure": False},
        "message": message,
    }


SAML_SEARCH = {
    "data": {
        "search": {
            "issueCount": 3,
            "pageInfo": {"hasNextPage": False, "endCursor": "Y3Vyc29yOjM="},
            "nodes": [{"number": 1}, None, None],
        }
    },
    "errors": [
        saml_error(["search", "nodes", 1]),
        saml_error(["search", "nodes", 2], extensions=False),
    ],
}


# --------------------------------------------------------------------------- the table rows


CASES: list[tuple[str, int, dict[str, str], Any, bool, dict[str, bool], Outcome]] = [
    ("graphql SAML nulls, strict", 200, SSO_REQUIRED, SAML_SEARCH, True, {}, Outcome()),
    (
        "graphql SAML without type or extensions",
        200,
        {},
        {"data": {"r0": None}, "errors": [{"path": ["r0"], "message": SAML_MESSAGE}]},
        True,
        {},
        Outcome(),
    ),
    (
        "graphql not accessible by PAT nulls the parent",
        200,
        {},
        {"data": {"r0": None}, "errors": [token_error(["r0", "stargazers"])]},
        True,
        {},
        Outcome(),
    ),
    (
        "graphql not accessible by integration, batch",
        200,
        {},
        {"data": {"r0": None}, "errors": [token_error(["r0", "x"], BY_APP)]},
        True,
        {"batch": True},
        Outcome(),
    ),
    (
        "rest partial results (search)",
        200,
        {"x-github-sso": "partial-results; organizations=21955855,20582480"},
        {"total_count": 0, "incomplete_results": False, "items": []},
        False,
        {},
        Outcome(),
    ),
]


@pytest.mark.parametrize(
    ("status", "headers", "payload", "graphql", "options", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_permanent_partial_answers_are_answers(
    status: int,
    headers: dict[str, str],
    payload: Any,
    graphql: bool,
    options: dict[str, bool],
    expected: Outcome,
) -> None:
    assert classify(status, headers, payload, graphql=graphql, now=NOW, **options) == expected


def test_permanent_refusals_are_never_aliases_to_retry() -> None:
    payload = {
        "data": {"r0": None, "r1": None, "r2": None, "r3": None},
        "errors": [
            saml_error(["r0"]),
            saml_error(["r1", "pullRequest"], extensions=False),
            token_error(["r2", "stargazers"]),
            {"type": "RESOURCE_LIMITS_EXCEEDED", "path": ["r3", "files"], "message": "limits"},
        ],
    }
    assert failed_aliases(payload) == {"r3": "limits"}


ERROR_CASES: list[tuple[str, int, dict[str, str], Any, bool, type[GitHubError], str]] = [
    ("403 x-github-sso required", 403, SSO_REQUIRED, {"message": SAML_MESSAGE}, False,
     SsoRequired, f"sso-corp enforces SAML single sign-on and the token has no SSO session "
     f"for it; authorise the token at {SSO_URL}"),
    ("403 SAML message only", 403, {}, {"message": SAML_MESSAGE}, False, SsoRequired,
     "an organisation enforces SAML single sign-on"),
    ("403 not accessible by integration", 403, {}, {"message": BY_APP}, False, NotAccessible,
     f"the token cannot read this ({BY_APP})"),
    ("403 not accessible by PAT", 403, {}, {"message": BY_PAT}, False, NotAccessible, BY_PAT),
    ("422 cannot be searched", 422, {}, SEARCH_422, False, UserNotSearchable, UNSEARCHABLE),
    ("graphql undefinedField", 200, {}, UNDEFINED_FIELD, True, SchemaMismatch,
     "this GitHub server has no field Issue.stateReason"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "headers", "payload", "graphql", "error", "text"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_permanent_refusals_are_typed_errors(
    status: int,
    headers: dict[str, str],
    payload: Any,
    graphql: bool,
    error: type[GitHubError],
    text: str,
) -> None:
    outcome = classify(status, headers, payload, graphql=graphql, now=NOW)
    assert type(outcome.error) is error
    assert text in str(outcome.error)


def test_sso_required_names_the_organisation_and_its_link() -> None:
    outcome = classify(403, SSO_REQUIRED, {"message": SAML_MESSAGE}, graphql=False, now=NOW)
    assert isinstance(outcome.error, SsoRequired)
    assert (outcome.error.organization, outcome.error.url) == ("sso-corp", SSO_URL)


def test_undefined_field_is_read_from_the_message_without_extensions() -> None:
    bare = {"errors": [{"message": "Field 'stateReason' doesn't exist on type 'Issue'",
                        "extensions": {"code": "undefinedField"}}]}  # fmt: skip
    outcome = classify(200, {}, bare, graphql=True, now=NOW)
    assert isinstance(outcome.error, SchemaMismatch)
    assert (outcome.error.type_name, outcome.error.field_name) == ("Issue", "stateReason")


def test_a_422_that_is_not_about_users_stays_a_plain_error() -> None:
    other = {"message": "Validation Failed", "errors": [{"message": "bad q", "code": "invalid"}]}
    outcome = classify(422, {}, other, graphql=False, now=NOW)
    assert type(outcome.error) is GitHubError


@pytest.mark.parametrize(
    ("header", "hint"),
    [
        (f"required; url={SSO_URL}", SsoHint(True, SSO_URL, "sso-corp")),
        ("required; url=https://ghe.example.com/orgs/Acme-Co/sso", SsoHint(
            True, "https://ghe.example.com/orgs/Acme-Co/sso", "Acme-Co")),
        ("required", SsoHint(required=True)),
        ("partial-results; organizations=21955855,20582480", SsoHint(
            partial_organization_ids=(21955855, 20582480))),
        ("something-new; x=y", None),
    ],
)  # fmt: skip
def test_sso_header_is_read(header: str, hint: SsoHint | None) -> None:
    assert sso_hint({"x-github-sso": header}) == hint
    assert sso_hint({}) is None


def test_denials_carry_their_kind_path_and_the_organisation_github_named() -> None:
    payload = {
        "data": {"r0": None, "r1": None, "r2": None, "r3": None},
        "errors": [
            saml_error(["r0"]),
            saml_error(["r1", "pullRequest"], extensions=False),
            token_error(["r2", "stargazers"]),
            {"type": "FORBIDDEN", "path": ["r3"], "message": "OAuth App access restrictions"},
            {"type": "NOT_FOUND", "path": ["r4"], "message": "Could not resolve"},
            {"message": SAML_MESSAGE},  # no path: not a part of the answer
        ],
    }
    found = denials(payload, SSO_REQUIRED)
    assert found == (
        Denial(("r0",), "saml", SAML_MESSAGE, "sso-corp", SSO_URL),
        Denial(("r1", "pullRequest"), "saml", SAML_MESSAGE, "sso-corp", SSO_URL),
        Denial(("r2", "stargazers"), "token", BY_PAT),
        Denial(("r3",), "forbidden", "OAuth App access restrictions"),
    )
    assert [(d.alias, d.field) for d in found] == [
        ("r0", "r0"),
        ("r1", "pullRequest"),
        ("r2", "stargazers"),
        ("r3", "r3"),
    ]
    # without the header, GitHub did not say which organisation
    assert denials(payload, {})[0] == Denial(("r0",), "saml", SAML_MESSAGE)


# --------------------------------------------------------------------------- never retried


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(403, headers=SSO_REQUIRED, json={"message": SAML_MESSAGE}),
        httpx.Response(403, json={"message": BY_APP}),
        httpx.Response(422, json=SEARCH_422),
        httpx.Response(200, json=UNDEFINED_FIELD),
    ],
    ids=["sso", "not accessible", "unsearchable", "undefined field"],
)
def test_refusals_cost_one_request_and_no_wait(answer: httpx.Response) -> None:
    handler, seen = scripted(answer)
    sleeps = Sleeps()
    client = make_client(handler, sleep=sleeps)
    with pytest.raises(GitHubError):
        run(client.graphql("query { x }") if answer.status_code == 200 else client.rest_get("/x"))
    assert len(seen) == 1 and sleeps == []


def test_saml_nulls_come_back_with_their_denials_in_one_request() -> None:
    handler, seen = scripted(httpx.Response(200, headers=SSO_REQUIRED, json=SAML_SEARCH))
    answer = run(make_client(handler).graphql_answer("query { search }"))
    assert len(seen) == 1
    assert answer.data == SAML_SEARCH["data"]
    assert [d.path for d in answer.denied] == [("search", "nodes", 1), ("search", "nodes", 2)]
    assert {(d.organization, d.url) for d in answer.denied} == {("sso-corp", SSO_URL)}
    assert answer.sso == SsoHint(True, SSO_URL, "sso-corp")


def test_a_batch_with_refused_aliases_is_not_split_or_retried() -> None:
    payload = {"data": {"r0": {"x": 1}, "r1": None}, "errors": [token_error(["r1", "stargazers"])]}
    handler, seen = scripted(httpx.Response(200, json=payload))
    answer = run(make_client(handler).graphql_batch("query { r0 r1 }", {"first": 100}))
    assert len(seen) == 1
    assert answer.failed == {}
    assert answer.denied == (Denial(("r1", "stargazers"), "token", BY_PAT),)


# --------------------------------------------------------------------------- rate limiting off


def test_a_server_without_rate_limiting_neither_blocks_nor_crashes() -> None:
    """GHES with rate limiting turned off: no ``x-ratelimit-*`` headers, ``rateLimit: null``,
    ``GET /rate_limit`` 404 "Rate limiting is not enabled." (docs "Rate limits", GHES)."""
    answers = [ok_data({"rateLimit": None, "n": n}) for n in range(60)]
    answers.append(httpx.Response(404, json={"message": "Rate limiting is not enabled."}))
    answers.append(httpx.Response(404, json={"message": "Rate limiting is not enabled."}))
    handler, seen = scripted(*answers)
    sleeps = Sleeps()
    budget = LocalTokenBudget()
    client = make_client(handler, sleep=sleeps, budget=budget)
    for n in range(60):
        assert run(client.graphql("query { rateLimit { remaining } n }"))["n"] == n
    assert run(client.rest_get("/rate_limit", missing_ok=True)) is None
    with pytest.raises(GitHubError, match="Rate limiting is not enabled"):
        run(client.rest_get("/rate_limit"))
    assert len(seen) == 62 and sleeps == []
    assert (client.remaining, client.reset_at) == (None, None)
    assert budget.remaining("graphql") is None and budget.remaining("core") is None


# --------------------------------------------------------------------------- schema gaps


def _recording(answers: dict[str, httpx.Response]) -> tuple[GitHubClient, list[str]]:
    """A client whose GitHub answers each document by the field it selects."""
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        query = json.loads(request.content)["query"]
        sent.append(query)
        return answers["new" if "stateReason" in query else "old"]

    return make_client(handler), sent


NEW = Document("query { search { stateReason } }", (("Issue", "stateReason"),))
DOC = Document(NEW.text, NEW.needs, instead=Document("query { search { state } }"))


def test_an_older_server_gets_the_document_without_the_field_once_per_url() -> None:
    gaps = SchemaGaps()
    client, sent = _recording(
        {"new": httpx.Response(200, json=UNDEFINED_FIELD), "old": ok_data({"search": 1})}
    )
    assert run(send(client, DOC, {}, gaps=gaps)).data == {"search": 1}
    assert run(send(client, DOC, {}, gaps=gaps)).data == {"search": 1}
    assert ["stateReason" in query for query in sent] == [True, False, False]
    assert gaps.lacks(client.graphql_url, ("Issue", "stateReason"))
    # another server is not believed to lack it
    assert not gaps.lacks("https://other.test/graphql", ("Issue", "stateReason"))


def test_a_server_with_the_field_never_pays_for_the_fallback() -> None:
    gaps = SchemaGaps()
    client, sent = _recording({"new": ok_data({"search": 2}), "old": ok_data({"search": 1})})
    assert run(send(client, DOC, {}, gaps=gaps)).data == {"search": 2}
    assert len(sent) == 1 and not gaps.lacks(client.graphql_url, ("Issue", "stateReason"))


def test_a_missing_field_the_document_cannot_do_without_is_an_error() -> None:
    other = json.loads(json.dumps(UNDEFINED_FIELD))
    other["errors"][0]["extensions"] |= {"typeName": "Repository", "fieldName": "x"}
    client, sent = _recording({"new": httpx.Response(200, json=other), "old": ok_data({})})
    with pytest.raises(SchemaMismatch, match=r"Repository\.x"):
        run(send(client, DOC, {}, gaps=SchemaGaps()))
    assert len(sent) == 1


def test_a_gap_is_believed_for_a_while_only() -> None:
    moment = [0.0]
    gaps = SchemaGaps(ttl=600, clock=lambda: moment[0])
    gaps.remember("u", ("Issue", "stateReason"))
    moment[0] = 599
    assert gaps.lacks("u", ("Issue", "stateReason"))
    moment[0] = 600
    assert not gaps.lacks("u", ("Issue", "stateReason"))


# --------------------------------------------------------------------------- naming what is missing


def test_reasons_name_the_organisation_github_named_or_the_owner_asked_for() -> None:
    saml = Denial(("r0",), "saml", SAML_MESSAGE, "sso-corp", SSO_URL)
    anonymous = Denial(("r0",), "saml", SAML_MESSAGE)
    linked = (
        "the organisation sso-corp enforces SAML single sign-on and the token has no SSO "
        f"session for it; authorise the token at {SSO_URL}"
    )
    assert explain(saml) == explain(saml, "sso-corp") == linked
    # the header named another organisation: the owner's, without someone else's link
    assert explain(saml, "other-org") == (
        "the organisation other-org enforces SAML single sign-on and the token has no SSO "
        "session for it"
    )
    assert explain(anonymous, "acme") == explain(saml, "acme")
    assert explain(anonymous) == (
        "an organisation enforcing SAML single sign-on (GitHub did not say which) hides them "
        "from the token"
    )
    assert reason("stars for o/r", Denial(("r0", "stargazers"), "token", BY_PAT)) == (
        f"stars for o/r: the token cannot read stargazers ({BY_PAT})"
    )
    assert reason("x", Denial(("r0",), "forbidden", "restricted")) == (
        "x: GitHub refused the token (restricted)"
    )


def test_withheld_items_are_counted_per_organisation_never_past_what_is_missing() -> None:
    a = Denial(("search", "nodes", 0), "saml", SAML_MESSAGE, "a-org", "https://a/sso")
    b = Denial(("search", "nodes", 1), "saml", SAML_MESSAGE, "b-org", "https://b/sso")
    withheld = Withheld()
    assert not withheld
    assert withheld.add("pull requests", [a, a, a, b], missing=3) == 3  # one came back later
    assert withheld.add("issues", [b], missing=1) == 1
    assert withheld.add("issues", [b], missing=0) == 0
    assert withheld.reasons() == [
        "3 pull requests: the organisation a-org enforces SAML single sign-on and the token "
        "has no SSO session for it; authorise the token at https://a/sso",
        "1 issue: the organisation b-org enforces SAML single sign-on and the token has no SSO "
        "session for it; authorise the token at https://b/sso",
    ]
