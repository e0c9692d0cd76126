"""The variables a workflow's rules can read, for the rule editor: path, type, description, example values.

The listing follows the engine: the shape of a context `rule_context` builds for a case of the workflow, the
schemas of what it dumps (the entity model, the workflow's `context_schema`), and the contexts of up to
`MAX_SAMPLE_CASES` of the tenant's cases of the workflow (one Query, then one read per case), which give the
checks' `data`, the `metadata` and example values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from arbiter.domain.case import SYSTEM, Case, CaseState, Decision, RiskAssessment
from arbiter.domain.document import Document
from arbiter.domain.entity import Entity
from arbiter.domain.errors import InvalidInput, NotFound
from arbiter.domain.principal import Principal
from arbiter.domain.workflow import WorkflowDefinition
from arbiter.plugins.contract import Flag
from arbiter.rules.variables import VariableCatalog, schema_leaves
from arbiter.services.assessment import rule_context
from arbiter.services.cases import CaseDeps
from arbiter.services.ports import CaseQuery

__all__ = ["MAX_SAMPLE_CASES", "TOP_LEVEL", "describe", "workflow_variables"]

MAX_SAMPLE_CASES = 20

#: What each part of the rule context is (docs/rules.md); a test holds every key `rule_context` gives to one.
TOP_LEVEL = {
    "case": "The case itself",
    "entity": "The person or business the case is about",
    "checks": "The results of the workflow's checks, by check name",
    "children": "The cases of the owners (a business's UBOs and directors), each with its decision and score",
    "documents": "The case's documents (type, category, issuer, properties, pages)",
    "flags": "The codes of the flags raised on the case so far",
    "metadata": "Metadata the integrator sent with the case",
    "context": "The application context the integrator sent (a workflow's context_schema describes it)",
}

#: The least an entity of each type holds (a business needs its name).
_EMPTY: dict[str, dict[str, Any]] = {"individual": {}, "business": {"name": "-"}}

_CHECK_RESULT = {
    "status": "ok, error or skipped",
    "data": "what the check found",
    "flags": "the flags it raised (code, severity, message)",
    "error": "why it could not run",
}


def describe(path: str) -> str:
    """A description of a path of the rule context, from where it sits."""
    parts = path.split(".")
    if parts[0] == "checks" and len(parts) >= 3:
        what = _CHECK_RESULT.get(parts[2], "")
        detail = f" ({'.'.join(parts[3:])})" if len(parts) > 3 else ""
        return f"The {parts[1]} check: {what}{detail}" if what else f"The {parts[1]} check"
    if parts[0] == "case" and len(parts) == 2:
        field = Case.model_fields.get(parts[1])
        return (field.description if field and field.description else f"The case's {parts[1]}").strip()
    if len(parts) == 1:
        return TOP_LEVEL.get(parts[0], "")
    return ""


def workflow_variables(
    deps: CaseDeps,
    principal: Principal,
    *,
    workflow_id: str | None = None,
    rule_set_id: str | None = None,
    samples: int = MAX_SAMPLE_CASES,
) -> dict[str, Any]:
    """The variables the workflow's rules read (the workflow named, or the one whose rule set is `rule_set_id`)."""
    principal.require("admin", "reading rule variables")
    if not 0 <= samples <= MAX_SAMPLE_CASES:
        raise InvalidInput(f"samples must be between 0 and {MAX_SAMPLE_CASES}", path="samples")
    workflow = _workflow(deps, principal.tenant_id, workflow_id, rule_set_id)
    catalog = VariableCatalog()
    for path, kind, text in _engine_shape(workflow):
        catalog.add(path, kind, text or describe(path))
    cases = _recent_cases(deps, principal.tenant_id, workflow.id, samples)
    for case_id in cases:
        detail = deps.cases.detail(principal.tenant_id, case_id)
        catalog.add_values(rule_context(detail.case, detail.checks, detail.children), describe)
    return {
        "workflow": workflow.id,
        "rule_set_id": workflow.rule_set_id,
        "cases_sampled": len(cases),
        "variables": [v.model_dump(mode="json") for v in catalog.variables()],
    }


def _workflow(
    deps: CaseDeps, tenant_id: str, workflow_id: str | None, rule_set_id: str | None
) -> WorkflowDefinition:
    if (workflow_id is None) == (rule_set_id is None):
        raise InvalidInput("give either workflow or rule_set", path="workflow")
    if workflow_id is not None:
        return deps.workflows.get(tenant_id, workflow_id)
    for workflow in deps.workflows.list(tenant_id):
        if workflow.rule_set_id == rule_set_id:
            return workflow
    raise NotFound(f"no workflow of the tenant uses the rule set {rule_set_id}", rule_set_id=rule_set_id)


def _engine_shape(workflow: WorkflowDefinition) -> list[tuple[str, Any, str]]:
    """The paths `rule_context` gives a case of the workflow whatever its data (built by the engine's own function,
    on an empty case of each entity type), with the entity model's and the context schema's fields."""
    at = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    found: list[tuple[str, Any, str]] = []
    checks = [str(p.get("name") or p.get("plugin")) for p in workflow.plugins]
    blank_result = {"status": "", "data": {}, "flags": [], "error": ""}
    catalog = VariableCatalog()
    for entity_type in workflow.entity_types:
        case = Case(
            id="shape",
            tenant_id="shape",
            workflow_id=workflow.id,
            state=CaseState.PROCESSING,
            entity=Entity.model_validate({"type": entity_type, "id": "-", entity_type: _EMPTY[entity_type]}),
            # One of each list the context builds from the case, for the fields of its items.
            documents=[Document(id="-", type="-", category="-")],
            created_at=at,
            updated_at=at,
        )
        owner = case.model_copy(
            update={
                "risk": RiskAssessment(recommendation="approve", evaluated_at=at),
                "decision": Decision(outcome="approved", reason="-", actor=SYSTEM, at=at),
            }
        )
        context = rule_context(case, {name: dict(blank_result) for name in checks}, [owner])
        context["entity"].pop("type", None)  # typed below from the model, with its values
        catalog.add_values(context)
    for variable in catalog.variables():
        if (
            variable.type == "object"
            and variable.path.startswith("checks.")
            and variable.path.endswith(".data")
        ):
            continue  # a check's data is walked on real cases
        found.append((variable.path, variable.type, ""))
    for name in checks:  # what a check's flags hold
        found += list(schema_leaves(Flag.model_json_schema(), f"checks.{name}.flags[]"))
    entity_schema = Entity.model_json_schema()
    for path, kind, text in schema_leaves(entity_schema, "entity"):
        parts = path.split(".")
        if (
            len(parts) > 1
            and parts[1] in ("individual", "business")
            and parts[1] not in workflow.entity_types
        ):
            continue
        found.append((path, kind, text))
    if workflow.context_schema:
        found += list(schema_leaves(workflow.context_schema, "context"))
    return found


def _recent_cases(deps: CaseDeps, tenant_id: str, workflow_id: str, samples: int) -> list[str]:
    """Ids of up to `samples` cases of the workflow (one Query on its index)."""
    if samples == 0:
        return []
    page = deps.cases.query(
        CaseQuery(tenant_id=tenant_id, workflow_id=workflow_id, newest_first=True, limit=samples)
    )
    return [case.id for case in page.items[:samples]]
