"""Collection links over HTTP on the local stack: sent by an integrator or a reviewer, listed, revoked; their
tokens are no API key anywhere else, and never reach a log."""

from __future__ import annotations

from tests.support.tenants import make_tenant

PERSON = {"type": "individual", "id": "u-1", "individual": {"first_name": "Ada", "last_name": "Lovelace"}}


def collecting_case(api) -> str:
    response = api.post("/v1/cases", json={"workflow": "kyc", "entity": PERSON, "submit": False})
    assert response.status_code == 202, response.text
    assert response.json()["state"] == "collecting"
    return response.json()["id"]


def test_a_link_is_sent_listed_and_revoked_and_its_token_never_logged(tenant, capfd):
    api = tenant.api()
    case_id = collecting_case(api)
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
    as_token = tenant.api(key=token)
    assert as_token.get(f"/v1/cases/{case_id}").status_code == 401
    assert as_token.get(f"/v1/cases/{case_id}/collection-links").status_code == 401
    assert as_token.get("/v1/review/me").status_code == 401
    assert as_token.get("/v1/admin/rule-sets").status_code == 401
    assert as_token.post("/v1/transactions", json={}).status_code == 401
    assert as_token.get("/v1/webhooks").status_code == 401
    assert as_token.get("/api/v1/external/workflows/runs").status_code == 401

    revoked = api.delete(f"/v1/cases/{case_id}/collection-links/{link['id']}")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert api.delete(f"/v1/cases/{case_id}/collection-links/cl_unknown").status_code == 404

    logged = capfd.readouterr()
    assert case_id in logged.out + logged.err  # the stack's functions did log these requests
    assert token not in logged.out + logged.err
    assert token[4:] not in logged.out + logged.err


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
