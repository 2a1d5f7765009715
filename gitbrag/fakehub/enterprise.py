"""Older GitHub Enterprise Server, and GitHub's answer to a field a schema lacks.

- ``Behaviours.legacy_schema``: the GraphQL schema of an instance released before GitHub added
  ``Issue.stateReason`` (2022) and ``User.socialAccounts`` (2023) (the GHES GraphQL changelogs;
  docs "Breaking changes" for Enterprise Server). A document selecting a field the schema
  lacks fails whole at validation: HTTP 200, ``errors`` only, no ``data``, each error
  ``{"message": "Field 'stateReason' doesn't exist on type 'Issue'", "locations", "path",
  "extensions": {"code": "undefinedField", "typeName", "fieldName"}}`` (graphql-ruby's static
  validation, which github.com answers the same way for any field it does not have).
- ``Behaviours.rate_limiting_disabled``: an instance whose administrator turned API rate
  limiting off (docs "Configuring rate limits" for Enterprise Server): no ``x-ratelimit-*``
  headers (githubexporter/github-exporter#17), GraphQL ``rateLimit: null``
  (nicklegan/github-org-repo-metrics-action#24), ``GET /rate_limit`` 404 ``{"message": "Rate
  limiting is not enabled.", "documentation_url": ...}`` (vermiculus/magithub#104,
  janeklb/gh-search#61, actions/stale#1227), and nothing is ever rate limited (``app``
  applies it).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

# type -> fields an older Enterprise Server does not have
LEGACY_MISSING: Final[dict[str, tuple[str, ...]]] = {
    "Issue": ("stateReason",),
    "User": ("socialAccounts",),
}
RATE_LIMITING_NOT_ENABLED: Final = {
    "message": "Rate limiting is not enabled.",
    "documentation_url": "https://docs.github.com/enterprise-server@latest/rest",
}
_UNKNOWN_FIELD: Final = re.compile(r"^Cannot query field '([^']+)' on type '([^']+)'\.")


def without_legacy_fields(schema: GraphQLSchema) -> GraphQLSchema:
    """``schema`` (a fresh one: changed in place) without ``LEGACY_MISSING``."""
    for type_name, names in LEGACY_MISSING.items():
        object_type = schema.type_map[type_name]
        assert isinstance(object_type, GraphQLObjectType)
        for name in names:
            del object_type.fields[name]
    return schema


@cache
def legacy_field_names() -> frozenset[tuple[str, str]]:
    return frozenset((t, f) for t, names in LEGACY_MISSING.items() for f in names)


def github_errors(
    document: DocumentNode | None, errors: list[GraphQLError]
) -> tuple[dict[str, Any], ...]:
    """Validation errors in GitHub's shape: unknown fields as ``undefinedField``, others as
    graphql-core words them."""
    paths = _paths(document) if document is not None else {}
    out: list[dict[str, Any]] = []
    for error in errors:
        formatted: dict[str, Any] = dict(error.formatted)
        match = _UNKNOWN_FIELD.match(error.message)
        if match:
            field_name, type_name = match.groups()
            node = error.nodes[0] if error.nodes else None
            formatted = {
                "message": f"Field '{field_name}' doesn't exist on type '{type_name}'",
                "locations": formatted.get("locations", []),
                "path": paths.get(id(node), []),
                "extensions": {
                    "code": "undefinedField",
                    "typeName": type_name,
                    "fieldName": field_name,
                },
            }
        out.append(formatted)
    return tuple(out)


def _paths(document: DocumentNode) -> dict[int, list[str]]:
    """Each field node's path as graphql-ruby names it: the operation ("query Name"), fields
    by alias or name, inline fragments as "... on Type", fragments as "fragment Name"."""
    paths: dict[int, list[str]] = {}

    def walk(selections: SelectionSetNode, prefix: list[str]) -> None:
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                here = [*prefix, (selection.alias or selection.name).value]
                paths[id(selection)] = here
                if selection.selection_set is not None:
                    walk(selection.selection_set, here)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                label = f"... on {condition.name.value}" if condition else "..."
                walk(selection.selection_set, [*prefix, label])

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            name = f" {definition.name.value}" if definition.name else ""
            walk(definition.selection_set, [definition.operation.value + name])
        elif isinstance(definition, FragmentDefinitionNode):
            walk(definition.selection_set, [f"fragment {definition.name.value}"])
    return paths
