"""Every GraphQL document the client can send validates against GitHub's published schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

from gitbrag.github.queries import ALL_QUERIES, representative_batched_queries

SCHEMA_PATH = Path(__file__).parents[2].parent / "shared" / "github" / "schema.graphql"
DOCUMENTS = {**ALL_QUERIES, **representative_batched_queries(3)}


@pytest.fixture(scope="session")
def github_schema() -> GraphQLSchema:
    schema = build_schema(SCHEMA_PATH.read_text(), assume_valid_sdl=True)
    schema._validation_errors = []  # the published SDL trips graphql-core's own schema checks
    return schema


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid(github_schema: GraphQLSchema, name: str) -> None:
    errors = validate(github_schema, parse(DOCUMENTS[name]))
    assert errors == [], [error.message for error in errors]


def test_every_query_is_listed() -> None:
    assert set(ALL_QUERIES) == {
        "SearchPullRequests",
        "PullRequestFiles",
        "Repositories",
        "Stargazers",
    }


def test_validation_catches_a_wrong_field(github_schema: GraphQLSchema) -> None:
    broken = ALL_QUERIES["SearchPullRequests"].replace("changedFiles", "changedFilez")
    errors = validate(github_schema, parse(broken))
    assert any("changedFilez" in error.message for error in errors)
