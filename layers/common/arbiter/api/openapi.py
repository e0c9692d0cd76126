"""The API functions' OpenAPI documents: powertools' schema of the routes, with what the edge adds to them.

powertools documents each route's parameters, body and success response. Arbiter's edge (`arbiter.api.rest`)
answers more than that, and `openapi_document` writes it in: the security schemes, the errors every route can
answer (401 before anything else, 400/413/415 for an unreadable body, 422 with Arbiter's error body instead of
powertools' own shape, 500 with a request id), and Ballerine's error body on the Ballerine-compatible routes.
Routes name the errors of their own (404, 403, 409) with `responses`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

__all__ = [
    "API_KEY_SECURITY",
    "BEARER_ID_TOKEN_SECURITY",
    "COLLECTION_TOKEN_SECURITY",
    "BallerineErrorBody",
    "ErrorBody",
    "openapi_document",
    "responses",
]

_SCHEMAS = "#/components/schemas/"

ERROR_DESCRIPTIONS = {
    400: "The request cannot be read: the body is not UTF-8, not JSON, or nests too deeply",
    401: "No credentials, or credentials that do not verify",
    403: "The caller's role (or the tenant's settings) does not allow this",
    404: "Not found, or it belongs to another tenant",
    409: "The current state refuses the request (the message says what it accepts), or a lost race",
    413: "The body is over the API's size limit (10 MB)",
    415: "The body's content type is not one the operation takes",
    422: "The body or a parameter is invalid; each problem names its field",
    429: (
        "Too many requests: the tenant's usage plan, the API's overall limit, or too many failed "
        "authentications from this address (see `Retry-After`)"
    ),
    500: "An unexpected error; the message carries the request id to report",
}


class FieldProblem(BaseModel):
    """One problem with the request, at one field."""

    model_config = ConfigDict(extra="allow")

    path: str = Field(description="The field: `entity.business.name`, `documents[0].type`, `limit`, `body`")
    message: str
    type: str | None = Field(default=None, description="The kind of problem (pydantic's error type)")


class ErrorBody(BaseModel):
    """Every error Arbiter answers: what went wrong, in a sentence, and the context a caller needs."""

    model_config = ConfigDict(extra="allow", title="Error")

    error: str = Field(
        description="The error's name: ValidationError, NotFound, Conflict, NotAllowed, Unauthenticated, "
        "BadRequest, UnsupportedMediaType, InternalError…",
        examples=["NotFound"],
    )
    message: str = Field(examples=["no case c_0123 in this tenant"])
    path: str | None = Field(default=None, description="The field the error is about")
    errors: list[FieldProblem] | None = Field(default=None, description="Each invalid field (422)")
    request_id: str | None = Field(default=None, description="The request to report (500)")


class BallerineFieldProblem(BaseModel):
    model_config = ConfigDict(extra="allow")

    path: str
    message: str


class BallerineErrorBody(BaseModel):
    """Ballerine's error body, which the Ballerine-compatible routes answer instead of Arbiter's."""

    model_config = ConfigDict(extra="allow", title="BallerineError")

    statusCode: int  # Ballerine's field names
    message: str
    timestamp: str = Field(description="When, ISO 8601 (UTC)")
    path: str = Field(description="The request's path")
    errors: list[BallerineFieldProblem] | None = None


#: The security scheme of the integrator-facing APIs: the tenant's API key.
API_KEY_SECURITY: dict[str, dict[str, Any]] = {
    "apiKeyBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "The tenant's API key: `Authorization: Bearer <key>` (Ballerine's `Api-Key <key>` too)",
    },
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "The API key"},
}

#: The security scheme of the collection API: a collection link's token, for its case only.
COLLECTION_TOKEN_SECURITY: dict[str, dict[str, Any]] = {
    "collectionToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A collection link's token (`clk_…`): `Authorization: Bearer <token>`, for its case only",
    }
}

#: The security scheme of the back office's API: a reviewer's Cognito ID token.
BEARER_ID_TOKEN_SECURITY: dict[str, dict[str, Any]] = {
    "cognitoIdToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A reviewer's Cognito ID token (roles from its groups: admin, senior, reviewer, viewer)",
    }
}


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": f"{_SCHEMAS}Error"}}},
    }


def responses(*errors: int, status: int = 200, description: str = "OK") -> dict[int, Any]:
    """A route's `responses`: its success (schema from its return annotation) and the errors of its own."""
    declared: dict[int, Any] = {status: {"description": description}}
    for code in errors:
        declared[code] = _error_response(code)
    return declared


def openapi_document(
    app: ApiGatewayResolver,
    *,
    title: str,
    description: str,
    security_schemes: Mapping[str, dict[str, Any]],
    public_paths: Collection[str] = (),
    ballerine_paths: Callable[[str], bool] = lambda _path: False,
    other_security: Callable[[str], Mapping[str, dict[str, Any]] | None] = lambda _path: None,
    version: str = "1.0.0",
) -> str:
    """The OpenAPI 3.1 document of `app`'s routes, as JSON (what the function serves and docs/ checks in)."""
    document = json.loads(app.get_openapi_json_schema(title=title, version=version, description=description))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorBody, BallerineErrorBody):
        _add_model(schemas, model)
    for path, operations in document.get("paths", {}).items():
        own = other_security(path)  # routes another credential opens: declared on each of their operations
        for operation in operations.values():
            _complete(operation, public=path in public_paths, ballerine=ballerine_paths(path))
            if own:
                operation["security"] = [{name: []} for name in own]
        if own:
            document.setdefault("components", {}).setdefault("securitySchemes", {}).update(own)
    document["components"]["securitySchemes"] = {
        **document["components"].get("securitySchemes", {}),
        **security_schemes,
    }
    document["security"] = [{name: []} for name in security_schemes]
    _drop_unused_schemas(document)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _add_model(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    schema = model.model_json_schema(ref_template=_SCHEMAS + "{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas[str(schema["title"])] = schema


def _complete(operation: dict[str, Any], *, public: bool, ballerine: bool) -> None:
    found = operation.setdefault("responses", {})
    # API Gateway answers 429 for any route (the stage's limit), and for the tenant's plan on keyed routes.
    added = {422: _error_response(422), 429: _error_response(429), 500: _error_response(500)}
    if not public:
        added[401] = _error_response(401)
    if "requestBody" in operation:
        added |= {400: _error_response(400), 413: _error_response(413), 415: _error_response(415)}
    for status, response in added.items():
        found[str(status)] = response
    for status, response in found.items():
        if status == "204":
            response.pop("content", None)  # no body
        elif ballerine and status.startswith(("4", "5")):
            response["content"] = {"application/json": {"schema": {"$ref": f"{_SCHEMAS}BallerineError"}}}
    operation["responses"] = dict(sorted(found.items()))


def _drop_unused_schemas(document: dict[str, Any]) -> None:
    """Remove component schemas nothing refers to (powertools' own validation error shapes)."""
    schemas = document["components"]["schemas"]
    used: set[str] = set()
    pending = [{k: v for k, v in document.items() if k != "components"}]
    while pending:
        item = pending.pop()
        for ref in _refs(item):
            name = ref.removeprefix(_SCHEMAS)
            if name not in used and name in schemas:
                used.add(name)
                pending.append(schemas[name])
    for name in list(schemas):
        if name not in used:
            del schemas[name]


def _refs(value: Any) -> Iterable[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                yield ref
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
