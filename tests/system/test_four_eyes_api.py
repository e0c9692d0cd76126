"""Four eyes on the local stack: the shipped KYC policy makes an approval of a case carrying a critical watchlist
flag a proposal; another reviewer confirms it (the real execution ends once) or sends it back; the proposer, a
viewer and whoever sends it back without a reason are refused; the audit chain still verifies."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from tests.support.reviewers import sign_in
from tests.waiting import wait_for

CLEAR = {"subject": "individual", "entry_id": "L-ORLOV", "reason": "Another Viktor Orlov: passport seen"}


def second_reviewer(tenant) -> httpx.Client:
    """Another user with the reviewer role in the tenant (`tenant.reviewer` signs in one per role)."""
    token = sign_in(tenant.stack, tenant.id, "reviewer")
    return httpx.Client(
        base_url=tenant.stack.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def execution_status(tenant, stack, case_id: str) -> str:
    execution = tenant.stored_case(case_id).execution_arn
    return str(stack.client("stepfunctions").describe_execution(executionArn=execution)["status"])


def decide(
    client: httpx.Client, case_id: str, decision: str, reason: str = "passport seen"
) -> httpx.Response:
    return client.post(f"/v1/review/cases/{case_id}/decision", json={"decision": decision, "reason": reason})


def test_one_reviewer_proposes_the_same_cannot_confirm_another_confirms_and_the_execution_ends_once(
    tenant, stack, listed_case, bus_events
):
    case_id, alice, bob = listed_case, tenant.reviewer("reviewer"), second_reviewer(tenant)
    # The uncleared hit: no approval at all, not even as a proposal.
    blocked = decide(alice, case_id, "approve")
    assert blocked.status_code == 409, blocked.text
    assert "uncleared screening hit" in blocked.json()["message"]
    assert alice.post(f"/v1/review/cases/{case_id}/screening/clearances", json=CLEAR).status_code == 200

    actions = alice.get(f"/v1/review/cases/{case_id}").json()["actions"]
    assert actions["approve"]["second_review"] == "approving over a critical flag needs a second reviewer"
    proposed = decide(alice, case_id, "approve", "the listed Orlov is another man")
    assert proposed.status_code == 200, proposed.text
    body = proposed.json()
    assert (body["state"], body["pending_second_review"]) == ("manual_review", True)
    assert body["proposal"]["decision"] == "approve"
    assert body["proposal"]["reason"] == "the listed Orlov is another man"
    assert body["proposal"]["requires"] == ["critical_flags"]
    assert execution_status(tenant, stack, case_id) == "RUNNING"  # nothing continued the workflow

    pending = alice.get("/v1/review/cases", params={"pending_second_review": "true"}).json()["items"]
    assert [c["id"] for c in pending] == [case_id]
    assert alice.get("/v1/review/counts").json()["pending_second_review"] == 1

    own = alice.post(f"/v1/review/cases/{case_id}/decision/confirm")
    assert own.status_code == 403, own.text
    assert "you proposed this decision" in own.json()["message"]
    viewer = tenant.reviewer("viewer").post(f"/v1/review/cases/{case_id}/decision/confirm")
    assert viewer.status_code == 403
    mine = alice.get(f"/v1/review/cases/{case_id}").json()["actions"]
    assert mine["confirm"]["allowed"] is False
    assert bob.get(f"/v1/review/cases/{case_id}").json()["actions"]["confirm"]["allowed"] is True

    confirmed = bob.post(f"/v1/review/cases/{case_id}/decision/confirm")
    assert confirmed.status_code == 200, confirmed.text
    case = confirmed.json()
    assert (case["state"], case["pending_second_review"], case["proposal"]) == ("approved", False, None)
    assert case["decision"]["confirmed_by"]["id"] != case["decision"]["actor"]["id"]
    wait_for(lambda: execution_status(tenant, stack, case_id) == "SUCCEEDED", what="the execution's end")
    again = tenant.reviewer("admin").post(f"/v1/review/cases/{case_id}/decision/confirm")
    assert again.status_code == 409, again.text

    types = wait_for(
        lambda: (t := [e["detail-type"] for e in bus_events.for_case(case_id)]) and "case.decided" in t and t,
        what="the decision's events",
    )
    assert types.count("case.decided") == 1
    assert types.count("case.decision_proposed") == 1
    assert types.count("case.decision_confirmed") == 1
    audit = [e["action"] for e in alice.get(f"/v1/review/cases/{case_id}").json()["audit"]]
    assert audit.count("case.decided") == 1
    assert {"decision.proposed", "decision.confirmed"} <= set(audit)
    verified = alice.get(f"/v1/review/cases/{case_id}/audit/verify").json()
    assert verified["valid"] is True, verified


def test_a_proposal_sent_back_needs_a_reason_and_the_case_is_reviewed_again(
    tenant, stack, listed_case, bus_events
):
    case_id, alice, bob = listed_case, tenant.reviewer("reviewer"), second_reviewer(tenant)
    assert alice.post(f"/v1/review/cases/{case_id}/screening/clearances", json=CLEAR).status_code == 200
    blank = decide(alice, case_id, "approve", reason="")
    assert blank.status_code == 422, blank.text
    assert "reason" in blank.text
    assert decide(alice, case_id, "approve").status_code == 200

    url = f"/v1/review/cases/{case_id}/decision/return"
    for body in ({}, {"reason": "  "}):
        refused = bob.post(url, json=body)
        assert refused.status_code == 422, refused.text
        assert "reason" in refused.text
    assert alice.post(url, json={"reason": "my own"}).status_code == 403
    assert tenant.api().get(f"/v1/cases/{case_id}").json()["state"] == "manual_review"
    stored: Any = tenant.stored_case(case_id)
    assert stored.proposal is not None  # nothing refused changed it

    returned = bob.post(url, json={"reason": "the date of birth matches the listing"})
    assert returned.status_code == 200, returned.text
    assert (returned.json()["state"], returned.json()["proposal"]) == ("manual_review", None)
    assert alice.get("/v1/review/cases", params={"pending_second_review": "true"}).json()["items"] == []
    wait_for(
        lambda: "case.decision_returned" in [e["detail-type"] for e in bus_events.for_case(case_id)],
        what="the returned event",
    )

    rejected = decide(alice, case_id, "reject", "the date of birth matches the listing")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["state"] == "rejected"
    wait_for(lambda: execution_status(tenant, stack, case_id) == "SUCCEEDED", what="the execution's end")
    assert alice.get(f"/v1/review/cases/{case_id}/audit/verify").json()["valid"] is True


def test_two_second_reviewers_confirming_at_once_decide_once(tenant, stack, listed_case):
    case_id, alice = listed_case, tenant.reviewer("reviewer")
    assert alice.post(f"/v1/review/cases/{case_id}/screening/clearances", json=CLEAR).status_code == 200
    assert decide(alice, case_id, "approve").json()["pending_second_review"] is True
    clients = [second_reviewer(tenant), tenant.reviewer("admin")]
    answers: list[httpx.Response] = []
    barrier = threading.Barrier(4)

    def confirm(client: httpx.Client) -> None:
        barrier.wait()
        answers.append(client.post(f"/v1/review/cases/{case_id}/decision/confirm"))

    threads = [threading.Thread(target=confirm, args=(clients[i % 2],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(a.status_code for a in answers)
    assert codes.count(200) == 1, codes
    assert set(codes) == {200, 409}, codes
    wait_for(lambda: execution_status(tenant, stack, case_id) == "SUCCEEDED", what="the execution's end")
    audit = [e["action"] for e in alice.get(f"/v1/review/cases/{case_id}").json()["audit"]]
    assert (audit.count("decision.confirmed"), audit.count("case.decided")) == (1, 1)
    assert alice.get(f"/v1/review/cases/{case_id}/audit/verify").json()["valid"] is True
