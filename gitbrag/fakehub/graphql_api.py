"""GraphQL over the fake data set, executed by graphql-core against GitHub's published schema.

The schema (``schema.graphql`` beside this module, a copy of octokit's published GitHub schema)
is built once per process; queries are parsed and validated once per distinct text. Fields
resolve against the views of ``graphql_views``. Errors carry GitHub's top-level ``type``.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute_sync,
    parse,
    validate,
)

from gitbrag.fakehub.graphql_views import QueryRoot, RequestContext


@cache
def github_schema() -> GraphQLSchema:
    """GitHub's schema, built once (~0.6 s). SDL validation is skipped as SPEC prescribes."""
    sdl = resources.files("gitbrag.fakehub").joinpath("schema.graphql").read_text("utf-8")
    schema = build_schema(sdl, assume_valid_sdl=True)
    schema._validation_errors = []  # the published SDL has harmless violations
    return schema


@lru_cache(maxsize=256)
def prepare(query: str) -> DocumentNode | tuple[GraphQLError, ...]:
    """Parse and validate once per distinct query text."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return (exc,)
    errors = validate(github_schema(), document)
    return tuple(errors) if errors else document


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


@cache
def snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def resolve_field(source: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    if isinstance(source, dict):
        return source.get(info.field_name)
    value = getattr(source, snake(info.field_name), None)
    if callable(value):
        return value(**{snake(k): v for k, v in args.items()})
    return value


def resolve_type(value: Any, info: GraphQLResolveInfo[Any], abstract_type: Any) -> str:
    return str(value.typename)


def format_error(error: GraphQLError) -> dict[str, Any]:
    """GitHub's error shape: ``type`` at top level, then path, locations, message."""
    formatted: dict[str, Any] = dict(error.formatted)
    extensions = formatted.pop("extensions", None) or {}
    if "type" in extensions:
        formatted = {"type": extensions.pop("type"), **formatted}
    if extensions:
        formatted["extensions"] = extensions
    return formatted


def _operation_name(document: DocumentNode) -> str:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            return definition.name.value if definition.name else "anonymous"
    return "anonymous"


def execute_query(
    ctx: RequestContext,
    query: str,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> dict[str, Any]:
    """The JSON body GitHub would answer (always HTTP 200 once authenticated)."""
    prepared = prepare(query)
    if isinstance(prepared, tuple):
        return {"errors": [format_error(e) for e in prepared]}
    ctx.state.count(f"operation.{operation_name or _operation_name(prepared)}")
    result = execute_sync(
        github_schema(),
        prepared,
        root_value=QueryRoot(ctx),
        variable_values=variables,
        operation_name=operation_name,
        field_resolver=resolve_field,
        type_resolver=resolve_type,
    )
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [format_error(e) for e in result.errors]
    body["data"] = result.data
    return body
