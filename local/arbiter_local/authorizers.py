"""API Gateway's Lambda authorizers, as the stand-in runs them before a protected route's function.

The template declares them as SAM does, on the Api: `Auth: {DefaultAuthorizer, Authorizers: {Name: {FunctionArn,
FunctionPayloadType, Identity: {Headers, QueryStrings, ReauthorizeEvery}}}}`, and a route opts out with its event's
`Auth: {Authorizer: NONE}` (provision.py reads both onto each `Route`). As API Gateway does for a REST API:

- a missing identity source is a 401 without invoking the authorizer;
- the authorizer's output is cached by the values of its identity sources for `ReauthorizeEvery` seconds (none
  without identity sources), and the cached policy is evaluated again for each method;
- the error `Unauthorized` is a 401 (UNAUTHORIZED), any other error a 500 (AUTHORIZER_FAILURE), an output without
  a policy or with a `context` value that is not a string, number or boolean a 500
  (AUTHORIZER_CONFIGURATION_ERROR); a policy that denies the method, explicitly or by allowing something else, is
  a 403 (ACCESS_DENIED);
- an allowed request carries `requestContext.authorizer`: the principal, the context's values as strings, and the
  authorizer's latency; its `usageIdentifierKey` is what the usage plans count (usage_plans.py).

What the caller sees for each refusal is the gateway response of its type (gateway_responses.py).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from arbiter_local.cfn import TemplateError
from arbiter_local.runtime import InvocationError

__all__ = ["AuthorizerRefusal", "Authorizers", "LambdaAuthorizer", "Verdict", "method_arn"]

DEFAULT_TTL_SECONDS = 300  # SAM's and API Gateway's default ReauthorizeEvery


@dataclass(frozen=True)
class LambdaAuthorizer:
    """One entry of the Api's `Auth.Authorizers`."""

    name: str
    function: str  # what API Gateway invokes: the function's ARN or alias ARN
    payload: str  # REQUEST or TOKEN
    identity_headers: tuple[str, ...] = ()
    identity_query: tuple[str, ...] = ()
    ttl_seconds: int = DEFAULT_TTL_SECONDS

    @classmethod
    def from_sam(cls, name: str, spec: Mapping[str, Any]) -> LambdaAuthorizer:
        """Read a resolved SAM authorizer; TemplateError for a kind the stand-in does not run."""
        if "FunctionArn" not in spec:
            raise TemplateError(f"authorizer {name}: only Lambda authorizers (FunctionArn) run locally")
        identity = dict(spec.get("Identity") or {})
        payload = str(spec.get("FunctionPayloadType", "TOKEN")).upper()
        unsupported = sorted(
            k for k in ("StageVariables", "Context", "ValidationExpression") if identity.get(k)
        )
        if unsupported:
            raise TemplateError(
                f"authorizer {name}: Identity {', '.join(unsupported)} is not emulated locally"
            )
        if payload == "TOKEN":
            headers: tuple[str, ...] = (str(identity.get("Header", "Authorization")),)
            query: tuple[str, ...] = ()
        else:
            headers = tuple(str(h) for h in identity.get("Headers", []) or [])
            query = tuple(str(q) for q in identity.get("QueryStrings", []) or [])
        return cls(
            name=name,
            function=str(spec["FunctionArn"]),
            payload=payload,
            identity_headers=headers,
            identity_query=query,
            ttl_seconds=int(identity.get("ReauthorizeEvery", DEFAULT_TTL_SECONDS)),
        )

    @property
    def caches(self) -> bool:
        """Whether API Gateway caches this authorizer's output (it needs identity sources to key it)."""
        return self.ttl_seconds > 0 and bool(self.identity_headers or self.identity_query)


@dataclass(frozen=True)
class Verdict:
    """An allowed request: what API Gateway puts in `requestContext.authorizer`, and the usage key."""

    principal_id: str
    context: dict[str, str]
    usage_identifier_key: str | None
    latency_ms: int

    def request_context(self) -> dict[str, Any]:
        """`requestContext.authorizer` as the function receives it."""
        return {"principalId": self.principal_id, **self.context, "integrationLatency": self.latency_ms}


class AuthorizerRefusal(Exception):
    """A request the authorizer step refused: the gateway response type, its message, the authorizer's context."""

    def __init__(
        self, response_type: str, message: str | None, context: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{response_type}: {message}")
        self.response_type = response_type
        self.message = message
        self.context = dict(context or {})


@dataclass
class _Cached:
    output: dict[str, Any]
    expires: float


@dataclass
class Authorizers:
    """Runs the template's authorizers through `invoke` (the gateway's call into the local Lambda runtime)."""

    authorizers: Mapping[str, LambdaAuthorizer]
    invoke: Callable[[str, dict[str, Any]], Any]
    clock: Callable[[], float] = time.monotonic
    #: How many times each authorizer ran (a cached answer does not run it).
    invocations: dict[str, int] = field(default_factory=dict)
    _cache: dict[tuple[str, tuple[str, ...]], _Cached] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def authorize(self, name: str, event: Mapping[str, Any], arn: str) -> Verdict:
        """The verdict on a request (`event`: the proxy event the route's function would get) for method `arn`."""
        authorizer = self.authorizers.get(name)
        if authorizer is None:
            raise AuthorizerRefusal("AUTHORIZER_CONFIGURATION_ERROR", None)
        identity = _identity(authorizer, event)
        if identity is None:
            raise AuthorizerRefusal("UNAUTHORIZED", "Unauthorized")
        started = self.clock()
        output = self._cached(authorizer, identity)
        if output is None:
            output = self._run(authorizer, event, arn)
            if authorizer.caches:
                with self._lock:
                    self._cache[(name, identity)] = _Cached(output, self.clock() + authorizer.ttl_seconds)
        latency_ms = int((self.clock() - started) * 1000)
        context = _context(output)
        effect = _evaluate(output["policyDocument"], arn)
        if effect != "Allow":
            message = (
                "User is not authorized to access this resource with an explicit deny"
                if effect == "Deny"
                else "User is not authorized to access this resource"
            )
            raise AuthorizerRefusal("ACCESS_DENIED", message, context)
        usage_key = output.get("usageIdentifierKey")
        return Verdict(str(output["principalId"]), context, str(usage_key) if usage_key else None, latency_ms)

    def _cached(self, authorizer: LambdaAuthorizer, identity: tuple[str, ...]) -> dict[str, Any] | None:
        if not authorizer.caches:
            return None
        with self._lock:
            cached = self._cache.get((authorizer.name, identity))
            if cached is None or cached.expires <= self.clock():
                self._cache.pop((authorizer.name, identity), None)
                return None
            return cached.output

    def _run(self, authorizer: LambdaAuthorizer, event: Mapping[str, Any], arn: str) -> dict[str, Any]:
        with self._lock:
            self.invocations[authorizer.name] = self.invocations.get(authorizer.name, 0) + 1
        try:
            output = self.invoke(authorizer.function, _authorizer_event(authorizer, event, arn))
        except InvocationError as exc:
            if exc.payload.get("errorMessage") == "Unauthorized":
                raise AuthorizerRefusal("UNAUTHORIZED", "Unauthorized") from exc
            raise AuthorizerRefusal("AUTHORIZER_FAILURE", None) from exc
        if not isinstance(output, dict) or "principalId" not in output or "policyDocument" not in output:
            raise AuthorizerRefusal("AUTHORIZER_CONFIGURATION_ERROR", None)
        _context(output)  # a malformed context is refused before it is cached
        return output


def method_arn(region: str, account: str, api_id: str, stage: str, method: str, path: str) -> str:
    """The ARN of the method a request calls, as API Gateway hands it to an authorizer (the request's path)."""
    return f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{method}/{path.lstrip('/')}"


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _identity(authorizer: LambdaAuthorizer, event: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The values of the identity sources (the cache key); None when one is missing or empty."""
    values = [_header(event.get("headers"), h) for h in authorizer.identity_headers]
    query = event.get("queryStringParameters") or {}
    values += [query.get(q) for q in authorizer.identity_query]
    if any(not v for v in values):
        return None
    return tuple(str(v) for v in values)


def _authorizer_event(authorizer: LambdaAuthorizer, event: Mapping[str, Any], arn: str) -> dict[str, Any]:
    if authorizer.payload == "TOKEN":
        token = _header(event.get("headers"), authorizer.identity_headers[0])
        return {"type": "TOKEN", "methodArn": arn, "authorizationToken": token}
    keys = (
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
    )
    return {"type": "REQUEST", "methodArn": arn, **{k: event.get(k) for k in keys}}


def _context(output: Mapping[str, Any]) -> dict[str, str]:
    """The output's context as API Gateway passes it on: flat, every value a string (booleans `true`/`false`)."""
    context = output.get("context") or {}
    if not isinstance(context, dict):
        raise AuthorizerRefusal("AUTHORIZER_CONFIGURATION_ERROR", None)
    flat: dict[str, str] = {}
    for key, value in context.items():
        if isinstance(value, bool):
            flat[str(key)] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            flat[str(key)] = str(value)
        else:
            raise AuthorizerRefusal("AUTHORIZER_CONFIGURATION_ERROR", None)
    return flat


def _evaluate(policy: Mapping[str, Any], arn: str) -> str | None:
    """`Deny` if a statement denies `arn`, else `Allow` if one allows it, else None (IAM's evaluation)."""
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    effects = {
        str(s.get("Effect"))
        for s in statements
        if _matches_any(s.get("Action"), "execute-api:Invoke") and _matches_any(s.get("Resource"), arn)
    }
    return "Deny" if "Deny" in effects else ("Allow" if "Allow" in effects else None)


def _matches_any(patterns: Any, value: str) -> bool:
    patterns = patterns if isinstance(patterns, list) else [patterns]
    return any(_wildcard(str(p)).fullmatch(value) for p in patterns if p is not None)


def _wildcard(pattern: str) -> re.Pattern[str]:
    """An IAM pattern: `*` any characters (slashes and line breaks too: a path may hold an encoded newline), `?` one."""
    parts = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(parts, re.DOTALL)
