"""Collection links over HTTP on the local stack: sent by an integrator or a reviewer, listed, revoked; their
tokens are no API key anywhere else, and never reach a log."""

from __future__ import annotations

import itertools

import httpx

from arbiter_local.stack import DEMO_EMAIL_DOMAIN
from tests.support.logs import EveryLog
from tests.support.tenants import make_tenant
from tests.waiting import wait_for

PERSON = {"type": "individual", "id": "u-1", "individual": {"first_name": "Ada", "last_name": "Lovelace"}}


def collecting_case(api) -> str:
    response = api.post("/v1/cases", json={"workflow": "kyc", "entity": PERSON, "submit": False})
    assert response.status_code == 202, response.text
    assert response.json()["state"] == "collecting"
    return response.json()["id"]


def test_a_link_is_sent_listed_and_revoked_and_its_token_never_logged(tenant, capfd):
    api = tenant.api()
    case_id = collecting_case(api)  # every function below has run once: its loggers exist
    assert api.get(f"/v1/cases/{case_id}/collection-links").status_code == 200
    assert applicant(tenant.stack, "clk_" + "b" * 43).get("/v1/collection/case").status_code == 401
    with EveryLog() as logs:
        token = link_and_refusals(tenant, case_id)
    logged = capfd.readouterr()
    everything = logs.text + logged.out + logged.err
    # the capture saw what the functions logged of these requests (the authorizer's refusals, at least one record
    # whatever the log level the loggers were created with)
    assert logs.lines
    assert token not in everything
    assert token[4:] not in everything


def link_and_refusals(tenant, case_id: str) -> str:
    """Send, use, refuse and revoke a link; its token."""
    api = tenant.api()
    created = api.post(f"/v1/cases/{case_id}/collection-links", json={"language": "es", "person_id": ""})
    assert created.status_code == 201, created.text
    link = created.json()
    token = link["token"]
    assert token.startswith("clk_")
    assert link["url"] == f"{tenant.stack.api_url}/collect/#{token}"
    assert (link["case_id"], link["language"], link["revoked_at"]) == (case_id, "es", None)

    listed = api.get(f"/v1/cases/{case_id}/collection-links").json()["items"]
    assert [(k["id"], k["token"], k["url"]) for k in listed] == [(link["id"], None, None)]

    # The token is no API key: every other API refuses it, and so does the authorizer (counted as a failure).
    as_token = applicant(tenant.stack, token)
    assert as_token.get(f"/v1/cases/{case_id}").status_code == 401
    assert as_token.get(f"/v1/cases/{case_id}/collection-links").status_code == 401
    assert as_token.get("/v1/review/me").status_code == 401
    assert as_token.get("/v1/admin/rule-sets").status_code == 401
    assert as_token.post("/v1/transactions", json={}).status_code == 401
    assert as_token.get("/v1/webhooks").status_code == 401
    assert as_token.get("/api/v1/external/workflows/runs").status_code == 401

    assert as_token.get("/v1/collection/case").json()["id"] == case_id
    revoked = api.delete(f"/v1/cases/{case_id}/collection-links/{link['id']}")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert api.delete(f"/v1/cases/{case_id}/collection-links/{link['id']}").status_code == 200
    assert api.delete(f"/v1/cases/{case_id}/collection-links/cl_unknown").status_code == 404
    assert applicant(tenant.stack, token).get("/v1/collection/case").status_code == 401
    return str(token)


def test_bad_requests_are_refused_naming_the_field_and_store_nothing(tenant):
    api = tenant.api()
    case_id = collecting_case(api)
    for body, field in (
        ({"expires_in_days": 31}, "expires_in_days"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"language": "fr"}, "language"),
        ({"person_id": "ubo-9"}, "person_id"),
    ):
        refused = api.post(f"/v1/cases/{case_id}/collection-links", json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert field in refused.text
    assert api.get(f"/v1/cases/{case_id}/collection-links").json()["items"] == []


def test_another_tenant_neither_sends_nor_sees_links_of_a_case(tenant, stack):
    case_id = collecting_case(tenant.api())
    assert tenant.api().post(f"/v1/cases/{case_id}/collection-links", json={}).status_code == 201
    neighbour = make_tenant(stack).api()
    assert neighbour.post(f"/v1/cases/{case_id}/collection-links", json={}).status_code == 404
    assert neighbour.get(f"/v1/cases/{case_id}/collection-links").status_code == 404


def test_a_reviewer_sends_a_link_and_a_viewer_only_reads_them(tenant):
    case_id = collecting_case(tenant.api())
    path = f"/v1/review/cases/{case_id}/collection-links"
    sent = tenant.reviewer().post(path, json={"expires_in_days": 30})
    assert sent.status_code == 201, sent.text
    assert sent.json()["token"].startswith("clk_")
    viewer = tenant.reviewer("viewer")
    assert viewer.post(path, json={}).status_code == 403
    assert viewer.delete(f"{path}/{sent.json()['id']}").status_code == 403
    assert [k["id"] for k in viewer.get(path).json()["items"]] == [sent.json()["id"]]


def test_a_case_already_processing_gets_no_link(tenant):
    api = tenant.api()
    started = api.post("/v1/cases", json={"workflow": "manual-review", "entity": PERSON})
    assert started.status_code == 202, started.text
    refused = api.post(f"/v1/cases/{started.json()['id']}/collection-links", json={})
    assert refused.status_code == 409, refused.text


def applicant(stack, token):
    """A client sending `token`, from a loopback address of its own: the refusals these tests provoke count
    against that address, never against the address other tests send from (20 failures a minute get 429s)."""
    import httpx

    return httpx.Client(
        base_url=stack.api_url,
        headers={"Authorization": f"Bearer {token}"},
        transport=httpx.HTTPTransport(local_address=f"127.0.9.{next(_ADDRESSES)}"),
        timeout=30,
    )


_ADDRESSES = itertools.count(1)


PERSONAL = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "date_of_birth": "1985-12-10",
    "nationality": "GB",
    "id_document_type": "passport",
}
HOME = {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"}


def test_the_token_opens_its_own_case_only_and_submitting_starts_the_workflow(tenant):
    api = tenant.api()
    case_id = collecting_case(api)
    other_case = collecting_case_of(api, "u-2")
    token = api.post(f"/v1/cases/{case_id}/collection-links", json={}).json()["token"]
    person = applicant(tenant.stack, token)

    seen = person.get("/v1/collection/case")
    assert seen.status_code == 200, seen.text
    assert seen.json() == {
        "id": case_id,
        "workflow": "kyc",
        "entity_type": "individual",
        "state": "collecting",
        "collecting": True,
        "waiting_for": [],
    }
    # The integrator's key opens no collection route; the token opens nothing of another case.
    assert applicant(tenant.stack, tenant.api_key).get("/v1/collection/case").status_code == 401
    assert person.get(f"/v1/cases/{other_case}").status_code == 401
    assert person.post(f"/v1/cases/{other_case}/events", json={"name": "submitted"}).status_code == 401

    journey = person.get("/v1/collection/journey", params={"language": "de"})
    assert journey.status_code == 200, journey.text
    assert [s["id"] for s in journey.json()["steps"]] == ["personal_details", "address", "id_documents"]
    assert journey.json()["steps"][0]["title"] == "Persönliche Angaben"
    assert (journey.json()["data"], journey.json()["resume_at"]) == ({}, "personal_details")

    early = person.post("/v1/collection/submit")
    assert early.status_code == 422, early.text
    assert "personal_details.first_name" in early.text
    bad = person.put(
        "/v1/collection/steps/personal_details", json={**PERSONAL, "date_of_birth": "10/12/1985"}
    )
    assert bad.status_code == 422, bad.text
    assert "personal_details.date_of_birth" in bad.text
    saved = person.put("/v1/collection/steps/personal_details", json=PERSONAL)
    assert saved.status_code == 200, saved.text
    assert person.put("/v1/collection/steps/address", json=HOME).status_code == 200
    resumed = person.get("/v1/collection/journey").json()
    assert resumed["data"] == {"personal_details": PERSONAL, "address": HOME}
    assert resumed["resume_at"] == "id_documents"
    slots = resumed["steps"][1]["documents"]
    assert [(s["id"], s["visible"]) for s in slots] == [
        ("proof_of_address", False)
    ]  # lives where they are from

    no_id = person.post("/v1/collection/submit")
    assert no_id.status_code == 422, no_id.text
    assert no_id.json()["path"] == "id_documents.documents.id_front"
    from tests.support.documents import jpeg, post_upload

    declared = person.post(
        "/v1/collection/documents", json={"id": "id_front", "type": "id_card", "content_type": "image/jpeg"}
    )
    assert post_upload(declared.json()["uploads"][0], jpeg(320, 200)).status_code in (200, 204)
    wait_for(
        lambda: person.get("/v1/collection/journey").json()["uploaded"] == ["id_front"],
        what="the upload stored",
    )
    submitted = person.post("/v1/collection/submit")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["state"] == "processing"
    again = person.post("/v1/collection/submit")
    assert again.status_code == 409, again.text
    assert "submitted" in again.json()["message"]
    wait_for(lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="manual review")
    assert api.get(f"/v1/cases/{other_case}").json()["state"] == "collecting"
    assert person.get("/v1/collection/case").json()["collecting"] is False
    assert person.put("/v1/collection/steps/address", json=HOME).status_code == 409
    late = person.post("/v1/collection/documents", json={"type": "id_card", "content_type": "image/jpeg"})
    assert late.status_code == 409, late.text


def collecting_case_of(api, entity_id: str) -> str:
    response = api.post(
        "/v1/cases", json={"workflow": "kyc", "entity": {**PERSON, "id": entity_id}, "submit": False}
    )
    assert response.status_code == 202, response.text
    return response.json()["id"]


def test_revoked_expired_and_malformed_tokens_get_401_and_nothing_else(tenant, stack):
    import datetime as dt

    from arbiter.adapters.dynamodb.collection_links import DynamoCollectionLinks
    from arbiter.domain.collection import CollectionLink, generate_collection_token, hash_collection_token

    api = tenant.api()
    case_id = collecting_case(api)
    link = api.post(f"/v1/cases/{case_id}/collection-links", json={}).json()
    assert api.delete(f"/v1/cases/{case_id}/collection-links/{link['id']}").status_code == 200

    expired_token = (
        generate_collection_token()
    )  # a link that expired a second ago, stored as the API stores one
    now = dt.datetime.now(dt.UTC)
    DynamoCollectionLinks(stack.client("dynamodb"), stack.physical_id("ArbiterTable")).add(
        CollectionLink(
            id="cl_expired",
            tenant_id=tenant.id,
            case_id=case_id,
            token_hash=hash_collection_token(expired_token),
            created_at=now - dt.timedelta(days=7),
            created_by="key_test",
            expires_at=now - dt.timedelta(seconds=1),
        )
    )
    answers = {
        applicant(stack, token).get("/v1/collection/case").json()["message"]
        for token in (link["token"], expired_token, "clk_" + "a" * 43, "clk_short")
    }
    statuses = {
        applicant(stack, token).post("/v1/collection/submit").status_code
        for token in (link["token"], expired_token, "clk_" + "a" * 43, "clk_short")
    }
    assert statuses == {401}
    assert len(answers) == 1  # the same refusal, whatever was wrong
    assert api.get(f"/v1/cases/{case_id}").json()["state"] == "collecting"


def test_the_applicant_uploads_a_slots_document_to_their_own_case_only(tenant):
    from tests.support.documents import jpeg, post_upload

    api = tenant.api()
    case_id = collecting_case(api)
    token = api.post(f"/v1/cases/{case_id}/collection-links", json={}).json()["token"]
    person = applicant(tenant.stack, token)
    declared = person.post(
        "/v1/collection/documents", json={"id": "id_front", "type": "id_card", "content_type": "image/jpeg"}
    )
    assert declared.status_code == 201, declared.text
    assert post_upload(declared.json()["uploads"][0], jpeg(320, 200)).status_code in (200, 204)
    documents = api.get(f"/v1/cases/{case_id}/documents").json()["items"]
    assert [d["id"] for d in documents] == ["id_front"]
    # another case's applicant sees and touches none of it
    other_case = collecting_case_of(api, "u-3")
    other = applicant(
        tenant.stack, api.post(f"/v1/cases/{other_case}/collection-links", json={}).json()["token"]
    )
    assert (
        other.post(
            "/v1/collection/documents", json={"type": "id_card", "content_type": "image/jpeg"}
        ).status_code
        == 201
    )
    assert [d["id"] for d in api.get(f"/v1/cases/{case_id}/documents").json()["items"]] == ["id_front"]
    assert person.post("/v1/collection/submit").status_code == 422  # the kyc journey is not filled in


def test_a_case_started_to_collect_waits_for_its_applicant_with_a_link_to_send(tenant):
    api = tenant.api()
    tenant.set_settings(collection_email={"sender": f"applications@{DEMO_EMAIL_DOMAIN}"})
    entity = {
        **PERSON,
        "id": "u-collect",
        "individual": {**PERSON["individual"], "email": "ada@collect-once.example"},
    }
    started = api.post(
        "/v1/cases",
        json={"workflow": "kyc", "entity": entity, "collect": True},
        headers={"Idempotency-Key": "collect-once"},
    )
    assert started.status_code == 202, started.text
    case = started.json()
    assert case["state"] == "collecting"
    link = case["collection"]
    assert link["url"].endswith("#" + link["token"])
    seen = applicant(tenant.stack, link["token"]).get("/v1/collection/case")
    assert seen.json()["id"] == case["id"]
    assert link.get("email") == "sent", link
    retried = api.post(
        "/v1/cases",
        json={"workflow": "kyc", "entity": entity, "collect": True},
        headers={"Idempotency-Key": "collect-once"},
    )
    assert retried.json()["id"] == case["id"]
    # The same link, without its token (never stored, so never replayed), and nothing new issued or e-mailed.
    again = retried.json()["collection"]
    assert again["id"] == link["id"]
    assert again.get("token") is None
    assert again.get("url") is None
    assert len(api.get(f"/v1/cases/{case['id']}/collection-links").json()["items"]) == 1
    sent = httpx.get(f"{tenant.stack.api_url}/mail.json", timeout=10).json()
    assert len([m for m in sent if "ada@collect-once.example" in m["to"]]) == 1


def test_a_persons_link_opens_their_own_step_only(tenant):
    api = tenant.api()
    entity = {
        "type": "business",
        "id": "b-owners",
        "business": {"name": "Acme", "ubos": [{"id": "ubo-1", "first_name": "Ada", "last_name": "Lovelace"}]},
    }
    started = api.post("/v1/cases", json={"workflow": "kyb", "entity": entity, "submit": False})
    assert started.status_code == 202, started.text
    case_id = started.json()["id"]
    link = api.post(f"/v1/cases/{case_id}/collection-links", json={"person_id": "ubo-1"}).json()
    owner = applicant(tenant.stack, link["token"])
    journey = owner.get("/v1/collection/journey").json()
    assert ([s["id"] for s in journey["steps"]], journey["person_id"]) == (["owner_identity"], "ubo-1")
    refused = owner.put("/v1/collection/steps/company", json={"name": "Other"})
    assert refused.status_code == 403, refused.text
    assert refused.json()["path"] == "step_id"
    foreign = owner.post(
        "/v1/collection/documents",
        json={"id": "certificate_of_incorporation", "type": "x", "content_type": "image/png"},
    )
    assert foreign.status_code == 403, foreign.text
    owned = owner.post(
        "/v1/collection/documents",
        json={"id": "id_front.ubo-1", "type": "id_card", "content_type": "image/png"},
    )
    assert owned.status_code == 201, owned.text
    saved = owner.put(
        "/v1/collection/steps/owner_identity",
        json={
            "first_name": "Ada",
            "last_name": "Lovelace",
            "date_of_birth": "1985-12-10",
            "nationality": "GB",
        },
    )
    assert saved.status_code == 200, saved.text
    company = applicant(
        tenant.stack, api.post(f"/v1/cases/{case_id}/collection-links", json={}).json()["token"]
    )
    assert "owner_identity" not in [s["id"] for s in company.get("/v1/collection/journey").json()["steps"]]
