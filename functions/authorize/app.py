"""The API's Lambda authorizer (REQUEST): verifies an integrator's API key before API Gateway calls a function.

Allow: the verdict for the functions and the tenant's usage key for the usage plans; 401 for a missing or invalid
key; a Deny (429 with Retry-After, template.yaml `GatewayResponses`) for a source that failed too often. See
`arbiter.api.authorizer` and `arbiter.services.authorization`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api.authorizer import authorize_request

logger = Logger()

deps = bootstrap.composition_root()  # the tenants' table and the failure counters, built on first use


@logger.inject_lambda_context
@event_source(data_class=APIGatewayAuthorizerRequestEvent)
def handler(event: APIGatewayAuthorizerRequestEvent, context: LambdaContext) -> dict[str, Any]:
    return authorize_request(deps(), event)
