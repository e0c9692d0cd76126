"""API Gateway's gateway responses: what a caller gets when API Gateway itself refuses a request.

Each refusal has a type (UNAUTHORIZED, ACCESS_DENIED, THROTTLED…) with API Gateway's default status and body, which
the template may change (the Api's `GatewayResponses`, SAM's shape: `{TYPE: {StatusCode, ResponseParameters:
{Headers: {Name: "'static'" or method.request.header.X}}, ResponseTemplates: {application/json: "..."}}}`); a type
the template leaves alone takes `DEFAULT_4XX` or `DEFAULT_5XX` when those are customised. Templates see the
request's `$context` variables: `$context.error.message`, `$context.error.messageString` (quoted),
`$context.error.responseType`, `$context.authorizer.<key>`, and the request context's own (`$context.path` is the
stage's path, `$context.requestTime`, `$context.requestId`, `$context.identity.sourceIp`); an unknown one is empty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Response

__all__ = ["DEFAULT_RESPONSES", "GatewayResponses"]

#: API Gateway's own status and message for the types the stand-in produces (the body is `{"message": …}`;
#: ACCESS_DENIED's is `{"Message": …}`, as API Gateway writes it).
DEFAULT_RESPONSES: dict[str, tuple[int, str | None]] = {
    "UNAUTHORIZED": (401, "Unauthorized"),
    "ACCESS_DENIED": (403, "User is not authorized to access this resource"),
    "AUTHORIZER_FAILURE": (500, None),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, None),
    "INVALID_API_KEY": (403, "Forbidden"),
    "THROTTLED": (429, "Too Many Requests"),
    "QUOTA_EXCEEDED": (429, "Limit Exceeded"),
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long"),
    "INTEGRATION_FAILURE": (502, "Internal server error"),
}

_CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")


class GatewayResponses:
    """The API's gateway responses: API Gateway's defaults with the template's customisations."""

    def __init__(self, customised: Mapping[str, Any] | None = None) -> None:
        self.customised = {str(k): dict(v or {}) for k, v in (customised or {}).items()}

    def respond(
        self,
        response_type: str,
        *,
        message: str | None = None,
        request_context: Mapping[str, Any] | None = None,
        request_headers: Mapping[str, str] | None = None,
        authorizer: Mapping[str, str] | None = None,
    ) -> Response:
        """The response of `response_type` for a request (its context, its headers, the authorizer's context)."""
        status, default_message = DEFAULT_RESPONSES[response_type]
        message = default_message if message is None else message
        custom = self.customised.get(response_type) or self.customised.get(
            "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX", {}
        )
        status = int(custom.get("StatusCode", status))
        variables = {
            **dict(request_context or {}),
            "authorizer": dict(authorizer or {}),
            "error": {
                "message": message or "",
                "messageString": json.dumps(message),
                "responseType": response_type,
            },
        }
        templates = custom.get("ResponseTemplates") or {}
        if "application/json" in templates:
            body = _render(str(templates["application/json"]), variables)
        else:
            body = json.dumps({"Message" if response_type == "ACCESS_DENIED" else "message": message})
        headers = {
            name: _header_value(str(source), variables, request_headers or {})
            for name, source in ((custom.get("ResponseParameters") or {}).get("Headers") or {}).items()
        }
        return Response(body, status=status, mimetype="application/json", headers=headers)


def _lookup(variables: Mapping[str, Any], path: str) -> Any:
    value: Any = variables
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return ""
        value = value[part]
    return value


def _render(template: str, variables: Mapping[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        value = _lookup(variables, match.group(1))
        return value if isinstance(value, str) else json.dumps(value)

    return _CONTEXT_VARIABLE.sub(replace, template)


def _header_value(source: str, variables: Mapping[str, Any], request_headers: Mapping[str, str]) -> str:
    """A header mapping's value: a quoted static value, a request header, or a context variable."""
    if len(source) >= 2 and source[0] == source[-1] == "'":
        return source[1:-1]
    if source.startswith("method.request.header."):
        name = source.removeprefix("method.request.header.").lower()
        return next((v for k, v in request_headers.items() if k.lower() == name), "")
    if source.startswith("context."):
        value = _lookup(variables, source.removeprefix("context."))
        return value if isinstance(value, str) else json.dumps(value)
    return ""
