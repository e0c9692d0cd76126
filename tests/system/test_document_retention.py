"""Retention of decided cases' documents, erasure of one entity, and legal holds, on the local stack."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.cases import case_with_document
from tests.support.documents import jpeg


def decide(tenant, case_id, decision="approve"):
    response = tenant.reviewer("reviewer").post(
        f"/v1/review/cases/{case_id}/decision", json={"decision": decision, "reason": "documents checked"}
    )
    assert response.status_code == 200, response.text


def stored_keys(tenant, case_id):
    case = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()["case"]
    return [
        k
        for d in case["documents"]
        for p in d["pages"]
        for k in (p.get("object_key"), p.get("thumbnail_key"))
        if k
    ]


def versions_of(stack, key):
    listing = stack.client("s3").list_object_versions(Bucket=stack.physical_id("DocumentsBucket"), Prefix=key)
    return listing.get("Versions", []) + listing.get("DeleteMarkers", [])


def set_retention(stack, tenant_id, days):
    from arbiter.adapters.dynamodb import DynamoTenantRepository

    repository = DynamoTenantRepository(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))
    stored = repository.get(tenant_id)
    stored.settings.document_retention_days = days
    repository.update(stored)
    return stored


@pytest.fixture
def retention_deps(stack):
    from arbiter import bootstrap
    from arbiter.settings import Settings

    spec = next(
        f for f in stack.provisioned.functions.values() if f.logical_id == "DocumentRetentionFunction"
    )
    return bootstrap.Dependencies(Settings.from_environ({**spec.environment, "AWS_REGION": "us-east-1"}))


# ------------------------------------------------------------------ retention


def test_retention_deletes_decided_cases_documents_after_the_period(tenant, stack, retention_deps):
    from arbiter.services import retention

    settings = set_retention(stack, tenant.id, 30)
    decided = case_with_document(tenant, entity_id="keep-1")
    decide(tenant, decided)
    held = case_with_document(tenant, entity_id="keep-2", image=jpeg(100, 100, (9, 9, 9)))
    decide(tenant, held, "reject")
    admin = tenant.reviewer("admin")
    assert admin.post(f"/v1/admin/cases/{held}/legal-hold", json={"reason": "litigation"}).status_code == 200
    running = case_with_document(tenant, entity_id="keep-3", image=jpeg(100, 100, (7, 7, 7)))
    keys = stored_keys(tenant, decided)
    assert keys
    assert all(versions_of(stack, k) for k in keys)

    too_early = retention.apply_retention(retention_deps, [settings], now=dt.datetime.now(dt.UTC))
    assert too_early["cases"] == 0
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    report = retention.apply_retention(retention_deps, [settings], now=later)
    assert report["cases"] == 1
    assert report["held"] == 1

    assert all(versions_of(stack, k) == [] for k in keys)
    detail = admin.get(f"/v1/review/cases/{decided}").json()
    assert detail["case"]["state"] == "approved"
    assert detail["case"]["decision"]["reason"] == "documents checked"
    assert detail["case"]["documents"][0]["pages"][0]["status"] == "deleted"
    assert any(e["action"] == "documents.deleted" for e in detail["audit"])
    assert any(e["action"] == "case.decided" for e in detail["audit"])
    assert stored_keys(tenant, held)  # legal hold: kept
    assert stored_keys(tenant, running)  # not decided: kept
    assert retention.apply_retention(retention_deps, [settings], now=later)["cases"] == 0  # done once


def test_the_scheduled_function_runs_over_every_tenant(tenant, stack):
    set_retention(stack, tenant.id, 1)
    report = stack.runtime.invoke(
        "arbiter-DocumentRetentionFunction",
        {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}},
    )
    assert report["tenants"] >= 1
    assert report["cases"] == 0  # nothing of this tenant is a day old


# ------------------------------------------------------------------ erasure and legal hold


def test_erasure_removes_documents_and_personal_data_and_keeps_the_audit_trail(tenant, stack):
    from arbiter.adapters.dynamodb.cases import DynamoCaseRepository

    case_id = case_with_document(tenant, entity_id="erase-1")
    decide(tenant, case_id)
    keys = stored_keys(tenant, case_id)
    screening = {
        "status": "ok",
        "data": {"matches": [{"name": "Ada Lovelace", "list": "PEP"}]},
        "flags": [{"code": "pep_match", "severity": "high", "message": "Ada Lovelace is a PEP"}],
    }
    repository = DynamoCaseRepository(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))
    repository.save_checks(tenant.id, case_id, {"screening": screening})
    admin = tenant.reviewer("admin")
    response = admin.post("/v1/admin/entities/erase-1/erasure", json={"reason": "GDPR art. 17 request"})
    assert response.status_code == 200, response.text

    assert all(versions_of(stack, k) == [] for k in keys)
    detail = admin.get(f"/v1/review/cases/{case_id}").json()
    case = detail["case"]
    person = {k: v for k, v in case["entity"]["individual"].items() if v not in (None, [], {})}
    assert person == {"full_name": "(erased)"}
    assert case["entity"]["id"] == "erase-1"
    assert "Ada" not in str(case)
    assert case["decision"]["outcome"] == "approved"
    assert case["erasure"]["reason"] == "GDPR art. 17 request"
    assert case["documents"][0]["pages"][0]["status"] == "deleted"
    assert detail["checks"]["screening"] == {
        "status": "ok",
        "flags": [{"code": "pep_match", "severity": "high"}],
        "erased": True,
    }
    actions = [e["action"] for e in detail["audit"]]
    assert "case.created" in actions
    assert "case.decided" in actions
    assert "entity.erased" in actions
    search = admin.get("/v1/review/cases", params={"q": "Lovelace"}).json()["items"]
    assert case_id not in [c["id"] for c in search]


def test_a_legal_hold_refuses_erasure_and_nothing_is_touched(tenant, stack):
    case_id = case_with_document(tenant, entity_id="hold-1")
    decide(tenant, case_id)
    admin = tenant.reviewer("admin")
    assert (
        admin.post(f"/v1/admin/cases/{case_id}/legal-hold", json={"reason": "regulator inquiry"}).status_code
        == 200
    )
    keys = stored_keys(tenant, case_id)
    refused = admin.post("/v1/admin/entities/hold-1/erasure", json={"reason": "customer request"})
    assert refused.status_code == 409
    assert "legal hold" in refused.json()["message"]
    assert refused.json()["case_ids"] == [case_id]
    case = admin.get(f"/v1/review/cases/{case_id}").json()["case"]
    assert case["entity"]["individual"]["first_name"] == "Ada"
    assert all(versions_of(stack, k) for k in keys)

    assert admin.delete(f"/v1/admin/cases/{case_id}/legal-hold").status_code == 200
    assert (
        admin.post("/v1/admin/entities/hold-1/erasure", json={"reason": "customer request"}).status_code
        == 200
    )


def test_only_admins_erase_or_hold_and_running_or_unknown_entities_are_refused(tenant):
    case_id = case_with_document(tenant, entity_id="erase-2")
    reviewer = tenant.reviewer("reviewer")
    assert reviewer.post("/v1/admin/entities/erase-2/erasure", json={"reason": "x"}).status_code == 403
    assert reviewer.post(f"/v1/admin/cases/{case_id}/legal-hold", json={"reason": "x"}).status_code == 403
    admin = tenant.reviewer("admin")
    running = admin.post("/v1/admin/entities/erase-2/erasure", json={"reason": "request"})
    assert running.status_code == 409
    assert "still running" in running.json()["message"]
    assert admin.post("/v1/admin/entities/nobody/erasure", json={"reason": "request"}).status_code == 404
    assert admin.post("/v1/admin/entities/erase-2/erasure", json={}).status_code == 422
    assert admin.delete(f"/v1/admin/cases/{case_id}/legal-hold").status_code == 409  # no hold to release


def test_an_admin_sets_the_tenants_retention_period(tenant, stack):
    admin = tenant.reviewer("admin")
    assert admin.get("/v1/admin/settings/document-retention").json() == {"days": None}
    response = admin.put("/v1/admin/settings/document-retention", json={"days": 365})
    assert response.status_code == 200, response.text
    assert admin.get("/v1/admin/settings/document-retention").json() == {"days": 365}
    from arbiter.adapters.dynamodb import DynamoTenantRepository

    stored = DynamoTenantRepository(stack.client("dynamodb"), stack.physical_id("ArbiterTable")).get(
        tenant.id
    )
    assert stored.settings.document_retention_days == 365
    bad = admin.put("/v1/admin/settings/document-retention", json={"days": 0})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["path"] == "days"
    assert (
        tenant.reviewer("reviewer").put("/v1/admin/settings/document-retention", json={"days": 1}).status_code
        == 403
    )
    assert admin.put("/v1/admin/settings/document-retention", json={"days": None}).json() == {"days": None}
