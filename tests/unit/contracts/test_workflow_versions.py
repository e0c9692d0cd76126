"""The workflow version store's contract (`arbiter.services.ports.WorkflowVersions`): the fake and DynamoDB agree.
The store is the rule sets' one (test_rule_set_repository.py covers races and pages); these are what workflows
add: numbering above the built-in version, and definitions read back whole."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.domain.errors import Conflict, InvalidInput, NotFound
from arbiter.domain.workflow import WorkflowContent
from arbiter.services.ports import WorkflowVersions
from arbiter.workflows import builtin_workflows
from tests.unit.contracts.backends import Backend

AT = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def kyc_content(**changes: object) -> WorkflowContent:
    builtin = builtin_workflows()["kyc"]
    return WorkflowContent.model_validate(
        {**builtin.model_dump(include=set(WorkflowContent.model_fields)), **changes}
    )


def test_a_tenants_version_of_a_builtin_workflow_is_numbered_after_it(
    workflow_versions: WorkflowVersions, backend: Backend
) -> None:
    t = backend.tenant_id
    first = workflow_versions.add_version(t, kyc_content(name="KYC v2"), actor="admin-1", at=AT, floor=1)
    second = workflow_versions.add_version(
        t, kyc_content(custom_events=["address_confirmed"]), actor=None, at=AT, floor=1
    )
    assert (first.version, second.version) == (2, 3)
    read = workflow_versions.get_version(t, "kyc", 3)
    assert [e.name for e in read.definition().custom_events] == ["address_confirmed"]
    assert read.definition().collection == builtin_workflows()["kyc"].collection  # the journey, whole
    with pytest.raises(NotFound):
        workflow_versions.get_version(t, "kyc", 1)  # the built-in one is not stored
    with pytest.raises(NotFound):
        workflow_versions.get_version(backend.other_tenant(), "kyc", 2)


def test_publishing_moves_forward_only_and_lists_what_new_cases_start_on(
    workflow_versions: WorkflowVersions, backend: Backend
) -> None:
    t = backend.tenant_id
    own = kyc_content(id="kyc-de", name="KYC Germany")
    for minute in range(3):
        workflow_versions.add_version(t, own, actor="a", at=AT + dt.timedelta(minutes=minute))
    workflow_versions.publish(t, "kyc-de", 2, actor="a", at=AT)
    with pytest.raises(Conflict):
        workflow_versions.publish(t, "kyc-de", 1, actor="a", at=AT)
    assert workflow_versions.published_version(t, "kyc-de") == 2
    (summary,) = workflow_versions.list(t).items
    assert (summary.id, summary.name, summary.latest_version, summary.published_version) == (
        "kyc-de",
        "KYC Germany",
        3,
        2,
    )
    assert workflow_versions.list(backend.other_tenant()).items == []


def test_a_definition_too_large_to_store_is_refused_and_nothing_is_kept(
    workflow_versions: WorkflowVersions, backend: Backend
) -> None:
    huge = kyc_content(id="huge", description="x" * 400_000)
    with pytest.raises(InvalidInput) as caught:
        workflow_versions.add_version(backend.tenant_id, huge, actor="a", at=AT)
    assert "too large" in caught.value.message
    assert workflow_versions.list(backend.tenant_id).items == []
