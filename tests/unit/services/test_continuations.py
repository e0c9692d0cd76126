"""Workflow continuations: stored with the change that causes them, carried out from the outbox until the engine
takes them, with the effect of once; and the reconciler that finds cases no execution moves."""

import base64
import datetime as dt
import json
import zlib

from arbiter.adapters.dynamodb.packing import pack, unpack
from arbiter.domain.case import CaseState, Continuation
from arbiter.services import cases, review, workflow_steps
from arbiter.services.continuations import continue_from_outbox, outbox_continuations
from arbiter.services.outbox import outbox_events, publish_outbox
from arbiter.services.reconciliation import reconcile_processing
from arbiter.services.review import DecisionRequest
from tests.builders import business, individual, integrator, reviewer, tenant, ubo
from tests.support.automation import run_automation
from tests.unit.fakes import RecommendByName, automation_deps, case_deps

HOUR = dt.timedelta(hours=1)


def in_review(deps):
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual())
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    return case.id


def test_a_decision_whose_resume_fails_is_stored_answered_and_resumes_the_workflow_once_it_can():
    deps = case_deps()
    case_id = in_review(deps)
    deps.engine.fail_completions = 2  # Step Functions refuses the first two SendTaskSuccess calls
    decided = review.decide(deps, reviewer(), case_id, DecisionRequest(decision="approve", reason="fine"))
    assert decided.state == CaseState.APPROVED  # the reviewer gets the decision, not a 500
    assert deps.cases.get("acme", case_id).state == CaseState.APPROVED
    assert deps.engine.completed == []
    assert [(c.kind, c.token) for c in deps.undelivered] == [("resume", "review-token")]
    deps.redeliver()  # the stream's retry: still refused
    assert deps.engine.completed == []
    deps.redeliver()
    assert deps.engine.completed == [("review-token", {"decision": "approved"})]
    deps.redeliver()  # nothing left; a redelivered resume would find the token taken and change nothing
    assert len(deps.engine.completed) == 1


def test_the_last_owners_decision_releases_the_parent_once_even_when_the_engine_fails_first():
    deps = case_deps()
    parent, _ = cases.start_case(
        deps, integrator(), tenant(), workflow="kyb", entity=business(ubos=[ubo("Jane", "Roe", 60)])
    )
    automated = automation_deps(deps, RecommendByName(Roe="review"))
    assert run_automation(automated, "acme", parent.id) == "owners"
    owner = f"{parent.id}-o0"
    workflow_steps.await_review(deps, "acme", owner, "owner-token")  # the owner's Standard execution
    workflow_steps.await_owners(deps, "acme", parent.id, "parent-token")  # the parent's
    deps.engine.fail_completions = 2  # both the owner's resume and the parent's release fail at first
    review.decide(deps, reviewer(), owner, DecisionRequest(decision="approve", reason="fine"))
    stored_parent = deps.cases.get("acme", parent.id)
    assert "children" not in stored_parent.task_tokens  # the release left the parent with its continuation
    assert {c.token for c in deps.undelivered} == {"owner-token", "parent-token"}
    workflow_steps.notify_parent(
        deps, deps.cases.get("acme", owner)
    )  # a repeated notice releases nothing more
    deps.redeliver()
    released = [output for token, output in deps.engine.completed if token == "parent-token"]
    assert released == [{"decision": "pending", "children": [{"case_id": owner, "state": "approved"}]}]


def test_continuations_leave_the_outbox_in_order_and_the_failed_ones_are_reported_for_retry():
    deps = case_deps()
    first = Continuation(kind="start", tenant_id="acme", case_id="c-1", workflow_id="kyc")
    second = Continuation(kind="resume", tenant_id="acme", case_id="c-2", workflow_id="kyc", token="t-2")
    third = Continuation(kind="start", tenant_id="acme", case_id="c-3", workflow_id="kyc")
    records = [
        stream_record("1", "CONT#2026#a", first.model_dump_json()),
        stream_record("2", "EVENT#2026#b", "{}"),  # an event: not this consumer's
        stream_record("3", "CONT#2026#c", second.model_dump_json(), event_name="MODIFY"),  # only inserts
        stream_record("4", "CONT#2026#d", second.model_dump_json()),
        stream_record("5", "CONT#2026#e", third.model_dump_json()),
    ]
    assert [(seq, c.case_id) for seq, c in outbox_continuations(records, zlib.decompress)] == [
        ("1", "c-1"),
        ("4", "c-2"),
        ("5", "c-3"),
    ]
    deps.engine.fail_completions = 1
    # The resume fails: it and everything after it are retried; what came before is not redone.
    assert continue_from_outbox(deps, records, inflate=zlib.decompress) == ["4", "5"]
    assert [name for _, name, _ in deps.engine.started] == ["c-1"]
    assert continue_from_outbox(deps, records[3:], inflate=zlib.decompress) == []
    assert deps.engine.completed == [("t-2", {})]
    assert [name for _, name, _ in deps.engine.started] == ["c-1", "c-3"]


def test_continuations_an_audit_item_carries_are_carried_out_in_the_items_order():
    deps = case_deps()
    first = Continuation(kind="start", tenant_id="acme", case_id="c-1", workflow_id="kyc")
    second = Continuation(kind="start", tenant_id="acme", case_id="c-2", workflow_id="kyc")
    riding = stream_record("1", "AUDIT#2026#a", json.dumps({"action": "case.created"}))
    packed = pack(json.dumps([first.model_dump(mode="json"), second.model_dump(mode="json")]).encode())
    riding["dynamodb"]["NewImage"]["continuations"] = {"B": base64.b64encode(packed).decode()}
    plain = stream_record("2", "AUDIT#2026#b", json.dumps({"action": "note.added"}))  # nothing to carry out
    records = [riding, plain, stream_record("3", "CONT#2026#c", first.model_dump_json())]
    assert [(seq, c.case_id) for seq, c in outbox_continuations(records, unpack)] == [
        ("1", "c-1"),
        ("1", "c-2"),
        ("3", "c-1"),
    ]
    assert continue_from_outbox(deps, records[:2], inflate=unpack) == []
    assert [name for _, name, _ in deps.engine.started] == ["c-1", "c-2"]


def test_the_outbox_publishes_inserted_events_and_names_the_ones_to_retry():
    class Bus:
        def __init__(self):
            self.published = []

        def publish(self, envelopes, routed=()):
            self.published += envelopes
            return [e for e in envelopes if e["id"] == "e-2"]  # the bus refused this one

    records = [
        stream_record("1", "EVENT#2026#a", json.dumps({"id": "e-1", "type": "case.created"})),
        stream_record("2", "CONT#2026#b", "{}"),
        stream_record("3", "EVENT#2026#c", json.dumps({"id": "e-2", "type": "case.decided"})),
        stream_record("4", "EVENT#2026#d", json.dumps({"id": "e-3"}), event_name="REMOVE"),
    ]
    assert [e["id"] for _, e in outbox_events(records, zlib.decompress)] == ["e-1", "e-2"]
    bus = Bus()
    assert publish_outbox(bus, records, inflate=zlib.decompress) == ["3"]
    assert [e["id"] for e in bus.published] == ["e-1", "e-2"]


def test_the_outbox_publishes_the_events_audit_entries_carry_and_leaves_plain_audit_entries():
    def audit(sequence, sort_key, envelope=None):
        record = stream_record(sequence, sort_key, json.dumps({"action": "case.created"}))
        if envelope is not None:  # binary attributes reach Lambda in base64
            packed = zlib.compress(json.dumps(envelope).encode())
            record["dynamodb"]["NewImage"]["event"] = {"B": base64.b64encode(packed).decode()}
        return record

    records = [
        audit("1", "AUDIT#2026#a", {"id": "e-1", "type": "case.created"}),
        audit("2", "AUDIT#2026#b"),  # an audit entry with no event to publish
        stream_record("3", "EVENT#2026#c", json.dumps({"id": "e-2", "type": "case.decided"})),
    ]
    assert [(sequence, e["id"]) for sequence, e in outbox_events(records, zlib.decompress)] == [
        ("1", "e-1"),
        ("3", "e-2"),
    ]


def test_the_reconciler_runs_again_a_case_whose_automated_run_never_finished_and_fails_one_whose_execution_ended():
    deps = case_deps()
    deps.engine.fail_starts = True
    lost, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual())
    deps.undelivered.clear()  # beyond the stream's retries: the start continuation is gone
    deps.engine.fail_starts = False
    # Two parents handed to their Standard execution while an owner's case waits for a reviewer.
    waiting = automation_deps(deps, RecommendByName(Roe="review"))
    ended = cases.start_case(
        deps, integrator(), tenant(), workflow="kyb", entity=business("b-2", [ubo("Jane", "Roe", 60)])
    )[0]
    running = cases.start_case(
        deps, integrator(), tenant(), workflow="kyb", entity=business("b-3", [ubo("Jim", "Roe", 60)])
    )[0]
    for parent in (ended, running):
        assert run_automation(waiting, "acme", parent.id) == "owners"
    ended = deps.cases.get("acme", ended.id)
    deps.engine.executions[ended.execution_arn] = "failed"  # it ended without deciding

    too_soon = reconcile_processing(deps, ["acme"], after=HOUR)
    assert (too_soon.checked, too_soon.without_workflow) == (0, 0)  # nothing has waited an hour yet

    deps.clock = lambda: dt.datetime.now(dt.UTC) + 2 * HOUR
    report = reconcile_processing(deps, ["acme"], after=HOUR)
    assert (report.checked, report.running) == (3, 1)  # the owners' cases are in review, not processing
    assert report.restarted == [lost.id]
    assert report.failed == [ended.id]
    assert [name for _, name, _ in deps.engine.started if name.startswith(lost.id)] == [f"{lost.id}-a2"]
    restarted = deps.cases.get("acme", lost.id)
    assert (restarted.state, restarted.runs_started) == (CaseState.PROCESSING, 2)
    assert deps.cases.audit[("acme", lost.id)][-1].action == "workflow.restarted"
    failed = deps.cases.get("acme", ended.id)
    assert failed.state == CaseState.FAILED
    assert deps.cases.audit[("acme", ended.id)][-1].reason == "WorkflowEnded"
    assert deps.cases.get("acme", running.id).state == CaseState.PROCESSING

    # An automated run that never finishes is run again up to three runs in all, then the case fails.
    deps.clock = lambda: dt.datetime.now(dt.UTC) + 4 * HOUR
    assert reconcile_processing(deps, ["acme"], after=HOUR).restarted == [lost.id]
    deps.clock = lambda: dt.datetime.now(dt.UTC) + 6 * HOUR
    assert reconcile_processing(deps, ["acme"], after=HOUR).failed == [lost.id]
    assert deps.cases.get("acme", lost.id).state == CaseState.FAILED


def test_a_standard_execution_never_started_after_a_hand_over_is_started_under_its_name():
    deps = case_deps()
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual())
    deps.engine.fail_starts = True
    run_automation(automation_deps(deps, RecommendByName(Lovelace="review")), "acme", case.id)
    deps.undelivered.clear()
    deps.engine.fail_starts = False
    # The case is in manual review now, which the reconciler leaves alone; a parent waiting for owners is not.
    parent, _ = cases.start_case(
        deps, integrator(), tenant(), workflow="kyb", entity=business(ubos=[ubo("Jane", "Roe", 60)])
    )
    deps.engine.fail_starts = True
    run_automation(automation_deps(deps, RecommendByName(Roe="review")), "acme", parent.id)
    deps.undelivered.clear()
    deps.engine.fail_starts = False
    deps.clock = lambda: dt.datetime.now(dt.UTC) + 2 * HOUR
    report = reconcile_processing(deps, ["acme"], after=HOUR)
    assert report.restarted == [parent.id]
    assert deps.engine.started[-1] == (
        "kyb",
        f"{parent.id}-w1",
        {"case": {"tenant_id": "acme", "case_id": parent.id}, "wait": "owners"},
    )


def test_an_owners_case_automated_in_its_parents_run_follows_its_parent():
    deps = case_deps()
    parent, _ = cases.start_case(
        deps, integrator(), tenant(), workflow="kyb", entity=business(ubos=[ubo("Jane", "Roe", 60)])
    )
    workflow_steps.open_owner_cases(deps, deps.cases.get("acme", parent.id))  # the parent's run stopped here
    owner = f"{parent.id}-o0"
    deps.clock = lambda: dt.datetime.now(dt.UTC) + 2 * HOUR
    report = reconcile_processing(deps, ["acme"], after=HOUR)
    assert report.restarted == [parent.id]  # the parent runs again, and finishes its owner's case
    assert report.running == 1
    assert report.failed == []
    stored = deps.cases.get("acme", parent.id)
    deps.cases.save(stored, stored.fail("Boom", "gone"), expected_version=stored.version)
    report = reconcile_processing(deps, ["acme"], after=HOUR)
    assert report.failed == [owner]
    assert report.restarted == []  # an owner's case never gets a run of its own from here


def stream_record(sequence, sort_key, data, *, event_name="INSERT"):
    """A DynamoDB stream record as Lambda receives it."""
    return {
        "eventName": event_name,
        "dynamodb": {
            "SequenceNumber": sequence,
            "Keys": {"pk": {"S": "T#acme#CASE#c"}, "sk": {"S": sort_key}},
            "NewImage": {"sk": {"S": sort_key}, "data": {"S": data}},
        },
    }


def test_a_run_started_twice_decides_once_and_resumes_nothing():
    deps = case_deps()
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual())
    automated = automation_deps(deps)
    assert run_automation(automated, "acme", case.id) == "approved"
    # The start continuation was carried out twice (an Express start is not idempotent): the second run ends.
    assert run_automation(automated, "acme", case.id) == "settled"
    assert deps.engine.completed == []
    assert [e.type for e in deps.cases.events].count("case.decided") == 1
