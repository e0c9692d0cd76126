"""Ballerine-compatible endpoints: a Ballerine integration switches by changing its base URL and key."""

from __future__ import annotations

from typing import Any

import pytest

from tests.waiting import wait_for

PREFIX = "/api/v1/external/workflows"


def run_body(entity_id: str = "end-user-1", **context: Any) -> dict[str, Any]:
    """A run request shaped like Ballerine's documented examples, odd values included."""
    return {
        "workflowId": "manual-review",
        "context": {
            "entity": {
                "id": entity_id,
                "type": "individual",
                "data": {
                    "firstName": "John",
                    "lastName": "Doe",
                    "email": "john.doe@example.com",
                    "dateOfBirth": "1990-01-01T00:00:00.000Z",
                    "nationality": 250,  # a number where a string is expected
                    "additionalInfo": {"customerTier": "gold"},
                },
            },
            "documents": [
                {
                    "category": "proof_of_identity",
                    "type": "passport",
                    "issuer": {"country": "FR"},
                    "version": "1",  # a string version
                    "properties": {"docNumber": "X1234567"},
                    "pages": [
                        {"provider": "http", "uri": "http://127.0.0.1:9/unreachable.jpg", "type": "jpg"}
                    ],
                }
            ],
            "customerReference": {"crmId": 77},  # a field Arbiter does not know
            **context,
        },
        "config": {"subscriptions": []},
    }


def in_state(api: Any, runtime_id: str, state: str) -> dict[str, Any]:
    return wait_for(
        lambda: (
            (r := api.get(f"{PREFIX}/{runtime_id}").json())["workflowRuntimeData"]["state"] == state and r
        ),
        what=f"run {runtime_id} in {state}",
    )


def started(tenant: Any, **kwargs: Any) -> str:
    response = tenant.api().post(f"{PREFIX}/run", json=run_body(**kwargs))
    assert response.status_code == 200, response.text
    return str(response.json()["workflowRuntimeId"])


def test_a_run_answers_like_ballerine_and_keeps_everything_it_was_sent(tenant: Any) -> None:
    api = tenant.api()
    response = api.post(f"{PREFIX}/run", json=run_body())
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"workflowDefinitionId", "workflowRuntimeId", "ballerineEntityId", "entities"}
    assert body["workflowDefinitionId"] == "manual-review"
    assert body["ballerineEntityId"] == "end-user-1"
    assert body["entities"] == [{"id": "end-user-1", "type": "individual"}]

    run = in_state(api, body["workflowRuntimeId"], "manual_review")
    data = run["workflowRuntimeData"]
    assert data["status"] == "active"
    assert run["workflowDefinition"]["id"] == "manual-review"
    context = api.get(f"{PREFIX}/{body['workflowRuntimeId']}/context").json()["context"]
    assert context["customerReference"] == {"crmId": 77}  # unknown fields kept
    assert context["entity"]["data"]["additionalInfo"] == {"customerTier": "gold"}
    # The same case through Arbiter's own API: entity read loosely, the document and its page recorded.
    case = api.get(f"/v1/cases/{body['workflowRuntimeId']}").json()
    assert case["entity"]["individual"]["first_name"] == "John"
    assert case["documents"][0]["type"] == "passport"
    assert case["documents"][0]["pages"][0]["source"]["uri"] == "http://127.0.0.1:9/unreachable.jpg"


def test_approve_through_an_event_completes_the_run(tenant: Any, bus_events: Any) -> None:
    api = tenant.api()
    runtime_id = started(tenant)
    in_state(api, runtime_id, "manual_review")
    response = api.post(f"{PREFIX}/{runtime_id}/event", json={"name": "approve", "payload": {"reason": "ok"}})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "completed"
    data = in_state(api, runtime_id, "approved")["workflowRuntimeData"]
    assert data["resolvedAt"]
    context = api.get(f"{PREFIX}/{runtime_id}/context").json()["context"]
    assert context["decision"] == {"status": "approved", "reason": "ok"}
    decided = wait_for(
        lambda: [e for e in bus_events.for_case(runtime_id) if e["detail-type"] == "case.decided"],
        what="decided event",
    )
    assert decided[0]["detail"]["outcome"] == "approved"


def test_revision_then_return_to_review_then_reject_with_send_event(tenant: Any) -> None:
    api = tenant.api()
    runtime_id = started(tenant)
    in_state(api, runtime_id, "manual_review")
    revision = api.post(
        f"{PREFIX}/{runtime_id}/send-event", json={"name": "revision", "payload": {"reason": "blurry"}}
    )
    assert revision.status_code == 200, revision.text
    in_state(api, runtime_id, "revision")
    back = api.post(f"{PREFIX}/{runtime_id}/send-event", json={"name": "RETURN_TO_REVIEW", "payload": {}})
    assert back.status_code == 200, back.text
    in_state(api, runtime_id, "manual_review")
    rejected = api.post(
        f"{PREFIX}/{runtime_id}/event", json={"name": "reject", "payload": {"reason": "fraud"}}
    )
    assert rejected.status_code == 200, rejected.text
    assert in_state(api, runtime_id, "rejected")["workflowRuntimeData"]["status"] == "completed"


def test_an_event_the_run_cannot_take_is_a_400_in_ballerines_shape(tenant: Any) -> None:
    api = tenant.api()
    runtime_id = started(tenant)
    in_state(api, runtime_id, "manual_review")
    response = api.post(f"{PREFIX}/{runtime_id}/event", json={"name": "RETURN_TO_REVIEW", "payload": {}})
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400
    assert body["path"] == f"{PREFIX}/{runtime_id}/event"
    assert body["timestamp"]
    for allowed in ("approve", "reject", "revision", "UPDATE_CONTEXT"):
        assert allowed in body["message"]
    assert api.get(f"/v1/cases/{runtime_id}").json()["state"] == "manual_review"  # nothing changed


def test_context_merges_are_taken_while_waiting_for_a_reviewer(tenant: Any) -> None:
    api = tenant.api()
    runtime_id = started(tenant)
    in_state(api, runtime_id, "manual_review")
    update = {"name": "UPDATE_CONTEXT", "payload": {"context": {"customerReference": {"tier": "gold"}}}}
    assert api.post(f"{PREFIX}/{runtime_id}/event", json=update).status_code == 200
    assert api.get(f"{PREFIX}/{runtime_id}/context").json()["context"]["customerReference"] == {
        "tier": "gold"
    }
    deep = {"name": "DEEP_MERGE_CONTEXT", "payload": {"context": {"customerReference": {"crmId": 5}}}}
    assert api.post(f"{PREFIX}/{runtime_id}/event", json=deep).status_code == 200
    context = api.get(f"{PREFIX}/{runtime_id}/context").json()["context"]
    assert context["customerReference"] == {"tier": "gold", "crmId": 5}
    assert api.get(f"/v1/cases/{runtime_id}").json()["state"] == "manual_review"


def test_a_second_run_for_the_same_entity_updates_the_active_case(tenant: Any) -> None:
    first = started(tenant, entity_id="same-user")
    second = started(tenant, entity_id="same-user", note="second run")
    assert second == first
    context = tenant.api().get(f"{PREFIX}/{first}/context").json()["context"]
    assert context["note"] == "second run"


def test_listing_runs_with_pages_and_status(tenant: Any) -> None:
    api = tenant.api()
    ids = [started(tenant, entity_id=f"list-{i}") for i in range(3)]
    for runtime_id in ids:
        in_state(api, runtime_id, "manual_review")
    api.post(f"{PREFIX}/{ids[0]}/event", json={"name": "approve", "payload": {}})
    in_state(api, ids[0], "approved")

    page1 = api.get(PREFIX, params={"page": 1, "limit": 2, "orderDirection": "asc"}).json()
    page2 = api.get(PREFIX, params={"page": 2, "limit": 2, "orderDirection": "asc"}).json()
    assert page1["meta"] == {"pages": 2, "total": 3}
    assert [r["id"] for r in page1["results"] + page2["results"]] == ids
    active = api.get(PREFIX, params={"status[]": "active"}).json()
    assert {r["id"] for r in active["results"]} == set(ids[1:])
    completed = api.get(PREFIX, params=[("status[]", "completed"), ("status[]", "failed")]).json()
    assert [r["id"] for r in completed["results"]] == [ids[0]]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status[]": "paused"}, "status"), ({"orderBy": "name"}, "orderBy"), ({"limit": 0}, "limit")],
)
def test_bad_list_parameters_name_the_parameter(tenant: Any, params: dict[str, Any], field: str) -> None:
    response = tenant.api().get(PREFIX, params=params)
    assert 400 <= response.status_code < 500
    body = response.json()
    assert body["statusCode"] == response.status_code
    assert field in body["message"]


def test_keys_and_errors_use_ballerines_conventions(tenant: Any) -> None:
    api = tenant.api()
    runtime_id = started(tenant)
    with_scheme = api.get(f"{PREFIX}/{runtime_id}", headers={"Authorization": f"Api-Key {tenant.api_key}"})
    assert with_scheme.status_code == 200
    unauthenticated = api.get(f"{PREFIX}/{runtime_id}", headers={"Authorization": "Bearer wrong"})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["statusCode"] == 401
    missing = api.get(f"{PREFIX}/case_does_not_exist")
    assert missing.status_code == 404
    assert missing.json()["statusCode"] == 404
    no_entity = api.post(f"{PREFIX}/run", json={"workflowId": "manual-review", "context": {}})
    assert no_entity.status_code in (400, 422)
    assert "context.entity" in no_entity.json()["message"]
    unknown = api.post(f"{PREFIX}/run", json={**run_body(), "workflowId": "no-such-flow"})
    assert unknown.status_code == 404
    assert "no-such-flow" in unknown.json()["message"]
