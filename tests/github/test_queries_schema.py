"""Every GraphQL document the client can send validates against GitHub's published schema."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

import gitbrag.fakehub
from gitbrag.github.queries import ALL_QUERIES, representative_batched_queries

SHARED_SCHEMA = Path(__file__).parents[2].parent / "shared" / "github" / "schema.graphql"
# The simulated GitHub ships a byte-identical copy of GitHub's published schema (which lives
# in ../shared): the queries are always validated against that copy, checked here to be the
# published schema by its digest, so the test is the same with or without ../shared.
PACKAGED_SCHEMA = Path(gitbrag.fakehub.__file__).parent / "schema.graphql"
PUBLISHED_SHA256 = "3c62d0526d133cee53221c89de9b455ade24db78b9e7ad56d642c4c15bce2654"
DOCUMENTS = {**ALL_QUERIES, **representative_batched_queries(3)}


@pytest.fixture(scope="session")
def github_schema() -> GraphQLSchema:
    schema = build_schema(PACKAGED_SCHEMA.read_text(), assume_valid_sdl=True)
    schema._validation_errors = []  # the published SDL trips graphql-core's own schema checks
    return schema


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid(github_schema: GraphQLSchema, name: str) -> None:
    errors = validate(github_schema, parse(DOCUMENTS[name]))
    assert errors == [], [error.message for error in errors]


def test_packaged_copy_is_the_published_schema() -> None:
    assert hashlib.sha256(PACKAGED_SCHEMA.read_bytes()).hexdigest() == PUBLISHED_SHA256
    if SHARED_SCHEMA.exists():  # and still what ../shared publishes
        assert hashlib.sha256(SHARED_SCHEMA.read_bytes()).hexdigest() == PUBLISHED_SHA256


def test_every_query_is_listed() -> None:
    assert set(ALL_QUERIES) == {
        "SearchPullRequests",
        "PullRequestFiles",
        "Repositories",
        "Stargazers",
        "SearchIssues",
        "ReviewContributions",
        "PullRequestReviews",
        "SearchIssuesWithoutReason",
        "TokenCapabilities",
        "TokenContributions",
        "Refresh",
        "SearchChangedPullRequests",
        "SearchChangedIssues",
        "SearchReviewed",
        "OpenPullRequests",
        "SearchCounts",
    }


# Fields an older GitHub Enterprise Server lacks (issue 18): documents it must answer may not
# select them.
OLD_SERVER_LACKS = {"Issue": "stateReason", "User": "socialAccounts"}
OLD_SERVER_DOCUMENTS = sorted(
    set(ALL_QUERIES)
    - {"SearchIssues"}  # SearchIssues falls back to SearchIssuesWithoutReason
    # A refresh is never sent to such a server: it collects cold there (tests/github/
    # test_refresh.py::test_an_older_enterprise_server_collects_cold).
    - {"Refresh", "SearchChangedIssues"}
)


@pytest.fixture(scope="session")
def old_server_schema() -> GraphQLSchema:
    schema = build_schema(PACKAGED_SCHEMA.read_text(), assume_valid_sdl=True)
    schema._validation_errors = []
    for type_name, field in OLD_SERVER_LACKS.items():
        del schema.type_map[type_name].fields[field]  # type: ignore[union-attr]
    return schema


@pytest.mark.parametrize("name", OLD_SERVER_DOCUMENTS)
def test_documents_an_older_server_must_answer_do_without_its_missing_fields(
    old_server_schema: GraphQLSchema, name: str
) -> None:
    errors = validate(old_server_schema, parse(ALL_QUERIES[name]))
    assert errors == [], [error.message for error in errors]


def test_the_issue_search_is_what_an_older_server_refuses(
    old_server_schema: GraphQLSchema,
) -> None:
    errors = validate(old_server_schema, parse(ALL_QUERIES["SearchIssues"]))
    assert [error.message for error in errors] == [
        "Cannot query field 'stateReason' on type 'Issue'."
    ]


def test_validation_catches_a_wrong_field(github_schema: GraphQLSchema) -> None:
    broken = ALL_QUERIES["SearchPullRequests"].replace("changedFiles", "changedFilez")
    errors = validate(github_schema, parse(broken))
    assert any("changedFilez" in error.message for error in errors)
