"""Versions of a tenant's own workflows in DynamoDB (`arbiter.adapters.dynamodb.versions` keeps them)."""

from __future__ import annotations

from arbiter.adapters.dynamodb.versions import DynamoVersionedStore
from arbiter.domain.workflow import WorkflowContent, WorkflowSummary, WorkflowVersion

__all__ = ["DynamoWorkflowVersions"]


class DynamoWorkflowVersions(DynamoVersionedStore[WorkflowContent, WorkflowVersion, WorkflowSummary]):
    """Implements `arbiter.services.ports.WorkflowVersions`."""

    KIND = "WORKFLOW"
    VERSION = WorkflowVersion
    SUMMARY = WorkflowSummary
    WHAT = "workflow"
    TOO_LARGE_PATH = "plugins"
    ID_ATTRIBUTE = "workflow_id"
