"""Every GraphQL document the client can send validates against GitHub's published schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

import gitbrag.fakehub
from gitbrag.github.queries import ALL_QUERIES, representative_batched_queries

SHARED_SCHEMA = Path(__file__).parents[2].parent / "shared" / "github" / "schema.graphql"
PACKAGED_SCHEMA = Path(gitbrag.fakehub.__file__).parent / "schema.graphql"
# The published schema lives in ../shared (beside every checkout and CI run); the simulated
# GitHub ships a byte-identical copy, used when the project is checked out on its own.
SCHEMA_PATH = SHARED_SCHEMA if SHARED_SCHEMA.exists() else PACKAGED_SCHEMA
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


def test_packaged_copy_is_the_published_schema() -> None:
    if SHARED_SCHEMA.exists():
        assert PACKAGED_SCHEMA.read_bytes() == SHARED_SCHEMA.read_bytes()
    assert "type PullRequest implements" in PACKAGED_SCHEMA.read_text()


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
