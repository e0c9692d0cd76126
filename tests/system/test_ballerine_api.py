"""Ballerine-compatible endpoints: a Ballerine integration switches by changing its base URL and key."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.ballerine_examples import (
    BACK_OFFICE_CURL,
    EVENT_BODIES,
    RUN_EXAMPLES,
    page_uris,
    with_page_uris,
    with_subscription_url,
)
from tests.support.documents import jpeg
from tests.support.local_http import Reply
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
    tenant.set_settings(allow_integrator_decisions=True)
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
    tenant.set_settings(allow_integrator_decisions=True)
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
    tenant.set_settings(allow_integrator_decisions=True)
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
    # Ballerine's own body for a deep merge (its workflow runner reads `newContext`), and a null payload.
    for name, body in EVENT_BODIES.items():
        answer = api.post(f"{PREFIX}/{runtime_id}/send-event", json=body)
        assert answer.status_code == 200, (name, answer.text)
    context = api.get(f"{PREFIX}/{runtime_id}/context").json()["context"]
    assert context["customerReference"] == {"tier": "gold", "crmId": 5}
    assert "newContext" not in context
    assert api.get(f"/v1/cases/{runtime_id}").json()["state"] == "manual_review"


def test_a_second_run_for_the_same_entity_updates_the_active_case(tenant: Any) -> None:
    first = started(tenant, entity_id="same-user")
    second = started(tenant, entity_id="same-user", note="second run")
    assert second == first
    context = tenant.api().get(f"{PREFIX}/{first}/context").json()["context"]
    assert context["note"] == "second run"


def test_listing_runs_with_pages_and_status(tenant: Any) -> None:
    tenant.set_settings(allow_integrator_decisions=True)
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
    ("params", "field", "status"),
    [
        ({"status[]": "paused"}, "status", 400),
        ({"status": "paused"}, "status", 400),
        ({"orderBy": "name"}, "orderBy", 400),
        ({"orderBy": "updatedAt"}, "orderBy", 400),  # Ballerine sorts by it; the indexes cannot
        ({"orderDirection": "up"}, "orderDirection", 400),
        ({"limit": 0}, "limit", 422),
    ],
)
def test_bad_list_parameters_name_the_parameter(
    tenant: Any, params: dict[str, Any], field: str, status: int
) -> None:
    response = tenant.api().get(PREFIX, params=params)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == response.status_code
    assert field in body["message"]


def test_a_late_page_of_the_list_is_as_cheap_as_the_first(tenant: Any) -> None:
    api = tenant.api()
    ids = [started(tenant, entity_id=f"late-{i}") for i in range(5)]
    pages = [
        api.get(
            PREFIX, params={"page": n, "limit": 2, "orderBy": "createdAt", "orderDirection": "asc"}
        ).json()
        for n in (1, 2, 3, 4)
    ]
    assert [[r["id"] for r in p["results"]] for p in pages] == [ids[0:2], ids[2:4], ids[4:5], []]
    assert {p["meta"]["total"] for p in pages} == {5}
    newest = api.get(PREFIX, params={"page": 3, "limit": 2, "status": "active"}).json()
    assert [r["id"] for r in newest["results"]] == [ids[0]]


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


# ---------------------------------------------------------------------------------------------- Ballerine's examples


def documents_settled(api: Any, case_id: str) -> list[dict[str, Any]]:
    """The case's documents once no page is pending any more."""

    def settled() -> dict[str, Any] | None:
        documents = api.get(f"/v1/cases/{case_id}/documents").json()["items"]
        pending = any(p["status"] == "pending" for d in documents for p in d["pages"])
        return None if pending else {"documents": documents}

    return list(wait_for(settled, what=f"the pages of {case_id}")["documents"])


@pytest.mark.parametrize("name", sorted(RUN_EXAMPLES))
def test_ballerines_published_run_requests_start_cases_with_their_pages(
    tenant: Any, serve: Any, name: str
) -> None:
    published = RUN_EXAMPLES[name]
    image = jpeg(96, 64)
    # The pages come from a local server, through the same egress guard as any remote page.
    served = {uri: f"/pages/{i}.png" for i, uri in enumerate(dict.fromkeys(page_uris(published)))}
    hooks: list[Any] = []
    routes = {
        path: (lambda _r: Reply(200, {"Content-Type": "image/jpeg"}, image)) for path in served.values()
    }
    routes["/hooks"] = lambda request: hooks.append(request) or Reply(200)
    server = serve(routes)
    body = with_subscription_url(
        with_page_uris(published, lambda uri: server.url(served[uri])), server.url("/hooks")
    )
    tenant.set_settings(
        workflow_aliases={published["workflowId"]: "manual-review"}, webhook_shared_secret="shared"
    )
    api = tenant.api()

    response = api.post(f"{PREFIX}/run", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    entity = published["context"]["entity"]
    assert (answer["workflowDefinitionId"], answer["ballerineEntityId"]) == (
        published["workflowId"],
        entity["id"],
    )
    case = api.get(f"/v1/cases/{answer['workflowRuntimeId']}").json()
    assert case["entity"]["type"] == entity["type"]
    assert case["entity"]["business"]["name"] == entity["data"].get("companyName", "(unnamed business)")
    documents = documents_settled(api, case["id"])
    sent = published["context"].get("documents") or []
    assert [d["type"] for d in documents] == [d["type"] for d in sent]
    pages = [p for d in documents for p in d["pages"]]
    assert [p["source"]["uri"] for p in pages if p["source"].get("uri")] == [
        server.url(p) for p in served.values()
    ]
    uri_pages = [p for p in pages if p["source"].get("uri")]
    assert all(p["status"] == "available" for p in uri_pages), uri_pages
    for page in pages:
        if not page["source"].get("uri"):  # a page that is only a file of Ballerine's storage
            assert (page["status"], page["reason"]) == ("unavailable", "unknown file id 'file123'")
    in_state(api, case["id"], "manual_review")


def test_the_back_office_guides_request_as_published_is_taken_and_its_pages_recorded_unavailable(
    tenant: Any,
) -> None:
    """The literal https pages of Ballerine's guide: the run is accepted; the test machine reaches no public host,
    so each page is recorded unavailable with the reason, and the case goes on to review."""
    tenant.set_settings(workflow_aliases={"risk-score-improvement-dev": "manual-review"})
    api = tenant.api()
    response = api.post(f"{PREFIX}/run", json=BACK_OFFICE_CURL)
    assert response.status_code == 200, response.text
    runtime_id = response.json()["workflowRuntimeId"]
    pages = [p for d in documents_settled(api, runtime_id) for p in d["pages"]]
    assert [p["source"]["uri"] for p in pages] == page_uris(BACK_OFFICE_CURL)
    assert [p["status"] for p in pages] == ["unavailable"] * 3
    assert all(p["reason"] for p in pages)
    in_state(api, runtime_id, "manual_review")
    context = api.get(f"{PREFIX}/{runtime_id}/context").json()["context"]
    assert context["documents"][0]["pages"][0]["data"] == ""  # kept as sent


def test_optional_fields_sent_as_null_or_empty_are_not_given(tenant: Any) -> None:
    api = tenant.api()
    body = run_body(entity_id="nulls-1")
    body["config"] = None
    body["context"]["entity"]["data"].update({"email": "", "phone": None, "additionalInfo": None})
    body["context"]["documents"][0].update({"id": "", "issuer": None, "properties": None})
    body["context"]["documents"][0]["pages"][0].update({"data": "", "ballerineFileId": "", "metadata": None})
    response = api.post(f"{PREFIX}/run", json=body)
    assert response.status_code == 200, response.text
    case = api.get(f"/v1/cases/{response.json()['workflowRuntimeId']}").json()
    assert "email" not in case["entity"]["individual"]
    assert case["documents"][0]["issuer"] == {}


# ---------------------------------------------------------------------------------------------- deciding with a key


def test_an_api_key_cannot_approve_over_a_pep_hit_with_or_without_the_tenants_opt_in(tenant: Any) -> None:
    """A KYC case whose person is a PEP of the demo watchlist waits for a reviewer. The integrator's key may not
    decide it (the tenant has not opted in); with the opt-in it still may not approve over the uncleared match;
    once a reviewer clears it, the approval still needs two reviewers (the kyc review policy), which a key is not."""
    api, reviewer = tenant.api(), tenant.reviewer("reviewer")
    body = {
        "workflowId": "kyc",
        "context": {
            "entity": {
                "id": "pep-1",
                "type": "individual",
                "data": {
                    "firstName": "Leila",
                    "middleName": "Nasser",
                    "lastName": "Haddad",
                    "dateOfBirth": "1975-09-02",
                    "nationality": "LB",
                },
            },
            "documents": [],
        },
    }
    response = api.post(f"{PREFIX}/run", json=body)
    assert response.status_code == 200, response.text
    runtime_id = response.json()["workflowRuntimeId"]
    in_state(api, runtime_id, "manual_review")

    refused = api.post(f"{PREFIX}/{runtime_id}/event", json={"name": "approve", "payload": {"reason": "ok"}})
    assert refused.status_code == 403, refused.text
    assert refused.json()["statusCode"] == 403
    assert "allow_integrator_decisions" in refused.json()["message"]
    assert api.get(f"/v1/cases/{runtime_id}").json()["state"] == "manual_review"

    tenant.set_settings(allow_integrator_decisions=True)
    blocked = api.post(f"{PREFIX}/{runtime_id}/event", json={"name": "approve", "payload": {"reason": "ok"}})
    assert blocked.status_code == 409, blocked.text
    message = blocked.json()["message"]
    assert "Leila Nasser Haddad [demo-haddad] (pep_match" in message
    assert "clear it or reject" in message
    by_reviewer = reviewer.post(
        f"/v1/review/cases/{runtime_id}/decision", json={"decision": "approve", "reason": "looks fine"}
    )
    assert by_reviewer.status_code == 409, by_reviewer.text
    actions = reviewer.get(f"/v1/review/cases/{runtime_id}").json()["actions"]
    assert actions["approve"]["allowed"] is False
    assert "demo-haddad" in actions["approve"]["reason"]
    assert api.get(f"/v1/cases/{runtime_id}").json()["state"] == "manual_review"

    cleared = reviewer.post(
        f"/v1/review/cases/{runtime_id}/screening/clearances",
        json={
            "subject": "individual",
            "entry_id": "demo-haddad",
            "reason": "another Leila Haddad: passport seen",
        },
    )
    assert cleared.status_code == 200, cleared.text
    assert reviewer.get(f"/v1/review/cases/{runtime_id}").json()["actions"]["approve"]["allowed"] is True
    # Cleared, the case still carries its critical flag: the kyc review policy wants two reviewers to approve it,
    # which an API key is not.
    alone = api.post(f"{PREFIX}/{runtime_id}/event", json={"name": "approve", "payload": {"reason": "ok"}})
    assert alone.status_code == 403, alone.text
    assert "needs a second reviewer" in alone.json()["message"]
    assert api.get(f"/v1/cases/{runtime_id}").json()["state"] == "manual_review"
    proposed = reviewer.post(
        f"/v1/review/cases/{runtime_id}/decision", json={"decision": "approve", "reason": "passport seen"}
    )
    assert proposed.json()["pending_second_review"] is True, proposed.text
    confirmed = tenant.reviewer("admin").post(f"/v1/review/cases/{runtime_id}/decision/confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert in_state(api, runtime_id, "approved")["workflowRuntimeData"]["status"] == "completed"


def test_the_integrator_api_has_no_other_way_to_decide(tenant: Any) -> None:
    tenant.set_settings(allow_integrator_decisions=True)
    api = tenant.api()
    runtime_id = started(tenant, entity_id="v1-events")
    in_state(api, runtime_id, "manual_review")
    for name in ("approve", "approved", "reject", "revision"):
        response = api.post(f"/v1/cases/{runtime_id}/events", json={"name": name, "payload": {}})
        assert response.status_code == 400, response.text  # no workflow declares a decision as its event
        assert f"declares no event {name!r}" in response.json()["message"]
    assert api.get(f"/v1/cases/{runtime_id}").json()["state"] == "manual_review"
