"""The workflow catalog: the definitions shipped with the code (`arbiter/workflows/*.json`), and each tenant's own
published versions over them."""

from __future__ import annotations

from arbiter.domain.errors import NotFound
from arbiter.domain.workflow import WorkflowDefinition
from arbiter.services.ports import WorkflowVersions
from arbiter.workflows import builtin_workflows

__all__ = ["BuiltinWorkflowCatalog", "TenantWorkflowCatalog"]


class BuiltinWorkflowCatalog:
    """Implements `arbiter.services.ports.WorkflowCatalog`; every tenant sees the same definitions."""

    def get(self, tenant_id: str, workflow_id: str, version: int | None = None) -> WorkflowDefinition:
        """The definition, or NotFound naming the workflows that exist."""
        builtin = builtin_workflows().get(workflow_id)
        if builtin is None:
            raise self._unknown(tenant_id, workflow_id)
        if version is not None and version != builtin.version:
            raise NotFound(f"workflow {workflow_id} has no version {version}", workflow_id=workflow_id)
        return builtin

    def list(self, tenant_id: str) -> list[WorkflowDefinition]:
        """Every definition, sorted by id."""
        return [builtin_workflows()[k] for k in sorted(builtin_workflows())]

    def _unknown(self, tenant_id: str, workflow_id: str) -> NotFound:
        startable = sorted(w.id for w in self.list(tenant_id) if w.opened_by == "integrator")
        return NotFound(
            f"unknown workflow {workflow_id!r}; available: {', '.join(startable)}", workflow_id=workflow_id
        )


class TenantWorkflowCatalog(BuiltinWorkflowCatalog):
    """The built-in definitions, each replaced by the tenant's own published version where it has one, plus the
    tenant's own workflows. A version never changes once saved, so each one read is kept for the process's life."""

    def __init__(self, versions: WorkflowVersions) -> None:
        self._versions = versions
        self._read: dict[tuple[str, str, int], WorkflowDefinition] = {}

    def get(self, tenant_id: str, workflow_id: str, version: int | None = None) -> WorkflowDefinition:
        """The version `version`, or (None) the one new cases start on: the tenant's published one, else the
        built-in; NotFound naming the workflows that exist."""
        builtin = builtin_workflows().get(workflow_id)
        if version is None:
            version = self._versions.published_version(tenant_id, workflow_id) if tenant_id else None
            if version is None:
                if builtin is None:
                    raise self._unknown(tenant_id, workflow_id)
                return builtin
        if builtin is not None and version == builtin.version:
            return builtin
        key = (tenant_id, workflow_id, version)
        if key not in self._read:
            try:
                self._read[key] = self._versions.get_version(tenant_id, workflow_id, version).definition()
            except NotFound:
                if builtin is None and version == 1:
                    raise self._unknown(tenant_id, workflow_id) from None
                raise
        return self._read[key]

    def list(self, tenant_id: str) -> list[WorkflowDefinition]:
        """The definitions new cases start on, sorted by id."""
        found = dict(builtin_workflows())
        cursor: str | None = None
        while tenant_id:
            page = self._versions.list(tenant_id, cursor=cursor, limit=100)
            for summary in page.items:
                if summary.published_version is not None:
                    found[summary.id] = self.get(tenant_id, summary.id, summary.published_version)
            cursor = page.cursor
            if cursor is None:
                break
        return [found[k] for k in sorted(found)]
