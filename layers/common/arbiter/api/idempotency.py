"""`Idempotency-Key` on case creation, with powertools idempotency in the idempotency table.

The same key from the same tenant within 24 hours returns the first response (the same case); the same key
with a different body is refused (422), and a request still in flight with that key answers 409.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from arbiter.api.schemas import CaseCreateRequest, case_view
from arbiter.domain.errors import Conflict, InvalidInput
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant
from arbiter.services import cases

__all__ = ["StartCase", "idempotent_case_start"]


class StartCase:
    """start_case returning the case view; call `register_lambda_context` once per invocation."""

    def __init__(
        self,
        call: Callable[[Principal, Tenant, CaseCreateRequest, str | None], dict[str, Any]],
        config: IdempotencyConfig | None = None,
    ) -> None:
        self._call = call
        self._config = config

    def __call__(
        self, principal: Principal, tenant: Tenant, body: CaseCreateRequest, key: str | None
    ) -> dict[str, Any]:
        return self._call(principal, tenant, body, key)

    def register_lambda_context(self, context: Any) -> None:
        """Lets an in-progress record expire with the invocation, so a timed-out request can be retried."""
        if self._config is not None:
            self._config.register_lambda_context(context)


def idempotent_case_start(deps: cases.CaseDeps, table_name: str | None, dynamodb: Any) -> StartCase:
    """start_case returning the case view; idempotent on (tenant, key) in `table_name` when a key is given."""

    def start(principal: Principal, tenant: Tenant, body: CaseCreateRequest) -> dict[str, Any]:
        case, _created = cases.start_case(
            deps,
            principal,
            tenant,
            workflow=body.workflow,
            entity=body.entity,
            documents=body.documents,
            metadata=body.metadata,
            correlation_id=body.correlation_id,
            context=dict(body.model_extra or {}),
            submit=body.submit,
        )
        return case_view(case).model_dump(mode="json")

    if not table_name:
        return StartCase(lambda principal, tenant, body, _key: start(principal, tenant, body))

    persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=dynamodb)
    config = IdempotencyConfig(
        event_key_jmespath="key", payload_validation_jmespath="body", expires_after_seconds=24 * 3600
    )

    @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=config)
    def start_once(
        *, request: dict[str, Any], principal: Principal, tenant: Tenant, body: CaseCreateRequest
    ) -> dict[str, Any]:
        return start(principal, tenant, body)

    def maybe_once(
        principal: Principal, tenant: Tenant, body: CaseCreateRequest, key: str | None
    ) -> dict[str, Any]:
        if not key:
            return start(principal, tenant, body)
        request = {"key": f"{tenant.id}:{key}", "body": body.model_dump(mode="json")}
        try:
            started: dict[str, Any] = start_once(
                request=request, principal=principal, tenant=tenant, body=body
            )
            return started
        except IdempotencyValidationError as exc:
            raise InvalidInput(
                "this Idempotency-Key was already used with a different request body", path="Idempotency-Key"
            ) from exc
        except IdempotencyAlreadyInProgressError as exc:
            raise Conflict("a request with this Idempotency-Key is still in progress; retry shortly") from exc

    return StartCase(maybe_once, config)
