"""`GET /v1/review/cases/{id}/audit/verify` on the local stack: a real case's chain verifies, an audit item edited
in the table behind the API's back is named, and the route is a reviewer's read like the case view."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.audit_chain import canonical
from arbiter_local.runtime import InvocationError
from tests.support.cases import case_in_review
from tests.support.tenants import make_tenant


def test_a_viewer_verifies_a_real_cases_chain_and_sees_an_edit_behind_the_api(tenant, stack):
    case_id = case_in_review(tenant, "audit-1")
    viewer = tenant.reviewer("viewer")
    response = viewer.get(f"/v1/review/cases/{case_id}/audit/verify")
    assert response.status_code == 200, response.text
    answer = response.json()
    audit = viewer.get(f"/v1/review/cases/{case_id}").json()["audit"]
    assert answer["valid"] is True
    assert answer["entries"] == len(audit) > 1
    assert answer["unchained"] == 0
    assert len(answer["head"]) == 64
    assert answer.get("broken_at") is None

    client = stack.client("dynamodb")
    table = stack.physical_id("ArbiterTable")
    items = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :a)",
        ExpressionAttributeValues=to_item({":pk": keys.case_pk(tenant.id, case_id), ":a": keys.AUDIT_PREFIX}),
        ConsistentRead=True,
    )["Items"]
    first = from_item(items[0])
    content = json.loads(first["data"])
    content["actor"] = {"type": "reviewer", "id": "someone-else"}
    client.put_item(TableName=table, Item=to_item({**first, "data": canonical(content).decode()}))

    broken = viewer.get(f"/v1/review/cases/{case_id}/audit/verify").json()
    assert broken["valid"] is False
    assert broken["broken_at"]["entry_id"] == content["id"]
    assert broken["broken_at"]["reason"] == "edited"
    assert broken.get("head") is None


def test_verifying_needs_a_reviewers_token_and_another_tenants_case_is_not_found(tenant, stack):
    case_id = case_in_review(tenant, "audit-2")
    import httpx

    anonymous = httpx.get(f"{stack.api_url}/v1/review/cases/{case_id}/audit/verify", timeout=30)
    assert anonymous.status_code == 401
    other = make_tenant(stack)
    response = other.reviewer("admin").get(f"/v1/review/cases/{case_id}/audit/verify")
    assert response.status_code == 404
    missing = tenant.reviewer("viewer").get("/v1/review/cases/case_missing/audit/verify")
    assert missing.status_code == 404


def test_the_digest_function_anchors_a_case_in_the_locked_bucket_and_verify_says_so(tenant, stack):
    case_id = case_in_review(tenant, "audit-3")
    runtime = stack.runtime
    digest = runtime.by_logical_id("AuditDigestFunction").name
    today = dt.datetime.now(dt.UTC).date().isoformat()
    report = runtime.invoke(digest, {"date": today})
    assert report["date"] == today
    assert report["cases"] >= 1
    key = f"audit-digests/{tenant.id}/{today}.json"
    s3 = stack.client("s3")
    bucket = stack.physical_id("AuditDigestBucket")
    locked = s3.head_object(Bucket=bucket, Key=key)
    assert locked["ObjectLockMode"] == "COMPLIANCE"
    heads = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())["heads"]
    answer = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}/audit/verify").json()
    line = next(h for h in heads if h["case_id"] == case_id)
    assert answer["valid"] is True
    assert answer["anchored"] == {"date": today, "digest_key": key, "entries": line["entries"]}
    assert line["head"] == answer["head"] or line["entries"] < answer["entries"]
    with pytest.raises(InvocationError) as refused:
        runtime.invoke(digest, {"date": "yesterday"})
    assert refused.value.payload["errorType"] == "InvalidInput"
