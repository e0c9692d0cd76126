"""Tenants' own workflows: save a definition as a draft version, publish it, roll back (the admin API).

A tenant's version of a built-in workflow (same id) is numbered after the built-in one and replaces it for the
cases that start once it is published; a workflow of its own (a new id) waits on one of the deployed Standard
machines (`WorkflowDefinition.machine`), so nothing is deployed. A case keeps the version it started on
(`Case.workflow_version`) to its end: publishing never changes a running case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from arbiter.domain.errors import InvalidInput, NotFound
from arbiter.domain.principal import Principal
from arbiter.domain.workflow import WorkflowContent, WorkflowDefinition, WorkflowSummary, WorkflowVersion
from arbiter.services.ports import RuleSetRepository, WorkflowCatalog, WorkflowVersions
from arbiter.workflows import builtin_workflows

__all__ = [
    "WorkflowAdmin",
    "get_version",
    "get_workflow",
    "list_workflows",
    "publish",
    "rollback",
    "save_draft",
]

#: What a stored version carries beside its content: accepted in a body (a version read back and saved again)
#: and ignored.
_VERSION_FIELDS = frozenset(WorkflowVersion.model_fields) - frozenset(WorkflowContent.model_fields)


@dataclass(frozen=True)
class WorkflowAdmin:
    """What managing workflows needs: their versions, the catalog cases read, and the rule sets they name."""

    versions: WorkflowVersions
    catalog: WorkflowCatalog
    rule_sets: RuleSetRepository


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_definition(body: Any) -> WorkflowContent:
    """The definition a body holds; InvalidInput naming the first field in error (`plugins[0].plugin`)."""
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a workflow definition (a JSON object)", path="$")
    content = {k: v for k, v in body.items() if k not in _VERSION_FIELDS}
    try:
        return WorkflowContent.model_validate(content)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".") or "$"
        raise InvalidInput(f"{path}: {first['msg']}", path=path) from exc


def _check(admin: WorkflowAdmin, tenant_id: str, content: WorkflowContent) -> None:
    """What the model alone cannot say: the checks' configurations, the rule set and owners' workflow named."""
    from arbiter.plugins import validate_configs
    from arbiter.plugins.builtin import builtin_registry

    builtin = builtin_workflows().get(content.id)
    if content.opened_by != "integrator" or (builtin is not None and builtin.opened_by != "integrator"):
        raise InvalidInput(
            f"workflow {content.id} is opened by Arbiter itself; a tenant's workflows are opened by integrators",
            path="opened_by" if content.opened_by != "integrator" else "id",
        )
    # The registry validates configurations only; nothing runs, so it needs neither egress nor an invoker.
    validate_configs(content.plugins, builtin_registry(egress=None, invoker=None))  # type: ignore[arg-type]
    if content.rule_set_id is not None:
        try:
            admin.rule_sets.versions(tenant_id, content.rule_set_id, limit=1)
        except NotFound:
            raise InvalidInput(
                f"rule_set_id: the tenant has no rule set {content.rule_set_id!r} (save it first)",
                path="rule_set_id",
            ) from None
    if content.owner_checks is not None:
        owners = content.owner_checks.workflow
        try:
            definition = admin.catalog.get(tenant_id, owners)
        except NotFound:
            raise InvalidInput(
                f"owner_checks.workflow: no workflow {owners!r}", path="owner_checks.workflow"
            ) from None
        if "individual" not in definition.entity_types:
            raise InvalidInput(
                f"owner_checks.workflow: {owners} does not take individuals", path="owner_checks.workflow"
            )


def save_draft(admin: WorkflowAdmin, principal: Principal, body: Any) -> WorkflowVersion:
    """Save a definition as the workflow's next draft version, after checking it (InvalidInput with the path)."""
    principal.require("admin", "saving workflows")
    content = parse_definition(body)
    _check(admin, principal.tenant_id, content)
    return _add(admin, principal, content)


def _add(admin: WorkflowAdmin, principal: Principal, content: WorkflowContent) -> WorkflowVersion:
    builtin = builtin_workflows().get(content.id)
    version: WorkflowVersion = admin.versions.add_version(
        principal.tenant_id,
        content,
        actor=principal.id,
        at=_now(),
        floor=builtin.version if builtin is not None else 0,
    )
    return version


def list_workflows(admin: WorkflowAdmin, principal: Principal) -> dict[str, Any]:
    """Every workflow the tenant has: the built-in ones and its own, each with the version new cases start on."""
    principal.require("admin", "reading workflows")
    own: dict[str, WorkflowSummary] = {}
    cursor: str | None = None
    while True:
        page = admin.versions.list(principal.tenant_id, cursor=cursor, limit=100)
        own.update({s.id: s for s in page.items})
        cursor = page.cursor
        if cursor is None:
            break
    # What new cases start on: a published own version, else the shipped one (the summaries read above say which,
    # so the catalog's own listing is not read again).
    current: dict[str, WorkflowDefinition] = dict(builtin_workflows())
    for published in own.values():
        if published.published_version is not None:
            current[published.id] = admin.catalog.get(
                principal.tenant_id, published.id, published.published_version
            )
    items = []
    for workflow_id in sorted(set(current) | set(own)):
        builtin = builtin_workflows().get(workflow_id)
        summary = own.get(workflow_id)
        definition = current.get(workflow_id)
        items.append(
            {
                "id": workflow_id,
                "name": definition.name if definition is not None else own[workflow_id].name,
                "builtin": builtin is not None,
                "opened_by": builtin.opened_by if builtin is not None else "integrator",
                "current_version": definition.version if definition is not None else None,
                "latest_version": summary.latest_version
                if summary is not None
                else current[workflow_id].version,
                "updated_at": summary.updated_at if summary is not None else None,
            }
        )
    return {"items": items}


def get_workflow(admin: WorkflowAdmin, principal: Principal, workflow_id: str) -> dict[str, Any]:
    """A workflow's versions, newest first (the built-in one last), and which one new cases start on."""
    principal.require("admin", "reading workflows")
    builtin = builtin_workflows().get(workflow_id)
    try:
        stored = admin.versions.versions(principal.tenant_id, workflow_id)
    except NotFound:
        if builtin is None:
            raise NotFound(f"no workflow {workflow_id}", workflow_id=workflow_id) from None
        stored = []
    versions = [v.version_summary() for v in stored]
    if builtin is not None:
        versions.append(
            {
                "id": builtin.id,
                "version": builtin.version,
                "name": builtin.name,
                "status": "builtin",
                "created_at": None,
                "created_by": None,
                "published_at": None,
            }
        )
    current = admin.catalog.get(principal.tenant_id, workflow_id) if stored or builtin else None
    return {
        "id": workflow_id,
        "name": versions[0]["name"],
        "builtin": builtin is not None,
        "current_version": current.version if current is not None else None,
        "latest_version": versions[0]["version"],
        "versions": versions,
    }


def get_version(
    admin: WorkflowAdmin, principal: Principal, workflow_id: str, version: int
) -> WorkflowDefinition:
    """One version: a stored one, or the built-in one."""
    principal.require("admin", "reading workflows")
    builtin = builtin_workflows().get(workflow_id)
    if builtin is not None and version == builtin.version:
        return builtin
    found: WorkflowVersion = admin.versions.get_version(principal.tenant_id, workflow_id, version)
    return found


def publish(admin: WorkflowAdmin, principal: Principal, workflow_id: str, version: int) -> WorkflowVersion:
    """Publish a draft: cases that start from now on run it; running cases keep theirs."""
    principal.require("admin", "publishing workflows")
    admin.versions.publish(principal.tenant_id, workflow_id, version, actor=principal.id, at=_now())
    published: WorkflowVersion = admin.versions.get_version(principal.tenant_id, workflow_id, version)
    return published


def rollback(
    admin: WorkflowAdmin, principal: Principal, workflow_id: str, to_version: int
) -> WorkflowVersion:
    """Make an earlier version current again: its content is saved as the next version and published (versions
    only move forward, so what ran when stays readable)."""
    principal.require("admin", "publishing workflows")
    earlier = get_version(admin, principal, workflow_id, to_version)
    content = WorkflowContent.model_validate(earlier.model_dump(include=set(WorkflowContent.model_fields)))
    _check(admin, principal.tenant_id, content)
    saved = _add(admin, principal, content)
    return publish(admin, principal, workflow_id, saved.version)
