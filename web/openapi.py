"""The OpenAPI document: what each route declares (its answers' bodies: ``web.schemas``), plus
what holds for every operation alike:

- invalid input is a ``400`` with the error body (``web.errors``), never FastAPI's ``422``;
- every operation that reads Redis may answer ``503`` while Redis is away (all but
  ``/healthz``);
- every API operation may answer ``429`` (who asks is checked, and what they may start);
- a report address with an upper-case login answers ``301``;
- parameters are described as far as a schema can (``web.params.PARAMETER_SCHEMAS``).

``tests/fuzz/test_api_schema.py`` (schemathesis) checks every answer against this document.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from web.params import PARAMETER_SCHEMAS
from web.schemas import HTML_PAGE, ErrorBody, TooMany

NO_REDIS: Final = {("get", "/healthz")}
DESCRIPTIONS: Final = {
    "301": "the same address with the login in lower case (`Location`)",
    "400": "invalid input (`detail` says what)",
    "503": "Redis is unavailable (`Retry-After`); the answer comes back by itself",
}


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": ref}}}


def document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document (built once, then cached)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    refs, definitions = models_json_schema(
        [(model, "serialization") for model in (ErrorBody, TooMany)],
        ref_template="#/components/schemas/{model}",
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(definitions.get("$defs", {}))
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    error = _json(refs[(ErrorBody, "serialization")]["$ref"])
    too_many = _json(refs[(TooMany, "serialization")]["$ref"])
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            _fix(method, path, operation, error if path.startswith("/api/") else HTML_PAGE)
            if path.startswith("/api/"):
                response = operation["responses"].setdefault(
                    "429", {"description": TooMany.__doc__ or ""}
                )
                response["content"] = too_many
    app.openapi_schema = schema
    return schema


def _fix(method: str, path: str, operation: dict[str, Any], error: dict[str, Any]) -> None:
    """The answers every operation alike may give (errors are JSON for the API, the error
    page elsewhere: ``web.errors``)."""
    for parameter in operation.get("parameters", []):
        if parameter["name"] in PARAMETER_SCHEMAS:
            parameter["schema"] = PARAMETER_SCHEMAS[parameter["name"]]
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    if operation.get("parameters") or operation.get("requestBody"):
        responses.setdefault("400", {"description": DESCRIPTIONS["400"]})["content"] = error
    if (method, path) not in NO_REDIS:  # unless the route says what it answers then
        responses.setdefault("503", {"description": DESCRIPTIONS["503"]}).setdefault(
            "content", error
        )
    if path.startswith("/user/github/{username}"):
        responses.setdefault("301", {"description": DESCRIPTIONS["301"]})


def install(app: FastAPI) -> None:
    """Serve :func:`document` at ``/openapi.json`` (and in ``/docs``)."""
    app.openapi = lambda: document(app)  # type: ignore[method-assign]
