"""GraphQL over the fake data set, executed by graphql-core against GitHub's published schema.

The schema (``schema.graphql`` beside this module, a copy of octokit's published GitHub schema)
is built once per process (and, with ``Behaviours.legacy_schema``, an older Enterprise
Server's without a few fields: ``enterprise``); queries are parsed and validated once per
distinct text and schema. Fields resolve against the query root (``graphql_root``) and the
views of ``graphql_views``. Errors carry GitHub's top-level ``type``; a field the schema lacks
fails the whole document with GitHub's ``undefinedField`` error.
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

from gitbrag.fakehub.enterprise import github_errors, legacy_field_names, without_legacy_fields
from gitbrag.fakehub.graphql_root import QueryRoot
from gitbrag.fakehub.graphql_views import RequestContext


def _build() -> GraphQLSchema:
    sdl = resources.files("gitbrag.fakehub").joinpath("schema.graphql").read_text("utf-8")
    schema = build_schema(sdl, assume_valid_sdl=True)
    schema._validation_errors = []  # the published SDL has harmless violations
    return schema


@cache
def github_schema() -> GraphQLSchema:
    """GitHub's schema, built once (~0.6 s). SDL validation is skipped, as docs/spec.md
    section 4 prescribes."""
    return _build()


@cache
def legacy_schema() -> GraphQLSchema:
    """An older GitHub Enterprise Server's schema (``enterprise``), built once, when first
    asked for."""
    return without_legacy_fields(_build())


@lru_cache(maxsize=512)
def prepare(query: str, legacy: bool = False) -> DocumentNode | tuple[dict[str, Any], ...]:
    """Parse and validate once per distinct query text and schema; errors come formatted
    (unknown fields as GitHub's ``undefinedField``)."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return (format_error(exc),)
    errors = validate(legacy_schema() if legacy else github_schema(), document)
    return github_errors(document, errors) if errors else document


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
    legacy = ctx.state.behaviours.legacy_schema
    prepared = prepare(query, legacy)
    if isinstance(prepared, tuple):
        if legacy:
            missing = legacy_field_names()
            for error in prepared:
                extensions = error.get("extensions", {})
                if (extensions.get("typeName"), extensions.get("fieldName")) in missing:
                    ctx.state.count("legacy_schema.undefined_field")
        return {"errors": [dict(e) for e in prepared]}  # no ``data``: the document failed whole
    ctx.state.count(f"operation.{operation_name or _operation_name(prepared)}")
    result = execute_sync(
        legacy_schema() if legacy else github_schema(),
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
