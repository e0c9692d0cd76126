"""Vendor HTTP: call a third-party API described by configuration only (an identity or registry vendor).

The configuration says where to send the request, which headers to add (API keys as secret references), how
to build the request from the case (JMESPath over the context), how to read the answer (JMESPath over the
response JSON), what shape the answer must have (JSON Schema) and which answers raise flags. Requests go
through the egress client, so vendor hosts must be public or on the allow-list (global, or this config's).

Failures: a timeout, a connection error, a status listed in `retry.on_status` or a body that is not JSON is
transient (retried with backoff by the runner); any other 4xx/5xx, or a response that does not match the
schema, fails the check at once. Either way the case goes on, flagged `check_failed`.
"""

from __future__ import annotations

import functools
import json
import re
import string
from typing import Annotated, Any, Literal
from urllib.parse import quote

import fastjsonschema
import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from arbiter.egress import EgressClient, EgressError, EgressLimits, EgressResponse
from arbiter.plugins.contract import (
    CaseContext,
    CheckError,
    Flag,
    Plugin,
    PluginConfig,
    PluginResult,
    Severity,
    TransientCheckError,
)
from arbiter.plugins.policy import RetryPolicy, RunPolicy
from arbiter.secrets import SecretRef

_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$")
_EXCERPT = 200


@functools.lru_cache(maxsize=512)
def _compiled(expression: str) -> Any:
    return jmespath.compile(expression)


def _jmespath(expression: str) -> str:
    try:
        _compiled(expression)
    except JMESPathError as e:
        raise ValueError(f"not a JMESPath expression: {e}") from None
    return expression


@functools.lru_cache(maxsize=128)
def _schema_validator(schema_json: str) -> Any:
    return fastjsonschema.compile(json.loads(schema_json))


JMESPath = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_jmespath)]


class ResponseSchemaMismatch(CheckError):
    """The vendor answered JSON of another shape than the configured schema (not retried)."""


class VendorRetry(RetryPolicy):
    """The runner's retry policy plus the HTTP statuses that are worth a retry."""

    on_status: list[int] = Field(default_factory=lambda: [408, 425, 429, 500, 502, 503, 504])


class FlagRule(BaseModel):
    """Raise `code` when `when` (JMESPath over {"data", "response", "status_code"}) is truthy."""

    model_config = ConfigDict(extra="forbid")

    when: JMESPath
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    severity: Severity = "medium"
    message: str = Field(min_length=1, max_length=500)
    subject: str | None = Field(default=None, max_length=200)


class VendorHttpConfig(PluginConfig):
    url: str = Field(min_length=8, max_length=2048, description="https://…; {field} takes a request value")
    method: Literal["GET", "POST", "PUT", "PATCH"] = "POST"
    headers: dict[str, str | SecretRef] = Field(default_factory=dict)
    #: Request field (dotted for nesting) → JMESPath over the case context. Fields named in the URL go there;
    #: the rest go to the query string (GET) or the JSON body.
    request: dict[str, JMESPath] = Field(default_factory=dict)
    #: Result data field → JMESPath over the response JSON.
    response: dict[str, JMESPath] = Field(default_factory=dict)
    response_schema: dict[str, Any] | None = None
    flags: list[FlagRule] = Field(default_factory=list)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    retry: VendorRetry = Field(default_factory=VendorRetry)
    max_response_bytes: int = Field(default=1_000_000, ge=1_024, le=10_000_000)
    max_redirects: int = Field(default=0, ge=0, le=5)
    #: Egress allow-list entries for this vendor (a host inside the operator's network, the local demo).
    allow: list[str] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.lower().startswith(("https://", "http://")):
            raise ValueError("must start with https:// or http://")
        try:
            _placeholders(url)
        except ValueError as e:
            raise ValueError(f"bad template: {e}") from None
        return url

    @field_validator("headers")
    @classmethod
    def _header_names(cls, headers: dict[str, Any]) -> dict[str, Any]:
        for name in headers:
            if not _HEADER_NAME.match(name):
                raise ValueError(f"{name!r} is not a header name")
        return headers

    @field_validator("response_schema")
    @classmethod
    def _schema_compiles(cls, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        if schema is not None:
            try:
                _schema_validator(json.dumps(schema, sort_keys=True))
            except fastjsonschema.JsonSchemaDefinitionException as e:
                raise ValueError(f"not a usable JSON Schema: {e}") from None
        return schema

    @model_validator(mode="after")
    def _placeholders_are_requested(self) -> VendorHttpConfig:
        unknown = [p for p in _placeholders(self.url) if p not in self.request]
        if unknown:
            raise ValueError(f"url placeholders {unknown} have no entry in `request`")
        return self


class VendorHttpPlugin(Plugin[VendorHttpConfig]):
    """Calls a vendor's HTTP API as its configuration describes."""

    name = "vendor_http"
    version = "1.0.0"
    Config = VendorHttpConfig
    description = "Calls a third-party HTTP API described by configuration (JMESPath mappings, JSON Schema)."

    def __init__(self, egress: EgressClient) -> None:
        self._egress = egress

    def policy(self, config: VendorHttpConfig) -> RunPolicy:
        # The egress client stops the request at `timeout_seconds`; the runner's limit is a backstop above it.
        return RunPolicy(timeout_seconds=config.timeout_seconds + 5, retry=config.retry)

    def run(self, context: CaseContext, config: VendorHttpConfig) -> PluginResult:
        values = {name: _compiled(expr).search(context) for name, expr in config.request.items()}
        in_url = _placeholders(config.url)
        missing = [name for name in in_url if values.get(name) in (None, "")]
        if missing:
            return PluginResult.skipped(f"the case has no value for {', '.join(missing)}")
        url = config.url.format(**{name: quote(_text(values[name]), safe="") for name in in_url})
        rest = {name: value for name, value in values.items() if name not in in_url and value is not None}
        response = self._send(url, config, rest)
        body = _json_body(response, config)
        data = {name: _compiled(expr).search(body) for name, expr in config.response.items()}
        scope = {"data": data, "response": body, "status_code": response.status_code}
        flags = [
            Flag(code=rule.code, severity=rule.severity, message=rule.message, subject=rule.subject)
            for rule in config.flags
            if _truthy(_compiled(rule.when).search(scope))
        ]
        return PluginResult.ok({**data, "status_code": response.status_code}, flags)

    def _send(self, url: str, config: VendorHttpConfig, fields: dict[str, Any]) -> EgressResponse:
        headers = {"Accept": "application/json"}
        for name, value in config.headers.items():
            headers[name] = value.reveal() if isinstance(value, SecretRef) else value
        get = config.method == "GET"
        limits = EgressLimits(
            connect_timeout_seconds=min(5.0, config.timeout_seconds),
            read_timeout_seconds=config.timeout_seconds,
            total_timeout_seconds=config.timeout_seconds,
            max_bytes=config.max_response_bytes,
            max_redirects=config.max_redirects,
        )
        try:
            response = self._egress.fetch(
                url,
                method=config.method,
                headers=headers,
                params={k: _text(v) for k, v in fields.items()} if get else None,
                json=None if get else _nested(fields),
                allow=config.allow,
                limits=limits,
            )
        except EgressError as e:
            error = TransientCheckError if e.transient else CheckError
            raise error(e.message) from e
        status = response.status_code
        if status in config.retry.on_status:
            raise TransientCheckError(f"the vendor answered HTTP {status}: {_excerpt(response)}")
        if not 200 <= status < 300:
            raise CheckError(f"the vendor answered HTTP {status}: {_excerpt(response)}")
        return response


def _json_body(response: EgressResponse, config: VendorHttpConfig) -> Any:
    try:
        body = response.json()
    except ValueError:
        # A garbled body is usually a proxy or a vendor incident: worth another try.
        raise TransientCheckError(f"the vendor's response is not JSON: {_excerpt(response)}") from None
    if config.response_schema is not None:
        validate = _schema_validator(json.dumps(config.response_schema, sort_keys=True))
        try:
            validate(body)
        except fastjsonschema.JsonSchemaValueException as e:
            where = ".".join(str(p) for p in e.path) if e.path else "data"
            raise ResponseSchemaMismatch(
                f"the vendor's response does not match the configured schema at {where}: {e.message}"
            ) from e
    return body


def _placeholders(template: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]


def _nested(fields: dict[str, Any]) -> dict[str, Any]:
    """`{"company.name": "Acme"}` → `{"company": {"name": "Acme"}}`."""
    body: dict[str, Any] = {}
    for dotted, value in fields.items():
        *parents, leaf = dotted.split(".")
        node = body
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return body


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _truthy(value: Any) -> bool:
    """JMESPath's truth: false, null and empty strings, lists and objects are false; 0 is true."""
    return not (value is None or value is False or (isinstance(value, str | list | dict) and not value))


def _excerpt(response: EgressResponse) -> str:
    text = " ".join(response.text().split())
    return (text[:_EXCERPT] + "…") if len(text) > _EXCERPT else text or "(empty body)"
