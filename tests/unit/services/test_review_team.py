"""A team of reviewers: escalation (only the role it names decides), assignment to a colleague from the directory,
bulk assignment (all checked before any), review SLAs, and the events every action publishes."""

import datetime as dt

import pytest

from arbiter.domain.case import CaseState, Flag
from arbiter.domain.errors import Conflict, InvalidInput, NotAllowed
from arbiter.domain.escalation import EscalatedCaseRoleMissing
from arbiter.domain.reviewer import Reviewer
from arbiter.services import cases, review, review_team, workflow_steps
from arbiter.services.cases import DocumentInput
from arbiter.services.dashboard import review_dashboard
from arbiter.services.review import DecisionRequest, ReturnRequest
from arbiter.services.review_team import BulkAssignRequest, DeEscalateRequest, EscalateRequest
from tests.builders import individual, integrator, reviewer, tenant
from tests.unit.fakes import case_deps


class Directory:
    """The reviewer directory as a list (Cognito's in a function)."""

    def __init__(self, *people: Reviewer) -> None:
        self.people = list(people)

    def reviewers(self, tenant_id: str) -> list[Reviewer]:
        return list(self.people)

    def find(self, tenant_id: str, who: str) -> Reviewer | None:
        return next((r for r in self.people if who in (r.id, r.email)), None)


TEAM = Directory(
    Reviewer(id="alice", email="alice@example.com", roles=["reviewer"]),
    Reviewer(id="bob", email="bob@example.com", name="Bob", roles=["senior"]),
    Reviewer(id="carol", email="carol@example.com", roles=["reviewer"], enabled=False),
    Reviewer(id="dan", email="dan@example.com", roles=["viewer"]),
)


def case_in_review(deps, entity=None, **kwargs) -> str:
    case, _ = cases.start_case(
        deps, integrator(), tenant(), workflow="kyc", entity=entity or individual(), **kwargs
    )
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    return case.id


def escalated(deps, case_id: str, to: str = "senior") -> None:
    review_team.escalate(deps, reviewer(user="alice"), case_id, EscalateRequest(reason="PEP match", to=to))


def test_an_escalated_case_refuses_a_plain_reviewer_and_a_senior_decides_it():
    deps = case_deps()
    case_id = case_in_review(deps)
    escalated(deps, case_id)
    with pytest.raises(EscalatedCaseRoleMissing, match="needs the senior role") as refused:
        review.decide(deps, reviewer(user="alice"), case_id, DecisionRequest(decision="approve", reason="ok"))
    assert refused.value.context["required_role"] == "senior"
    assert isinstance(refused.value, NotAllowed)  # 403
    assert deps.cases.get("acme", case_id).state == CaseState.MANUAL_REVIEW
    decided = review.decide(
        deps, reviewer("senior", user="bob"), case_id, DecisionRequest(decision="reject", reason="PEP")
    )
    assert decided.state == CaseState.REJECTED


def test_an_admin_outranks_a_senior_but_a_case_escalated_to_admins_refuses_seniors():
    deps = case_deps()
    case_id = case_in_review(deps)
    escalated(deps, case_id, "admin")
    with pytest.raises(EscalatedCaseRoleMissing, match="admin"):
        review.decide(
            deps, reviewer("senior", user="bob"), case_id, DecisionRequest(decision="approve", reason="ok")
        )
    assert (
        review.decide(
            deps, reviewer("admin"), case_id, DecisionRequest(decision="approve", reason="ok")
        ).state
        == CaseState.APPROVED
    )


def test_the_second_review_of_an_escalated_case_needs_its_role_but_a_documents_own_decision_does_not():
    from arbiter.services import documents

    deps = case_deps()
    case_id = case_in_review(deps, documents=[DocumentInput(id="doc_passport", type="passport")])
    stored = deps.cases.get("acme", case_id)
    flagged = stored.add_flag(Flag(code="pep", message="a PEP match", severity="critical"), deps.now())
    deps.cases.save(stored, flagged, expected_version=stored.version)
    # The kyc policy makes an approval over a critical flag a proposal; then the case goes up to seniors.
    proposed = review.decide(
        deps, reviewer(user="carl"), case_id, DecisionRequest(decision="approve", reason="ok")
    )
    assert proposed.proposal is not None
    escalated(deps, case_id)
    with pytest.raises(EscalatedCaseRoleMissing):
        review.return_decision(deps, reviewer(user="alice"), case_id, ReturnRequest(reason="no"))
    with pytest.raises(EscalatedCaseRoleMissing):
        review.confirm_decision(deps, reviewer(user="alice"), case_id)
    # A document's own decision decides nothing about the case: any reviewer still makes it.
    case = documents.decide_document(deps, reviewer(user="alice"), case_id, "doc_passport", "approved", None)
    assert case.documents[0].decision.decision == "approved"
    confirmed = review.confirm_decision(deps, reviewer("senior", user="bob"), case_id)
    assert confirmed.state == CaseState.APPROVED


def test_a_plain_reviewers_decision_carrying_document_decisions_on_an_escalated_case_changes_nothing():
    deps = case_deps()
    case_id = case_in_review(deps, documents=[DocumentInput(id="doc_passport", type="passport")])
    escalated(deps, case_id)
    request = DecisionRequest(
        decision="revision",
        reason="blurred",
        documents=[{"document_id": "doc_passport", "decision": "revision", "reason": "blurred"}],
    )
    with pytest.raises(EscalatedCaseRoleMissing):
        review.decide(deps, reviewer(user="alice"), case_id, request)
    stored = deps.cases.get("acme", case_id)
    assert (stored.state, stored.documents[0].decision) == (CaseState.MANUAL_REVIEW, None)


def test_escalation_names_a_known_role_and_a_reason():
    deps = case_deps()
    case_id = case_in_review(deps)
    with pytest.raises(InvalidInput) as caught:
        review_team.escalate(deps, reviewer(), case_id, EscalateRequest(reason="why", to="boss"))
    assert caught.value.path == "to"
    with pytest.raises(ValueError, match="blank"):
        EscalateRequest(reason="   ", to="senior")
    with pytest.raises(NotAllowed):
        review_team.escalate(deps, reviewer("viewer"), case_id, EscalateRequest(reason="why"))
    escalated(deps, case_id)
    with pytest.raises(Conflict, match="already escalated to senior"):
        review_team.escalate(deps, reviewer("senior", user="bob"), case_id, EscalateRequest(reason="again"))


def test_only_the_role_it_names_hands_an_escalated_case_back_or_sends_it_elsewhere():
    deps = case_deps()
    case_id = case_in_review(deps)
    escalated(deps, case_id)
    with pytest.raises(EscalatedCaseRoleMissing):
        review_team.de_escalate(deps, reviewer(user="alice"), case_id, DeEscalateRequest(reason="mine"))
    with pytest.raises(EscalatedCaseRoleMissing):
        review_team.escalate(deps, reviewer(user="alice"), case_id, EscalateRequest(reason="up", to="admin"))
    case = review_team.de_escalate(
        deps, reviewer("senior", user="bob"), case_id, DeEscalateRequest(reason="not PEP")
    )
    assert case.escalation is None
    with pytest.raises(Conflict, match="not escalated"):
        review_team.de_escalate(
            deps, reviewer("senior", user="bob"), case_id, DeEscalateRequest(reason="again")
        )
    # Handed back, any reviewer decides again.
    decided = review.decide(
        deps, reviewer(user="alice"), case_id, DecisionRequest(decision="approve", reason="ok")
    )
    assert decided.state == CaseState.APPROVED
    actions = [e.action for e in deps.cases.detail("acme", case_id).audit]
    assert actions.count("case.escalated") == 1
    assert actions.count("case.de_escalated") == 1


def test_the_case_view_says_why_a_plain_reviewer_may_not_decide_an_escalated_case():
    deps = case_deps()
    case_id = case_in_review(deps)
    escalated(deps, case_id)
    detail = deps.cases.detail("acme", case_id)
    plain = review.available_actions(deps, detail, reviewer(user="alice"))
    assert plain["approve"] == {
        "allowed": False,
        "reason": "the case is escalated to senior: deciding it needs the senior role",
    }
    assert plain["de_escalate"]["allowed"] is False
    senior = review.available_actions(deps, detail, reviewer("senior", user="bob"))
    assert senior["approve"]["allowed"]
    assert senior["de_escalate"]["allowed"]


def test_a_reviewer_assigns_to_an_enabled_colleague_from_the_directory_by_id_or_email():
    deps = case_deps()
    case_id = case_in_review(deps)
    case = review_team.assign_case(deps, TEAM, reviewer(user="alice"), case_id, "bob@example.com")
    assert (case.assignee.id, case.assignee.email) == ("bob", "bob@example.com")
    for who, why in (("carol", "disabled"), ("dan", "viewer only"), ("zed", "no reviewer")):
        with pytest.raises(InvalidInput, match=why) as caught:
            review_team.assign_case(deps, TEAM, reviewer(user="alice"), case_id, who)
        assert caught.value.path == "assignee"
    assert deps.cases.get("acme", case_id).assignee.id == "bob"
    assert review_team.assign_case(deps, TEAM, reviewer(user="alice"), case_id, None).assignee is None


def test_bulk_assignment_checks_every_case_before_assigning_any():
    deps = case_deps()
    ids = [case_in_review(deps, entity=individual(f"e-{n}")) for n in range(3)]
    review.decide(deps, reviewer(), ids[2], DecisionRequest(decision="reject", reason="no"))
    with pytest.raises(InvalidInput, match="rejected") as caught:
        review_team.assign_cases(
            deps, TEAM, reviewer(user="alice"), BulkAssignRequest(case_ids=ids, to="bob")
        )
    assert caught.value.path == "case_ids[2]"
    with pytest.raises(InvalidInput, match="not found") as missing:
        review_team.assign_cases(
            deps, TEAM, reviewer(user="alice"), BulkAssignRequest(case_ids=[ids[0], "case_nope"], to="bob")
        )
    assert missing.value.path == "case_ids[1]"
    assert all(deps.cases.get("acme", cid).assignee is None for cid in ids)  # nothing half-done
    done = review_team.assign_cases(
        deps, TEAM, reviewer(user="alice"), BulkAssignRequest(case_ids=ids[:2], to="bob")
    )
    assert [c.assignee.id for c in done] == ["bob", "bob"]
    with pytest.raises(ValueError, match="at most 100"):
        BulkAssignRequest(case_ids=[f"c{n}" for n in range(101)], to="me")


def test_a_case_past_its_workflows_review_sla_is_overdue_and_counted_on_the_dashboard():
    deps = case_deps()
    case_id = case_in_review(deps)
    case = deps.cases.get("acme", case_id)
    sla = deps.workflows.get("acme", "kyc").review_sla_hours
    assert sla == 48
    due = review_team.review_deadlines(deps, [case])[case_id]
    assert due == case.review_since + dt.timedelta(hours=48)
    assert review_dashboard(deps, reviewer(), 7)["overdue"] == 0
    deps.clock = lambda: due + dt.timedelta(minutes=1)
    figures = review_dashboard(deps, reviewer(), 7)
    assert (figures["overdue"], figures["escalated"]) == (1, 0)
    review.decide(deps, reviewer(), case_id, DecisionRequest(decision="approve", reason="late"))
    assert review_team.review_deadlines(deps, [deps.cases.get("acme", case_id)]) == {}


def test_every_team_action_publishes_its_event_with_the_change():
    deps = case_deps()
    case_id = case_in_review(deps, documents=[DocumentInput(id="doc_passport", type="passport")])
    from arbiter.services import documents

    review_team.assign_case(deps, TEAM, reviewer(user="alice"), case_id, "me")
    review_team.assign_case(deps, TEAM, reviewer(user="alice"), case_id, None)
    escalated(deps, case_id)
    review_team.de_escalate(deps, reviewer("senior", user="bob"), case_id, DeEscalateRequest(reason="fine"))
    review.add_note(deps, reviewer(), case_id, "called them")
    documents.decide_document(deps, reviewer(), case_id, "doc_passport", "approved", None)
    types = [e.type for e in deps.cases.events]
    for wanted in (
        "case.assigned",
        "case.unassigned",
        "case.escalated",
        "case.de_escalated",
        "case.note_added",
        "document.decided",
    ):
        assert wanted in types, wanted
    escalation = next(e for e in deps.cases.events if e.type == "case.escalated")
    assert (escalation.to, escalation.reason, escalation.actor.id) == ("senior", "PEP match", "alice")


class Turns:
    """The round-robin counter as a dict, with the turn each event claimed (DynamoDB items in a function)."""

    def __init__(self) -> None:
        self.turns: dict[tuple[str, str], int] = {}
        self.claims: dict[tuple[str, str, str], int] = {}

    def next_turn(self, tenant_id: str, queue: str, claim: str) -> int:
        if (tenant_id, queue, claim) not in self.claims:
            self.turns[(tenant_id, queue)] = self.turns.get((tenant_id, queue), 0) + 1
            self.claims[(tenant_id, queue, claim)] = self.turns[(tenant_id, queue)]
        return self.claims[(tenant_id, queue, claim)]


def test_round_robin_gives_cases_entering_review_to_the_queues_enabled_holders_in_turn():
    deps = case_deps()
    deps.tenants.add(tenant(round_robin={"kyc": "reviewer"}))
    turns = Turns()
    ids = [case_in_review(deps, entity=individual(f"rr-{n}")) for n in range(4)]
    assigned = [
        review_team.assign_round_robin(deps, TEAM, turns, "acme", case_id, f"ev-{case_id}") for case_id in ids
    ]
    # alice is the only enabled holder of `reviewer` (carol is disabled, bob a senior, dan a viewer).
    assert [c.assignee.id for c in assigned] == ["alice"] * 4
    team = Directory(*TEAM.people, Reviewer(id="erin", email="erin@example.com", roles=["reviewer"]))
    more = [case_in_review(deps, entity=individual(f"rr2-{n}")) for n in range(3)]
    assert [
        review_team.assign_round_robin(deps, team, turns, "acme", c, f"ev-{c}").assignee.id for c in more
    ] == [
        "alice",  # turn 5 of two holders
        "erin",
        "alice",
    ]
    assert deps.cases.events[-1].type == "case.assigned"
    assert deps.cases.events[-1].actor.type == "system"
    # Assigned already (the event came twice), or a queue the tenant did not list: left alone.
    assert review_team.assign_round_robin(deps, team, turns, "acme", more[0], "ev-again") is None
    kyb, _ = cases.start_case(
        deps, integrator(), tenant(), workflow="manual-review", entity=individual("rr-x")
    )
    workflow_steps.await_review(deps, "acme", kyb.id, "t")
    assert review_team.assign_round_robin(deps, team, turns, "acme", kyb.id, "ev-kyb") is None
    assert deps.cases.get("acme", kyb.id).assignee is None


def test_an_api_key_cannot_decide_an_escalated_case_either():
    from arbiter.services.decisions import record_decision

    deps = case_deps()
    case_id = case_in_review(deps)
    escalated(deps, case_id)
    with pytest.raises(EscalatedCaseRoleMissing, match="senior"):
        record_decision(deps, integrator(), deps.cases.get("acme", case_id), "reject", "fraud")
    assert deps.cases.get("acme", case_id).state == CaseState.MANUAL_REVIEW
