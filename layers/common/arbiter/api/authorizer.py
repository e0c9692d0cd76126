"""The API Gateway Lambda authorizer's edge: a REQUEST event in, an IAM policy or a refusal out.

API Gateway knows three answers, and template.yaml (`GatewayResponses`) shapes what each becomes for the caller:

- an Allow policy for every method of the stage, with the verdict (`arbiter.api.integrator.authorizer_context`)
  as `context` and the tenant's usage key as `usageIdentifierKey`: the request goes on, throttled under that key;
- the error `Unauthorized` (`Refused`): a 401, for a missing or invalid key;
- a Deny policy: API Gateway's ACCESS_DENIED, which the template turns into a 429 with Retry-After. The
  authorizer denies nothing else, so that response only ever means "this source failed too often".

The policy covers the whole stage rather than the method asked for, so that a cached verdict (should an operator
turn API Gateway's authorizer cache on) never refuses the tenant's next call to another route.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponse,
)

from arbiter.api.auth import api_key_from_headers
from arbiter.api.integrator import authorizer_context, collection_context
from arbiter.domain.errors import TooManyRequests, Unauthenticated
from arbiter.services.authorization import AuthorizationDeps, authorize

__all__ = ["Refused", "authorize_request"]

logger = Logger()


class Refused(Exception):
    """What the authorizer raises to have API Gateway answer 401: the error message must be `Unauthorized`."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


def authorize_request(deps: AuthorizationDeps, event: APIGatewayAuthorizerRequestEvent) -> dict[str, Any]:
    """The authorizer's answer to one request: an Allow or Deny policy, or `Refused` (raised)."""
    arn = event.parsed_arn
    source = event.request_context.identity.source_ip or "unknown"

    def policy(principal_id: str, **extra: Any) -> APIGatewayAuthorizerResponse:
        return APIGatewayAuthorizerResponse(
            principal_id=principal_id,
            region=arn.region,
            aws_account_id=arn.aws_account_id,
            api_id=arn.api_id,
            stage=arn.stage,
            partition=arn.partition,
            **extra,
        )

    try:
        authorized = authorize(deps, api_key_from_headers(event.headers), source)
    except Unauthenticated as exc:
        logger.info("refused: %s", exc.message, extra={"source_ip": source, "method_arn": event.method_arn})
        raise Refused from exc
    except TooManyRequests as exc:
        logger.warning("source blocked", extra={"source_ip": source, "retry_after": exc.retry_after})
        denied = policy(f"source/{source}", context={"retry_after": exc.retry_after, "message": exc.message})
        denied.deny_all_routes()
        return denied.asdict()
    if authorized.kind == "collection":
        principal_id = f"{authorized.tenant_id}/link_{authorized.key_id}"
        context = collection_context(
            authorized.tenant_id, authorized.key_id, authorized.key_sha256, authorized.case_id or ""
        )
    else:
        principal_id = f"{authorized.tenant_id}/key_{authorized.key_id}"
        context = authorizer_context(authorized.tenant_id, authorized.key_id, authorized.key_sha256)
    allowed = policy(
        principal_id,
        context=context,
        usage_identifier_key=authorized.usage_key,
    )
    allowed.allow_all_routes()
    return allowed.asdict()
