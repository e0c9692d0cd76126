"""Ongoing screening on fakes: an approval puts the entity in the monitored index; a list update matches only its new
and changed entries against the monitored customers and opens one monitoring case per hit nobody cleared, in
manual review with the match explained; a near miss, a cleared entry, monitoring switched off and another tenant's
customer raise nothing; the same version twice, or the same hit on the next version, opens no second case."""

from __future__ import annotations

import pytest

from arbiter.domain.case import CaseState
from arbiter.domain.errors import InvalidInput, NotAllowed, NotFound
from arbiter.domain.monitored import MONITORING_WORKFLOW
from arbiter.services import cases, ongoing_screening, review, workflow_steps
from arbiter.services.ports import CaseQuery
from arbiter.services.review import DecisionRequest
from tests.builders import business, clearance, clearance_audit, individual, integrator, reviewer, tenant, ubo
from tests.unit.monitoring_fakes import monitoring_deps
from tests.unit.screening.generated_lists import write_targets_csv

DEFAULT_LIST = "watchlists/default/targets.simple.csv"


def own_list(tenant_id: str) -> str:
    return f"watchlists/tenants/{tenant_id}/targets.simple.csv"


def row(
    entry_id: str, name: str, born: str = "", topics: str = "sanction", countries: str = "gb"
) -> list[str]:
    return [entry_id, "Person", name, "", born, countries, "", "", "", "", "", "", "test", "", "", "", topics]


BASE = [row("P-ORLOV", "Viktor Sergeyevich Orlov", "1962-04-17", countries="ru")]
LOVELACE = row("P-ADA", "Ada Lovelace", "1985-12-10")  # born as tests.builders.person is


def approved(deps, entity, tenant_id: str = "acme") -> str:
    """A case of `entity` approved by a reviewer; its id."""
    workflow = "kyb" if entity.type == "business" else "kyc"
    case, _ = cases.start_case(
        deps, integrator(tenant_id), tenant(tenant_id), workflow=workflow, entity=entity
    )
    workflow_steps.await_review(deps, tenant_id, case.id, "review-token")
    who = reviewer(tenant_id=tenant_id)
    review.decide(deps, who, case.id, DecisionRequest(decision="approve", reason="documents match"))
    return case.id


def upload(deps, key: str, rows: list[list[str]]):
    deps.watchlists.put(key, write_targets_csv(rows))
    return ongoing_screening.screen_list_update(deps, key)


def monitoring_cases(deps, tenant_id: str = "acme"):
    return [
        c for (t, _), c in deps.cases.cases.items() if t == tenant_id and c.workflow_id == MONITORING_WORKFLOW
    ]


@pytest.fixture
def deps():
    deps = monitoring_deps()
    for tenant_id in ("acme", "globex"):
        deps.tenants.add(tenant(tenant_id))
    return deps


def test_an_approved_entity_is_monitored_with_only_what_screening_reads(deps):
    case_id = approved(deps, individual("e-1", email="ada@example.com", phone="+441234567890"))
    record = deps.monitored.get("acme", "e-1")
    assert record.enabled
    assert record.case_id == case_id
    assert record.workflow_id == "kyc"
    assert record.subject.individual.display_name() == "Ada Lovelace"
    assert record.subject.individual.email is None
    assert record.subject.individual.phone is None
    assert ongoing_screening.monitoring(deps, reviewer("viewer"), case_id).key == "e-1"


def test_a_new_entry_naming_a_customer_opens_one_monitoring_case_in_review_with_the_match_explained(deps):
    assert (
        upload(deps, DEFAULT_LIST, BASE).new == 1
    )  # the first version seen: matched in full, nobody monitored
    onboarding = approved(deps, individual("e-1"))

    outcome = upload(deps, DEFAULT_LIST, [*BASE, LOVELACE])

    assert (outcome.new, outcome.changed, outcome.hits) == (1, 0, 1)
    [case] = monitoring_cases(deps)
    assert outcome.opened == [case.id]
    assert case.state == CaseState.MANUAL_REVIEW
    assert case.execution_arn is None
    assert case.onboarding_case_id == onboarding
    assert case.entity.id == "e-1"
    [flag] = case.flags
    assert flag.code == "sanctions_match"
    assert flag.severity == "critical"
    assert "Ada Lovelace (individual) may be Ada Lovelace [P-ADA]" in flag.message
    result = deps.cases.detail("acme", case.id).checks["sanctions"]
    [party] = result["data"]["parties"]
    assert party["party_key"] == "e-1"
    [match] = party["matches"]
    assert match["entry"]["id"] == "P-ADA"
    assert match["explanation"]["listed_name"] == "Ada Lovelace"
    assert result["data"]["list"]["delta"] == {"new": 1, "changed": 0}
    # In the review queue, and announced.
    queue = deps.cases.query(CaseQuery(tenant_id="acme", states=(CaseState.MANUAL_REVIEW,)))
    assert [c.id for c in queue.items] == [case.id]
    [hit] = [e for e in deps.cases.events if e.type == "entity.monitoring_hit"]
    assert (hit.case_id, hit.onboarding_case_id, hit.entry_id, hit.entry_change) == (
        case.id,
        onboarding,
        "P-ADA",
        "new",
    )
    assert hit.code == "sanctions_match"
    assert hit.list.key == DEFAULT_LIST
    assert hit.list.changed_entries == 1
    # The reviewer decides it as any case: an uncleared hit cannot be approved, so it is cleared or rejected.
    decided = review.decide(deps, reviewer(), case.id, DecisionRequest(decision="reject", reason="it is her"))
    assert decided.state == CaseState.REJECTED
    assert (
        deps.monitored.get("acme", "e-1").case_id == onboarding
    )  # a monitoring case is not monitored itself


def test_a_changed_entry_is_matched_again_and_an_unchanged_one_is_not(deps):
    approved(deps, individual("e-1"))
    upload(deps, DEFAULT_LIST, [*BASE, row("P-ADA", "Ada Lovelace", "1950-01-01")])  # another Ada: no hit
    assert monitoring_cases(deps) == []

    outcome = upload(deps, DEFAULT_LIST, [*BASE, LOVELACE])  # the entry's birth date corrected
    assert (outcome.new, outcome.changed, outcome.hits) == (0, 1, 1)
    [hit] = [e for e in deps.cases.events if e.type == "entity.monitoring_hit"]
    assert hit.entry_change == "changed"


def test_a_near_miss_raises_nothing(deps):
    approved(deps, individual("e-1"))
    upload(deps, DEFAULT_LIST, BASE)
    # The same name, born decades apart: under the threshold, as the sanctions check would find it.
    outcome = upload(deps, DEFAULT_LIST, [*BASE, row("P-ADA", "Ada Lovelace", "1940-01-01")])
    assert outcome.new == 1
    assert outcome.hits == 0
    assert monitoring_cases(deps) == []


def test_an_entry_cleared_for_the_customer_raises_nothing(deps):
    onboarding = approved(deps, individual("e-1"))
    deps.clearances.add(clearance(onboarding, party_key="e-1", entry_id="P-ADA"), clearance_audit())
    upload(deps, DEFAULT_LIST, BASE)
    outcome = upload(deps, DEFAULT_LIST, [*BASE, LOVELACE])
    assert (outcome.hits, outcome.cleared, outcome.opened) == (1, 1, [])
    assert monitoring_cases(deps) == []


def test_an_entity_with_monitoring_switched_off_is_skipped_and_the_switch_is_audited(deps):
    onboarding = approved(deps, individual("e-1"))
    with pytest.raises(NotAllowed):
        ongoing_screening.set_monitoring(
            deps, reviewer("reviewer"), onboarding, enabled=False, reason="offboarded"
        )
    off = ongoing_screening.set_monitoring(
        deps, reviewer("admin"), onboarding, enabled=False, reason="offboarded"
    )
    assert not off.enabled
    assert not deps.monitored.get("acme", "e-1").enabled
    [entry] = [e for e in deps.cases.audit[("acme", onboarding)] if e.action == "monitoring.disabled"]
    assert entry.reason == "offboarded"
    assert entry.actor.id == "admin-1"

    upload(deps, DEFAULT_LIST, BASE)
    assert upload(deps, DEFAULT_LIST, [*BASE, LOVELACE]).hits == 0
    assert monitoring_cases(deps) == []
    # Approving the entity again does not switch it back on: a reviewer's "off" stays off.
    approved(deps, individual("e-1"))
    assert not deps.monitored.get("acme", "e-1").enabled


def test_another_tenants_customer_is_untouched_by_a_tenants_own_list(deps):
    approved(deps, individual("e-1"), tenant_id="acme")
    approved(deps, individual("e-1"), tenant_id="globex")
    upload(deps, own_list("acme"), BASE)
    outcome = upload(deps, own_list("acme"), [*BASE, LOVELACE])
    assert outcome.tenants == 1
    assert len(outcome.opened) == 1
    assert len(monitoring_cases(deps, "acme")) == 1
    assert monitoring_cases(deps, "globex") == []


def test_the_default_list_skips_a_tenant_that_has_its_own(deps):
    approved(deps, individual("e-1"), tenant_id="acme")
    approved(deps, individual("e-1"), tenant_id="globex")
    deps.watchlists.put(own_list("globex"), write_targets_csv(BASE))
    upload(deps, DEFAULT_LIST, BASE)
    outcome = upload(deps, DEFAULT_LIST, [*BASE, LOVELACE])
    assert outcome.tenants == 1
    assert len(monitoring_cases(deps, "acme")) == 1
    assert monitoring_cases(deps, "globex") == []


def test_the_same_version_twice_and_the_same_hit_on_the_next_version_open_one_case(deps):
    approved(deps, individual("e-1"))
    upload(deps, DEFAULT_LIST, BASE)
    first = upload(deps, DEFAULT_LIST, [*BASE, LOVELACE])
    again = ongoing_screening.screen_list_update(deps, DEFAULT_LIST)  # the notification delivered twice
    assert len(first.opened) == 1
    assert not again.screened
    assert again.reason == "this version was matched already"

    # A run that stopped before keeping the fingerprints is matched again in full: its case is not opened twice.
    del deps.fingerprints.stored[DEFAULT_LIST]
    rerun = ongoing_screening.screen_list_update(deps, DEFAULT_LIST)
    assert rerun.hits == 1
    assert rerun.opened == []

    # The next version changes the entry (an alias): the same customer and entry are the same hit.
    changed = upload(deps, DEFAULT_LIST, [*BASE, [*LOVELACE[:3], "Augusta Ada King", *LOVELACE[4:]]])
    assert changed.changed == 1
    assert changed.hits == 1
    assert changed.opened == []
    assert len(monitoring_cases(deps)) == 1
    assert len([e for e in deps.cases.events if e.type == "entity.monitoring_hit"]) == 1


def test_a_business_owner_named_by_the_list_is_one_hit_on_the_owners_own_case(deps):
    owner = ubo("Ada", "Lovelace", 60, id="p-1", date_of_birth="1985-12-10")
    approved(deps, business("biz-1", ubos=[owner]))  # the KYB case lists the owner
    own_case = approved(deps, individual("biz-1/owner/p-1"))  # and the owner's own KYC case
    upload(deps, DEFAULT_LIST, BASE)
    outcome = upload(deps, DEFAULT_LIST, [*BASE, LOVELACE])
    assert outcome.hits == 1
    [case] = monitoring_cases(deps)
    assert case.onboarding_case_id == own_case


def test_an_object_no_workflow_reads_is_left_alone(deps):
    deps.watchlists.put("watchlists/default/alt.csv", b"1,2,3")
    outcome = ongoing_screening.screen_list_update(deps, "watchlists/default/alt.csv")
    assert not outcome.screened
    assert deps.watchlists.loads == 0


def test_an_integrator_cannot_start_a_monitoring_case_nor_sees_it_among_the_workflows(deps):
    assert [w.id for w in cases.startable_workflows(deps, "acme")] == [
        "kyb",
        "kyc",
        "manual-review",
        "merchant-underwriting",
    ]
    with pytest.raises(InvalidInput, match="opened by Arbiter itself") as caught:
        cases.start_case(deps, integrator(), tenant(), workflow=MONITORING_WORKFLOW, entity=individual("e-1"))
    assert caught.value.context["path"] == "workflow"


def test_an_entity_never_approved_is_not_monitored(deps):
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual("e-2"))
    with pytest.raises(NotFound, match="not monitored"):
        ongoing_screening.monitoring(deps, reviewer("viewer"), case.id)


def test_a_customer_whose_name_has_nothing_to_screen_does_not_hold_up_the_others(deps):
    approved(deps, individual("e-0", first="?", last="!"))
    approved(deps, individual("e-1"))
    upload(deps, DEFAULT_LIST, BASE)
    outcome = upload(deps, DEFAULT_LIST, [*BASE, LOVELACE])
    assert outcome.hits == 1
    assert [c.entity.id for c in monitoring_cases(deps)] == ["e-1"]
