"""Admin API for rule sets (`/v1/admin/rule-sets…`): a router the reviewers' function includes.

`admin_rule_sets_router` binds the routes to the including function's dependencies and authenticated caller;
every route needs the admin role (the service layer checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import BaseModel, Field

from arbiter.api import content_types
from arbiter.api.openapi import responses
from arbiter.api.rule_set_schemas import (
    RULE_SET_EXAMPLE,
    BacktestResult,
    DryRunResult,
    RuleSetDetail,
    RuleSetList,
    RuleVariables,
)
from arbiter.domain.principal import Principal
from arbiter.rules.ruleset import RuleSetVersion

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = ["admin_rule_sets_router"]


class DryRunRequest(BaseModel):
    """Evaluate on `context` (the document rules read) or on an existing case's context (`case_id`)."""

    context: dict[str, Any] | None = None
    case_id: str | None = Field(default=None, max_length=200)


class DraftDryRunRequest(DryRunRequest):
    """A rule set that is not saved (the body `POST /v1/admin/rule-sets` takes), tried on a context or a case."""

    rule_set: dict[str, Any]


class BacktestRequest(BaseModel):
    workflow: str = Field(min_length=1, max_length=100)
    limit: int = Field(default=50, ge=1, le=200, description="At most services.rule_sets.MAX_BACKTEST_CASES")


class DraftBacktestRequest(BacktestRequest):
    """A rule set that is not saved (the body `POST /v1/admin/rule-sets` takes), backtested on a workflow."""

    rule_set: dict[str, Any]


class PublishRequest(BaseModel):
    reason: str = Field(
        min_length=1, max_length=2000, description="Why this version is published (kept on the version)"
    )


def _service() -> ModuleType:
    # The rule engine loads with the first admin request, not with the reviewers' API's cold start.
    from arbiter.services import rule_sets

    return rule_sets


def admin_rule_sets_router(deps: Callable[[], Dependencies], caller: Callable[[], Principal]) -> Router:
    """The rule set routes, bound to the including function's dependencies and authenticated caller."""
    router = Router()
    tags = ["admin"]
    version_path = "/v1/admin/rule-sets/<rule_set_id>/versions/<version>"

    @router.post(
        "/v1/admin/rule-sets",
        summary="Save a rule set as its next draft version",
        operation_id="createRuleSet",
        tags=tags,
        responses=responses(403, 409, status=201, description="Saved as the next draft version"),
    )
    def create_rule_set(
        body: Annotated[
            dict[str, Any],
            Body(
                description="A rule set: id, name, rules, tables, thresholds, lists (docs/rules.md)",
                openapi_examples={"rule_set": {"value": RULE_SET_EXAMPLE}},
            ),
        ],
    ) -> Response[RuleSetVersion]:
        version = _service().create_draft(deps().rule_sets, caller(), body)
        return Response(201, content_types.APPLICATION_JSON, version)

    @router.get(
        "/v1/admin/rule-sets",
        summary="The tenant's rule sets",
        operation_id="listRuleSets",
        tags=tags,
        responses=responses(403),
    )
    def list_rule_sets(
        cursor: Annotated[str | None, Query(max_length=2048)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
    ) -> RuleSetList:
        found = _service().list_rule_sets(deps().rule_sets, caller(), cursor=cursor, limit=limit)
        return RuleSetList.model_validate(found)

    @router.get(
        "/v1/admin/rule-sets/<rule_set_id>",
        summary="A rule set's versions and which one is published",
        operation_id="getRuleSet",
        tags=tags,
        responses=responses(403, 404),
    )
    def get_rule_set(rule_set_id: Annotated[str, Path(max_length=63)]) -> RuleSetDetail:
        return RuleSetDetail.model_validate(_service().get_rule_set(deps().rule_sets, caller(), rule_set_id))

    @router.get(
        version_path,
        summary="A version of a rule set",
        operation_id="getRuleSetVersion",
        tags=tags,
        responses=responses(403, 404),
    )
    def get_version(
        rule_set_id: Annotated[str, Path(max_length=63)], version: Annotated[int, Path(ge=1)]
    ) -> RuleSetVersion:
        found: RuleSetVersion = _service().get_version(deps().rule_sets, caller(), rule_set_id, version)
        return found

    @router.post(
        f"{version_path}/publish",
        summary="Publish a version: cases that start from now on pin it",
        operation_id="publishRuleSetVersion",
        tags=tags,
        responses=responses(403, 404, 409),
    )
    def publish(
        rule_set_id: Annotated[str, Path(max_length=63)],
        version: Annotated[int, Path(ge=1)],
        body: Annotated[PublishRequest | None, Body()] = None,
    ) -> RuleSetVersion:
        # Clients written before reasons existed send no body: still accepted, recorded without a reason.
        reason = body.reason if body is not None else None
        published: RuleSetVersion = _service().publish(
            deps().rule_sets, caller(), rule_set_id, version, reason
        )
        return published

    @router.post(
        "/v1/admin/rule-sets/dry-run",
        summary="Try a rule set that is not saved on a context or a case",
        operation_id="dryRunDraftRuleSet",
        tags=tags,
        responses=responses(403, 404),
    )
    def dry_run_draft(body: DraftDryRunRequest) -> DryRunResult:
        result = _service().dry_run_draft(
            deps(), caller(), body.rule_set, context=body.context, case_id=body.case_id
        )
        return DryRunResult.model_validate(result)

    @router.post(
        "/v1/admin/rule-sets/backtest",
        summary="Re-assess a workflow's last decided cases with a rule set that is not saved",
        operation_id="backtestDraftRuleSet",
        tags=tags,
        responses=responses(403, 404),
    )
    def backtest_draft(body: DraftBacktestRequest) -> BacktestResult:
        result = _service().backtest_draft(
            deps(), caller(), body.rule_set, workflow_id=body.workflow, limit=body.limit
        )
        return BacktestResult.model_validate(result)

    @router.get(
        "/v1/admin/rule-variables",
        summary="The variables a workflow's rules can read, with their type and example values",
        operation_id="listRuleVariables",
        tags=tags,
        responses=responses(403, 404),
    )
    def rule_variables(
        workflow: Annotated[str | None, Query(max_length=100)] = None,
        rule_set: Annotated[str | None, Query(max_length=63)] = None,
        samples: Annotated[int, Query(ge=0, le=20)] = 20,
    ) -> RuleVariables:
        from arbiter.services import rule_variables

        found = rule_variables.workflow_variables(
            deps(), caller(), workflow_id=workflow, rule_set_id=rule_set, samples=samples
        )
        return RuleVariables.model_validate(found)

    @router.post(
        f"{version_path}/dry-run",
        summary="Try a saved version on a context or a case",
        operation_id="dryRunRuleSetVersion",
        tags=tags,
        responses=responses(403, 404),
    )
    def dry_run(
        rule_set_id: Annotated[str, Path(max_length=63)],
        version: Annotated[int, Path(ge=1)],
        body: DryRunRequest,
    ) -> DryRunResult:
        result = _service().dry_run(
            deps().rule_sets,
            deps().compiled_rule_sets,
            deps(),
            caller(),
            rule_set_id,
            version,
            context=body.context,
            case_id=body.case_id,
        )
        return DryRunResult.model_validate(result)

    @router.post(
        f"{version_path}/backtest",
        summary="Re-assess a workflow's last decided cases with a version",
        operation_id="backtestRuleSetVersion",
        tags=tags,
        responses=responses(403, 404),
    )
    def backtest(
        rule_set_id: Annotated[str, Path(max_length=63)],
        version: Annotated[int, Path(ge=1)],
        body: BacktestRequest,
    ) -> BacktestResult:
        result = _service().backtest(
            deps().rule_sets,
            deps().compiled_rule_sets,
            deps(),
            caller(),
            rule_set_id,
            version,
            workflow_id=body.workflow,
            limit=body.limit,
        )
        return BacktestResult.model_validate(result)

    return router
