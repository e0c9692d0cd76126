"""A tenant's own workflows: saved as draft versions, checked, published, rolled back; cases pinned to the version
they started on; a new workflow waits on a deployed Standard machine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from arbiter.adapters.workflow_files import TenantWorkflowCatalog
from arbiter.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from arbiter.rules.ruleset import RuleSetDraft
from arbiter.services import cases, workflows
from arbiter.services.workflows import WorkflowAdmin
from arbiter.workflows import builtin_workflows
from tests.builders import business, individual, integrator, reviewer, tenant
from tests.unit.fakes import FakeDependencies, InMemoryRuleSets, InMemoryWorkflowVersions, case_deps

ADMIN = reviewer("admin")
AT = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def kyc_body(**changes: Any) -> dict[str, Any]:
    return {**builtin_workflows()["kyc"].model_dump(mode="json"), **changes}


@pytest.fixture
def deps() -> FakeDependencies:
    deps = case_deps()
    deps.rule_sets = InMemoryRuleSets()
    for rule_set_id in ("kyc-default", "kyb-default"):
        deps.rule_sets.add_version("acme", RuleSetDraft(id=rule_set_id, name=rule_set_id), actor="a", at=AT)
    deps.workflows = TenantWorkflowCatalog(InMemoryWorkflowVersions())
    return deps


@pytest.fixture
def admin(deps: FakeDependencies) -> WorkflowAdmin:
    assert isinstance(deps.workflows, TenantWorkflowCatalog)
    return WorkflowAdmin(versions=deps.workflows._versions, catalog=deps.workflows, rule_sets=deps.rule_sets)  # type: ignore[arg-type]


def start(deps: FakeDependencies, workflow: str = "kyc", entity_id: str = "p-1"):
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow=workflow, entity=individual(entity_id))
    return case


def test_a_published_version_is_what_new_cases_start_on_and_a_running_case_keeps_its_own(deps, admin) -> None:
    before = start(deps, entity_id="p-1")
    draft = workflows.save_draft(admin, ADMIN, kyc_body(custom_events=["address_confirmed"]))
    assert (draft.version, draft.status) == (2, "draft")
    assert start(deps, entity_id="p-2").workflow_version == 1  # a draft changes nothing
    workflows.publish(admin, ADMIN, "kyc", 2)
    after = start(deps, entity_id="p-3")
    assert (before.workflow_version, after.workflow_version) == (1, 2)
    assert "address_confirmed" in cases.allowed_events(deps, after)
    assert "address_confirmed" not in cases.allowed_events(deps, deps.cases.get("acme", before.id))


def test_a_new_workflow_needs_no_machine_of_its_own(deps, admin) -> None:
    body = kyc_body(id="kyc-de", name="KYC Germany")
    workflows.publish(admin, ADMIN, "kyc-de", workflows.save_draft(admin, ADMIN, body).version)
    case = start(deps, workflow="kyc-de")
    assert (case.workflow_id, case.workflow_version, case.waits_on) == ("kyc-de", 1, "kyc")
    change = case.hand_over("review", lambda name: f"arn:aws:states:::execution:x-kyc:{name}")
    (handover,) = change.continuations
    assert handover.state_machine == "kyc"
    owners = kyc_body(id="kyb-lite", name="KYB lite", entity_types=["business"], owner_checks={})
    saved = workflows.save_draft(admin, ADMIN, owners)
    assert saved.machine == "kyb"  # it waits for owners' reviews: the KYB machine does
    workflows.publish(admin, ADMIN, "kyb-lite", saved.version)
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyb-lite", entity=business())
    assert case.waits_on == "kyb"


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"plugins": [{"plugin": "nosuchcheck"}]}, "plugins[0].plugin"),
        ({"plugins": [{"plugin": "sanctions", "config": {"threshold": 7}}]}, "plugins[0].config.threshold"),
        ({"rule_set_id": "not-saved"}, "rule_set_id"),
        ({"owner_checks": {"workflow": "kyc"}, "waits_on": "kyc"}, "waits_on"),
        ({"id": "kyb-x", "owner_checks": {"workflow": "nope"}}, "owner_checks.workflow"),
        ({"id": "kyb-x", "owner_checks": {"workflow": "kyb"}}, "owner_checks.workflow"),
        ({"id": "Not An Id"}, "id"),
        ({"entity_types": []}, "entity_types"),
        ({"opened_by": "system"}, "opened_by"),
        ({"id": "monitoring"}, "id"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
def test_a_bad_definition_is_refused_naming_the_field_and_nothing_is_saved(
    deps, admin, changes, path
) -> None:
    with pytest.raises(InvalidInput) as caught:
        workflows.save_draft(admin, ADMIN, kyc_body(**changes))
    assert caught.value.path == path, caught.value.message
    assert admin.versions.list("acme").items == []


def test_a_version_read_back_can_be_saved_again(deps, admin) -> None:
    saved = workflows.save_draft(admin, ADMIN, kyc_body(name="KYC v2"))
    again = workflows.save_draft(admin, ADMIN, saved.model_dump(mode="json"))
    assert (again.version, again.name) == (3, "KYC v2")


def test_rolling_back_publishes_the_earlier_content_as_the_next_version(deps, admin) -> None:
    workflows.publish(
        admin, ADMIN, "kyc", workflows.save_draft(admin, ADMIN, kyc_body(name="KYC v2")).version
    )
    rolled = workflows.rollback(admin, ADMIN, "kyc", 1)
    assert (rolled.version, rolled.status, rolled.name) == (3, "published", builtin_workflows()["kyc"].name)
    assert start(deps).workflow_version == 3
    detail = workflows.get_workflow(admin, ADMIN, "kyc")
    assert [v["version"] for v in detail["versions"]] == [3, 2, 1]
    assert detail["versions"][-1]["status"] == "builtin"
    assert detail["current_version"] == 3
    with pytest.raises(Conflict):
        workflows.publish(admin, ADMIN, "kyc", 2)  # behind the published one


def test_the_list_shows_builtin_and_own_workflows_with_what_new_cases_start_on(deps, admin) -> None:
    workflows.save_draft(admin, ADMIN, kyc_body(id="kyc-de", name="KYC Germany"))
    items = {i["id"]: i for i in workflows.list_workflows(admin, ADMIN)["items"]}
    assert items["kyc"]["current_version"] == 1
    assert items["kyc"]["builtin"]
    assert items["kyc-de"]["current_version"] is None
    assert items["kyc-de"]["latest_version"] == 1
    assert items["monitoring"]["opened_by"] == "system"
    with pytest.raises(NotFound):
        start(deps, workflow="kyc-de")  # nothing published yet: integrators cannot start it


def test_only_admins_manage_workflows_and_unknown_ones_are_not_found(deps, admin) -> None:
    with pytest.raises(NotAllowed):
        workflows.save_draft(admin, reviewer("reviewer"), kyc_body())
    with pytest.raises(NotAllowed):
        workflows.list_workflows(admin, reviewer("viewer"))
    with pytest.raises(NotFound):
        workflows.get_workflow(admin, ADMIN, "nope")
    with pytest.raises(NotFound):
        workflows.get_version(admin, ADMIN, "kyc", 2)
    with pytest.raises(NotFound):
        workflows.get_workflow(admin, reviewer("admin", tenant_id="other"), "kyc-de")
