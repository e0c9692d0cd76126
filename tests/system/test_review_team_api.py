"""A team of reviewers on the local stack: escalation (a plain reviewer gets 403 naming the role, a senior decides
and hands back), the reviewer directory from Cognito, assigning to a colleague one case or many, round-robin
assignment of cases entering review, and every back-office action published as an event that matches its schema
and reaches a webhook receiver."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from typing import Any

import httpx

from tests.conftest import validate_published_events
from tests.support.cases import case_in_review, case_with_document
from tests.support.reviewers import authenticate, create_reviewer
from tests.support.webhooks import Receiver, subscribe
from tests.waiting import wait_for

TEAM_EVENTS = (
    "case.assigned",
    "case.unassigned",
    "case.escalated",
    "case.de_escalated",
    "case.note_added",
    "document.decided",
    "screening.clearance_added",
    "screening.clearance_revoked",
    "case.revision_requested",
    "case.decided",
)


def signed_in(tenant, email: str) -> httpx.Client:
    token = authenticate(tenant.stack, email)["IdToken"]
    return httpx.Client(
        base_url=tenant.stack.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def decide(client: httpx.Client, case_id: str, decision: str = "approve") -> httpx.Response:
    return client.post(
        f"/v1/review/cases/{case_id}/decision", json={"decision": decision, "reason": "checked"}
    )


def test_an_escalated_case_refuses_a_plain_reviewer_and_a_senior_decides_it(tenant, bus_events):
    case_id = case_in_review(tenant, entity_id=f"esc-{secrets.token_hex(3)}")
    alice, senior = tenant.reviewer("reviewer"), tenant.reviewer("senior")
    blank = alice.post(f"/v1/review/cases/{case_id}/escalate", json={"reason": "  ", "to": "senior"})
    assert blank.status_code == 422, blank.text
    unknown = alice.post(f"/v1/review/cases/{case_id}/escalate", json={"reason": "PEP?", "to": "boss"})
    assert (unknown.status_code, unknown.json().get("path")) == (422, "to"), unknown.text
    escalated = alice.post(
        f"/v1/review/cases/{case_id}/escalate", json={"reason": "PEP match?", "to": "senior"}
    )
    assert escalated.status_code == 200, escalated.text
    assert escalated.json()["escalation"]["to"] == "senior"

    refused = decide(alice, case_id)
    assert refused.status_code == 403, refused.text
    assert refused.json()["required_role"] == "senior"
    assert "senior role" in refused.json()["message"]
    assert alice.post(f"/v1/review/cases/{case_id}/de-escalate", json={"reason": "mine"}).status_code == 403
    view = alice.get(f"/v1/review/cases/{case_id}").json()
    assert view["actions"]["approve"]["allowed"] is False
    assert view["case"]["escalation"]["to"] == "senior"

    queue = alice.get("/v1/review/cases", params={"escalated_to": "senior"}).json()["items"]
    assert [c["id"] for c in queue] == [case_id]
    assert alice.get("/v1/review/cases", params={"escalated_to": "admin"}).json()["items"] == []
    assert alice.get("/v1/review/cases", params={"escalated_to": "boss"}).status_code == 422

    back = senior.post(f"/v1/review/cases/{case_id}/de-escalate", json={"reason": "not a PEP"})
    assert (back.status_code, back.json().get("escalation")) == (200, None), back.text
    assert (
        senior.post(
            f"/v1/review/cases/{case_id}/escalate", json={"reason": "again", "to": "senior"}
        ).status_code
        == 200
    )
    decided = decide(senior, case_id)
    assert (decided.status_code, decided.json().get("state")) == (200, "approved"), decided.text

    def decided_seen() -> list[str] | None:
        types = [e["detail-type"] for e in bus_events.for_case(case_id)]
        return types if "case.decided" in types else None

    types = wait_for(decided_seen, what="the case's events")
    assert types.count("case.escalated") == 2
    assert types.count("case.de_escalated") == 1
    chain = alice.get(f"/v1/review/cases/{case_id}/audit/verify").json()
    assert chain["valid"], chain


def test_the_directory_lists_the_team_and_a_reviewer_assigns_to_a_colleague_one_case_or_many(tenant):
    alice = tenant.reviewer("reviewer")
    bob_email = create_reviewer(tenant.stack, tenant.id, "reviewer")
    viewer_email = create_reviewer(tenant.stack, tenant.id, "viewer")
    team = alice.get("/v1/review/reviewers").json()
    by_email = {r["email"]: r for r in team["items"]}
    assert {bob_email, viewer_email} <= set(by_email)
    assert by_email[bob_email]["roles"] == ["reviewer"]
    assert by_email[bob_email]["enabled"] is True
    assert team["escalation_roles"] == ["senior", "admin"]
    bob_id = by_email[bob_email]["id"]

    first = case_in_review(tenant, entity_id=f"as-{secrets.token_hex(3)}")
    assigned = alice.post(f"/v1/review/cases/{first}/assign", json={"assignee": bob_email})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assignee"] == {"id": bob_id, "email": bob_email}
    assert (
        signed_in(tenant, bob_email)
        .get("/v1/review/cases", params={"assignee": "me"})
        .json()["items"][0]["id"]
        == first
    )
    viewer = alice.post(f"/v1/review/cases/{first}/assign", json={"assignee": viewer_email})
    assert (viewer.status_code, viewer.json().get("path")) == (422, "assignee"), viewer.text

    others = [case_in_review(tenant, entity_id=f"as-{secrets.token_hex(3)}") for _ in range(2)]
    bad = alice.post("/v1/review/cases/assign", json={"case_ids": [*others, "case_nope"], "to": bob_id})
    assert bad.status_code == 422, bad.text
    assert (bad.json()["path"], bad.json()["case_id"]) == ("case_ids[2]", "case_nope")
    assert all(tenant.api().get(f"/v1/cases/{c}").status_code == 200 for c in others)
    assert all(alice.get(f"/v1/review/cases/{c}").json()["case"]["assignee"] is None for c in others)
    too_many = alice.post(
        "/v1/review/cases/assign", json={"case_ids": [f"c{n}" for n in range(101)], "to": "me"}
    )
    assert too_many.status_code == 422
    done = alice.post("/v1/review/cases/assign", json={"case_ids": [first, *others], "to": bob_email})
    assert done.status_code == 200, done.text
    assert [c["assignee"]["id"] for c in done.json()["items"]] == [bob_id] * 3


def test_every_back_office_action_is_an_event_that_matches_its_schema_and_reaches_a_webhook(
    tenant, bus_events, listed_case
):
    receiver = Receiver()
    try:
        subscribe(tenant, receiver.url, TEAM_EVENTS)
        alice, senior = tenant.reviewer("reviewer"), tenant.reviewer("senior")
        documented = case_with_document(tenant, entity_id=f"ev-{secrets.token_hex(3)}")
        clear = {"subject": "individual", "entry_id": "L-ORLOV", "reason": "another Viktor Orlov"}

        def ok(response: httpx.Response) -> Any:
            assert response.status_code == 200, response.text
            return response.json()

        # The kyc workflow's review SLA (48 hours) gives the case in review its due time in the queue.
        queued = alice.get("/v1/review/cases", params={"state": "manual_review", "workflow": "kyc"}).json()
        listed = next(c for c in queued["items"] if c["id"] == listed_case)
        due = dt.datetime.fromisoformat(listed["review_due_at"])
        assert due - dt.datetime.fromisoformat(listed["review_since"]) == dt.timedelta(hours=48)
        assert listed["overdue"] is False

        ok(alice.post(f"/v1/review/cases/{documented}/assign", json={"assignee": "me"}))
        ok(alice.post(f"/v1/review/cases/{documented}/unassign"))
        ok(alice.post(f"/v1/review/cases/{documented}/notes", json={"text": "called the applicant"}))
        ok(
            alice.post(
                f"/v1/review/cases/{documented}/escalate", json={"reason": "odd photo", "to": "senior"}
            )
        )
        ok(senior.post(f"/v1/review/cases/{documented}/de-escalate", json={"reason": "photo is fine"}))
        ok(
            alice.post(
                f"/v1/review/cases/{documented}/documents/passport/decision",
                json={"decision": "revision", "reason": "blurred"},
            )
        )
        ok(
            alice.post(
                f"/v1/review/cases/{documented}/decision",
                json={"decision": "revision", "reason": "send a sharper photo"},
            )
        )
        ok(alice.post(f"/v1/review/cases/{listed_case}/screening/clearances", json=clear))
        ok(alice.post(f"/v1/review/cases/{listed_case}/screening/clearances/revoke", json=clear))
        ok(decide(alice, listed_case, "reject"))

        def published() -> list[dict[str, Any]] | None:
            events = [
                e for e in bus_events.drain() if e["detail"].get("case_id") in (documented, listed_case)
            ]
            return events if {e["detail-type"] for e in events} >= set(TEAM_EVENTS) else None

        events = wait_for(published, timeout=30, what="an event of every back-office action")
        validate_published_events(events)
        by_type = {e["detail-type"]: e["detail"] for e in events}
        assert by_type["case.escalated"]["to"] == "senior"
        assert by_type["case.escalated"]["reason"] == "odd photo"
        assert by_type["case.note_added"]["text"] == "called the applicant"
        assert by_type["document.decided"]["document_id"] == "passport"
        assert by_type["screening.clearance_revoked"]["entry_id"] == "L-ORLOV"

        delivered = wait_for(
            lambda: (
                (types := {json.loads(r.body)["type"] for r in receiver.requests}) >= set(TEAM_EVENTS)
                and types
            ),
            timeout=60,
            what="every team event delivered to the webhook",
        )
        assert delivered >= set(TEAM_EVENTS)
    finally:
        receiver.close()


def test_round_robin_gives_each_case_entering_review_to_the_next_enabled_reviewer_of_its_queue(tenant):
    cognito, pool = tenant.stack.client("cognito-idp"), tenant.stack.physical_id("ReviewerPool")
    team = sorted(create_reviewer(tenant.stack, tenant.id, "reviewer") for _ in range(3))
    away = create_reviewer(tenant.stack, tenant.id, "reviewer")
    cognito.admin_disable_user(UserPoolId=pool, Username=away)
    create_reviewer(tenant.stack, tenant.id, "senior")  # holds another role: not in this queue's turn
    tenant.set_settings(round_robin={"manual-review": "reviewer"})

    def assignee(case_id: str) -> str | None:
        found = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()["case"]["assignee"]
        return found["email"] if found else None

    got = []
    for n in range(4):  # one after the other: the turns are then in the order the cases entered review
        case_id = case_in_review(tenant, entity_id=f"rr-{n}-{secrets.token_hex(2)}")
        got.append(wait_for(lambda c=case_id: assignee(c), what=f"case {n} assigned by round robin"))
    assert got == [team[0], team[1], team[2], team[0]]


def test_round_robin_takes_one_turn_for_an_event_the_bus_delivers_again(tenant):
    from arbiter.adapters.dynamodb import keys
    from arbiter.adapters.dynamodb.packing import unpack
    from arbiter.services.outbox import outbox_events

    team = sorted(create_reviewer(tenant.stack, tenant.id, "reviewer") for _ in range(2))
    tenant.set_settings(round_robin={"manual-review": "reviewer"})

    def assignee(case_id: str) -> str | None:
        found = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()["case"]["assignee"]
        return found["email"] if found else None

    first = case_in_review(tenant, entity_id=f"rr-again-{secrets.token_hex(2)}")
    assert wait_for(lambda: assignee(first), what="the first case assigned by round robin") == team[0]
    # The event the bus delivered, as the case kept it (on its change's audit item, or an outbox item of its own),
    # read as the stream publisher reads the case's items.
    table = tenant.stack.client("dynamodb")
    items = table.query(
        TableName=tenant.stack.physical_id("ArbiterTable"),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.case_pk(tenant.id, first)}},
    )["Items"]
    records = [
        {
            "eventName": "INSERT",
            "dynamodb": {
                "SequenceNumber": str(n),
                "NewImage": {
                    name: {"B": base64.b64encode(value["B"]).decode()} if "B" in value else value
                    for name, value in item.items()
                },
            },
        }
        for n, item in enumerate(items)
    ]
    delivered = next(
        envelope
        for _, envelope in outbox_events(records, unpack)
        if envelope["type"] == "case.awaiting_review"
    )
    # Left without an assignee again (a reviewer let it go), then the bus hands the same event over once more, as it
    # may (at least once; Lambda retries a failed invocation): its copy takes the turn the event took, no new one.
    released = tenant.reviewer("admin").post(f"/v1/review/cases/{first}/unassign")
    assert released.status_code == 200, released.text
    runtime = tenant.stack.runtime
    function = runtime.by_logical_id("ReviewActionsFunction").name
    copy = {"source": "arbiter", "detail-type": "case.awaiting_review", "detail": delivered}
    assert runtime.invoke(function, copy)["assigned_to"] is not None
    assert assignee(first) == team[0]
    assert runtime.invoke(function, copy) == {"assigned_to": None}  # assigned by then: left as it is

    # The counter moved once for the event and its copies: the next case is the second reviewer's turn.
    following = case_in_review(tenant, entity_id=f"rr-next-{secrets.token_hex(2)}")
    assert wait_for(lambda: assignee(following), what="the next case assigned by round robin") == team[1]
