"""The workflow catalog backed by the definitions shipped with the code (`arbiter/workflows/*.json`)."""

from __future__ import annotations

from arbiter.domain.errors import NotFound
from arbiter.domain.workflow import WorkflowDefinition
from arbiter.workflows import builtin_workflows

__all__ = ["BuiltinWorkflowCatalog"]


class BuiltinWorkflowCatalog:
    """Implements `arbiter.services.ports.WorkflowCatalog`; every tenant sees the same definitions."""

    def get(self, tenant_id: str, workflow_id: str) -> WorkflowDefinition:
        """The definition, or NotFound naming the workflows that exist."""
        workflows = builtin_workflows()
        if workflow_id not in workflows:
            startable = sorted(k for k, w in workflows.items() if w.opened_by == "integrator")
            raise NotFound(
                f"unknown workflow {workflow_id!r}; available: {', '.join(startable)}",
                workflow_id=workflow_id,
            )
        return workflows[workflow_id]

    def list(self, tenant_id: str) -> list[WorkflowDefinition]:
        """Every definition, sorted by id."""
        return [builtin_workflows()[k] for k in sorted(builtin_workflows())]
